"""A council chooses the badge for its website and copies the code, in a real browser: with
JavaScript (a Copy code button that says so) and without (a GET form and the code, whole).

Every page with JavaScript is checked with axe (WCAG 2.2 A and AA): see conftest.py.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import (
    EAST_RIDING,
    EAST_RIDING_LEAD,
    PASSWORD,
    latest_award,
    sign_in,
)
from tests.browser.seen import heading


def award_page(live_server: LiveServer) -> tuple[str, str, str]:
    """The path of East Riding's award page, its certificate number and the council's name."""
    application_id, number, council = latest_award(live_server, EAST_RIDING)
    return f"/apply/applications/{application_id}/status", number, council


def choose(page: Page | CheckedPage, artwork: str, height: str, background: str) -> None:
    page.get_by_role("radio", name=artwork).check()
    page.get_by_role("group", name="Height on your page").get_by_role("radio", name=height).check()
    page.get_by_role("group", name="Background it goes on").get_by_role(
        "radio", name=background
    ).check()


def test_the_council_chooses_a_badge_and_copies_its_code(
    page: CheckedPage, live_server: LiveServer
):
    path, number, council = award_page(live_server)
    alt = f"Social Media Friendly Mark: check {council}'s current status"
    sign_in(page, EAST_RIDING_LEAD)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.visit(path)
    expect(heading(page)).to_have_text("Application status")

    choose(page, "Small badge", "50 pixels", "Dark")
    page.submit(page.get_by_role("button", name="Show the code for this badge").click)
    assert page.url.endswith(f"{path}?artwork=small&height=50&variant=dark#your-badge")
    expect(page.get_by_role("radio", name="Small badge")).to_be_checked()
    preview = page.get_by_role("img", name=alt)
    expect(preview).to_have_attribute("src", f"/badges/{number}.svg?artwork=small&variant=dark")
    expect(preview).to_have_attribute("height", "50")
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    code = page.get_by_label("Show the badge on your website")
    snippet = code.input_value()
    assert f'src="{live_server.url}/badges/{number}.svg?artwork=small&amp;variant=dark"' in snippet
    assert 'width="50" height="50"' in snippet

    page.get_by_role("button", name="Copy code").click()
    expect(page.get_by_text("Code copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == snippet
    page.check()  # axe, with the button and what it said


def test_without_javascript_the_code_is_chosen_and_shown_whole(
    browser: Browser, page: CheckedPage, live_server: LiveServer
):
    path, number, _council = award_page(live_server)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto("/sign-in")
        plain.get_by_label("Email address").fill(EAST_RIDING_LEAD)
        plain.get_by_label("Password", exact=True).fill(PASSWORD)
        plain.get_by_role("button", name="Sign in").click()
        plain.goto(path)
        expect(plain.get_by_role("button", name="Copy code")).to_have_count(0)
        choose(plain, "Wide badge", "60 pixels", "Light")
        plain.get_by_role("button", name="Show the code for this badge").click()
        plain.wait_for_load_state("load")
        chosen = f"{path}?artwork=wide&height=60&variant=light#your-badge"
        assert plain.url == live_server.url + chosen
        snippet = plain.get_by_label("Show the badge on your website").input_value()
        assert f'src="{live_server.url}/badges/{number}.svg?artwork=wide"' in snippet
        assert 'width="264" height="60"' in snippet
    finally:
        context.close()
    # The same page, checked with axe where it can run.
    sign_in(page, EAST_RIDING_LEAD)
    page.visit(chosen.removesuffix("#your-badge"))
