"""Accounts in a real browser: signing up, confirming, signing in and out, errors, the
administrators' pages, the public pages, and signing in with the keyboard alone.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from marks.extensions import db
from marks.models import utcnow
from marks.people import users
from marks.states import UserRole
from tests.browser.conftest import OUTBOX_SUBJECT, CheckedPage, LiveServer
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value


def enter_password(page: CheckedPage, email: str, password: str) -> None:
    page.visit("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.submit(page.get_by_role("button", name="Sign in").click)


def sign_in(page: CheckedPage, email: str, password: str) -> None:
    enter_password(page, email, password)
    page.enter_code(email)


def test_sign_up_confirm_sign_in_and_out(page: CheckedPage, live_server: LiveServer):
    name, email, password = "Nia Newcomer", "nia.newcomer@darlington.gov.uk", "a new password"

    page.visit("/")
    page.submit(page.get_by_role("button", name="Create an account").click)
    expect(heading(page)).to_have_text("Create an account")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password", exact=True).fill(password)
    page.get_by_label("Confirm password", exact=True).fill(password)
    page.submit(page.get_by_role("button", name="Create account").click)

    expect(heading(page)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(f"We have sent an email to {email}.")

    [confirmation] = live_server.emails_to(email)
    assert confirmation.subject == "Confirm your email address"
    assert f"Dear {name}," in confirmation.body_text
    page.visit(live_server.link_in(confirmation))

    expect(heading(page)).to_have_text("Sign in")
    expect(banner(page)).to_contain_text("Your email address is confirmed. You can now sign in.")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.submit(page.get_by_role("button", name="Sign in").click)

    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()
    page.submit(navigation(page).get_by_role("link", name="Your account").click)
    expect(heading(page)).to_have_text("Your account")
    summary = page.locator(".govuk-summary-list")
    expect(summary.locator(".govuk-summary-list__row").nth(0)).to_contain_text(f"Name {name}")
    expect(summary.locator(".govuk-summary-list__row").nth(1)).to_contain_text(
        f"Email address {email}"
    )
    expect(summary).to_contain_text("Not a member of a council yet")

    page.submit(navigation(page).get_by_role("button", name="Sign out").click)
    expect(heading(page)).to_have_text("Sign in")
    expect(banner(page)).to_contain_text("You have signed out.")
    expect(navigation(page).get_by_role("button", name="Sign out")).to_have_count(0)

    # Signed out for real: the account page asks to sign in again.
    page.visit("/account")
    expect(heading(page)).to_have_text("Sign in")


def test_wrong_password_shows_the_error_summary(page: CheckedPage, live_server: LiveServer):
    page.visit("/sign-in")
    page.get_by_label("Email address").fill(live_server.user_email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.submit(page.get_by_role("button", name="Sign in").click)

    expect(page.page).to_have_title("Error: Sign in – Social Media Friendly Mark")
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(["Enter a correct email address and password"])
    expect(summary).to_be_focused()  # GOV.UK Frontend's script ran despite the CSP
    expect(page.locator("#email-error")).to_contain_text(
        "Enter a correct email address and password"
    )
    expect(page.get_by_label("Email address")).to_have_value(live_server.user_email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")

    # The summary's link moves focus to the field in error.
    summary.get_by_role("link").click()
    expect(page.get_by_label("Email address")).to_be_focused()


def test_administrator_pages(page: CheckedPage, live_server: LiveServer):
    sign_in(page, live_server.admin_email, live_server.password)

    page.submit(navigation(page).get_by_role("link", name="Administration").click)
    expect(page.page).to_have_url(f"{live_server.url}/admin/")
    expect(heading(page)).to_have_text("Administration")
    expect(page.locator("main")).to_contain_text("Every email the service has written:")

    page.submit(page.get_by_role("link", name="Outbox").click)
    expect(page.page).to_have_url(f"{live_server.url}/admin/outbox")
    expect(heading(page)).to_have_text("Outbox")
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_contain_text("emails, newest first")
    expect(table.get_by_role("link", name=OUTBOX_SUBJECT)).to_be_visible()

    page.submit(table.get_by_role("link", name=OUTBOX_SUBJECT).click)
    expect(heading(page)).to_have_text(f"Email: {OUTBOX_SUBJECT}")
    expect(page.locator(".marks-email-body")).to_have_text("Seeded for the browser tests.\n")

    page.visit("/admin/outbox")
    expect(heading(page)).to_have_text("Outbox")


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/", "Social Media Friendly Mark"),
        ("/about-the-data", "About the data"),
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy notice"),
        ("/cookies", "Cookies"),
        ("/sign-in", "Sign in"),
        ("/sign-up", "Create an account"),
        ("/forgotten-password", "Reset your password"),
    ],
)
def test_public_pages(page: CheckedPage, path: str, title: str):
    page.visit(path)
    expect(heading(page)).to_have_text(title)
    expect(page.page).to_have_title(f"{title} – Social Media Friendly Mark")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_attached()
    expect(page.get_by_role("contentinfo")).to_contain_text("Accessibility statement")


def test_sign_up_sent_empty(page: CheckedPage):
    page.visit("/sign-up")
    page.submit(page.get_by_role("button", name="Create account").click)

    expect(page.page).to_have_title("Error: Create an account – Social Media Friendly Mark")
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Enter your full name",
            "Enter your email address",
            "Enter a password",
            "Enter the password again",
        ]
    )
    expect(page.locator("#full_name-error")).to_contain_text("Enter your full name")


def test_page_not_found(page: CheckedPage):
    page.visit("/no-such-page", status=404)
    expect(heading(page)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()


def test_sign_in_with_the_keyboard_alone(page: CheckedPage, live_server: LiveServer):
    page.visit("/sign-in")
    email = page.get_by_label("Email address")
    password = page.get_by_label("Password", exact=True)

    for _ in range(20):  # past the skip link, the header and the menu
        page.keyboard.press("Tab")
        if email.evaluate("field => field === document.activeElement"):
            break
    expect(email).to_be_focused()
    page.keyboard.type(live_server.user_email)

    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(live_server.password)

    # GOV.UK Frontend's password input puts its "Show" button between field and submit.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show password")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.submit(lambda: page.keyboard.press("Enter"))

    # A council user lands on their own home: their council, or joining one.
    expect(page.page).to_have_url(re.compile(r"/apply/"))
    expect(navigation(page).get_by_role("link", name="Your account")).to_be_visible()


def test_an_assessor_sets_up_two_factor_sign_in_and_signs_in_with_codes(
    page: CheckedPage, live_server: LiveServer
):
    """A new assessor's first sign-in sets up the second factor; the codes are made here with
    pyotp from the key the page shows, as an authenticator app would make them."""
    email = "new.assessor@association.example"
    with live_server.app.app_context():
        users.create_user(
            email, "Nell Assessor", live_server.password, role=UserRole.ASSESSOR, confirmed=True
        )
        db.session.commit()

    try:
        enter_password(page, email, live_server.password)
        expect(heading(page)).to_have_text("Set up two-factor sign-in")
        expect(page.get_by_role("img", name=re.compile("^QR code for adding"))).to_be_visible()
        key = "".join(page.locator("#two-factor-key").inner_text().split())
        assert len(key) == 32

        page.get_by_label("Code from your authenticator app").fill("000000")
        page.submit(page.get_by_role("button", name="Continue").click)
        summary = error_summary(page)
        expect(summary.get_by_role("link")).to_have_text(
            ["Enter a correct code from your authenticator app"]
        )
        expect(page.get_by_label("Code from your authenticator app")).to_have_value("")

        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(key).now())
        page.submit(page.get_by_role("button", name="Continue").click)
        expect(heading(page)).to_have_text("Save your recovery codes")
        codes = page.locator("#recovery-codes li").all_inner_texts()
        assert len(codes) == 10
        page.submit(page.get_by_role("button", name="I have saved my recovery codes").click)
        expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()
        page.submit(navigation(page).get_by_role("button", name="Sign out").click)

        # Next time: the password, then the app's next code (this one has been used).
        enter_password(page, email, live_server.password)
        expect(heading(page)).to_have_text("Enter the code from your authenticator app")
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(key).at(time.time() + 30))
        page.submit(page.get_by_role("button", name="Continue").click)
        page.submit(navigation(page).get_by_role("link", name="Your account").click)
        expect(summary_value(page, "Two-factor sign-in")).to_contain_text("10 recovery codes left")
        page.submit(navigation(page).get_by_role("button", name="Sign out").click)

        # Without the device: a recovery code, once.
        enter_password(page, email, live_server.password)
        page.get_by_label("Code", exact=True).fill(codes[0])
        page.submit(page.get_by_role("button", name="Continue").click)
        expect(banner(page)).to_contain_text("You used a recovery code")
        expect(banner(page)).to_contain_text("You have 9 left")
    finally:
        # The other journeys share this server: Nell is nobody's assessor to assign.
        with live_server.app.app_context():
            users.find_user(email).deactivated_at = utcnow()
            db.session.commit()
