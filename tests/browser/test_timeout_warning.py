"""The time-out warning, as a person meets it (GOV.UK's timeout warning pattern): a modal
dialog takes focus before the session ends; "Stay signed in" keeps the session and gives focus
back; left alone, the dialog says the person has been signed out, and what they typed stays
on the page. The browser's clock is moved on (Playwright's clock); the server's is not."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.seen import navigation


def sign_in(page: CheckedPage, live_server: LiveServer) -> None:
    """The browser's clock held (moved on only by the test), then a council user signs in."""
    page.clock.install()
    page.visit("/sign-in")
    page.get_by_label("Email address").fill(live_server.user_email)
    page.get_by_label("Password", exact=True).fill(live_server.password)
    page.submit(page.get_by_role("button", name="Sign in").click)
    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()


def test_warned_before_the_time_out_and_kept_signed_in(page: CheckedPage, live_server: LiveServer):
    sign_in(page, live_server)
    page.visit("/account/change-password")
    field = page.get_by_label("Current password")
    field.fill("typed before the warning")

    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("03:55:30")
    expect(dialog).to_be_visible()
    expect(dialog).to_be_focused()
    expect(dialog).to_contain_text("we will sign you out in 5 minutes")
    page.check()  # axe, with the dialog open

    page.keyboard.press("Tab")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    with page.expect_response("**/account/stay-signed-in") as answer:
        page.keyboard.press("Enter")
    assert answer.value.json()["seconds_left"] > 4 * 3600 - 60
    expect(dialog).to_be_hidden()
    expect(field).to_be_focused()
    expect(field).to_have_value("typed before the warning")


def test_left_alone_the_dialog_says_signed_out_and_keeps_the_typing(
    page: CheckedPage, live_server: LiveServer
):
    sign_in(page, live_server)
    page.visit("/account/change-password")
    page.get_by_label("Current password").fill("still here")
    page.clock.fast_forward("04:00:05")
    ended = page.get_by_role("dialog", name="You have been signed out")
    expect(ended).to_be_visible()
    expect(ended.get_by_role("button", name="Sign in again")).to_have_attribute(
        "href", re.compile(r"^/sign-in\?next=(/|%2F)account(/|%2F)change-password$")
    )
    page.check()
    ended.get_by_role("button", name="Close").click()
    expect(ended).to_be_hidden()
    expect(page.get_by_label("Current password")).to_have_value("still here")


def test_escape_keeps_the_person_signed_in(page: CheckedPage, live_server: LiveServer):
    sign_in(page, live_server)
    page.visit("/account")
    page.clock.fast_forward("03:56:00")
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_visible()
    with page.expect_response("**/account/stay-signed-in"):
        page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_near_the_limit_from_signing_in_the_warning_says_it_cannot_be_moved(
    page: CheckedPage, live_server: LiveServer, monkeypatch
):
    """The limit from signing in (24 hours; 3 here, so that it comes before the 4 idle hours)
    cannot be extended: the warning says so, offers "Continue", and does not come back."""
    monkeypatch.setitem(live_server.app.config, "SESSION_MAX_AGE", timedelta(hours=3))
    sign_in(page, live_server)
    page.visit("/account/change-password")
    field = page.get_by_label("Current password")
    field.fill("typed before the warning")

    page.clock.fast_forward("02:55:30")
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible()
    expect(dialog).to_be_focused()
    expect(dialog).to_contain_text("You signed in 3 hours ago")
    expect(dialog).to_contain_text("we will sign you out in 5 minutes")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_have_count(0)
    page.check()

    dialog.get_by_role("button", name="Continue").click()
    expect(dialog).to_be_hidden()
    expect(field).to_be_focused()
    page.clock.fast_forward("00:02:00")
    expect(dialog).to_be_hidden()  # said once; the person carries on

    page.clock.fast_forward("00:03:00")
    ended = page.get_by_role("dialog", name="You have been signed out")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("3 hours after you signed in")
    expect(ended.get_by_text("you did nothing for a while")).to_be_hidden()
    expect(page.get_by_label("Current password")).to_have_value("typed before the warning")
