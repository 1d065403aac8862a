"""The council's application form as the council's journeys see it (test_council_journey.py):
the demo edition's themes and criteria, the answers typed into them, what the task list, a
criterion page and the status page show; and moving through a page by keyboard alone (Tab until
a field or button has focus, then Enter or typing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, expect

from marks.presentation import govuk_date
from tests.browser.conftest import CheckedPage
from tests.browser.seen import heading, summary_value

# The demo edition (marks/data/editions/demo-2026.toml): three themes of four criteria.
THEMES = {
    "Myths debunked": ["MD1", "MD2", "MD3", "MD4"],
    "Engagement": ["EN1", "EN2", "EN3", "EN4"],
    "Staff empowerment": ["SE1", "SE2", "SE3", "SE4"],
}
CRITERIA = [code for codes in THEMES.values() for code in codes]
SCALE = ["Not in place", "Emerging", "Developing", "Established", "Exemplary"]


def narrative_for(code: str) -> str:
    return f"For {code} we publish what we do, review it every year and tell our staff about it."


def link_for(code: str, council: str) -> str:
    return f"https://www.{council}.gov.uk/social-media/{code.lower()}"


def task_status(page: CheckedPage, title: str | re.Pattern[str]) -> Locator:
    """The status of the task list item named `title` (a link, unless it cannot start yet)."""
    item = page.locator(".govuk-task-list__item").filter(
        has=page.get_by_role("link", name=title, exact=True).or_(
            page.locator(".govuk-task-list__name-and-hint").get_by_text(title, exact=True)
        )
    )
    return item.locator(".govuk-task-list__status")


def criterion_link(page: CheckedPage, code: str) -> Locator:
    return page.get_by_role("link", name=re.compile(f"^{code}: "))


def theme_heading(page: CheckedPage, theme: str) -> Locator:
    return page.locator("h2.govuk-heading-m").filter(has_text=theme)


def expect_task_list(page: CheckedPage, council: str, about: str, themes: str) -> None:
    """The task list, with "About your council" and every criterion in the states given."""
    expect(heading(page)).to_have_text("Your application")
    expect(page.locator("main .govuk-caption-l")).to_have_text(council)
    expect(task_status(page, "Contact details, website and social media accounts")).to_have_text(
        about
    )
    for theme, codes in THEMES.items():
        expect(theme_heading(page, theme)).to_be_visible()
        for code in codes:
            expect(task_status(page, re.compile(f"^{code}: "))).to_have_text(themes)
        done = len(codes) if themes == "Completed" else 0
        expect(theme_heading(page, theme).locator(".govuk-caption-m")).to_have_text(
            re.compile(f"{done} of {len(codes)} criteria completed$")
        )
    expect(page.locator(".govuk-task-list__status")).to_have_count(1 + len(CRITERIA) + 1)
    # Each status on one line, beside the longest criterion title too: every tag one height.
    heights = page.locator(".govuk-task-list__status .govuk-tag").evaluate_all(
        "tags => tags.map(tag => tag.getBoundingClientRect().height)"
    )
    assert len(set(heights)) <= 1, f"a status wraps onto two lines: {heights}"


def expect_words_remaining(page: CheckedPage, narrative: str) -> None:
    """GOV.UK Frontend's character count counts the words typed against the limit."""
    limit = int(page.locator(".govuk-character-count").get_attribute("data-maxwords"))
    remaining = limit - len(narrative.split())
    expect(page.locator(".govuk-character-count__status")).to_have_text(
        f"You have {remaining} words remaining"
    )


def expect_status_page(page: CheckedPage, council: str, lead_name: str) -> None:
    expect(heading(page)).to_have_text("Application status")
    expect(page.locator("main .govuk-caption-l")).to_have_text(council)
    expect(summary_value(page, "Status")).to_have_text("Submitted")
    expect(summary_value(page, "Edition")).to_have_text("Social Media Friendly Mark 2026")
    today = govuk_date(datetime.now(UTC))
    expect(summary_value(page, "Started")).to_have_text(today)
    expect(summary_value(page, "Submitted")).to_have_text(today)
    history = page.locator(".marks-history > li")
    expect(history.locator("h3")).to_have_text(["Submitted", "Application started"])
    expect(history.nth(0)).to_contain_text(f"by {lead_name}")
    expect(history.nth(1)).to_contain_text(f"by {lead_name}")
    expect(page.get_by_role("link", name="Withdraw this application")).to_be_visible()


# ---------------------------------------------------------------------------
# By keyboard alone
# ---------------------------------------------------------------------------

Target = str | Locator | Callable[[], bool]


def is_focused(page: CheckedPage, target: Target) -> bool:
    if isinstance(target, str):
        return page.evaluate(
            "selector => !!document.activeElement && document.activeElement.matches(selector)",
            target,
        )
    if isinstance(target, Locator):
        return target.evaluate("element => element === document.activeElement")
    return target()


def tab_to(page: CheckedPage, target: Target, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the target has focus: a CSS selector, a locator (of one
    element) or a predicate. Fails, saying where focus got to, if it is never reached."""
    if isinstance(target, Locator):
        expect(target).to_have_count(1)
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if is_focused(page, target):
            return
    where = page.evaluate(
        "() => document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : null"
    )
    key = "Shift+Tab" if backwards else "Tab"
    pytest.fail(f"{target} never had focus after {limit} presses of {key}; focus is on {where}")


def press_enter_on(page: CheckedPage, target: Target) -> None:
    """Tab to a link or button and press Enter: a new page loads, and is checked."""
    tab_to(page, target)
    page.submit(lambda: page.keyboard.press("Enter"))


def type_lines(page: CheckedPage, *lines: str) -> None:
    """Type into the field that has focus, pressing Enter between lines."""
    for number, line in enumerate(lines):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def type_into(page: CheckedPage, target: Target, *lines: str) -> None:
    """Tab to a field and type into it."""
    tab_to(page, target)
    type_lines(page, *lines)
