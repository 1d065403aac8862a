"""Accounts through HTTP: sign up, confirm, sign in and out, passwords, limits, enumeration."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa
from argon2 import PasswordHasher
from itsdangerous import URLSafeTimedSerializer

from marks import mail
from marks.extensions import db
from marks.models import AuditEvent, Email, User
from tests.pages import DEMO_PASSWORD


def emails_to(address: str) -> list[Email]:
    return list(
        db.session.scalars(sa.select(Email).where(Email.to_address == address).order_by(Email.id))
    )


def link_in(email: Email) -> str:
    match = re.search(r"http://marks\.test(/\S+)", email.body_text)
    assert match, f"no link in {email.body_text!r}"
    return match.group(1)


def sign_up(client, email="new.person@darlington.gov.uk", password=DEMO_PASSWORD, **extra):
    data = {"full_name": "Nia Newcomer", "email": email, "password": password, "confirm": password}
    data.update(extra)
    return client.submit("/sign-up", data)


def test_sign_up_confirm_and_sign_in(client):
    response = sign_up(client, email="  New.Person@Darlington.gov.uk ")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.h1 == "Check your email"
    assert "new.person@darlington.gov.uk" in page.text

    user = db.session.scalar(sa.select(User).where(User.email == "new.person@darlington.gov.uk"))
    assert user.full_name == "Nia Newcomer"
    assert user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2id$")
    assert DEMO_PASSWORD not in user.password_hash

    # Not confirmed yet: signing in sends a fresh link instead.
    page = client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert page.h1 == "Confirm your email address"
    [first, second] = emails_to(user.email)
    assert first.subject == second.subject == "Confirm your email address"

    response = client.get(link_in(first))
    assert response.status_code == 302
    assert user.email_confirmed_at is not None
    page = client.get(response.headers["Location"])
    assert "Your email address is confirmed" in page.text

    response = client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").h1 == "Your account"
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.subject_id == user.id)
    ).all()
    assert {"user.created", "user.email_confirmed", "user.signed_in"} <= set(actions)


def test_sign_up_errors_keep_what_was_typed(client):
    page = sign_up(client, email="not-an-email", password="short", confirm="different")
    assert page.status == 200
    assert page.soup.title.get_text().startswith("Error: ")
    assert page.error_summary() == [
        "Enter an email address in the correct format, like name@example.gov.uk",
        "Password must be between 10 and 200 characters",
        "Passwords must match",
    ]
    assert page.field_value("full_name") == "Nia Newcomer"
    assert page.field_value("email") == "not-an-email"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_sign_up_with_a_taken_email_looks_the_same_and_tells_the_owner(client, make):
    owner = make.user(email="taken@hartlepool.gov.uk")
    known = sign_up(client, email="taken@hartlepool.gov.uk")
    unknown = sign_up(client, email="free@hartlepool.gov.uk")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    [told] = emails_to(owner.email)
    assert told.subject == "You already have an account"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_sign_up_does_the_same_work_whether_or_not_the_address_is_taken(client, make, monkeypatch):
    """Its time cannot tell a taken address from a new one: either way the password is hashed
    once and one email is queued (the work is counted here; timings would be flaky)."""
    make.user(email="taken@hartlepool.gov.uk")
    hashed = []
    real_hash = PasswordHasher.hash

    def counted_hash(self, password, **kwargs):
        hashed.append(password)
        return real_hash(self, password, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    for address in ("taken@hartlepool.gov.uk", "free@hartlepool.gov.uk"):
        hashed.clear()
        response = sign_up(client, email=address)
        assert response.headers["Location"] == "/sign-up/check-your-email"
        assert hashed == [DEMO_PASSWORD], address
        assert len(emails_to(address)) == 1, address


def sign_ups_from(client, address: str, times: int) -> list:
    return [sign_up(client, email=address) for _ in range(times)]


def test_signing_up_again_and_again_sends_one_email_and_is_then_refused(client, make):
    """Twelve sign-ups for one address, taken or not: one email, three answered as usual (the
    limit for an address), the rest refused; the owner's inbox is not flooded."""
    make.user(email="taken@hartlepool.gov.uk")
    for n, address in enumerate(("taken@hartlepool.gov.uk", "free@hartlepool.gov.uk")):
        client.http.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"  # two places
        answers = sign_ups_from(client, address, 12)
        assert [a.status_code for a in answers] == [302] * 3 + [429] * 9, address
        assert {a.headers["Location"] for a in answers[:3]} == {"/sign-up/check-your-email"}
        assert answers[-1].h1 == "Too many attempts"
        assert len(emails_to(address)) == 1, address


