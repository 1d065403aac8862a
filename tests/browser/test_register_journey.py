"""The public register in a real browser, as a resident uses it: from the header to the
register's figures and table of current councils; searching, filtering and sorting with the
form (the choices kept in the URL); a council's page with its badge and history; the empty
state; the same form without JavaScript; and the open data links.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Locator, expect

from marks.extensions import db
from marks.models import Award, Council
from marks.presentation import govuk_date
from tests.browser.conftest import _CALL_FAILED, CheckedPage, LiveServer
from tests.browser.seen import heading, navigation

# The demo data of `flask seed-demo` (marks/seed/demo.py).
BLACKBURN = "E06000008"  # approved, current
HULL = "E06000010"  # approved, current
EAST_RIDING = "E06000011"  # accredited with distinction (another test may revoke it)
NE_LINCS = "E06000012"  # expired
NORTH_LINCS = "E06000013"  # revoked
NOTHING = "Nowhere-on-Sea"  # matches no council

TITLE = "The register of the Social Media Friendly Mark"


@dataclass(frozen=True)
class Seen:
    """A council's latest award as the public sees it, read from the live server's database."""

    council: str
    number: str
    level: str
    year: int
    awarded_on: date
    expires_on: date


def award_of(live_server: LiveServer, gss_code: str) -> Seen:
    with live_server.app.app_context():
        award = db.session.scalars(
            sa.select(Award)
            .join(Council, Award.council_id == Council.id)
            .where(Council.gss_code == gss_code)
            .order_by(Award.awarded_on.desc())
        ).first()
        assert award is not None, f"no award for {gss_code}"
        seen = Seen(
            council=award.council.name,
            number=award.certificate_number,
            level=award.level.name,
            year=award.year,
            awarded_on=award.awarded_on,
            expires_on=award.expires_on,
        )
        db.session.remove()
        return seen


# ---------------------------------------------------------------------------
# A page without JavaScript
# ---------------------------------------------------------------------------


@dataclass
class NoScriptPage(CheckedPage):
    """A page in a browser context with JavaScript turned off, checked like any other for
    console errors and failed requests. axe is itself JavaScript and cannot run here (its
    timers never fire), so each page is checked with axe at the same address in `twin`, a
    page with JavaScript: the server sends both the same document."""

    twin: CheckedPage | None = None

    def check(self) -> None:
        self.page.wait_for_load_state("load")
        assert self.loads, "no page has loaded"
        load = self.loads[-1]
        assert load.url == self.page.url, f"last load was {load.url}, page is {self.page.url}"
        # The GOV.UK template's inline script marks the body when scripts run: none did.
        assert "js-enabled" not in (self.page.locator("body").get_attribute("class") or "")
        self.assert_no_problems()
        assert self.twin is not None and self._same_origin(self.page.url)
        self.twin.visit(self.page.url.removeprefix(self.base_url))
        load.checked = True


@pytest.fixture
def no_js_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, page: CheckedPage
) -> Iterator[NoScriptPage]:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        checked = NoScriptPage(context.new_page(), live_server.url, twin=page)
        yield checked
        if request.node.stash.get(_CALL_FAILED, False):
            return
        checked.page.wait_for_load_state("load")
        checked.assert_no_problems()
        unchecked = checked.unchecked()
        assert not unchecked, f"pages loaded but never checked: {unchecked}"
    finally:
        context.close()


# ---------------------------------------------------------------------------
# What a person sees
# ---------------------------------------------------------------------------


def result_count(page: CheckedPage) -> Locator:
    return page.get_by_role("heading", level=2, name=re.compile(r"^\d+ councils?$"))


def results(page: CheckedPage) -> Locator:
    return page.get_by_role("table", name=re.compile(r"^Councils on the register, page "))


def rows(page: CheckedPage) -> Locator:
    return results(page).locator("tbody tr")


def column(page: CheckedPage, number: int) -> list[str]:
    """The text of one column of the results (1: council, 2: level, 3: awarded, ...)."""
    if number == 1:
        return [t.strip() for t in rows(page).locator("td:first-child a").all_inner_texts()]
    return [t.strip() for t in rows(page).locator(f"td:nth-child({number})").all_inner_texts()]


def row_of(page: CheckedPage, council: str) -> Locator:
    return rows(page).filter(has=page.get_by_role("link", name=council, exact=True))


def shown_count(page: CheckedPage) -> int:
    """The number in the heading over the results, which agrees with the table."""
    text = result_count(page).inner_text()
    number = int(text.split()[0])
    if number:
        expect(rows(page)).to_have_count(number)  # every demo view fits on one page
    return number


def query(page: CheckedPage) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.page.url).query)


def search(page: CheckedPage, *, name: str | None = None, **selects: str) -> None:
    """Fill in the register's form (selects by the label of their option) and search."""
    if name is not None:
        page.get_by_label("Council name").fill(name)
    for label, option in selects.items():
        page.get_by_label(label.replace("_", " ").capitalize(), exact=True).select_option(
            label=option
        )
    page.submit(page.get_by_role("button", name="Search the register").click)
    expect(heading(page)).to_have_text(TITLE)


