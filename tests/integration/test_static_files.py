"""The static files' fingerprinted copies (marks/operations/static_files.py): what the install
writes, and what the pages link with them and without. Served by nginx: test_deploy_served.py."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path

import pytest

from marks import ROOT
from marks.operations.static_files import MANIFEST, compile_copies, current_copies

STYLESHEET = b"body {\n  color: #0b0c0c;\n}\n"
SCRIPT = b"export const started = true;\n"


def fingerprint(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


@pytest.fixture
def static(tmp_path) -> Path:
    folder = tmp_path / "static"
    for name, content in (
        ("css/marks.css", STYLESHEET),
        ("js/govuk-frontend.min.js", SCRIPT),
        ("src/marks.scss", b"$colour: #0b0c0c;\n"),  # the stylesheet's source: not served
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


def test_the_install_writes_a_copy_named_by_its_content_and_a_manifest(static):
    manifest, written = compile_copies(static)
    css, js = (
        f"css/marks.{fingerprint(STYLESHEET)}.css",
        f"js/govuk-frontend.min.{fingerprint(SCRIPT)}.js",
    )
    assert manifest == {"css/marks.css": css, "js/govuk-frontend.min.js": js}
    assert written == 2
    assert (static / css).read_bytes() == STYLESHEET
    assert (static / js).read_bytes() == SCRIPT
    assert json.loads((static / MANIFEST).read_text()) == manifest
    for path in (static / css, static / js, static / MANIFEST):
        assert path.stat().st_mode & 0o777 == 0o644  # nginx's user reads them
    assert sorted(p.name for p in (static / "src").iterdir()) == ["marks.scss"]
    # Run again (an upgrade that changed nothing): nothing new, nothing rewritten.
    assert compile_copies(static) == (manifest, 0)
    assert not [p for p in static.rglob(".*")]  # no half-written file left behind


def test_an_upgrade_adds_a_copy_and_keeps_the_old_releases(static):
    before, _ = compile_copies(static)
    (static / "css/marks.css").write_bytes(STYLESHEET + b".app-new {\n  color: red;\n}\n")
    after, written = compile_copies(static)
    assert written == 1
    assert after["css/marks.css"] != before["css/marks.css"]
    assert after["js/govuk-frontend.min.js"] == before["js/govuk-frontend.min.js"]
    # Kept: pages from a server still on the old release link it.
    assert (static / before["css/marks.css"]).read_bytes() == STYLESHEET


def test_only_copies_of_the_files_as_they_are_now_are_linked(static, caplog):
    caplog.set_level(logging.WARNING, "marks.operations.static_files")
    assert current_copies(static, production=False) == {}  # development: nothing to say
    assert caplog.messages == []
    assert current_copies(static, production=True) == {}
    assert caplog.messages == [
        f"The static files' fingerprinted copies are missing ({static / MANIFEST}): run, as "
        "root, /srv/marks/venv/bin/python -m marks.operations.static_files "
        "(docs/deploy.md, section 9)"
    ]
    caplog.clear()
    manifest, _ = compile_copies(static)
    assert current_copies(static, production=True) == manifest
    assert caplog.messages == []
    # The code upgraded, the copies not compiled again: the stylesheet's copy is not its own.
    (static / "css/marks.css").write_bytes(b"body {\n  color: red;\n}\n")
    assert current_copies(static, production=True) == {
        "js/govuk-frontend.min.js": manifest["js/govuk-frontend.min.js"]
    }
    assert "copies are out of date" in caplog.messages[0]


def stylesheet_link(client) -> str:
    page = client.get("/sign-in")
    return page.soup.select_one('link[rel="stylesheet"]')["href"]


def test_pages_link_the_copies_once_compiled_and_the_files_with_v_before(
    app, client, monkeypatch, tmp_path
):
    content = (ROOT / "static/css/marks.css").read_bytes()
    assert stylesheet_link(client) == f"/static/css/marks.css?v={fingerprint(content)}"
    folder = tmp_path / "static"
    shutil.copytree(ROOT / "static", folder, ignore=shutil.ignore_patterns("node_modules"))
    compile_copies(folder)
    # What a worker started after the install reads (presentation.register).
    monkeypatch.setattr(app, "static_folder", str(folder))
    monkeypatch.setitem(
        app.extensions, "marks.operations.static_files", current_copies(folder, True)
    )
    link = stylesheet_link(client)
    assert link == f"/static/css/marks.{fingerprint(content)}.css"
    copy = client.http.get(link)
    assert copy.status_code == 200 and copy.data == content
    copy.close()
    page = client.get("/sign-in").response.get_data(as_text=True)
    assert re.findall(r'(?:href|src)="(/static/[^"]+)"', page) == [
        f"/static/css/marks.{fingerprint(content)}.css",
        f"/static/images/favicon.{fingerprint((folder / 'images/favicon.svg').read_bytes())}.svg",
        f"/static/js/init.{fingerprint((folder / 'js/init.js').read_bytes())}.js",
    ]