def test_one_sign_up_email_an_address_in_each_window(client, make, monkeypatch):
    owner = make.user(email="taken@hartlepool.gov.uk")
    sign_ups_from(client, owner.email, 2)
    [told] = emails_to(owner.email)
    assert told.subject == "You already have an account"
    later = mail.utcnow() + client.app.config["ACCOUNT_EMAIL_WINDOW"]
    monkeypatch.setattr(mail, "utcnow", lambda: later)
    sign_ups_from(client, owner.email, 1)
    assert [e.subject for e in emails_to(owner.email)] == ["You already have an account"] * 2


def test_signing_in_before_confirming_sends_one_fresh_link_in_each_window(client, make):
    user = make.user(email_confirmed_at=None)
    for _ in range(3):
        page = client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
        assert page.h1 == "Confirm your email address"
    [fresh] = emails_to(user.email)
    assert fresh.subject == "Confirm your email address"


def test_sign_up_is_rate_limited_per_client_address(client):
    answers = [sign_up(client, email=f"person{n}@darlington.gov.uk") for n in range(11)]
    assert [a.status_code for a in answers] == [302] * 10 + [429]
    assert answers[-1].h1 == "Too many attempts"
    assert emails_to("person10@darlington.gov.uk") == []
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 10


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make):
    user = make.user()
    wrong = client.submit("/sign-in", {"email": user.email, "password": "wrong password!"})
    unknown = client.submit("/sign-in", {"email": "nobody@x.gov.uk", "password": "whatever!!"})
    for page in (wrong, unknown):
        assert page.status == 200
        assert page.error_summary() == ["Enter a correct email address and password"]
    assert wrong.field_value("email") == user.email
    assert client.get("/account").status_code == 302


