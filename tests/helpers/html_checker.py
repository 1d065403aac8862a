"""The Nu HTML Checker (vnu.jar: `make test` installs it from tests/package-lock.json, and
Debian's Java that runs it): pages saved as the server sent them, then checked in one run of the
checker (the JVM is slow to start), each error reported with the page's URL, line and message.

Every run also checks a page that is invalid on purpose, and fails if the checker does not
report it: a checker that is broken, or reads nothing, cannot pass.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

JAR = Path(__file__).resolve().parents[1] / "node_modules/vnu-jar/build/dist/vnu.jar"

INVALID_PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head><title>Invalid on purpose</title></head>\n'
    "<body><p><div></p></body></html>\n"
)
INVALID_URL = "invalid on purpose (tests/helpers/html_checker.py)"
INVALID_MESSAGE = "No “p” element in scope but a “p” end tag seen."

# Findings that are the checker's mistakes, not the page's: exact message -> why. Keep it short.
FALSE_POSITIVES: dict[str, str] = {}


def run_checker(folder: Path) -> list[dict]:
    """The checker's messages (errors only) for every HTML file in the folder, in one run."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: make system-packages installs default-jre-headless")
    if not JAR.is_file():
        pytest.fail(f"{JAR} is missing: make test installs it (npm ci in tests/)")
    done = subprocess.run(  # noqa: S603 (our own arguments)
        [
            java,
            "-jar",
            str(JAR),
            "--errors-only",
            "--skip-non-html",
            "--exit-zero-always",
            "--format",
            "json",
            str(folder),
        ],
        capture_output=True,
        check=True,
    )
    return json.loads(done.stderr)["messages"]


@dataclass
class ServedPages:
    """HTML documents as served, each with the URL it came from, saved into a folder to be
    checked all at once."""

    folder: Path
    urls: dict[str, str] = field(default_factory=dict)  # file name -> the page's URL
    _seen: set[str] = field(default_factory=set)

    def save(self, url: str, html: bytes) -> None:
        digest = hashlib.sha256(html).hexdigest()
        if digest in self._seen:  # the same page again: once is enough
            return
        self._seen.add(digest)
        name = f"{len(self.urls):04d}.html"
        (self.folder / name).write_bytes(html)
        self.urls[name] = url

    def errors(self) -> list[str]:
        """Every error the checker finds, as `URL line N: message`, the invalid-on-purpose page
        left out once found (fails if it is not)."""
        self.save(INVALID_URL, INVALID_PAGE.encode())
        found = []
        for message in run_checker(self.folder):
            name = Path(unquote(urlsplit(message.get("url", "")).path)).name
            url = self.urls.get(name, message.get("url", "?"))
            if message["message"] in FALSE_POSITIVES:
                continue
            found.append(
                f"{url} line {message.get('lastLine', '?')}: {message['message']}"
                + (f" [{message['extract'].strip()}]" if message.get("extract") else "")
            )
        planted = [line for line in found if line.startswith(f"{INVALID_URL} ")]
        assert any(INVALID_MESSAGE in line for line in planted), (
            "the checker did not report the page that is invalid on purpose: "
            f"is it working? It said: {found[:5]}"
        )
        return [line for line in found if line not in planted]
