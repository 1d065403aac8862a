"""Two-factor sign-in through HTTP: staff set it up at their next sign-in, codes work once,
recovery codes, the pending sign-in, resets by another administrator, council users turning it
on and off, rate limits, and the demo key outside development. Codes are made here with pyotp,
as an authenticator app makes them."""

from __future__ import annotations

import logging
import time

import pyotp
import pytest
import sqlalchemy as sa

from marks import ROOT
from marks.applying import applications
from marks.extensions import db
from marks.models import RecoveryCode, User
from marks.people import two_factor
from marks.states import MembershipRole, UserRole
from tests.integration.admin_people_pages import emails_to, events
from tests.pages import CODE_PAGE, DEMO_PASSWORD, SET_UP_PAGE, TEST_KEY, PageClient, key_on

CODE_HEADING = "Enter the code from your authenticator app"


def password_step(client: PageClient, email: str) -> str:
    """The first step: the right password. Returns where it sends the person."""
    response = client.submit("/sign-in", {"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return response.headers["Location"]


def code_now(key: str = TEST_KEY) -> str:
    return pyotp.TOTP(key).now()


def fresh(user: User) -> User:
    db.session.expire(user)
    return user


# --- Staff must have it ---------------------------------------------------------------------


def test_staff_without_a_second_factor_set_it_up_at_their_next_sign_in(client, make):
    admin = make.administrator(two_factor_key=None)
    assert password_step(client, admin.email) == SET_UP_PAGE
    # Not signed in yet: the staff's pages, and their account, send them to sign in.
    assert client.get("/admin/").headers["Location"].startswith("/sign-in?next=")

    page = client.get(SET_UP_PAGE)
    assert page.h1 == "Set up two-factor sign-in"
    assert "Administrators and assessors sign in with a code" in page.text
    image = page.soup.select_one("img[alt^='QR code']")
    assert image["src"].startswith("data:image/svg+xml")
    shown = page.soup.select_one("#two-factor-key").get_text()
    key = "".join(shown.split())
    assert len(key) == 32 and all(len(group) == 4 for group in shown.split())
    assert key != two_factor.DEMO_KEY

    wrong = client.submit(SET_UP_PAGE, {"code": "000000" if code_now(key) != "000000" else "1"})
    assert wrong.status == 200
    assert wrong.error_summary() == ["Enter a correct code from your authenticator app"]
    assert wrong.field_value("code") == ""
    assert key_on(wrong.soup) == key  # the same key until a code confirms it
    assert fresh(admin).two_factor_key is None

    done = client.submit(SET_UP_PAGE, {"code": code_now(key)})
    assert done.h1 == "Save your recovery codes"
    codes = [c.get_text() for c in done.soup.select("#recovery-codes code")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "You will not see these codes again" in done.text
    assert fresh(admin).two_factor_key == key and admin.two_factor_enrolled_at is not None
    stored = db.session.scalars(
        sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)
    ).all()
    assert sorted(stored) == sorted(two_factor.hash_recovery_code(c) for c in codes)
    assert not set(codes) & set(stored)  # only their hashes are kept
    assert [e.actor_id for e in events("user.two_factor_enrolled", admin)] == [admin.id]
    assert client.get("/admin/").h1 == "Administration"  # signed in now


def test_staff_made_so_since_they_signed_in_set_it_up_before_the_staff_pages(client, make):
    user = make.user()
    client.sign_in(user.email)
    user.role = UserRole.ASSESSOR
    db.session.flush()
    response = client.get("/assess/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/two-factor/set-up?next=/assess/"
    page = client.get(response.headers["Location"])
    done = client.submit(response.headers["Location"], {"code": code_now(key_on(page.soup))})
    assert done.h1 == "Save your recovery codes"
    assert done.soup.find("a", string=lambda s: s and "saved" in s)["href"] == "/assess/"
    assert client.get("/assess/").status == 200


# --- Codes --------------------------------------------------------------------------------------


def test_a_wrong_code_is_refused_with_an_error_summary_and_the_field_keeps_nothing(client, make):
    admin = make.administrator()
    assert password_step(client, admin.email) == CODE_PAGE
    page = client.get(CODE_PAGE)
    assert page.h1 == CODE_HEADING
    wrong = "123456" if code_now() != "123456" else "654321"
    page = client.submit(CODE_PAGE, {"code": wrong})
    assert page.status == 200
    assert page.soup.title.get_text().startswith("Error: ")
    assert page.error_summary() == [two_factor.WRONG]
    assert page.field_value("code") == ""
    assert client.get("/account").headers["Location"].startswith("/sign-in?next=")
    page = client.submit(CODE_PAGE, {"code": ""})
    assert page.error_summary() == ["Enter the code from your authenticator app"]


def test_codes_from_one_step_either_side_work_and_none_further(app):
    now = time.time()
    with app.app_context():
        key = two_factor.new_key()
        for offset, works in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
            code = two_factor.code_for(key, now + offset)
            assert (two_factor._step_of(key, code, now) is not None) == works, offset


def test_a_code_works_once(client, make, app):
    admin = make.administrator()
    code = code_now()
    password_step(client, admin.email)
    assert client.submit(CODE_PAGE, {"code": code}).status_code == 302
    client.sign_out()

    password_step(client, admin.email)
    page = client.submit(CODE_PAGE, {"code": code})
    assert page.error_summary() == [two_factor.USED]
    assert client.get("/account").status_code == 302  # still not signed in

    other = PageClient(app)  # nor in another browser
    password_step(other, admin.email)
    assert other.submit(CODE_PAGE, {"code": code}).error_summary() == [two_factor.USED]


def test_a_recovery_code_signs_in_once(client, make):
    user = make.user()
    key = two_factor.new_key()
    codes = two_factor.confirm_enrolment(user, key, two_factor.code_for(key))
    db.session.flush()

    password_step(client, user.email)
    typed = codes[3].upper().replace("-", " ")  # as someone might type it
    response = client.submit(CODE_PAGE, {"code": typed})
    assert response.status_code == 302
    assert "You have 9 left" in client.get("/account").text
    assert [e.data["left"] for e in events("user.recovery_code_used", user)] == [9]
    client.sign_out()

    password_step(client, user.email)
    assert client.submit(CODE_PAGE, {"code": codes[3]}).error_summary() == [two_factor.WRONG]


def test_the_pending_sign_in_reaches_no_signed_in_page_and_ends(client, make, app, monkeypatch):
    admin = make.administrator()
    password_step(client, admin.email)
    for path in ("/account", "/admin/", "/admin/people", "/assess/", "/apply/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/sign-in?next="), path
    assert "Sign out" not in client.get("/").text

    # A password changed meanwhile ends it (as it ends sessions) ...
    admin.password_hash = "$argon2id$changed"
    db.session.flush()
    assert client.get(CODE_PAGE).headers["Location"] == "/sign-in"
    assert "Sign in again" in client.get("/sign-in").text

    # ... and so does time.
    other = make.administrator()
    password_step(client, other.email)
    monkeypatch.setitem(app.config, "SIGN_IN_CODE_MAX_AGE", -1)
    assert client.get(CODE_PAGE).headers["Location"] == "/sign-in"


def test_the_code_page_keeps_a_form_the_session_lost(client, make):
    """A council lead with two-factor sign-in on, whose session ended with an answer open:
    the answer travels through the password and the code, and is shown before it is saved."""
    edition = make.demo_edition()
    lead = make.member(role=MembershipRole.LEAD)
    two_factor.enrol(lead, TEST_KEY, actor=lead)
    application = applications.start(lead.membership.council, actor=lead)
    db.session.commit()
    url = f"/apply/applications/{application.id}/criteria/MD1"
    assert edition.criteria[0].code == "MD1"
    page = client.get("/sign-in")
    token = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    this_site = {"Sec-Fetch-Site": "same-origin"}
    page = client.post(
        f"/sign-in?next={url}",
        data={
            "csrf_token": token,
            "email": lead.email,
            "password": DEMO_PASSWORD,
            "replay-narrative": "Typed before the session ended",
        },
        headers=this_site,
    )
    assert page.h1 == CODE_HEADING
    assert page.field_value("replay-narrative") == "Typed before the session ended"
    form = page.soup.find("form")
    fields = {i["name"]: i["value"] for i in form.find_all("input", attrs={"type": "hidden"})}
    page = client.post(form["action"], data={**fields, "code": code_now()}, headers=this_site)
    assert page.h1 == "Save your answers"
    assert "Typed before the session ended" in page.text
    assert page.soup.find("form", attrs={"action": url}) is not None


def test_code_attempts_are_limited_per_person(client, make, app):
    admin = make.administrator()
    password_step(client, admin.email)
    wrong = "000000" if code_now() != "000000" else "111111"
    statuses = [client.submit(CODE_PAGE, {"code": wrong}).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # From another address too: the limit follows the person.
    other = PageClient(app)
    other.http.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    password_step(other, admin.email)
    assert other.submit(CODE_PAGE, {"code": code_now()}).status == 429


def test_code_attempts_are_limited_per_address(client, make):
    people = [make.administrator() for _ in range(3)]
    wrong = "000000" if code_now() != "000000" else "111111"
    statuses = []
    for person in people:
        password_step(client, person.email)
        statuses += [client.submit(CODE_PAGE, {"code": wrong}).status for _ in range(4)]
    assert statuses == [200] * 10 + [429] * 2


# --- A lost device ------------------------------------------------------------------------------


def test_an_administrator_resets_anothers_two_factor_sign_in(client, make):
    admin = make.administrator(full_name="Ada Admin")
    assessor = make.assessor(full_name="Asha Assessor")
    two_factor.replace_recovery_codes(assessor)
    on_the_lost_laptop = PageClient(client.app)
    on_the_lost_laptop.sign_in(assessor.email)
    client.sign_in(admin.email)

    page = client.get(f"/admin/people/{assessor.id}")
    assert "Set up on" in page.text
    assert page.soup.find_all("form")[2]["action"].endswith("/two-factor/reset")
    response = client.submit(f"/admin/people/{assessor.id}", {}, form=2)
    assert response.headers["Location"] == f"/admin/people/{assessor.id}"
    page = client.get(f"/admin/people/{assessor.id}")
    assert "Asha Assessor's two-factor sign-in is reset" in page.text
    assert "Not set up: they will set it up when they next sign in" in page.text
    assert fresh(assessor).two_factor_key is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(RecoveryCode.user_id == assessor.id)
        )
        == 0
    )
    [event] = events("user.two_factor_reset", assessor)
    assert event.actor_id == admin.id
    [email] = emails_to(assessor.email)
    assert email.subject == "Your two-factor sign-in has been reset"

    # The lost laptop is signed out; they set it up again when they next sign in.
    assert on_the_lost_laptop.get("/assess/").headers["Location"].startswith("/sign-in")
    assessor_client = PageClient(client.app)
    assert password_step(assessor_client, assessor.email) == SET_UP_PAGE


def test_an_administrator_cannot_reset_their_own(client, make):
    admin = make.administrator()
    make.administrator()
    client.sign_in(admin.email)
    page = client.get(f"/admin/people/{admin.id}")
    assert "Reset two-factor sign-in" not in page.text
    token = client.csrf_token()
    page = client.post(f"/admin/people/{admin.id}/two-factor/reset", data={"csrf_token": token})
    assert page.status == 400
    assert page.error_summary() == [
        "You cannot reset your own two-factor sign-in: ask another administrator"
    ]
    assert fresh(admin).two_factor_key == TEST_KEY
    assert events("user.two_factor_reset", admin) == []


def test_only_an_administrator_resets_and_a_server_command_can(client, make, runner):
    assessor = make.assessor()
    other = make.assessor()
    client.sign_in(assessor.email)
    token = client.csrf_token()
    response = client.post(f"/admin/people/{other.id}/two-factor/reset", data={"csrf_token": token})
    assert response.status_code == 404
    assert fresh(other).two_factor_key == TEST_KEY

    result = runner.invoke(args=["reset-two-factor", other.email])
    assert result.exit_code == 0, result.output
    assert fresh(other).two_factor_key is None
    [event] = events("user.two_factor_reset", other)
    assert event.actor_id is None  # done from the server


# --- Council users ------------------------------------------------------------------------------


def test_a_council_user_turns_it_on_then_needs_a_code_then_turns_it_off(client, make, app):
    user = make.member()
    client.sign_in(user.email)  # no code asked
    page = client.get("/account")
    assert "Off" in page.soup.select_one(".govuk-summary-list").get_text()
    page = client.get("/account/two-factor/set-up")
    assert page.h1 == "Set up two-factor sign-in"
    assert "Administrators and assessors" not in page.text
    key = key_on(page.soup)
    used = code_now(key)
    done = client.submit("/account/two-factor/set-up", {"code": used})
    assert done.h1 == "Save your recovery codes"
    assert "10 recovery codes left" in client.get("/account").text
    client.sign_out()

    assert password_step(client, user.email) == CODE_PAGE
    assert client.submit(CODE_PAGE, {"code": used}).error_summary() == [two_factor.USED]
    next_code = two_factor.code_for(key, time.time() + two_factor.STEP)  # the app's next one
    assert client.submit(CODE_PAGE, {"code": next_code}).status_code == 302

    page = client.get("/account")
    response = client.submit("/account", {}, form=1)  # turn it off
    assert response.headers["Location"] == "/account"
    assert "Two-factor sign-in is off" in client.get("/account").text
    assert fresh(user).two_factor_key is None
    assert [e.actor_id for e in events("user.two_factor_turned_off", user)] == [user.id]
    assert emails_to(user.email)[-1].subject == "Two-factor sign-in is off"
    client.sign_out()
    assert password_step(client, user.email) == "/apply/"  # their own home: no code asked


def test_staff_cannot_turn_it_off(client, make):
    admin = make.administrator()
    client.sign_in(admin.email)
    page = client.get("/account")
    assert "Turn off two-factor sign-in" not in page.text
    token = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    client.post("/account/two-factor/turn-off", data={"csrf_token": token})
    assert "Your role needs two-factor sign-in" in client.get("/account").text
    assert fresh(admin).two_factor_key == TEST_KEY


def test_new_recovery_codes_replace_the_old(client, make):
    user = make.member()
    key = two_factor.new_key()
    old = two_factor.confirm_enrolment(user, key, two_factor.code_for(key))
    db.session.flush()
    client.sign_in(user.email)
    page = client.submit("/account", {}, form=0)
    assert page.h1 == "Save your recovery codes"
    new = [c.get_text() for c in page.soup.select("#recovery-codes code")]
    assert len(new) == 10 and not set(new) & set(old)
    client.sign_out()
    password_step(client, user.email)
    assert client.submit(CODE_PAGE, {"code": old[0]}).error_summary() == [two_factor.WRONG]
    assert client.submit(CODE_PAGE, {"code": new[0]}).status_code == 302


# --- The demo key -------------------------------------------------------------------------------


def test_the_demo_key_is_refused_outside_development(client, make, app, monkeypatch, caplog):
    admin = make.administrator(two_factor_key=two_factor.DEMO_KEY)
    monkeypatch.setitem(app.config, "MARKS_ENV", "production")
    password_step(client, admin.email)
    with caplog.at_level(logging.WARNING):
        page = client.submit(CODE_PAGE, {"code": code_now(two_factor.DEMO_KEY)})
    assert page.error_summary() == [two_factor.DEMO_KEY_REFUSED]
    assert f"Refused a code for user {admin.id}: their key is the demo key" in caplog.text
    assert client.get("/account").status_code == 302
    with pytest.raises(two_factor.TwoFactorRefused):
        two_factor.enrol(make.assessor(two_factor_key=None), two_factor.DEMO_KEY, actor=None)

    monkeypatch.setitem(app.config, "MARKS_ENV", "development")
    page = client.submit(CODE_PAGE, {"code": code_now(two_factor.DEMO_KEY)})
    assert page.status_code == 302


def test_seed_demo_enrols_the_demo_staff_with_the_documented_key(runner, app, monkeypatch):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert two_factor.DEMO_KEY in result.output
    staff = db.session.scalars(
        sa.select(User).where(User.role != UserRole.USER).order_by(User.email)
    ).all()
    assert [(u.email, u.two_factor_key) for u in staff] == [
        ("admin@example.org", two_factor.DEMO_KEY),
        ("assessor1@example.org", two_factor.DEMO_KEY),
        ("assessor2@example.org", two_factor.DEMO_KEY),
    ]
    assert two_factor.DEMO_KEY in (ROOT / "README.md").read_text(encoding="utf-8")
