"""An administrator names the scheme's issuer in a real browser, by keyboard: the settings
page from the administration home, a mistake shown in the error summary and put right, a logo
uploaded, saved, and shown in its preview; the footer of every page then names the issuer.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import CheckedPage
from tests.browser.demo_accounts import ADMIN, sign_in
from tests.browser.seen import banner, error_summary, heading, navigation
from tests.helpers.issuer import LOGO_SVG, TEST_ISSUER

NAME = "Local Government Digital Association"


def test_an_administrator_sets_the_issuer_with_a_logo(page: CheckedPage, tmp_path: Path):
    sign_in(page, ADMIN)
    page.submit(navigation(page).get_by_role("link", name="Administration").click)
    page.submit(page.get_by_role("link", name="The scheme’s settings").click)
    expect(heading(page)).to_have_text("The scheme’s settings")
    name = page.get_by_label("Name of the issuing organisation")
    expect(name).to_have_value(TEST_ISSUER["name"])

    # A website without its scheme: the error summary, what was typed kept.
    name.fill(NAME)
    page.get_by_label("Website").fill("www.lgda.example.org")
    page.expected_errors.add(page.base_url + "/admin/settings")  # errors are a 400
    page.submit(lambda: page.get_by_label("Website").press("Enter"))  # Enter sends the form
    expect(error_summary(page)).to_contain_text("Enter a website address starting https://")
    expect(page.get_by_label("Name of the issuing organisation")).to_have_value(NAME)

    # Put right, a logo chosen, and saved with the keyboard alone.
    error_summary(page).get_by_role("link").first.press("Enter")
    expect(page.get_by_label("Website")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("https://www.lgda.example.org")
    logo = tmp_path / "logo.svg"
    logo.write_bytes(LOGO_SVG)
    page.locator("input[type=file][name=logo]").set_input_files(logo)
    page.get_by_role("button", name="Save settings").focus()
    page.submit(lambda: page.keyboard.press("Enter"))
    expect(banner(page)).to_contain_text("The scheme’s settings have been saved")
    preview = page.get_by_role("img", name="The current logo")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") > 0
    footer = page.locator("footer")
    expect(footer).to_contain_text(f"Run by {NAME}")
    expect(footer.get_by_role("link", name=NAME)).to_have_attribute(
        "href", "https://www.lgda.example.org"
    )