def test_deactivated_users_cannot_sign_in(client, make):
    from marks.models import utcnow

    user = make.user(deactivated_at=utcnow())
    page = client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert page.error_summary() == ["Enter a correct email address and password"]


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client, make):
    user = make.user()
    response = client.get("/account")
    assert response.headers["Location"] == "/sign-in?next=%2Faccount"
    page = client.get("/sign-in?next=/account")
    form_action = page.soup.form["action"]
    response = client.submit(form_action, {"email": user.email, "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/account"

    client.sign_out()
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        client.get("/sign-in")
        response = client.submit(
            "/sign-in?next=" + target, {"email": user.email, "password": DEMO_PASSWORD}
        )
        assert response.headers["Location"] == "/apply/", target  # their own home
        client.sign_out()


def test_sign_in_is_rate_limited_per_email(client, make):
    user = make.user()
    for _ in range(5):
        page = client.submit("/sign-in", {"email": user.email, "password": "wrong password!"})
        assert page.status == 200
    page = client.submit("/sign-in", {"email": user.email, "password": DEMO_PASSWORD})
    assert page.status == 429
    assert page.h1 == "Too many attempts"
    # Another address from the same place is not locked out by this one.
    other = make.user()
    assert (
        client.submit("/sign-in", {"email": other.email, "password": DEMO_PASSWORD}).status_code
        == 302
    )


def test_sign_ins_that_succeed_do_not_count_against_the_limits(client, make):
    user = make.user()
    for _ in range(4):
        assert client.submit("/sign-in", {"email": user.email, "password": "wrong!"}).status == 200
    for _ in range(12):  # more than both limits
        client.sign_in(user.email)
        client.sign_out()
    assert client.submit("/sign-in", {"email": user.email, "password": "wrong!"}).status == 200
    assert client.submit("/sign-in", {"email": user.email, "password": "wrong!"}).status == 429


def test_sign_in_is_rate_limited_per_address(client, make):
    users = [make.user() for _ in range(11)]
    statuses = [
        client.submit("/sign-in", {"email": u.email, "password": "wrong password!"}).status
        for u in users
    ]
    assert statuses == [200] * 10 + [429]


def test_forms_without_a_csrf_token_are_refused(client, make):
    user = make.user()
    response = client.post("/sign-in", data={"email": user.email, "password": DEMO_PASSWORD})
    assert response.status == 400
    assert response.h1 == "Your form could not be sent"
    response = client.post(
        "/sign-in", data={"email": user.email, "password": DEMO_PASSWORD, "csrf_token": "forged"}
    )
    assert response.status == 400


def test_password_reset_link_works_once(client, make):
    user = make.user()
    response = client.submit("/forgotten-password", {"email": user.email.upper()})
    assert response.headers["Location"] == "/forgotten-password/check-your-email"
    [email] = emails_to(user.email)
    link = link_in(email)

    page = client.submit(link, {"password": "a brand new password", "confirm": "mismatch"})
    assert page.error_summary() == ["Passwords must match"]
    response = client.submit(
        link, {"password": "a brand new password", "confirm": "a brand new password"}
    )
    assert response.status_code == 302
    assert emails_to(user.email)[-1].subject == "Your password has been changed"

    reused = client.get(link)
    assert reused.status == 400
    assert reused.h1 == "This link does not work"
    assert client.sign_in(user.email, "a brand new password").status_code == 302


def test_password_reset_link_expires(app, client, make):
    user = make.user()
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="reset-password")
    token = serializer.dumps({"user": user.id, "fingerprint": user.password_fingerprint})
    app.config["RESET_PASSWORD_MAX_AGE"] = 1
    try:
        time.sleep(2.1)
        page = client.get(f"/reset-password/{token}")
    finally:
        app.config["RESET_PASSWORD_MAX_AGE"] = 3600
    assert page.status == 400
    assert page.h1 == "This link has expired"


def test_forgotten_password_for_unknown_email_looks_the_same(client, make):
    user = make.user()
    known = client.submit("/forgotten-password", {"email": user.email})
    unknown = client.submit("/forgotten-password", {"email": "nobody@nowhere.gov.uk"})
    assert known.headers["Location"] == unknown.headers["Location"]
    assert emails_to("nobody@nowhere.gov.uk") == []
    assert len(emails_to(user.email)) == 1


def test_asking_for_reset_links_again_and_again_sends_one_and_is_then_refused(client, make):
    user = make.user()
    answers = [client.submit("/forgotten-password", {"email": user.email}) for _ in range(12)]
    assert [a.status_code for a in answers] == [302] * 3 + [429] * 9
    assert answers[-1].h1 == "Too many attempts"
    [email] = emails_to(user.email)
    assert email.subject == "Reset your password"
    # The link in that one email still works: asking again did not spoil it.
    assert client.get(link_in(email)).h1 == "Choose a new password"


def test_one_reset_email_an_address_in_each_window(client, make, monkeypatch):
    user = make.user()
    client.submit("/forgotten-password", {"email": user.email})
    client.submit("/forgotten-password", {"email": user.email})
    assert len(emails_to(user.email)) == 1
    later = mail.utcnow() + client.app.config["ACCOUNT_EMAIL_WINDOW"]
    monkeypatch.setattr(mail, "utcnow", lambda: later)
    client.submit("/forgotten-password", {"email": user.email})
    assert [e.subject for e in emails_to(user.email)] == ["Reset your password"] * 2


def test_a_sign_up_email_does_not_hold_back_a_reset_email(client, make):
    """The "you already have an account" email links to the reset form: following it at once
    must work, so each kind of email has a window of its own."""
    owner = make.user()
    sign_up(client, email=owner.email)
    client.submit("/forgotten-password", {"email": owner.email})
    subjects = [e.subject for e in emails_to(owner.email)]
    assert subjects == ["You already have an account", "Reset your password"]


def test_password_reset_is_rate_limited_per_client_address(client, make):
    users = [make.user() for _ in range(11)]
    answers = [client.submit("/forgotten-password", {"email": u.email}) for u in users]
    assert [a.status_code for a in answers] == [302] * 10 + [429]
    assert emails_to(users[-1].email) == []


def test_change_password_signs_out_other_sessions(app, client, make):
    user = make.user()
    client.sign_in(user.email)
    other_device = type(client)(app)
    other_device.sign_in(user.email)

    page = client.submit(
        "/account/change-password",
        {
            "current": "not my password",
            "password": "another password",
            "confirm": "another password",
        },
    )
    assert page.error_summary() == ["Your current password is not correct"]

    response = client.submit(
        "/account/change-password",
        {"current": DEMO_PASSWORD, "password": "another password", "confirm": "another password"},
    )
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status == 200
    assert other_device.http.get("/account").status_code == 302


def test_sign_out(client, make):
    user = make.user()
    client.sign_in(user.email)
    assert client.get("/sign-out").h1 == "Sign out"  # a GET asks: it signs no one out
    assert client.get("/account").status_code == 200
    assert client.sign_out().headers["Location"] == "/sign-in"
    assert client.get("/account").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/sign-in")
    cookie = client.http.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
