"""Reading a PDF back with poppler-utils' tools (`make system-packages` installs them): the
text it prints, as a reader or a screen reader takes it off the page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


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
