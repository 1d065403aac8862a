"""The health check tells the truth, and a Redis outage is not an outage of the service.

/healthz answers monitors and load balancers over plain HTTP (they call it on the inside,
without the proxy's X-Forwarded-Proto), and checks every engine the pages need: the database,
and Redis (the rate limits' counts and the register's cache). With Redis unreachable, the
pages still work: the register is rendered without its cache, and attempts are counted in the
worker's own memory (per worker, so weaker: it is logged) until Redis answers again."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from marks.config import DEFAULTS
from marks.extensions import db
from marks.models import Email, User
from marks.operations import outages
from tests.conftest import app_config, app_with, redis_at
from tests.helpers.servers import RedisServer, free_port
from tests.helpers.signing_keys import credential_signing_key
from tests.pages import DEMO_PASSWORD, PageClient

SIGN_IN_EMAIL_LIMIT = int(DEFAULTS["SIGN_IN_EMAIL_LIMIT"].split()[0])  # "5 per 15 minutes"
GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()


@pytest.fixture
def redis_down(app, database_url) -> Iterator[Flask]:
    """Redis is not there: its port is closed."""
    with app_with(app, app_config(database_url, **redis_at(free_port()))) as down:
        yield down


def test_a_plain_http_health_check_is_answered_not_redirected(app, database_url, monkeypatch):
    """Load balancers and monitors call it on the inside, over HTTP, with no proxy header:
    FORCE_HTTPS=1 (the template's) must not send them to HTTPS."""
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.setenv(
        "SECRET_KEY", "1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c"
    )
    monkeypatch.setenv("FORCE_HTTPS", "1")
    monkeypatch.setenv("CREDENTIAL_SIGNING_KEY", credential_signing_key())
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    config = app_config(database_url)
    for name in ("SECRET_KEY", "MAIL_BACKEND"):
        config.pop(name)  # from the environment, as in production
    with app_with(app, config) as production:
        http = production.test_client()
        health = http.get("/healthz")
        assert health.status_code == 200, health.headers.get("Location")
        assert health.json["status"] == "ok"
        assert "Strict-Transport-Security" not in health.headers  # ignored over HTTP anyway
        # Every other page still goes to HTTPS.
        page = http.get("/register")
        assert page.status_code == 302
        assert page.headers["Location"] == "https://localhost/register"


def test_healthz_reports_each_check(app, database_url):
    with app_with(app, app_config(database_url, **redis_at(6379, 15, 15))) as up:
        health = up.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.json == {"status": "ok", "app": "ok", "database": "ok", "redis": "ok"}
    # What the guide shows, character for character: compact JSON, which its greps match.
    shown = re.search(r"curl -s http://127\.0\.0\.1:8000/healthz +# (\{.*\})", GUIDE)
    assert health.get_data(as_text=True) == shown.group(1) + "\n"


def test_healthz_is_degraded_naming_redis_when_it_is_unreachable(redis_down):
    """The pages go on without Redis: a load balancer keeps the server (200), monitoring sees
    "degraded" and which engine."""
    health = redis_down.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.json == {
        "status": "degraded",
        "app": "ok",
        "database": "ok",
        "redis": "unreachable",
    }
    # The guide's alert: `curl -s .../healthz | grep -F '"status":"degraded"'`.
    assert """grep -F '"status":"degraded"'""" in GUIDE
    assert '"status":"degraded"' in health.get_data(as_text=True)
    assert '"redis":"unreachable"' in health.get_data(as_text=True)


def test_the_register_is_served_without_its_cache_while_redis_is_unreachable(
    redis_down, make, caplog
):
    make.demo_edition()
    make.council(name="Cacheless Parish Council")
    client = PageClient(redis_down)
    for _ in range(2):
        page = client.get("/register?status=all&q=cacheless")
        assert page.status == 200
        assert page.h1 == "The register of the Social Media Friendly Mark"
        assert "0 councils" in page.text  # it has never held the Mark
    json = client.get("/register.json")
    assert json.status_code == 200 and json.json["count"] == 0
    assert "The register's cache (Redis) is unreachable" in caplog.text


def test_sign_up_and_sign_in_work_while_redis_is_unreachable(redis_down, make, caplog):
    client = PageClient(redis_down)
    data = {
        "full_name": "Rhian Redisless",
        "email": "rhian@cardiff.gov.uk",
        "password": DEMO_PASSWORD,
        "confirm": DEMO_PASSWORD,
    }
    response = client.submit("/sign-up", data)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).h1 == "Check your email"
    queued = sa.select(Email.subject).where(Email.to_address == "rhian@cardiff.gov.uk")
    assert db.session.scalars(queued).all() == ["Confirm your email address"]
    assert db.session.scalar(sa.select(User.full_name).where(User.email == data["email"]))

    member = make.member(email="mo.member@leeds.gov.uk")
    signed_in = PageClient(redis_down)
    assert signed_in.submit("/sign-in", {"email": member.email, "password": DEMO_PASSWORD})
    assert signed_in.get("/account").h1 == "Your account"
    assert "counting attempts in this worker's memory" in caplog.text


