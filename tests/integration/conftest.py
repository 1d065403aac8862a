"""Fixtures that more than one file here uses: the demo edition and an award of it; an
administrator, and the test's client signed in as them (a file that needs another person under
these names defines its own); the app with the production settings; and, each built once per
test module, the fault tests' `world` (a database of its own, fault_world.py) and the
deployment tests' `site` (installed from nothing as the guide says, deploy_site.py)."""

from __future__ import annotations

import secrets
import signal
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from marks import create_app
from marks.applying import applications
from marks.extensions import close_connections, db
from marks.states import MembershipRole
from tests import factories
from tests.conftest import app_config, reset_database, separate_database
from tests.helpers.servers import Inbox, RedisServer, free_port
from tests.integration.deploy_site import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CACHE_DB,
    LIMITS_DB,
    ON_POSTGRESQL,
    OWN_SETTINGS,
    REDIS_PASSWORD,
    RELAY_PASSWORD,
    ROOT,
    Site,
    libpq_url,
    make_home,
)
from tests.integration.fault_world import World, fresh_award
from tests.pages import PageClient


@pytest.fixture
def edition(make):
    """The demo edition, published: what councils apply under."""
    return make.demo_edition()


@pytest.fixture
def award(make, edition):
    """An award of the edition's, made as the scheme makes one (factories.award)."""
    return make.award()


@pytest.fixture
def admin(make):
    return make.administrator()


@pytest.fixture
def signed_in(client, admin) -> PageClient:
    client.sign_in(admin.email)
    return client


@pytest.fixture
def production(app, database_url, monkeypatch) -> Iterator[Flask]:
    """The app with the production settings, as docs/deploy/marks.env sets them, on the test
    database (and in the test's transaction)."""
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret-key-for-the-tests-only")
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    monkeypatch.setenv("MARKS_BASE_URL", "https://mark.council.example")
    monkeypatch.setenv("CREDENTIAL_SIGNING_KEY", app.config["CREDENTIAL_SIGNING_KEY"])
    overrides = dict(app_config(database_url))
    for name in ("SECRET_KEY", "MARKS_BASE_URL", "MAIL_BACKEND"):
        overrides.pop(name)  # from the environment, as in production
    production = create_app(overrides)
    yield production
    with production.app_context():
        close_connections()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    database = separate_database(tmp_path_factory, "faults")
    app = create_app(app_config(database.url))
    reset_database(app)
    with app.app_context():
        factories.demo_edition()
        lead = factories.member(role=MembershipRole.LEAD)
        draft = applications.start(lead.membership.council, actor=lead)
        db.session.commit()
        found = World(database.url, app, fresh_award(app), lead.email, draft.id)
    yield found
    with app.app_context():
        db.session.remove()
        close_connections()
    database.drop()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """Installed as the guide says, from nothing: the static files' copies, the env file, `db
    upgrade`, the councils, the first administrator."""
    if not ON_POSTGRESQL:
        pytest.skip("a deployment runs on PostgreSQL: set TEST_DATABASE_URL")
    database = separate_database(tmp_path_factory, "deploy")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    tmp = tmp_path_factory.mktemp("deploy")
    redis_server = RedisServer(tmp, REDIS_PASSWORD).start()
    url = libpq_url(database.url)
    home = make_home(
        tmp,
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=url,
        RATELIMIT_STORAGE_URI=redis_server.url(LIMITS_DB),
        CACHE_REDIS_URL=redis_server.url(CACHE_DB),
        MARKS_BASE_URL=OWN_SETTINGS["MARKS_BASE_URL"],
        MAIL_SENDER=OWN_SETTINGS["MAIL_SENDER"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(controller.port),
        MAIL_USE_TLS="0",  # aiosmtpd here speaks plain SMTP, with no login
        MAIL_USERNAME="",
        # Read literally by systemd: `$`, quotes and spaces must reach every consumer as typed.
        MAIL_PASSWORD=RELAY_PASSWORD,
    )
    site = Site(home, url, inbox, tmp, redis_server)
    try:
        site.compile_static()
        site.marks_flask("db", "upgrade")
        councils = ROOT / "marks" / "data" / "councils-england-wales-2021.csv"
        site.marks_flask("import-councils", str(councils))
        site.marks_flask(
            "create-user",
            "--role=administrator",
            f"--email={ADMIN_EMAIL}",
            "--name=Ada Admin",
            f"--password={ADMIN_PASSWORD}",
        )
        yield site
    finally:
        for process in site.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        controller.stop()
        redis_server.stop()
        database.drop()


@pytest.fixture
def mail_server(app) -> Iterator[Inbox]:
    """A mail server on localhost (aiosmtpd) that the app's worker sends to: its `messages`
    are what the addressees receive."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")
    old = {name: app.config[name] for name in settings}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    app.config.update(old)
    controller.stop()
