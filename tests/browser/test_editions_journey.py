"""An administrator makes the next edition of the criteria in a real browser: clones the
2026 edition, edits a criterion (once with a weight that is not allowed) and the pass mark,
sees what changed, previews the draft as a council would, adds a theme (once with a code the
edition has) and a criterion to it, writes that criterion, removes another, and publishes it.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import CheckedPage
from tests.browser.demo_accounts import ADMIN, sign_in
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value

NEW_TITLE = "A social media policy that enables everyone"
NEW_DESCRIPTOR = "Your policy was written with staff, councillors and residents."
NEW_THEME = "Measuring impact"
NEW_CRITERION = "MI1: Knowing what social media achieves"
REMOVED = "SE4: Measuring success and channel shift"
RUBRIC = {
    "0: Not in place": "You do not measure what social media achieves.",
    "1: Emerging": "You count followers.",
    "2: Developing": "You measure engagement on some channels.",
    "3: Established": "You report what social media achieves to senior leaders.",
    "4: Exemplary": "What you measure changes how you run services.",
}


def test_an_administrator_makes_and_publishes_a_new_edition(page: CheckedPage):
    sign_in(page, ADMIN)
    page.submit(navigation(page).get_by_role("link", name="Administration").click)
    editions_link = page.get_by_role("link", name="Editions", exact=True)
    if editions_link.count():
        page.submit(editions_link.click)
    else:  # until the administration home page links to it
        page.visit("/admin/editions")
    expect(heading(page)).to_have_text("Editions")

    # Clone the 2026 edition.
    page.submit(page.get_by_role("link", name="Clone Social Media Friendly Mark 2026 (2026)").click)
    expect(heading(page)).to_have_text("Clone Social Media Friendly Mark 2026")
    page.get_by_label("Code of the new edition").fill("2027")
    page.get_by_label("Year").fill("2027")
    page.submit(page.get_by_role("button", name="Clone the edition").click)
    expect(heading(page)).to_have_text("Social Media Friendly Mark 2027")
    expect(banner(page)).to_contain_text("is a new draft, cloned from 2026")
    overview = page.page.url

    # Change a criterion: first a weight that is not allowed.
    page.submit(
        page.get_by_role("link", name="Change MD1: A social media policy that enables").click
    )
    expect(heading(page)).to_have_text("Change MD1: A social media policy that enables")
    page.get_by_label("Title").fill(NEW_TITLE)
    page.get_by_label("4: Exemplary").fill(NEW_DESCRIPTOR)
    page.get_by_label("Weight").fill("0")
    page.submit(page.get_by_role("button", name="Save the criterion").click)
    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text(
        ["The weight must be a number greater than 0, like 1.5"]
    )
    expect(summary).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value(NEW_TITLE)
    page.get_by_label("Weight").fill("2.5")
    page.submit(page.get_by_role("button", name="Save the criterion").click)
    expect(banner(page)).to_contain_text(f"MD1: {NEW_TITLE} has been saved.")

    # Change the pass mark.
    page.submit(page.get_by_role("link", name="Change pass mark").click)
    expect(heading(page)).to_have_text("Settings of Social Media Friendly Mark 2027")
    page.get_by_label("Pass mark (%)").fill("55")
    page.submit(page.get_by_role("button", name="Save the settings").click)
    expect(banner(page)).to_contain_text("The settings have been saved.")
    expect(summary_value(page, "Pass mark")).to_have_text("55%")

    # What changed from 2026.
    changes = page.get_by_role("table", name="Every change from the edition it was cloned from")
    rows = changes.locator("tbody tr")
    expect(rows.filter(has_text="Pass mark").get_by_role("cell")).to_have_text(
        ["Settings", "Pass mark (%)", "60", "55"]
    )
    expect(rows.filter(has_text="Weight").get_by_role("cell")).to_have_text(
        [f"MD1: {NEW_TITLE}", "Weight", "2.0", "2.5"]
    )
    expect(rows.filter(has_text="Rubric: 4").get_by_role("cell").last).to_have_text(NEW_DESCRIPTOR)
    expect(rows).to_have_count(6)  # year, title, pass mark; MD1's title, weight, rubric

    # Preview it as a council would see it.
    page.submit(page.get_by_role("button", name="Preview as a council sees it").click)
    expect(heading(page)).to_have_text("Preview of Social Media Friendly Mark 2027")
    expect(page.get_by_role("heading", name=f"MD1: {NEW_TITLE}")).to_be_visible()
    expect(page.locator("main")).to_contain_text(NEW_DESCRIPTOR)
    page.submit(page.get_by_role("link", name="Back to the edition").click)

    # The levels and a theme have pages of their own too.
    page.submit(page.get_by_role("link", name="Change the levels").click)
    expect(heading(page)).to_have_text("Change the levels")
    page.submit(page.get_by_role("link", name="Back").click)
    page.submit(page.get_by_role("link", name="Change the theme Myths debunked").click)
    expect(heading(page)).to_have_text("Change the theme Myths debunked")
    page.submit(page.get_by_role("button", name="Save the theme").click)
    expect(banner(page)).to_contain_text("Nothing was changed.")

    # Add a theme: first with a code the edition has.
    page.submit(page.get_by_role("button", name="Add a theme").click)
    expect(heading(page)).to_have_text("Add a theme")
    page.get_by_label("Code").fill("engagement")
    page.get_by_label("Title").fill(NEW_THEME)
    page.get_by_label("Summary").fill("How you know what social media achieves.")
    page.submit(page.get_by_role("button", name="Add the theme").click)
    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text(
        ["This edition already has a theme with the code engagement"]
    )
    expect(summary).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value(NEW_THEME)
    page.get_by_label("Code").fill("measuring-impact")
    page.submit(page.get_by_role("button", name="Add the theme").click)
    expect(banner(page)).to_contain_text(f"The theme {NEW_THEME} has been added.")
    expect(page.get_by_role("link", name=f"Remove the theme {NEW_THEME}")).to_be_visible()

    # Add a criterion to it, then write its question, guidance, evidence and rubric.
    page.submit(page.get_by_role("link", name=f"Add a criterion to {NEW_THEME}").click)
    expect(heading(page)).to_have_text(f"Add a criterion to {NEW_THEME}")
    code, title = NEW_CRITERION.split(": ")
    page.get_by_label("Code").fill(code)
    page.get_by_label("Title").fill(title)
    page.submit(page.get_by_role("button", name="Add the criterion").click)
    expect(heading(page)).to_have_text(f"Change {NEW_CRITERION}")
    expect(banner(page)).to_contain_text(f"{NEW_CRITERION} has been added.")
    page.get_by_label("Question").fill("How do you know what social media achieves?")
    page.get_by_label("Guidance").fill("Tell us what you measure and what you do with it.")
    page.get_by_label("Evidence the assessors expect").fill("A report\nFigures on channel shift")
    for label, descriptor in RUBRIC.items():
        page.get_by_label(label).fill(descriptor)
    page.submit(page.get_by_role("button", name="Save the criterion").click)
    expect(banner(page)).to_contain_text(f"{NEW_CRITERION} has been saved.")
    expect(page.get_by_role("link", name=f"Remove the theme {NEW_THEME}")).to_have_count(0)

    # Remove a criterion: the page says what goes.
    page.submit(page.get_by_role("link", name=f"Remove {REMOVED}").click)
    expect(heading(page)).to_have_text(f"Remove {REMOVED}")
    expect(summary_value(page, "Theme")).to_have_text("Staff empowerment")
    page.submit(page.get_by_role("button", name="Remove the criterion").click)
    expect(banner(page)).to_contain_text(f"{REMOVED} has been removed.")
    expect(page.get_by_role("link", name=f"Change {REMOVED}")).to_have_count(0)
    for what, change in [
        (f"Theme {NEW_THEME}", "Added"),
        (NEW_CRITERION, "Added"),
        (REMOVED, "Removed"),
    ]:
        expect(rows.filter(has_text=what).get_by_role("cell").nth(1)).to_have_text(change)

    # Publish it: then it cannot change.
    page.submit(page.get_by_role("button", name="Publish the edition").click)
    expect(heading(page)).to_have_text("Publish Social Media Friendly Mark 2027")
    page.submit(page.get_by_role("button", name="Publish the edition").click)
    expect(page.page).to_have_url(overview)
    expect(banner(page)).to_contain_text("has been published. It can no longer change.")
    expect(page.locator("main")).to_contain_text("It cannot change")
    expect(page.get_by_role("link", name=re.compile(r"^(Change|Add|Remove)"))).to_have_count(0)
    expect(page.get_by_role("button", name="Add a theme")).to_have_count(0)

    page.submit(page.get_by_role("link", name="Back to editions").click)
    expect(
        page.get_by_role("row", name=re.compile("2027")).get_by_role("cell").nth(3)
    ).to_have_text("Current")
