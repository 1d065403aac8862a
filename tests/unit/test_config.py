"""Configuration from the environment, and refusing to start when it is unsafe."""

from __future__ import annotations

import pytest

from marks import create_app
from marks.config import ConfigurationError, database_url
from marks.extensions import close_connections, db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    monkeypatch.setenv("MARKS_BASE_URL", "https://mark.example.org/")
    app = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MARKS_BASE_URL"] == "https://mark.example.org"
    assert app.config["MAIL_BACKEND"] == "smtp"
    # Plain HTTP is sent to HTTPS, with HSTS.
    response = app.test_client().get("/healthz")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://")


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
