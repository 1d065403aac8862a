"""Reading a PDF back with poppler-utils' tools (`make system-packages` installs them): the
text it prints, as a reader or a screen reader takes it off the page."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from marks.awarding.certificates import Printed

# A certificate's printed facts, as the tests of certificates print them.
SAMPLE = Printed(
    scheme_name="Social Media Friendly Mark",
    council_name="Hartlepool Borough Council",
    level_name="Accredited",
    edition_title="Social Media Friendly Mark 2026",
    awarded_on=date(2026, 11, 22),
    expires_on=date(2028, 11, 22),
    certificate_number="SMFM-2026-00042",
    verification_url="http://127.0.0.1:5000/verify/SMFM-2026-00042",
    signatory_name="Alex Morgan",
    signatory_title="Chair, Social Media Friendly Mark panel",
)


def poppler(tool: str, *arguments: str, pdf: bytes | None = None, cwd: Path | None = None) -> str:
    """Run one of poppler-utils' tools, the PDF on its standard input if given."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: install poppler-utils")
    done = subprocess.run(  # noqa: S603 (our own arguments)
        [path, *arguments], input=pdf, capture_output=True, check=True, cwd=cwd
    )
    return done.stdout.decode()


def text_of(pdf: bytes) -> str:
    """The printed text, whitespace collapsed (the layout wraps long lines)."""
    return " ".join(poppler("pdftotext", "-layout", "-enc", "UTF-8", "-", "-", pdf=pdf).split())


def raw_text_of(pdf: bytes) -> str:
    """The printed text in the order the page draws it, lines as they are."""
    return poppler("pdftotext", "-raw", "-enc", "UTF-8", "-", "-", pdf=pdf)
