"""Sharing answers with the library of good practice in a real browser: the council's lead offers
two answers (one with an evidence file), an administrator publishes one and returns the other
with a reason, the lead reads the reason and offers it again, then withdraws the published one.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from marks.applying import applications
from marks.extensions import db
from marks.models import Award, Council, Membership, PracticeExample, User
from marks.states import MembershipRole, PracticeState
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import ADMIN, sign_in
from tests.browser.seen import banner, error_summary, heading, navigation
from tests.helpers.practice import evidence

HULL = "E06000010"  # approved in the demo, its award current
REASON = "Take out the name of the officer in the second paragraph."


def _hull(live_server: LiveServer) -> tuple[str, int, list[str]]:
    """Hull's lead, its awarded application and the codes of its first two answers, the first
    with an evidence file added."""
    with live_server.app.app_context():
        council = db.session.scalar(sa.select(Council).where(Council.gss_code == HULL))
        award = db.session.scalar(
            sa.select(Award).where(Award.council_id == council.id, Award.is_latest)
        )
        lead = db.session.scalar(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.council_id == council.id, Membership.role == MembershipRole.LEAD)
        )
        first, second = applications.ordered_answers(award.application)[:2]
        evidence(first, "engagement-plan.pdf")
        db.session.commit()
        found = lead.email, award.application_id, [first.criterion.code, second.criterion.code]
        db.session.remove()
        return found


def _states(
    live_server: LiveServer, application_id: int, codes: tuple[str, ...]
) -> dict[str, PracticeState]:
    """The library states of these answers (the demo shares others of Hull's)."""
    with live_server.app.app_context():
        found = db.session.scalars(
            sa.select(PracticeExample).join(Award).where(Award.application_id == application_id)
        )
        states = {
            e.answer.criterion.code: e.state for e in found if e.answer.criterion.code in codes
        }
        db.session.remove()
        return states


def _sign_out(page: CheckedPage) -> None:
    page.submit(navigation(page).get_by_role("button", name="Sign out").click)


def test_offer_review_return_offer_again_and_withdraw(page: CheckedPage, live_server: LiveServer):
    lead, application_id, (first, second) = _hull(live_server)

    # The lead offers two answers: the first with its file and a note, the second as it is.
    sign_in(page, lead)
    page.visit("/apply/")
    page.submit(page.get_by_role("link", name="Share your answers with other councils").click)
    expect(heading(page)).to_have_text("Share your answers with other councils")
    # Nothing ticked: the error summary.
    for box in page.locator("input[name=answers]").all():
        box.uncheck()
    page.submit(page.get_by_role("button", name="Offer these answers").click)
    expect(error_summary(page)).to_contain_text("Select the answers to offer")

    page.visit(f"/apply/applications/{application_id}/practice/{first}")
    expect(
        page.get_by_text("Evidence files are never published unless you pick them")
    ).to_be_visible()
    page.get_by_label("engagement-plan.pdf").check()
    page.get_by_label("A note for other councils (optional)").fill("Train councillors first.")
    page.get_by_label("A contact for other councils (optional)").fill("digital@hull.gov.uk")
    page.submit(page.get_by_role("button", name="Offer this answer").click)
    expect(banner(page)).to_contain_text(f"Your answer to {first} has been offered")
    page.visit(f"/apply/applications/{application_id}/practice/{second}")
    page.submit(page.get_by_role("button", name="Offer this answer").click)
    assert _states(live_server, application_id, (first, second)) == {
        first: PracticeState.OFFERED,
        second: PracticeState.OFFERED,
    }
    _sign_out(page)

    # The administrator publishes the first and returns the second with a reason.
    sign_in(page, ADMIN)
    page.visit("/admin/")
    page.submit(page.get_by_role("link", name="The library of good practice").click)
    page.submit(page.get_by_role("link", name=re.compile(f"^Hull City Council +: {first}$")).click)
    expect(page.get_by_role("link", name="engagement-plan.pdf")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Train councillors first.")
    page.submit(page.get_by_role("button", name="Publish").click)
    expect(banner(page)).to_contain_text(f"answer to {first} is published")

    page.submit(page.get_by_role("link", name=re.compile(f"^Hull City Council +: {second}$")).click)
    page.submit(page.get_by_role("button", name="Return to the council").click)
    expect(error_summary(page)).to_contain_text("Enter why you are returning it")
    page.get_by_label("Why are you returning it? (the council will read this)").fill(REASON)
    page.submit(page.get_by_role("button", name="Return to the council").click)
    assert _states(live_server, application_id, (first, second)) == {
        first: PracticeState.PUBLISHED,
        second: PracticeState.RETURNED,
    }
    _sign_out(page)

    # The lead reads the reason, offers the second again, and withdraws the first.
    sign_in(page, lead)
    page.visit(f"/apply/applications/{application_id}/practice")
    expect(page.locator("main")).to_contain_text(REASON)
    page.visit(f"/apply/applications/{application_id}/practice/{second}")
    expect(page.locator("main")).to_contain_text(REASON)
    page.get_by_label("A note for other councils (optional)").fill("Names taken out.")
    page.submit(page.get_by_role("button", name="Offer it again").click)

    page.visit(f"/apply/applications/{application_id}/practice/{first}")
    expect(page.locator("main")).to_contain_text("gone from the library at once")
    page.submit(page.get_by_role("button", name="Withdraw this answer").click)
    expect(banner(page)).to_contain_text("it is gone from the library")
    assert _states(live_server, application_id, (first, second)) == {
        first: PracticeState.WITHDRAWN,
        second: PracticeState.OFFERED,
    }
    assert page.unchecked() == []