def day(text: str) -> date:
    return datetime.strptime(text, "%d %B %Y").date()


def image_loaded(image: Locator) -> bool:
    expect(image).to_be_visible()
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


# ---------------------------------------------------------------------------
# The journeys
# ---------------------------------------------------------------------------


def test_a_resident_searches_filters_and_sorts_the_register(
    page: CheckedPage, live_server: LiveServer
):
    blackburn = award_of(live_server, BLACKBURN)
    hull = award_of(live_server, HULL)
    east_riding = award_of(live_server, EAST_RIDING)
    expired = award_of(live_server, NE_LINCS)
    revoked = award_of(live_server, NORTH_LINCS)
    assert east_riding.level == "Accredited with distinction"

    page.visit("/")
    page.submit(navigation(page).get_by_role("link", name="Register").click)
    expect(page.page).to_have_url(f"{live_server.url}/register")
    expect(heading(page)).to_have_text(TITLE)

    # The figures: how many councils hold the Mark now, at each level.
    figures = page.locator("main p.govuk-body-l")
    expect(figures).to_contain_text("Every council that holds, or has held, the Mark.")
    expect(figures).to_contain_text(re.compile(r"Now: (\d+ [A-Za-z ]+, )*\d+ [A-Za-z ]+\.$"))
    now = figures.inner_text().split("Now: ", 1)[1].rstrip(".")
    by_level = {level: int(n) for n, level in re.findall(r"(\d+) ([A-Za-z ]+)", now)}
    assert by_level.get("Accredited", 0) >= 2, now  # Blackburn with Darwen and Hull at least

    # The default view: current councils only, as many as the figures say.
    expect(results(page).get_by_role("columnheader")).to_have_text(
        ["Council", "Level", "Awarded", "Valid until", "Status"]
    )
    assert shown_count(page) == sum(by_level.values())
    names = column(page, 1)
    assert {blackburn.council, hull.council} <= set(names), names
    assert expired.council not in names and revoked.council not in names
    assert set(column(page, 5)) <= {"Current", "Expiring soon"}
    expect(row_of(page, blackburn.council).get_by_role("cell")).to_have_text(
        [
            re.compile(rf"^{re.escape(blackburn.council)}\s*Unitary authority, England$"),
            blackburn.level,
            govuk_date(blackburn.awarded_on),
            govuk_date(blackburn.expires_on),
            "Current",
        ]
    )

    # A search by part of a name, kept in the URL and in the form.
    search(page, name="hull")
    assert query(page)["q"] == ["hull"]
    expect(page.get_by_label("Council name")).to_have_value("hull")
    expect(result_count(page)).to_have_text("1 council")
    assert column(page, 1) == [hull.council]

    # Any status: the expired and revoked councils appear, tagged.
    search(page, name="", Status="Any status")
    assert query(page)["status"] == ["all"]
    expect(page.get_by_label("Status", exact=True)).to_have_value("all")
    total = shown_count(page)
    assert total > sum(by_level.values())
    expect(row_of(page, expired.council).locator(".govuk-tag")).to_have_text("Expired")
    expect(row_of(page, revoked.council).locator(".govuk-tag")).to_have_text("Revoked")
    expect(row_of(page, hull.council).locator(".govuk-tag")).to_have_text("Current")

    # By level.
    search(page, Level="Accredited with distinction")
    assert query(page)["level"] == ["distinction"]
    expect(page.get_by_label("Level", exact=True).locator("option:checked")).to_have_text(
        "Accredited with distinction"
    )
    assert east_riding.council in column(page, 1)
    assert set(column(page, 2)) == {"Accredited with distinction"}
    assert shown_count(page) < total

    # Newest award first: the expired council, awarded longest ago, comes last.
    search(page, Level="Any level", Sort_by="Newest award")
    assert query(page)["sort"] == ["newest"]
    assert shown_count(page) == total
    awarded = [day(text) for text in column(page, 3)]
    assert awarded == sorted(awarded, reverse=True), awarded
    assert column(page, 1)[-1] == expired.council

    # A council's page: its badge and its history.
    page.submit(results(page).get_by_role("link", name=hull.council, exact=True).click)
    expect(page.page).to_have_url(f"{live_server.url}/councils/{HULL}")
    expect(heading(page)).to_have_text(hull.council)
    main = page.locator("main")
    expect(main).to_contain_text(f"Unitary authority, England. GSS code {HULL}.")
    expect(main).to_contain_text(
        f"{hull.council} holds the Social Media Friendly Mark: {hull.level}, "
        f"until {govuk_date(hull.expires_on)}."
    )
    badge = page.get_by_role(
        "img", name=f"Social Media Friendly Mark: {hull.council} is {hull.level} ({hull.year})"
    )
    assert image_loaded(badge), "the badge did not load"
    expect(page.get_by_role("heading", name="Award history")).to_be_visible()
    history = page.get_by_role("table", name=f"Every award to {hull.council}, newest first")
    expect(history.get_by_role("columnheader")).to_have_text(
        ["Certificate", "Level", "Awarded", "Valid until", "Status"]
    )
    expect(history.locator("tbody tr").get_by_role("cell")).to_have_text(
        [
            hull.number,
            hull.level,
            govuk_date(hull.awarded_on),
            govuk_date(hull.expires_on),
            "Current",
        ]
    )


