"""A council's lead opens the social media kit from the council's home, edits the suggested
post and copies it, in a real browser; without JavaScript the words are there to select. The
kit reflows at 320 pixels.

Every page with JavaScript is checked with axe (WCAG 2.2 A and AA): see conftest.py.
"""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import (
    EAST_RIDING,
    EAST_RIDING_LEAD,
    PASSWORD,
    latest_award,
    sign_in,
)
from tests.browser.seen import heading


def east_riding(live_server: LiveServer) -> tuple[str, str]:
    """East Riding's current certificate number and the council's name."""
    _application_id, number, council = latest_award(live_server, EAST_RIDING)
    return number, council


def test_the_lead_opens_the_kit_edits_the_post_and_copies_it(
    page: CheckedPage, live_server: LiveServer
):
    number, council = east_riding(live_server)
    sign_in(page, EAST_RIDING_LEAD)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.visit("/apply/")
    page.submit(page.get_by_role("link", name="Your social media kit").click)
    assert page.url.endswith(f"/apply/awards/{number}/kit")
    expect(heading(page)).to_have_text("Your social media kit")

    names = {"link": "link card", "square": "square post", "story": "story"}
    for shape, name in names.items():
        image = page.locator(f'img[src="/badges/{number}/card.png?format={shape}"]')
        alt = page.get_by_label(f"Alt text for the {name}").input_value()
        expect(image).to_have_attribute("alt", alt)
        assert council in alt
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")

    post = page.get_by_label("Suggested post")
    written = post.input_value()
    assert f"{live_server.url}/verify/{number}" in written
    assert "#SocialMediaFriendly" in written
    edited = "Delighted! " + written
    post.fill(edited)
    page.get_by_role("button", name="Copy post").click()
    expect(page.get_by_text("Post copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == edited
    page.check()  # axe, with the buttons and what one said

    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # reflows
    page.screenshot(path="/work/shots/session9/kit-page-320.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/work/shots/session9/kit-page-1280.png", full_page=True)


def test_without_javascript_the_words_are_there_to_select(
    browser: Browser, page: CheckedPage, live_server: LiveServer
):
    number, _council = east_riding(live_server)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    plain = context.new_page()
    plain.goto("/sign-in")
    plain.get_by_label("Email address").fill(EAST_RIDING_LEAD)
    plain.get_by_label("Password", exact=True).fill(PASSWORD)
    plain.get_by_role("button", name="Sign in").click()
    plain.goto(f"/apply/awards/{number}/kit")
    assert plain.get_by_role("button", name="Copy post").count() == 0
    words = plain.get_by_label("Paragraph for a press release").input_value()
    assert words.endswith(f"{live_server.url}/verify/{number}")
    context.close()
