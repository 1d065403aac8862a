"""Rotating SECRET_KEY (docs/deploy.md, "Changing the secret key"): with the old key in
SECRET_KEY_FALLBACKS, everything signed with it still works (a signed-in session, the CSRF
token of a form open in a browser, the links already emailed: confirm an address, reset a
password, accept an invitation to a council or to the staff), and what is signed from then on
is signed with the new key. Once the old key is dropped from the fallbacks, none of it works.
On several servers, the new key goes in as a fallback everywhere first: then a server not yet
swapped accepts what a swapped one signs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from marks.applying import memberships
from marks.extensions import db
from marks.models import Email, User
from marks.people import staff, users
from marks.states import InvitationKind, MembershipRole
from tests.conftest import app_config, app_with
from tests.pages import DEMO_PASSWORD, PageClient

OLD_KEY = "9c1f0e8d7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d"
NEW_KEY = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"


@dataclass
class Signed:
    """What a person holds that the old key signed: a browser's cookie and open form, and the
    emailed links."""

    cookie: str
    csrf_token: str
    links: dict[str, str]


def last_link(address: str) -> str:
    body = db.session.scalar(
        sa.select(Email.body_text).where(Email.to_address == address).order_by(Email.id.desc())
    )
    return re.search(r"http://marks\.test(/\S+)", body).group(1)


@pytest.fixture
def keys(app, database_url):
    @contextmanager
    def serving(key: str, fallbacks: list[str]) -> Iterator[Flask]:
        config = app_config(database_url, SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks)
        with app_with(app, config) as served:
            yield served

    return serving


def sign_everything(keys, make, key: str, fallbacks: list[str]) -> Signed:
    """Under `key`: a council member signed in with the change-password form open; a
    newcomer's confirmation link, the member's password reset link, and invitations to a
    council and to the staff, all emailed."""
    lead = make.member(email="lee.lead@leeds.gov.uk", role=MembershipRole.LEAD)
    admin = make.administrator(email="ada@scheme.org")
    with keys(key, fallbacks) as signing:
        browser = PageClient(signing)
        browser.sign_in(lead.email)
        form = browser.get("/account/change-password")
        token = form.field_value("csrf_token")
        cookie = browser.http.get_cookie("session").value
        newcomer = PageClient(signing)
        data = {"full_name": "Nia New", "email": "nia@leeds.gov.uk"}
        data.update(password=DEMO_PASSWORD, confirm=DEMO_PASSWORD)
        assert newcomer.submit("/sign-up", data).status_code == 302
        with signing.test_request_context():  # a session of its own: the objects read again
            inviter, administrator = db.session.get(User, lead.id), db.session.get(User, admin.id)
            users.send_password_reset(inviter.email)
            memberships.invite(inviter.membership.council, "cy@leeds.gov.uk", actor=inviter)
            staff.invite("sam@assessors.org", InvitationKind.ASSESSOR, administrator)
            db.session.commit()
    links = {
        "confirm": last_link("nia@leeds.gov.uk"),
        "reset": last_link(lead.email),
        "council invitation": last_link("cy@leeds.gov.uk"),
        "staff invitation": last_link("sam@assessors.org"),
    }
    return Signed(cookie, token, links)


@pytest.fixture
def signed(keys, make) -> Signed:
    """What the old key signed, before the rotation."""
    return sign_everything(keys, make, OLD_KEY, [])


def browser_with(served: Flask, signed: Signed) -> PageClient:
    browser = PageClient(served)
    browser.http.set_cookie("session", signed.cookie)
    return browser


def link_works(served: Flask, path: str) -> bool:
    """Whether the page the link opens accepts it (the same checks as following it)."""
    with served.test_request_context():
        token = path.rsplit("/", 1)[1]
        check = {
            "/confirm-email/": lambda: users.confirm_email(token),
            "/reset-password/": lambda: users.user_for_reset(token),
            "/apply/invitations/": lambda: memberships.invitation_for(token),
            "/account/invitations/": lambda: staff.invitation_for(token),
        }
        [prefix] = [p for p in check if path.startswith(p)]
        try:
            with db.session.begin_nested() as nested:
                check[prefix]()
                nested.rollback()  # a look, not a use
        except (users.LinkError, memberships.MembershipRefused, staff.StaffRefused):
            return False
    return True


def test_with_the_old_key_as_a_fallback_everything_it_signed_still_works(keys, signed):
    with keys(NEW_KEY, [OLD_KEY]) as rotated:
        browser = browser_with(rotated, signed)
        account = browser.get("/account")
        assert account.h1 == "Your account"  # still signed in
        # The form opened before the rotation is sent after it: its CSRF token is accepted.
        answer = browser.post(
            "/account/change-password",
            data={
                "csrf_token": signed.csrf_token,
                "current": "not the password",
                "password": "a new password 2026",
                "confirm": "a new password 2026",
            },
        )
        assert answer.status == 200
        assert answer.error_summary() == ["Your current password is not correct"]
        for what, path in signed.links.items():
            assert link_works(rotated, path), what
        page = PageClient(rotated).get(signed.links["reset"])
        assert page.status == 200 and page.h1 == "Choose a new password"
        # From now on, the new key signs: a cookie made now opens without the old one.
        renewed = browser.http.get_cookie("session").value
    with keys(NEW_KEY, []) as new_only:
        browser = PageClient(new_only)
        browser.http.set_cookie("session", renewed)
        assert browser.get("/account").h1 == "Your account"


def test_once_the_fallback_is_dropped_nothing_the_old_key_signed_works(keys, signed):
    with keys(NEW_KEY, []) as new_only:
        browser = browser_with(new_only, signed)
        response = browser.get("/account")
        assert response.status_code == 302  # signed out: to the sign-in page
        assert response.headers["Location"].startswith("/sign-in")
        refused = browser.post(
            "/account/change-password",
            data={"csrf_token": signed.csrf_token, "current": DEMO_PASSWORD},
        )
        assert refused.status_code in (302, 400)  # signed out, or the form refused
        for what, path in signed.links.items():
            assert not link_works(new_only, path), what
        page = PageClient(new_only).get(signed.links["reset"])
        assert page.status == 400 and "does not work" in page.text


def test_over_several_servers_each_accepts_what_the_others_sign_at_every_step(keys, make):
    """The guide's order on several servers: first the new key as a fallback on every one,
    then the swap on every one. Mid-swap, a server still on the old key (the new one its
    fallback) accepts what a swapped server signs with the new key: a session, an open
    form and every emailed link. Swapped first, without that step, it would refuse them."""
    by_a_swapped_server = sign_everything(keys, make, NEW_KEY, [OLD_KEY])
    with keys(OLD_KEY, [NEW_KEY]) as not_yet_swapped:
        browser = browser_with(not_yet_swapped, by_a_swapped_server)
        assert browser.get("/account").h1 == "Your account"
        answer = browser.post(
            "/account/change-password",
            data={
                "csrf_token": by_a_swapped_server.csrf_token,
                "current": "not the password",
                "password": "a new password 2026",
                "confirm": "a new password 2026",
            },
        )
        assert answer.error_summary() == ["Your current password is not correct"]
        for what, path in by_a_swapped_server.links.items():
            assert link_works(not_yet_swapped, path), what
    with keys(OLD_KEY, []) as without_the_first_step:
        assert (
            browser_with(without_the_first_step, by_a_swapped_server).get("/account").status_code
            == 302
        )
        for what, path in by_a_swapped_server.links.items():
            assert not link_works(without_the_first_step, path), what