def test_a_search_that_finds_nothing_explains_why(page: CheckedPage):
    page.visit("/register")
    search(page, name=NOTHING)
    expect(result_count(page)).to_have_text("0 councils")
    expect(results(page)).to_have_count(0)
    explanation = page.locator("main .govuk-inset-text")
    expect(explanation).to_contain_text(
        "No council matches. If a council you expected is not here, it may:"
    )
    expect(explanation.get_by_role("listitem")).to_have_text(
        [
            "never have applied for the Mark",
            "have applied, and still be in assessment",
            "have held the Mark before: try the status “Any status” or “Expired”",
        ]
    )
    expect(explanation).to_contain_text(
        "If you have a certificate in front of you, check its number."
    )
    page.submit(explanation.get_by_role("link", name="check its number").click)
    expect(heading(page)).to_have_text("Check a certificate")


def test_the_register_works_without_javascript(no_js_page: NoScriptPage, live_server: LiveServer):
    page = no_js_page
    expired = award_of(live_server, NE_LINCS)
    revoked = award_of(live_server, NORTH_LINCS)

    page.visit("/register")
    expect(heading(page)).to_have_text(TITLE)
    search(page, name="lincolnshire", Status="Any status")
    assert query(page)["q"] == ["lincolnshire"]
    assert query(page)["status"] == ["all"]
    expect(result_count(page)).to_have_text("2 councils")
    assert column(page, 1) == sorted([expired.council, revoked.council])
    expect(row_of(page, expired.council).locator(".govuk-tag")).to_have_text("Expired")
    expect(row_of(page, revoked.council).locator(".govuk-tag")).to_have_text("Revoked")


