"""Fixtures: one app and one migrated database for the session; each test in a transaction
that is rolled back. Set TEST_DATABASE_URL to run the suite on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from marks import create_app
from marks.awarding import signing
from marks.config import CERTIFICATE_SIGNING
from marks.config import database_url as driver_url
from marks.extensions import cache, close_connections, db, limiter
from tests import factories
from tests.helpers.issuer import set_test_issuer
from tests.helpers.servers import redis_url
from tests.helpers.signing import AUTHORITY_NAME
from tests.helpers.signing_keys import credential_signing_key
from tests.pages import PageClient

FAST_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
# One prefix for every app this run builds: the limiter is shared by them all.
RATELIMIT_KEY_PREFIX = f"marks-test-{uuid.uuid4().hex[:8]}"


def app_config(database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MARKS_BASE_URL": "http://marks.test",
        "MAIL_BACKEND": "log",
        "PASSWORD_HASH": FAST_PASSWORD_HASH,
        # Redis, as in production, so that the limits are tested for real.
        "RATELIMIT_STORAGE_URI": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "RATELIMIT_KEY_PREFIX": RATELIMIT_KEY_PREFIX,
        # limiter.reset() clears the storage's prefix: this run's own, not another run's.
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": RATELIMIT_KEY_PREFIX},
        "SERVER_NAME": None,
        "CREDENTIAL_SIGNING_KEY": credential_signing_key(),
    }
    config.update(overrides)
    return config


def redis_at(port: int, limits_db: int = 0, cache_db: int = 1, password: str | None = None) -> dict:
    """The settings of an app whose rate limits and register cache are in Redis at `port`, in
    these databases (the suite's own Redis: 15, as app_config's limits), with this password."""
    return {
        "RATELIMIT_STORAGE_URI": redis_url(port, limits_db, password),
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_url(port, cache_db, password),
    }


@contextmanager
def app_with(app: Flask, config: dict) -> Iterator[Flask]:
    """Another app with these settings, on the test database (and in the test's transaction).
    The rate limiter is one object that every app shares (marks/extensions.py): given back to
    the suite's app afterwards."""
    other = create_app(config)
    try:
        yield other
    finally:
        with other.app_context():
            close_connections()
        limiter.init_app(app)


def reset_database(app: Flask) -> None:
    """Drop everything, then build the schema through the migrations, as production does."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                db.metadata.drop_all(connection)
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        set_test_issuer()  # approving needs one (test_scheme_settings.py clears it)
        db.session.commit()


@dataclass
class SeparateDatabase:
    url: str
    drop: Callable[[], None] = lambda: None


def separate_database(tmp_path_factory: pytest.TempPathFactory, suffix: str) -> SeparateDatabase:
    """A database of its own, for tests that commit for real (browser, concurrency): never the
    rolled-back test database. SQLite: a new file; PostgreSQL: <test database>_<suffix>_<run>,
    named for this run so that two runs on one server never drop each other's."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        path = Path(tmp_path_factory.mktemp(f"{suffix}-db")) / f"{suffix}.sqlite3"
        return SeparateDatabase("sqlite:///" + str(path))

    test_url = sa.make_url(driver_url(url))
    name = f"{test_url.database}_{suffix}_{RATELIMIT_KEY_PREFIX.rsplit('-', 1)[-1]}"
    server = sa.create_engine(test_url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with server.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(sa.text(statement.format(quoted)))

    def drop() -> None:
        try:
            run("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        finally:
            server.dispose()

    run("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    run("CREATE DATABASE {}")
    return SeparateDatabase(test_url.set(database=name).render_as_string(hide_password=False), drop)


@pytest.fixture(scope="session", autouse=True)
def certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[signing.Authority]:
    """The tests' own certificate authority and signing certificate, made once, whose files
    every app of the run signs certificates with, and the key that signs its credentials:
    through the environment, so that apps built with production settings, and servers
    started as processes, have them too."""
    authority = signing.make_authority(tmp_path_factory.mktemp("signing"), AUTHORITY_NAME)
    names = (*CERTIFICATE_SIGNING, "CREDENTIAL_SIGNING_KEY")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(authority.settings())
    os.environ["CREDENTIAL_SIGNING_KEY"] = credential_signing_key()
    yield authority
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(tmp_path_factory.mktemp("db")) / "test.sqlite3")


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(app_config(database_url))
    reset_database(app)
    yield app
    with app.app_context():
        # Closed now: left to the garbage collector, an open psycopg connection warns
        # (an error) whenever a collection happens to run before pytest ends.
        close_connections()


@pytest.fixture(autouse=True)
def _rolled_back(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test inside a transaction that is rolled back (browser tests and those marked
    real_database bring a database of their own)."""
    if "browser" in request.keywords or "real_database" in request.keywords:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain Session bound to the connection (Flask-SQLAlchemy's own would pick the
        # engine), one per app context as in the app; each commit releases a savepoint.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        limiter.reset()
        cache.clear()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> PageClient:
    return PageClient(app)


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """The factories, bound to the test's session."""
    return factories
