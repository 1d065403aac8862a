"""The Nu HTML Checker as the crawl runs it (tests/helpers/html_checker.py): one run over a folder
of pages, each error named by its page's URL and line, and a checker that reports nothing for
a page that is invalid on purpose fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import html_checker
from tests.helpers.html_checker import ServedPages

VALID = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Valid</title></head>
<body><main><h1>Valid</h1><p>Nothing wrong here.</p></main></body></html>
"""
# The third line has an image with no text alternative.
NO_ALT = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>No alt</title></head>
<body><main><img src="/static/x.png"></main></body></html>
"""


def test_each_error_is_reported_with_its_page_url_and_line(tmp_path: Path):
    pages = ServedPages(tmp_path)
    pages.save("http://127.0.0.1/valid", VALID)
    pages.save("http://127.0.0.1/no-alt", NO_ALT)
    pages.save("http://127.0.0.1/valid-again", VALID)  # the same page: checked once
    assert sorted(pages.urls.values()) == ["http://127.0.0.1/no-alt", "http://127.0.0.1/valid"]
    errors = pages.errors()  # one run of the checker, the invalid-on-purpose page in it
    assert len(errors) == 1, errors
    assert errors[0].startswith("http://127.0.0.1/no-alt line 3: An “img” element must have an")
    assert "[" in errors[0] and "<img" in errors[0]  # the extract


def test_a_checker_that_finds_nothing_wrong_fails(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(html_checker, "run_checker", lambda folder: [])
    pages = ServedPages(tmp_path)
    pages.save("http://127.0.0.1/valid", VALID)
    with pytest.raises(AssertionError, match="did not report the page that is invalid on purpose"):
        pages.errors()
