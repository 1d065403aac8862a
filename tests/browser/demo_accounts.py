"""The demo data's accounts (`flask seed-demo`, marks/seed/demo.py), which the journeys sign in as,
and signing in as a person does: the password, then the code from their authenticator app."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from marks.extensions import db
from marks.models import Award, Council
from marks.seed.demo import PASSWORD
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.seen import navigation

ADMIN = "admin@example.org"
EAST_RIDING = "E06000011"  # accredited with distinction, current
EAST_RIDING_LEAD = "lead@eastriding.gov.uk"


def latest_award(live_server: LiveServer, gss_code: str) -> tuple[int, str, str]:
    """The council's latest award: its application's id, its certificate number and the
    council's name."""
    with live_server.app.app_context():
        award = db.session.scalars(
            sa.select(Award)
            .join(Council, Award.council_id == Council.id)
            .where(Council.gss_code == gss_code, Award.is_latest)
        ).one()
        found = award.application_id, award.certificate_number, award.council.name
        db.session.remove()
    return found


def sign_in(page: CheckedPage, email: str, password: str = PASSWORD) -> None:
    page.visit("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.submit(page.get_by_role("button", name="Sign in").click)
    page.enter_code(email)
    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()