def test_attempts_are_still_limited_while_redis_is_unreachable(redis_down, make, caplog):
    """Counted in the worker's memory: the limit per email address still bites."""
    member = make.member(email="guessed@leeds.gov.uk")
    client = PageClient(redis_down)
    statuses = [
        client.submit("/sign-in", {"email": member.email, "password": "wrong password"}).status
        for _ in range(SIGN_IN_EMAIL_LIMIT + 2)
    ]
    assert statuses == [200] * SIGN_IN_EMAIL_LIMIT + [429] * 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    # Logged when the outage starts, not on every attempt.
    assert sum("counting attempts" in r.getMessage() for r in warnings) == 1


# As the guide's `requirepass` (section 1): a password URL-encoded in the settings.
REDIS_PASSWORD = "a $ecret/with:@%"


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A Redis of the test's own, with a password, as the guide sets one up."""
    server = RedisServer(tmp_path, REDIS_PASSWORD).start()
    yield server
    server.stop()


def test_redis_going_away_and_coming_back(app, database_url, redis_server, make, monkeypatch):
    """A real Redis, stopped and started again: the health check follows it, the pages keep
    working, and once it is back the counts and the cache are in it again."""
    monkeypatch.setattr(outages, "RETRY_AFTER", 0)  # try Redis again at once
    member = make.member(email="comes.and.goes@leeds.gov.uk")
    settings = redis_at(redis_server.port, password=REDIS_PASSWORD)
    with app_with(app, app_config(database_url, **settings)) as served:
        client = PageClient(served)

        def health() -> tuple[int, str, str]:
            answer = client.get("/healthz")
            return answer.status_code, answer.json["status"], answer.json["redis"]

        def wrong_password() -> int:
            fields = {"email": member.email, "password": "wrong password"}
            return client.submit("/sign-in", fields).status

        assert health() == (200, "ok", "ok")
        assert wrong_password() == 200
        redis_server.stop()
        assert health() == (200, "degraded", "unreachable")
        assert client.get("/register").status == 200
        assert wrong_password() == 200
        redis_server.start()  # empty: --save "" keeps nothing
        assert health() == (200, "ok", "ok")
        assert client.get("/register").status == 200
        assert wrong_password() == 200
        cached = redis_server.client(1).keys("marks-register-*")
        counted = redis_server.client(0).keys("*attempts*")
        assert cached and counted


@pytest.mark.parametrize("password", ["a wrong password", None])
def test_a_wrong_redis_password_is_an_outage_not_a_failure(
    app, database_url, redis_server, make, caplog, password
):
    """Redis answers, but refuses the app (a wrong password, or none): the health check says
    Redis is unreachable, the pages go on without it as in any outage, the limits still bite
    (counted in the worker's memory), nothing is written to Redis, and no log line holds a
    password."""
    settings = redis_at(redis_server.port, password=password)
    member = make.member(email="wrong.password@leeds.gov.uk")
    with app_with(app, app_config(database_url, **settings)) as refused:
        client = PageClient(refused)
        health = client.get("/healthz")
        assert (health.status_code, health.json["status"], health.json["redis"]) == (
            200,
            "degraded",
            "unreachable",
        )
        assert client.get("/register").status == 200
        fields = {"email": member.email, "password": "wrong password"}
        statuses = [
            client.submit("/sign-in", fields).status for _ in range(SIGN_IN_EMAIL_LIMIT + 1)
        ]
        assert statuses == [200] * SIGN_IN_EMAIL_LIMIT + [429]
    assert redis_server.client(0).dbsize() == 0 and redis_server.client(1).dbsize() == 0
    assert "The rate limits' storage (Redis) is unreachable (AuthenticationError" in caplog.text
    assert "The register's cache (Redis) is unreachable" in caplog.text
    assert REDIS_PASSWORD not in caplog.text
    assert password is None or password not in caplog.text