def test_the_register_as_open_data(page: CheckedPage):
    page.visit("/register")
    names = column(page, 1)
    assert shown_count(page) == len(names)
    downloads = page.get_by_role("heading", name="Download these results").locator("+ p")

    # The CSV of the same results.
    href = downloads.get_by_role("link", name="CSV", exact=True).get_attribute("href")
    assert href == "/register.csv"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.text()
    assert text.startswith("gss_code,council,"), text[:100]
    records = list(csv.DictReader(io.StringIO(text)))
    assert [r["council"] for r in records] == names
    assert {r["status"] for r in records} <= {"current", "expiring-soon"}

    # What the data means.
    page.submit(downloads.get_by_role("link", name="About the open data").click)
    expect(heading(page)).to_have_text("Open data")
    fields = page.get_by_role("table", name="The fields")
    expect(fields.get_by_role("columnheader")).to_have_text(["Field", "What it holds"])
    expect(fields.locator("tbody tr > :first-child").first).to_have_text("gss_code")
    expect(fields.get_by_role("rowheader", name="council", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Open Government Licence v3.0").first).to_be_visible()


# What sticks out past the right edge of the window, and what scrolls sideways.
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const all = [...document.body.querySelectorAll('*')];
  return {
    page: document.documentElement.scrollWidth - width,
    scrollers: all.filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
      && el.scrollWidth > el.clientWidth + 1).map(el => el.className),
  };
}"""


def label_of(cell: Locator) -> str:
    """The column's name a narrow screen shows over a cell."""
    return cell.evaluate("td => getComputedStyle(td, '::before').content.replace(/^\"|\"$/g, '')")


def expect_on_screen(page: CheckedPage, cells: Locator, width: int) -> None:
    assert page.evaluate(SIDEWAYS) == {"page": 0, "scrollers": []}
    for cell in cells.all():
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_the_register_reads_on_a_phone(page: CheckedPage, live_server: LiveServer):
    revoked = award_of(live_server, NORTH_LINCS)
    expired = award_of(live_server, NE_LINCS)
    with live_server.app.app_context():
        revoked_at = db.session.scalar(
            sa.select(Award.revoked_at).where(Award.certificate_number == revoked.number)
        )
        db.session.remove()
    page.set_viewport_size({"width": 320, "height": 640})

    # Each council a card: every cell on screen, under its column's name, nothing sideways.
    page.visit("/register?status=all")
    row = row_of(page, revoked.council)
    cells = row.get_by_role("cell")
    expect_on_screen(page, cells, 320)
    expect(cells).to_have_text(
        [
            re.compile(rf"^{re.escape(revoked.council)}"),
            revoked.level,
            govuk_date(revoked.awarded_on),
            f"Revoked on {govuk_date(revoked_at)}",
            "Revoked",
        ]
    )
    assert [label_of(cell) for cell in cells.all()][1:] == [
        "Level",
        "Awarded",
        "Valid until",
        "Status",
    ]
    expect(row_of(page, expired.council).get_by_role("cell").nth(3)).to_have_text(
        f"Expired on {govuk_date(expired.expires_on)}"
    )

    # A council's page: its history the same.
    page.submit(results(page).get_by_role("link", name=revoked.council, exact=True).click)
    history = page.get_by_role("table", name=f"Every award to {revoked.council}, newest first")
    expect_on_screen(page, history.get_by_role("cell"), 320)

    # At width, a table again: its column headers read, no names over the cells, and the
    # history across the page rather than in two thirds of it.
    page.set_viewport_size({"width": 1280, "height": 720})
    expect(history.get_by_role("columnheader")).to_have_text(
        ["Certificate", "Level", "Awarded", "Valid until", "Status"]
    )
    assert label_of(history.get_by_role("cell").nth(1)) == "none"
    main = page.locator("main").bounding_box()
    table = history.bounding_box()
    assert main is not None and table is not None
    assert table["width"] > 0.9 * main["width"], (table, main)
