"""The demo data's accounts (`flask seed-demo`, marks/seed/demo.py), which the journeys sign in as,
and signing in as a person does: the password, then the code from their authenticator app."""

from __future__ import annotations

from playwright.sync_api import expect

from marks.seed.demo import PASSWORD
from tests.browser.conftest import CheckedPage
from tests.browser.seen import navigation

ADMIN = "admin@example.org"


def sign_in(page: CheckedPage, email: str, password: str = PASSWORD) -> None:
    page.visit("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.submit(page.get_by_role("button", name="Sign in").click)
    page.enter_code(email)
    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()
