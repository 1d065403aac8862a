"""A council's words on a public page (marks/presentation/text.py): paragraphs and links kept,
everything else escaped."""

from __future__ import annotations

from bs4 import BeautifulSoup

from marks.presentation.text import council_text
from tests.hostile import EVERY, assert_no_injection, combined, one_line


def test_paragraphs_and_line_breaks_are_kept():
    assert council_text("First line\nsecond line\n\n  \nNext paragraph") == (
        '<p class="govuk-body">First line<br>\nsecond line</p>\n'
        '<p class="govuk-body">Next paragraph</p>'
    )


def test_a_web_address_becomes_a_link_without_the_sentence_s_punctuation():
    html = council_text("Our policy (https://x.gov.uk/policy?a=1&b=2).")
    assert html == (
        '<p class="govuk-body">Our policy (<a class="govuk-link" '
        'href="https://x.gov.uk/policy?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        "https://x.gov.uk/policy?a=1&amp;b=2</a>).</p>"
    )


def test_no_markup_but_its_own_reaches_the_page():
    html = council_text('<b>bold</b> <a href="javascript:alert(1)">x</a> javascript:alert(1)')
    assert "<b>" not in html and "<a href" not in html.replace('<a class="govuk-link"', "")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "govuk-link" not in html  # no http(s) address: no link


def test_an_address_cannot_break_out_of_its_attribute():
    html = council_text('https://x.gov.uk/"onmouseover="alert(1) and https://x.gov.uk/<script>')
    assert 'href="https://x.gov.uk/"' in html
    assert "<script>" not in html and '"onmouseover' not in html


def test_hostile_text_is_escaped_and_shown_as_typed():
    html = council_text(combined())
    assert_no_injection(html, "council_text")
    soup = BeautifulSoup(html, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    shown = one_line(soup.get_text())
    for text in EVERY:
        assert one_line(text) in shown, text


def test_nothing_gives_nothing():
    assert council_text(None) == "" and council_text("  \n\n ") == ""
