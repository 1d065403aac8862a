"""The static files' fingerprinted copies. `python -m marks.operations.static_files`, run as root
when the code is installed or upgraded (docs/deploy.md), writes beside each file a copy named by a
fingerprint of its content (css/marks.css: css/marks.3f2a1b4c5d6e.css), and a manifest naming
them (fingerprints.json). The pages link the copies, which nginx lets browsers keep for a year:
a server that has not got a name answers 404, so one still on an older release never passes
off its file as a newer one's (a rolling upgrade, section 11). Without the copies (development)
the pages link the files themselves with the fingerprint in the query: `?v=3f2a1b4c5d6e`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path, PurePosixPath

MANIFEST = "fingerprints.json"
# The stylesheet's Sass and its build (static/src/): not for browsers.
NOT_SERVED = ("src",)
# A copy's name: the fingerprint before the file's last suffix, if it has one.
COPY = re.compile(r"\.[0-9a-f]{12}(\.[^.]+)?$")

log = logging.getLogger(__name__)


def fingerprint(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


def copy_name(filename: str, content: bytes) -> str:
    """css/marks.css, its content: css/marks.3f2a1b4c5d6e.css (the suffix last, for nginx's
    Content-Type)."""
    path = PurePosixPath(filename)
    return str(path.with_name(f"{path.stem}.{fingerprint(content)}{path.suffix}"))


def compile_copies(folder: Path) -> tuple[dict[str, str], int]:
    """Each static file's fingerprinted copy, and the manifest: {file: copy}; and how many
    copies were new. A copy already there is left alone (its name says its content); each new
    file is renamed into place whole, since nginx serves the folder meanwhile. The copies of
    earlier releases are kept: pages from a server not yet upgraded still find theirs."""
    manifest: dict[str, str] = {}
    written = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (
            not path.is_file()
            or relative.parts[0] in NOT_SERVED
            or path.name.startswith(".")
            or COPY.search(path.name)
            or relative.as_posix() == MANIFEST
        ):
            continue
        content = path.read_bytes()
        name = copy_name(relative.as_posix(), content)
        if not (folder / name).is_file():
            _write_whole(folder / name, content)
            written += 1
        manifest[relative.as_posix()] = name
    _write_whole(folder / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
    return manifest, written


def _write_whole(path: Path, content: bytes) -> None:
    """Written beside, then renamed: a reader has the whole file or none of it."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        partial.write_bytes(content)
        partial.chmod(0o644)  # nginx's user reads it
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def current_copies(folder: Path, production: bool) -> dict[str, str]:
    """The manifest's copies of the files as they are now: {file: copy}. A copy of an older
    content (the code upgraded, the copies not compiled again) is not the file's: that file is
    linked with ?v= instead. Outside development, a missing or out-of-date manifest is logged,
    with the command that mends it; the pages work on, each file checked by browsers each time."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (FileNotFoundError, ValueError):  # not compiled, or not by us
        manifest = None
    current = {}
    for filename, name in (manifest or {}).items():
        source = folder / filename
        fresh = source.is_file() and name == copy_name(filename, source.read_bytes())
        if fresh and (folder / name).is_file():
            current[filename] = name
    if production and current != manifest:
        missing = "missing" if manifest is None else "out of date"
        log.warning(
            "The static files' fingerprinted copies are %s (%s): run, as root, "
            "/srv/marks/venv/bin/python -m marks.operations.static_files "
            "(docs/deploy.md, section 9)",
            missing,
            folder / MANIFEST,
        )
    return current


if __name__ == "__main__":
    from marks import ROOT

    static = ROOT / "static"
    files, new = compile_copies(static)
    print(f"{len(files)} static files, copies made: {new} ({static / MANIFEST})")
