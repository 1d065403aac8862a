"""The time-out warning: every page for someone signed in says how long the session has left
(the idle limit, or the limit from signing in if sooner), and "Stay signed in" restarts the
idle time with a POST that carries the CSRF token."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marks.extensions import db
from marks.models import UserSession, utcnow


def warning_of(page):
    return page.soup.select_one("dialog#timeout-warning")


def signed_in_token(client, make) -> str:
    """A council member signed in, and the CSRF token of the warning's form."""
    client.sign_in(make.member().email)
    return warning_of(client.get("/account")).find("input", attrs={"name": "csrf_token"})["value"]


def test_no_warning_for_people_not_signed_in(client):
    assert warning_of(client.get("/")) is None


def test_each_page_says_how_long_the_session_has_left(client, make):
    user = make.member()
    client.sign_in(user.email)
    dialog = warning_of(client.get("/register"))
    assert dialog is not None
    assert 4 * 3600 - 5 <= int(dialog["data-seconds-left"]) <= 4 * 3600
    assert int(dialog["data-warn-seconds"]) == 5 * 60
    assert "Stay signed in" in [b.get_text(strip=True) for b in dialog.find_all("button")]


def signed_in_since(client, make, hours: int) -> None:
    user = make.member()
    client.sign_in(user.email)
    since = utcnow() - timedelta(hours=hours)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    row.created_at = since
    db.session.commit()
    with client.http.session_transaction() as cookie:
        cookie["session_started"] = since.timestamp()


def test_the_limit_from_signing_in_comes_first_near_its_end(client, make):
    signed_in_since(client, make, 23)
    dialog = warning_of(client.get("/account"))
    assert 3590 <= int(dialog["data-seconds-left"]) <= 3600
    assert 3590 <= int(dialog["data-limit-seconds-left"]) <= 3600
    # Near that limit the warning says so, and that staying signed in cannot move it.
    final = dialog.select_one("[data-timeout-state=final]")
    assert "You signed in 24 hours ago" in final.get_text(" ", strip=True)
    assert [b.get_text(strip=True) for b in final.find_all("button")] == ["Continue", "Sign out"]


def test_the_limit_from_signing_in_is_longer_than_20_hours(client, make):
    """WCAG 2.2.1's 20-hour exception: the one limit that cannot be extended is longer than
    20 hours (the idle limit can be, as often as needed: "Stay signed in")."""
    client.sign_in(make.member().email)
    dialog = warning_of(client.get("/account"))
    assert int(dialog["data-limit-seconds-left"]) > 20 * 3600
    assert int(dialog["data-seconds-left"]) < int(dialog["data-limit-seconds-left"])


def test_past_the_limit_from_signing_in_the_session_has_ended(client, make):
    signed_in_since(client, make, 25)
    assert client.get("/account").headers["Location"].startswith("/sign-in")
    assert warning_of(client.get("/register")) is None


def test_stay_signed_in_restarts_the_idle_time(client, make):
    token = signed_in_token(client, make)
    response = client.post(
        "/account/stay-signed-in",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert 4 * 3600 - 5 <= response.json["seconds_left"] <= 4 * 3600
    assert "session=" in response.headers["Set-Cookie"]  # the cookie is set again


def test_stay_signed_in_needs_the_csrf_token(client, make):
    user = make.member()
    client.sign_in(user.email)
    response = client.post("/account/stay-signed-in", headers={"Accept": "application/json"})
    assert response.status_code == 400


def test_stay_signed_in_without_javascript_goes_back_to_the_page(client, make):
    token = signed_in_token(client, make)
    response = client.post(
        "/account/stay-signed-in",
        data={"csrf_token": token},
        headers={"Sec-Fetch-Site": "same-origin", "Referer": "http://localhost/account"},
    )
    assert response.headers["Location"] == "/account"
    assert "You are still signed in." in client.get("/account").text


def test_a_session_from_before_the_warning_is_timed_from_its_row(client, make):
    client.sign_in(make.member().email)
    with client.http.session_transaction() as cookie:
        del cookie["session_started"]
    dialog = warning_of(client.get("/account"))
    assert 4 * 3600 - 5 <= int(dialog["data-seconds-left"]) <= 4 * 3600
