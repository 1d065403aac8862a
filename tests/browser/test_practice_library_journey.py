"""The library of good practice in a real browser, as an officer of another council uses it:
from the menu to the library, a search narrowed to a theme (the choices kept in the URL), an
example read in full, and on to the council's public page, which lists what it shared.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from playwright.sync_api import expect

from marks.extensions import db
from marks.models import Council
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.seen import heading, navigation, summary_value

# The demo data of `flask seed-demo` (marks/seed/demo.py): Hull shared its answer to EN1,
# with the note "Start with one willing councillor."
HULL = "E06000010"


def name_of(live_server: LiveServer, gss_code: str) -> str:
    with live_server.app.app_context():
        name = db.session.scalar(sa.select(Council.name).where(Council.gss_code == gss_code))
        db.session.remove()
    return name


def test_an_officer_searches_the_library_and_follows_an_example_to_its_council(
    page: CheckedPage, live_server: LiveServer
):
    hull = name_of(live_server, HULL)

    page.visit("/")
    page.submit(navigation(page).get_by_role("link", name="Good practice").click)
    expect(page.page).to_have_url(f"{live_server.url}/practice")
    expect(heading(page)).to_have_text("The library of good practice")

    page.get_by_label("Search the answers").fill("willing councillor")
    page.get_by_label("Theme", exact=True).select_option(label="Engagement")
    page.submit(page.get_by_role("button", name="Search the library").click)
    query = parse_qs(urlsplit(page.page.url).query)
    assert (query["q"], query["theme"]) == (["willing councillor"], ["engagement"])
    expect(page.get_by_role("heading", level=2, name="1 example")).to_be_visible()
    expect(page.get_by_label("Theme", exact=True)).to_have_value("engagement")

    page.submit(page.get_by_role("link", name=hull, exact=True).click)
    expect(heading(page)).to_have_text(f"{hull}: Leaders and councillors who engage")
    expect(page.get_by_text("Start with one willing councillor.")).to_be_visible()
    expect(summary_value(page, "Criterion")).to_have_text("EN1: Leaders and councillors who engage")

    page.submit(summary_value(page, "Council").get_by_role("link", name=hull).click)
    expect(page.page).to_have_url(f"{live_server.url}/councils/{HULL}")
    expect(heading(page)).to_have_text(hull)
    shared = page.get_by_role("heading", level=2, name=f"Answers {hull} shared")
    expect(shared).to_be_visible()
    expect(page.get_by_role("link", name="EN1: Leaders and councillors who engage")).to_be_visible()
