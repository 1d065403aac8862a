"""Administrators: people. Inviting assessors and administrators: the email, the link accepted
once by the person it is for (with an account already or not), links that expired, were broken
or were replaced by a newer invitation, and invitations that are refused."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa
from itsdangerous import TimestampSigner

from marks.extensions import db
from marks.models import Email, Invitation, utcnow
from marks.people import staff
from marks.states import InvitationKind, UserRole
from tests.integration import admin_people_pages
from tests.integration.admin_people_pages import emails_to, events
from tests.pages import PageClient

# The fixtures, defined once in admin_people_pages.py: named here so that pytest finds them.
admin = admin_people_pages.admin
signed_in = admin_people_pages.signed_in


def link_in(email: Email) -> str:
    match = re.search(r"http://marks\.test(/account/invitations/\S+)", email.body_text)
    assert match, f"no invitation link in {email.body_text!r}"
    return match.group(1)


# --- Invitations ----------------------------------------------------------------------------


def test_an_invited_assessor_signs_up_and_accepts(app, signed_in, make, admin):
    page = signed_in.get("/admin/people/invite")
    assert page.h1 == "Invite an assessor or administrator"
    assert "No invitations are waiting" in page.text
    response = signed_in.submit(
        "/admin/people/invite", {"email": " New.Person@Other.gov.uk ", "kind": "assessor"}
    )
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"])
    assert "We have emailed an invitation to new.person@other.gov.uk to become an assessor." in (
        page.text
    )
    assert "new.person@other.gov.uk" in page.soup.select_one("table").get_text()
    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    assert (invitation.kind, invitation.council_id) == (InvitationKind.ASSESSOR, None)
    assert events("invitation.sent", invitation)[0].actor_id == admin.id
    [email] = emails_to("new.person@other.gov.uk")
    assert email.template == "staff_invitation"
    assert email.subject == (
        "You are invited to become an assessor for the Social Media Friendly Mark"
    )
    assert "Ada Admin has invited you" in email.body_text
    assert "14 days" in email.body_text
    link = link_in(email)

    # They have no account yet: they create one, then follow the link.
    invited = PageClient(app)
    response = invited.get(link)
    assert "/sign-in?next=" in response.headers["Location"]
    person = make.user(email="new.person@other.gov.uk", full_name="Nia New")
    invited.sign_in(person.email)
    page = invited.get(link)
    assert page.h1 == "Become an assessor"
    assert "Ada Admin has invited you to become an assessor" in page.text
    response = invited.submit(link, {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/assess/"
    assert person.role == UserRole.ASSESSOR
    assert invitation.accepted_at is not None
    [changed] = events("user.role_changed", person)
    assert (changed.actor_id, changed.from_state, changed.to_state) == (
        person.id,
        "user",
        "assessor",
    )
    assert events("invitation.accepted", invitation)[0].actor_id == person.id
    assert "No invitations are waiting" in signed_in.get("/admin/people/invite").text

    # The link works once.
    page = invited.get(link)
    assert page.status == 400
    assert page.h1 == "You cannot use this invitation"
    assert "This invitation has already been used." in page.text


def test_an_existing_account_accepts_an_administrator_invitation(app, signed_in, make):
    assessor = make.assessor(full_name="Sam Senior")
    signed_in.submit("/admin/people/invite", {"email": assessor.email, "kind": "administrator"})
    [email] = emails_to(assessor.email)
    assert "become an administrator" in email.subject
    invited = PageClient(app)
    invited.sign_in(assessor.email)
    page = invited.get(link_in(email))
    assert "You are an assessor now. Accepting makes you an administrator instead." in page.text
    response = invited.submit(link_in(email), {})
    assert response.headers["Location"] == "/admin/"
    assert assessor.role == UserRole.ADMINISTRATOR
    assert invited.get("/admin/people").status == 200


def test_an_invitation_for_someone_else_is_refused(app, signed_in, make):
    signed_in.submit("/admin/people/invite", {"email": "right@x.gov.uk", "kind": "administrator"})
    link = link_in(emails_to("right@x.gov.uk")[0])
    wrong = make.user(email="wrong@x.gov.uk")
    someone = PageClient(app)
    someone.sign_in(wrong.email)
    page = someone.get(link)
    assert page.status == 400
    assert "This invitation is for right@x.gov.uk. Sign in with that email address." in page.text
    page = someone.post(link, data={"csrf_token": someone.csrf_token()})
    assert page.status == 400
    assert wrong.role == UserRole.USER
    assert events("invitation.accepted") == [] and events("user.role_changed") == []


def test_expired_broken_and_replaced_links_are_refused(app, signed_in, make, monkeypatch):
    person = make.user(email="late@x.gov.uk")
    invited = PageClient(app)
    invited.sign_in(person.email)

    # Signed more than 14 days ago.
    signed_in.submit("/admin/people/invite", {"email": person.email, "kind": "assessor"})
    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    with app.test_request_context():
        fortnight_ago = int(time.time()) - 15 * 24 * 3600
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: fortnight_ago)
        token = staff._serializer().dumps({"invitation": invitation.id, "email": person.email})
        monkeypatch.undo()
    page = invited.get(f"/account/invitations/{token}")
    assert page.status == 400
    assert "This invitation has expired: ask an administrator for a new one." in page.text

    # Expired by its date, whatever the link says.
    link = link_in(emails_to(person.email)[0])
    invitation.expires_at = utcnow()
    db.session.flush()
    page = invited.get(link)
    assert page.status == 400
    assert "This invitation has expired" in page.text

    # Tampered with, or signed for something else.
    assert "does not work" in invited.get(link[:-3] + "abc").text
    assert invited.get("/account/invitations/not-a-token").status == 400

    # A newer invitation replaces the older one.
    signed_in.submit("/admin/people/invite", {"email": person.email, "kind": "administrator"})
    first, second = emails_to(person.email)
    page = invited.get(link_in(first))
    assert page.status == 400
    assert "replaced by a newer one" in page.text
    assert invited.get(link_in(second)).h1 == "Become an administrator"
    assert person.role == UserRole.USER


def test_invitations_are_checked(signed_in, make):
    page = signed_in.submit("/admin/people/invite", {"email": "not an email", "kind": ""})
    assert page.status == 400
    assert page.error_summary() == [
        "Enter an email address in the correct format, like name@example.gov.uk",
        "Choose whether to invite an assessor or an administrator",
    ]
    assert page.field_value("email") == "not an email"
    assessor = make.assessor(email="already@x.gov.uk")
    page = signed_in.submit("/admin/people/invite", {"email": assessor.email, "kind": "assessor"})
    assert page.status == 400
    assert page.error_summary() == ["already@x.gov.uk is already an assessor"]
    assert page.soup.select_one("input[name=kind][checked]")["value"] == "assessor"
    gone = make.user(email="gone@x.gov.uk")
    gone.deactivated_at = utcnow()
    db.session.flush()
    page = signed_in.submit("/admin/people/invite", {"email": gone.email, "kind": "assessor"})
    assert page.error_summary() == [
        "The account for gone@x.gov.uk is deactivated: reactivate it first"
    ]
    assert db.session.scalars(sa.select(Invitation)).all() == []
    assert emails_to(assessor.email) == [] and emails_to(gone.email) == []
