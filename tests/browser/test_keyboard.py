"""The three journeys by keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys; never a
click, never a fill): a council applies (sign in, fill in its last criterion, save, check its
answers, submit), an assessor scores an application, an administrator decides on one. Every
element that takes focus on the way shows GOV.UK's focus style, and the skip link works.

(The whole application form, every criterion, by keyboard is in test_council_journey.py.)
Runs on a server and database of its own: it assigns and decides what the journey tests expect
still to be waiting. Every page is checked with axe on arrival: see conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Locator, expect

from marks.applying import applications
from marks.assessing import assessment
from marks.extensions import db
from marks.models import Application, Council
from marks.people import users
from marks.seed.demo import PASSWORD
from tests.browser.conftest import CODE_HEADING, CheckedPage, LiveServer, _seed, serving
from tests.browser.demo_accounts import ADMIN
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value
from tests.pages import next_code

LEAD, LEAD_NAME = "lead@darlington.gov.uk", "Dee Darlington"  # a draft, half done
ASSESSOR = "assessor1@example.org"
DRAFT, SUBMITTED, READY = "E06000005", "E06000004", "E06000007"  # demo councils' GSS codes
LAST = "SE4"  # the criterion the council fills in by keyboard
SCALE = ["Not in place", "Emerging", "Developing", "Established", "Exemplary"]


def _application(gss_code: str) -> Application:
    return db.session.scalar(
        sa.select(Application).join(Council).where(Council.gss_code == gss_code)
    )


def _seed_journeys(app: Flask) -> None:
    """The demo data; Darlington's draft complete but for its last criterion; the first demo
    assessor assigned to Stockton's submitted application."""
    _seed(app)
    with app.app_context():
        lead = users.find_user(LEAD)
        draft = _application(DRAFT)
        for answer in applications.ordered_answers(draft):
            if answer.criterion.code != LAST and answer.self_score is None:
                applications.save_answer(
                    answer,
                    version=answer.version,
                    actor=lead,
                    self_score=3,
                    narrative=f"What Darlington does for {answer.criterion.code}.",
                    links=[],
                )
        assessment.assign(
            _application(SUBMITTED), users.find_user(ASSESSOR), actor=users.find_user(ADMIN)
        )
        db.session.commit()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own server (the `page` fixture uses it)."""
    with serving(tmp_path_factory, "keyboard", seed=_seed_journeys) as server:
        yield server


# ---------------------------------------------------------------------------
# The keyboard, and what has focus
# ---------------------------------------------------------------------------

# The element with focus, and whether it shows GOV.UK's focus style: the yellow (#ffdd00) of an
# outline, a box shadow or a background, on the element or, for a radio or checkbox (whose input
# is invisible), on its label's ::before.
FOCUS = """() => {
  const el = document.activeElement;
  // Nothing, or where a link moved focus to (the skip link's <main>): not a control.
  if (!el || el === document.body || el.getAttribute('tabindex') === '-1') return null;
  const yellow = 'rgb(255, 221, 0)';
  const shows = s => (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
      && s.outlineColor === yellow) || s.boxShadow.includes(yellow) || s.backgroundColor === yellow;
  const styles = [getComputedStyle(el)];
  for (const label of el.labels || []) styles.push(getComputedStyle(label, '::before'));
  const box = el.getBoundingClientRect();
  return {
    html: el.outerHTML.slice(0, 160),
    styled: styles.some(shows),
    onScreen: box.width > 1 && box.height > 1,
  };
}"""


@dataclass
class Keyboard:
    """Presses keys on the page, and after each notes any focused element that does not show
    where focus is."""

    page: CheckedPage
    unseen: list[str] = field(default_factory=list)
    presses: int = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1
        self.expect_focus_visible()

    def expect_focus_visible(self) -> None:
        found = self.page.evaluate(FOCUS)
        if found and not (found["styled"] and found["onScreen"]):
            self.unseen.append(f"{self.page.url}: {found['html']}")

    def has_focus(self, target: Locator) -> bool:
        return target.evaluate("element => element === document.activeElement")

    def tab_to(self, target: Locator, limit: int = 80, backwards: bool = False) -> None:
        """Tab (or Shift+Tab) until the target has focus; fail, saying where focus is, if it
        never does."""
        expect(target).to_have_count(1)
        for _ in range(limit):
            self.press("Shift+Tab" if backwards else "Tab")
            if self.has_focus(target):
                return
        where = self.page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
        pytest.fail(f"{target} never had focus after {limit} presses; focus is on {where}")

    def type_into(self, target: Locator, text: str) -> None:
        self.tab_to(target)
        self.page.keyboard.type(text)

    def activate(self, target: Locator) -> None:
        """Tab to a link or button and press Enter: a new page loads, and is checked."""
        self.tab_to(target)
        self.page.submit(lambda: self.page.keyboard.press("Enter"))

    def choose(self, group: Locator, position: int) -> None:
        """Tab into a radio group with nothing chosen (its first radio), Space to choose it,
        then the down arrow to the radio at `position`."""
        radios = group.get_by_role("radio")
        self.tab_to(radios.first)
        self.press("Space")
        for _ in range(position):
            self.press("ArrowDown")
        expect(radios.nth(position)).to_be_checked()
        expect(radios.nth(position)).to_be_focused()

    def sign_in(self, email: str) -> None:
        page = self.page
        page.visit("/sign-in")
        self.type_into(page.get_by_label("Email address"), email)
        self.press("Tab")
        expect(page.get_by_label("Password", exact=True)).to_be_focused()
        page.keyboard.type(PASSWORD)
        self.activate(page.get_by_role("button", name="Sign in"))
        if page.locator("h1").inner_text() == CODE_HEADING:  # staff: a code from their app
            with page.app.app_context():
                code = next_code(email)
            self.type_into(page.get_by_label("Code", exact=True), code)
            self.activate(page.get_by_role("button", name="Continue"))
        expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()

    def sign_out(self) -> None:
        self.activate(navigation(self.page).get_by_role("button", name="Sign out"))
        expect(heading(self.page)).to_have_text("Sign in")

    def assert_focus_always_seen(self) -> None:
        assert self.presses > 0
        assert not self.unseen, "focus not visible on:\n" + "\n".join(self.unseen)


@pytest.fixture
def keys(page: CheckedPage) -> Iterator[Keyboard]:
    keyboard = Keyboard(page)
    yield keyboard
    keyboard.assert_focus_always_seen()


# ---------------------------------------------------------------------------
# The journeys
# ---------------------------------------------------------------------------


def test_a_council_applies_by_keyboard(page: CheckedPage, keys: Keyboard):
    keys.sign_in(LEAD)
    keys.activate(navigation(page).get_by_role("link", name="Your council"))
    expect(heading(page)).to_have_text("Darlington Borough Council")
    keys.activate(page.get_by_role("button", name="Continue your application"))
    expect(heading(page)).to_have_text("Your application")
    expect(page.get_by_role("link", name="Check your answers and submit")).to_have_count(0)

    # The last criterion: a score by arrow keys, a description and a link typed, then saved.
    keys.activate(page.get_by_role("link", name=re.compile(f"^{LAST}: ")))
    expect(heading(page)).to_contain_text(f"{LAST}: ")
    keys.choose(page.get_by_role("group", name="Your self-score"), 3)
    keys.press("Tab")
    expect(page.get_by_label("Describe what your council does")).to_be_focused()
    page.keyboard.type("We count who reaches us by social media, and what it saves.")
    keys.press("Tab")
    expect(page.get_by_label("Links to evidence (optional)")).to_be_focused()
    page.keyboard.type("https://www.darlington.gov.uk/social-media/impact")
    keys.press("Shift+Tab")  # back a field, and on again
    expect(page.get_by_label("Describe what your council does")).to_be_focused()
    keys.press("Tab")
    keys.activate(page.get_by_role("button", name="Save and continue"))
    expect(heading(page)).to_have_text("Your application")

    # Check your answers: the declaration forgotten first, then ticked with Space.
    keys.activate(page.get_by_role("link", name="Check your answers and submit"))
    expect(heading(page)).to_have_text("Check your answers before you submit")
    card = page.locator(".govuk-summary-card").filter(has_text=f"{LAST}: ")
    expect(summary_value(card, "Self-score")).to_have_text(f"3 – {SCALE[3]}")
    keys.type_into(page.get_by_label("Your full name"), LEAD_NAME)
    keys.activate(page.get_by_role("button", name="Submit application"))
    expect(error_summary(page)).to_be_focused()
    keys.expect_focus_visible()
    keys.tab_to(error_summary(page).get_by_role("link"), limit=5)
    keys.press("Enter")  # to the checkbox, on the same page
    declaration = page.get_by_role("checkbox", name=re.compile("^I confirm that the information"))
    expect(declaration).to_be_focused()
    keys.press("Space")
    expect(declaration).to_be_checked()
    keys.activate(page.get_by_role("button", name="Submit application"))

    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text("Application submitted")
    keys.activate(page.get_by_role("link", name="See the application's status"))
    expect(summary_value(page, "Status")).to_have_text("Submitted")


def test_an_assessor_scores_by_keyboard(page: CheckedPage, keys: Keyboard):
    council = "Stockton-on-Tees Borough Council"
    keys.sign_in(ASSESSOR)
    keys.activate(navigation(page).get_by_role("link", name="Assessments"))
    expect(heading(page)).to_have_text("Your assessments")
    keys.activate(page.get_by_role("link", name=council, exact=True))
    expect(heading(page)).to_have_text(f"Assess {council}")

    codes = page.locator("[id^=heading-]").evaluate_all(
        "headings => headings.map(h => h.id.slice('heading-'.length))"
    )
    assert len(codes) == 12
    for position, code in enumerate(codes):
        keys.choose(page.get_by_role("group", name=f"Your score for {code}"), 1 + position % 4)
        keys.press("Tab")
        expect(page.get_by_label(f"Feedback for the council on {code}")).to_be_focused()
        page.keyboard.type(f"On {code}: clear evidence; show the impact next.")
        keys.press("Tab")
        expect(page.get_by_label(f"Private note on {code} (optional)")).to_be_focused()
        page.keyboard.type("Checked the links.")
    keys.choose(page.get_by_role("group", name="Your recommendation"), 0)
    keys.activate(page.get_by_role("button", name="Submit your assessment"))

    expect(banner(page)).to_contain_text("Your assessment has been submitted.")
    expect(page.get_by_role("radio")).to_have_count(0)  # locked now
    expect(page.locator("main")).to_contain_text("Award the Mark")
    for position, code in enumerate(codes):
        section = page.locator(".marks-criterion").filter(has=page.locator(f"#heading-{code}"))
        expect(summary_value(section, "Your score")).to_have_text(
            f"{1 + position % 4}: On {code}: clear evidence; show the impact next."
        )


def test_an_administrator_decides_by_keyboard(page: CheckedPage, keys: Keyboard):
    council = "Warrington Borough Council"
    keys.sign_in(ADMIN)
    keys.activate(navigation(page).get_by_role("link", name="Administration"))
    keys.activate(page.get_by_role("link", name="Applications", exact=True))
    tabs = page.get_by_role("navigation", name="Applications by state")
    keys.activate(tabs.get_by_role("link", name=re.compile(r"^Ready for decision \(\d+\)$")))
    keys.activate(page.get_by_role("link", name=council, exact=True))
    expect(heading(page)).to_have_text(council)
    keys.activate(page.get_by_role("button", name="Decide"))
    expect(heading(page)).to_have_text(f"Decide on {council}")

    # The scores' table scrolls in a region of its own, which takes focus on the way.
    keys.tab_to(page.get_by_role("region", name="Each assessor's score for each criterion"))
    keys.choose(page.get_by_role("group", name="Your decision"), 0)
    expect(page.get_by_role("radio", name="Approve", exact=True)).to_be_checked()
    levels = page.get_by_role("group", name="Level to award")
    expect(levels.get_by_role("radio", name="Accredited", exact=True)).to_be_checked()
    keys.activate(page.get_by_role("button", name="Preview the email to the council"))
    expect(heading(page)).to_have_text("Check the email before it goes")
    keys.activate(page.get_by_role("button", name="Confirm the decision and send the email"))

    expect(heading(page)).to_have_text(council)
    expect(banner(page)).to_contain_text("The decision has been recorded and the council emailed.")
    expect(summary_value(page, "Status").first).to_have_text("Approved")


@pytest.mark.parametrize("signed_in", [None, LEAD])
def test_the_skip_link_goes_to_the_main_content(page: CheckedPage, keys: Keyboard, signed_in):
    if signed_in:
        keys.sign_in(signed_in)
    for path in ("/", "/register", "/verify", "/accessibility"):
        page.visit(path)
        keys.press("Tab")  # the first stop on every page
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        keys.press("Enter")
        expect(page.page).to_have_url(re.compile("#main-content$"))
        expect(page.locator("main#main-content")).to_be_focused()
        keys.press("Tab")  # then on into the page, past the header and its menu
        assert page.evaluate("() => !!document.activeElement.closest('main')"), path
