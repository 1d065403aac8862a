"""Signed-in sessions end on the server: signing out, a password change, a reset and
deactivation end every copy of the session cookie; only a POST from this site signs out."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from marks.extensions import db
from marks.models import Email, UserSession
from marks.people import staff
from tests.pages import DEMO_PASSWORD, PageClient


def copy_of(client: PageClient) -> PageClient:
    """Another browser holding a copy of the client's session cookie, as a thief would."""
    thief = PageClient(client.app)
    thief.http.set_cookie("session", client.http.get_cookie("session").value)
    return thief


def signed_in_at_account(client: PageClient) -> bool:
    response = client.request("GET", "/account")
    return response.status_code == 200


def test_a_copied_cookie_is_signed_out_when_its_owner_signs_out(client, make):
    user = make.user()
    client.sign_in(user.email)
    thief = copy_of(client)
    assert signed_in_at_account(thief)

    client.sign_out()

    assert not signed_in_at_account(thief)
    assert not signed_in_at_account(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_signing_out_ends_only_that_browsers_session(app, client, make):
    user = make.user()
    client.sign_in(user.email)
    laptop = PageClient(app)
    laptop.sign_in(user.email)

    client.sign_out()

    assert signed_in_at_account(laptop)


def test_no_other_site_can_sign_people_out(client, make):
    user = make.user()
    client.sign_in(user.email)

    # A link or an image on another site makes a GET: it only asks.
    page = client.get("/sign-out")
    assert page.h1 == "Sign out"
    assert signed_in_at_account(client)
    # A form on another site has no CSRF token.
    refused = client.post("/sign-out", data={})
    assert refused.status == 400
    assert signed_in_at_account(client)


def test_the_header_signs_out_with_a_button(client, make):
    user = make.user()
    client.sign_in(user.email)
    page = client.get("/account")
    button = page.soup.select_one("header button[form]")
    assert button.get_text(strip=True) == "Sign out"
    form = page.soup.find("form", id=button["form"])
    assert form["action"] == "/sign-out" and form["method"] == "post"
    assert form.find("input", attrs={"name": "csrf_token"})
    assert page.soup.select_one("header a[href='/sign-out']") is None


def test_deactivation_ends_every_session(client, make, admin):
    user = make.user()
    client.sign_in(user.email)
    thief = copy_of(client)

    staff.deactivate(user, admin)
    db.session.commit()

    assert not signed_in_at_account(client)
    assert not signed_in_at_account(thief)


def test_a_password_change_ends_every_other_copy(client, make):
    user = make.user()
    client.sign_in(user.email)
    thief = copy_of(client)

    client.submit(
        "/account/change-password",
        {"current": DEMO_PASSWORD, "password": "another password", "confirm": "another password"},
    )

    assert signed_in_at_account(client)
    assert not signed_in_at_account(thief)


def test_a_password_reset_ends_every_session(app, client, make):
    user = make.user()
    client.sign_in(user.email)
    thief = copy_of(client)
    resetting = PageClient(app)
    resetting.submit("/forgotten-password", {"email": user.email})
    email = db.session.scalar(
        sa.select(Email).where(Email.to_address == user.email).order_by(Email.id.desc())
    )
    link = re.search(r"http://marks\.test(/reset-password/\S+)", email.body_text).group(1)

    resetting.submit(link, {"password": "a brand new password", "confirm": "a brand new password"})

    assert not signed_in_at_account(client)
    assert not signed_in_at_account(thief)


def test_a_session_ends_at_its_maximum_age_however_busy(app, client, make):
    user = make.user()
    client.sign_in(user.email)
    assert signed_in_at_account(client)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    row.created_at -= app.config["SESSION_MAX_AGE"] + timedelta(minutes=1)
    db.session.commit()

    assert not signed_in_at_account(client)


def test_signing_in_starts_a_new_session_and_keeps_nothing_from_before(client, make):
    user = make.user()
    client.get("/sign-in")
    before = client.http.get_cookie("session").value
    client.sign_in(user.email)
    first = db.session.scalars(sa.select(UserSession.key_hash)).all()
    client.sign_out()
    client.sign_in(user.email)
    second = db.session.scalars(sa.select(UserSession.key_hash)).all()

    assert len(first) == len(second) == 1 and first != second
    assert client.http.get_cookie("session").value != before
    # The cookie holds a key to the row, never the row's hash.
    assert second[0] not in client.http.get_cookie("session").value
