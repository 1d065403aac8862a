"""Configuration from the environment, and refusing to start when it is unsafe."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from marks import create_app
from marks.config import (
    CERTIFICATE_SIGNING,
    ConfigurationError,
    check,
    database_url,
    signing_keys,
)
from marks.extensions import close_connections, db
from tests.helpers.signing_keys import credential_signing_key

# What `python3 -c "import secrets; print(secrets.token_hex(32))"` prints, as the guide says.
A_GOOD_KEY = "5f0c6b1e0d9a4c27b3e8f6a1d2c4b7e9a0f3d6c8b1e4a7d0c3f6b9e2a5d8c1f4"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", A_GOOD_KEY)
    monkeypatch.setenv("CREDENTIAL_SIGNING_KEY", credential_signing_key())
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    monkeypatch.setenv("MARKS_BASE_URL", "https://mark.council.example/")
    app = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MARKS_BASE_URL"] == "https://mark.council.example"
    assert app.config["MAIL_BACKEND"] == "smtp"
    # Plain HTTP is sent to HTTPS, with HSTS.
    response = app.test_client().get("/register")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://")


def production(**settings) -> dict:
    # The signing key and certificate: the tests' own (tests/conftest.py); test_signing.py
    # tests their absence.
    signing = {name: os.environ.get(name) for name in CERTIFICATE_SIGNING}
    return {
        "MARKS_ENV": "production",
        "MAIL_BACKEND": "smtp",
        "CREDENTIAL_SIGNING_KEY": credential_signing_key(),
        **signing,
        **settings,
    }


@pytest.mark.parametrize(
    "key",
    [
        "replace-with-64-hex-characters",  # docs/deploy/marks.env's placeholder, as it is
        "replace-with-a-secret-of-your-own-that-nobody-could-ever-guess",  # any placeholder
        "a-real-secret",  # 13 characters
        "production-secret-key-for-test",  # 30
        "0" * 64,  # long, but one character: no secret at all
        "abababababababababababababababab",  # 32, but two characters
    ],
)
def test_production_refuses_a_placeholder_or_weak_secret_key(key):
    with pytest.raises(ConfigurationError, match="SECRET_KEY") as refused:
        check(production(SECRET_KEY=key))
    assert key not in str(refused.value)  # the message never repeats the key (it is logged)
    assert "secrets.token_hex(32)" in str(refused.value)


def test_production_refuses_the_env_file_template_as_it_is(monkeypatch):
    template = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "marks.env"
    placeholder = re.search(r"^SECRET_KEY=(.*)$", template.read_text(), re.MULTILINE).group(1)
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", placeholder)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is the placeholder"):
        create_app({"RATELIMIT_STORAGE_URI": "memory://"})


@pytest.mark.parametrize(
    "key", [A_GOOD_KEY, "x7Qp-2mZ9_rT4vW8yB1nC6fH3jK5lD0s", "correct horse battery staple 1987!"]
)
def test_production_accepts_a_generated_key_or_a_long_passphrase(key):
    check(production(SECRET_KEY=key))


def test_a_weak_or_placeholder_fallback_key_is_refused_too():
    # A fallback signs nothing new but still opens sessions: one anyone can guess would let
    # them forge one.
    with pytest.raises(ConfigurationError, match="SECRET_KEY_FALLBACKS"):
        check(production(SECRET_KEY=A_GOOD_KEY, SECRET_KEY_FALLBACKS=["short"]))
    check(production(SECRET_KEY=A_GOOD_KEY, SECRET_KEY_FALLBACKS=[A_GOOD_KEY[::-1]]))


def test_development_accepts_any_key():
    check({"MARKS_ENV": "development", "SECRET_KEY": "dev", "MAIL_BACKEND": "log"})


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("", []),
        ("  ", []),
        ("old-one", ["old-one"]),
        ("old-one,older-one", ["old-one", "older-one"]),
        ("old-one, older-one", ["old-one", "older-one"]),
        ("old-one older-one\tolder-still", ["old-one", "older-one", "older-still"]),
    ],
)
def test_fallback_keys_are_read_from_the_environment(monkeypatch, tmp_path, given, read):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", given)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/f.sqlite3")
    app = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SECRET_KEY_FALLBACKS"] == read


def test_links_are_signed_with_the_key_and_checked_against_the_fallbacks_too():
    config = {"SECRET_KEY": "new", "SECRET_KEY_FALLBACKS": ["oldest", "old"]}
    # itsdangerous signs with the last key and tries them all, newest first.
    assert signing_keys(config) == ["oldest", "old", "new"]
    assert signing_keys({"SECRET_KEY": "only", "SECRET_KEY_FALLBACKS": None}) == ["only"]


def test_development_runs_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("MARKS_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SECRET_KEY"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/marks.sqlite3")
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgresql_urls_use_psycopg_3(given, used):
    assert database_url(given) == used


def test_a_postgresql_connection_attempt_gives_up_in_seconds():
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    with app.app_context(), db.engine.connect() as connection:
        parameters = connection.connection.dbapi_connection.info.get_parameters()
        assert parameters["connect_timeout"] == "5"
    with app.app_context():
        close_connections()
    sqlite = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    assert "connect_args" not in sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"]


TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "marks.env"


def template_value(name: str) -> str:
    """A setting as docs/deploy/marks.env holds it (quotes taken off, as systemd does)."""
    value = re.search(rf"^{name}=(.*)$", TEMPLATE.read_text(), re.MULTILINE).group(1)
    return value.strip('"')


# Replaced as the guide says: what a council's own settings might hold.
OWN_SETTINGS = {
    "SECRET_KEY": A_GOOD_KEY,
    "MARKS_BASE_URL": "https://mark.council.example",
    "MAIL_SERVER": "smtp.council.example",
    "MAIL_PASSWORD": "the relay's own password",
    "MAIL_SENDER": "Social Media Friendly Mark <noreply@mark.council.example>",
    "RATELIMIT_STORAGE_URI": "redis://:an%24own-password@127.0.0.1:6379/0",
    "CACHE_REDIS_URL": "redis://:an%24own-password@127.0.0.1:6379/1",
}


@pytest.mark.parametrize("name", [name for name in OWN_SETTINGS if name != "SECRET_KEY"])
def test_production_refuses_the_templates_examples_of_addresses_and_passwords(name):
    """Left as the template has them, emails would go nowhere, or from an address the council
    does not own, with links (and certificates) naming a site that is not theirs; and Redis,
    with its password set as the guide says, would refuse the app."""
    example = template_value(name)
    with pytest.raises(
        ConfigurationError, match=f"^{name} holds the settings template's"
    ) as refused:
        check(production(**{**OWN_SETTINGS, name: example}))
    if name == "MAIL_PASSWORD":
        assert example not in str(refused.value)  # a password's setting is never quoted
    check(production(**OWN_SETTINGS))
    check({**production(**OWN_SETTINGS), "MARKS_ENV": "development", name: example})


def test_production_refuses_the_templates_examples_however_they_are_typed():
    with pytest.raises(ConfigurationError, match=r"^MARKS_BASE_URL holds"):
        check(production(**{**OWN_SETTINGS, "MARKS_BASE_URL": "HTTPS://Mark.Example.org/"}))
    with pytest.raises(ConfigurationError, match=r"^MAIL_SERVER holds"):
        check(production(**{**OWN_SETTINGS, "MAIL_SERVER": " smtp.example.org "}))
    # Redis moved elsewhere, but its password still the placeholder.
    elsewhere = "redis://:replace-with-the-redis-password@10.0.0.5:6379/0"
    with pytest.raises(ConfigurationError, match=r"^RATELIMIT_STORAGE_URI holds"):
        check(production(**{**OWN_SETTINGS, "RATELIMIT_STORAGE_URI": elsewhere}))


def test_production_names_every_refused_setting_at_once():
    """The settings check (`marks-flask routes`) says all that is wrong in one go, not one
    setting a try."""
    template = {name: template_value(name) for name in OWN_SETTINGS}
    with pytest.raises(ConfigurationError) as refused:
        check(production(**template))
    named = [problem.split()[0] for problem in refused.value.problems]
    assert named == list(OWN_SETTINGS), refused.value.problems
    assert str(refused.value).splitlines() == refused.value.problems


def test_production_refuses_a_relay_login_without_a_password():
    """mail.py logs in whenever MAIL_USERNAME is set: with no password, every email would fail
    at the relay. A relay with no login has both empty."""
    for empty in ("", None):
        with pytest.raises(ConfigurationError, match=r"^MAIL_USERNAME is set but MAIL_PASSWORD"):
            check(production(**{**OWN_SETTINGS, "MAIL_USERNAME": "marks", "MAIL_PASSWORD": empty}))
    check(production(**{**OWN_SETTINGS, "MAIL_USERNAME": "", "MAIL_PASSWORD": ""}))
    check(production(**{**OWN_SETTINGS, "MAIL_USERNAME": "marks"}))
    assert template_value("MAIL_USERNAME") == "marks"  # the template's comment says to empty it
    assert "no login: leave both MAIL_USERNAME and MAIL_PASSWORD empty." in TEMPLATE.read_text()


def test_production_refuses_both_kinds_of_tls_for_the_relay():
    with pytest.raises(ConfigurationError, match=r"^MAIL_USE_SSL and MAIL_USE_TLS"):
        check(production(**OWN_SETTINGS, MAIL_USE_SSL=True, MAIL_USE_TLS=True))
    check(production(**OWN_SETTINGS, MAIL_USE_SSL=True, MAIL_USE_TLS=False))
