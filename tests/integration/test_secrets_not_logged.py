"""Secrets never reach the logs: every log record, at DEBUG, while people sign up, confirm their
address, sign in (rightly and wrongly), reset a password, are invited and accept, and the
worker sends the emails through an SMTP server that asks for a password. No password, no
SECRET_KEY, no token of an emailed link, no database or mail password appears.

The development mail backend ("log") prints whole emails, links and all, so that a developer
can follow them: the production settings refuse it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask import Flask
from sqlalchemy.exc import IntegrityError

from marks import create_app
from marks.awarding import signing
from marks.config import ConfigurationError
from marks.config import database_url as driver_url
from marks.extensions import close_connections, db
from marks.logs import REDACTED, token_prefixes
from marks.models import Certificate, Email, User
from marks.people import users
from marks.states import EmailState, MembershipRole
from tests import factories
from tests.conftest import app_config, reset_database, separate_database
from tests.helpers.proxy import behind_the_proxy
from tests.helpers.servers import free_port
from tests.helpers.signing import authority_in_use, pkcs12_settings
from tests.helpers.signing_keys import credential_signing_key
from tests.pages import DEMO_PASSWORD

SIGN_UP_PASSWORD = "sign-up-password-4a7c"
WRONG_PASSWORD = "wrong-password-9d2e"
NEW_PASSWORD = "reset-password-b81f"
MAIL_PASSWORD = "mail-server-password-55e1"
DB_PASSWORD = "database-password-c3d9"
SIGNING_PASSWORD = "signing-password-0b7e"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == MAIL_PASSWORD.encode())

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A mail server that asks for a user name and password (over plain SMTP, on localhost)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def deployed(tmp_path_factory, monkeypatch, caplog, smtp) -> Iterator[Flask]:
    """The app as deployed (production settings from the environment, behind the proxy), on a
    database of its own, with every logger at DEBUG."""
    database = separate_database(tmp_path_factory, "secrets")
    migrated = create_app(app_config(database.url))
    reset_database(migrated)  # as `flask db upgrade` would, in a process of its own
    with migrated.app_context():
        close_connections()
    url = sa.make_url(driver_url(database.url))
    if url.get_backend_name() == "postgresql":
        url = url.set(username=url.username or "postgres", password=DB_PASSWORD)  # trust auth
    environment = {
        "MARKS_ENV": "production",
        "SECRET_KEY": "production-secret-key-for-the-tests-only",
        "CREDENTIAL_SIGNING_KEY": credential_signing_key(),
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "TRUSTED_PROXIES": "1",
        "MARKS_BASE_URL": "https://mark.council.example",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp[1]),
        "MAIL_USERNAME": "marks",
        "MAIL_PASSWORD": MAIL_PASSWORD,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = app_config(database.url)
    for name in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "MARKS_BASE_URL", "MAIL_BACKEND"):
        config.pop(name)  # from the environment, as in production
    app = create_app(config)
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        yield app
        db.session.remove()
        close_connections()
    database.drop()


def latest_link(address: str) -> str:
    """The path of the link in the latest email to this address."""
    body = db.session.scalars(
        sa.select(Email.body_text).where(Email.to_address == address).order_by(Email.id.desc())
    ).first()
    db.session.commit()  # no transaction left open (SQLite would lock the app out)
    return re.search(r"https://mark\.council\.example(/\S+)", body).group(1)


def tokens_in_emails(prefixes: list[str]) -> dict[str, set[str]]:
    """The tokens in the links of every email queued, by the path before them."""
    bodies = db.session.scalars(sa.select(Email.body_text)).all()
    return {
        prefix: {t for body in bodies for t in re.findall(re.escape(prefix) + r"([^\s/?#]+)", body)}
        for prefix in prefixes
    }


@pytest.mark.real_database
def test_no_secret_reaches_the_logs(deployed, smtp, caplog):
    factories.demo_edition()
    admin = factories.administrator().email
    lead = factories.member(role=MembershipRole.LEAD).email
    colleague = factories.user(email="colleague@example.gov.uk").email
    db.session.commit()  # and no transaction left open: SQLite would lock the app out
    person = "new.person@darlington.gov.uk"

    # Sign up; sign in before confirming (a fresh link); confirm; sign in, wrongly then rightly.
    visitor = behind_the_proxy(deployed)
    details = {"full_name": "Nia Newcomer", "email": person}
    passwords = {"password": SIGN_UP_PASSWORD, "confirm": SIGN_UP_PASSWORD}
    assert visitor.submit("/sign-up", details | passwords).status_code == 302
    page = visitor.submit("/sign-in", {"email": person, "password": SIGN_UP_PASSWORD})
    assert page.h1 == "Confirm your email address"
    assert visitor.get(latest_link(person)).status_code == 302
    page = visitor.submit("/sign-in", {"email": person, "password": WRONG_PASSWORD})
    assert page.error_summary() == ["Enter a correct email address and password"]
    visitor.sign_in(person, SIGN_UP_PASSWORD)

    # A forgotten password, reset through the emailed link (a GET, then a POST to it).
    stranger = behind_the_proxy(deployed)
    stranger.submit("/forgotten-password", {"email": person})
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert stranger.submit(latest_link(person), new).headers["Location"] == "/sign-in"
    stranger.sign_in(person, NEW_PASSWORD)

    # An administrator invites them to assess; a council's lead invites a colleague.
    staff = behind_the_proxy(deployed)
    staff.sign_in(admin)
    staff.submit("/admin/people/invite", {"email": person, "kind": "assessor"})
    assert stranger.submit(latest_link(person), {}).headers["Location"] == "/assess/"
    council = behind_the_proxy(deployed)
    council.sign_in(lead)
    council.submit("/apply/members/invite", {"email": colleague})
    joining = behind_the_proxy(deployed)
    joining.sign_in(colleague)
    assert joining.submit(latest_link(colleague), {}).status_code == 302

    # The worker sends all of it through the password-protected server.
    result = deployed.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    inbox, _ = smtp
    queued = db.session.scalars(sa.select(Email.state)).all()
    db.session.commit()
    assert queued and set(queued) == {EmailState.SENT}
    assert len(inbox.messages) == len(queued)
    assert inbox.logins[0] == (b"marks", MAIL_PASSWORD.encode())

    found = tokens_in_emails(token_prefixes(deployed))
    assert all(found.values()), found  # a link of each kind was sent (and followed)
    secrets = {
        SIGN_UP_PASSWORD,
        WRONG_PASSWORD,
        NEW_PASSWORD,
        DEMO_PASSWORD,
        MAIL_PASSWORD,
        DB_PASSWORD,
        deployed.config["SECRET_KEY"],
        *set().union(*found.values()),
        # What a stolen log would let someone crack offline.
        *db.session.scalars(sa.select(User.password_hash)),
    }
    # The service's own records: the stand-in mail server ("mail.log") logs its side.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    logged = "\n".join(caplog.handler.format(r) for r in ours)
    assert "factory.generate" in {r.name for r in ours}  # DEBUG records are captured
    leaked = sorted(secret for secret in secrets if secret in logged)
    assert leaked == []


@pytest.mark.real_database  # its own engine, not the test's shared connection
def test_a_database_password_is_never_logged(caplog):
    caplog.set_level(logging.DEBUG)
    url = f"postgresql+psycopg://marks:{DB_PASSWORD}@127.0.0.1:9/marks"
    unreachable = create_app(app_config(url))
    client = unreachable.test_client()
    assert client.get("/healthz").json["database"] == "unreachable"
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    data = {"email": "someone@example.gov.uk", "password": "x" * 12, "csrf_token": token}
    response = client.post("/sign-in", data=data)
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in response.get_data(as_text=True)
    assert "Connection refused" in caplog.text  # the error is logged, the password is not
    assert DB_PASSWORD not in caplog.text


def test_tokens_in_request_lines_are_redacted(production, caplog):
    """The servers' request logs (werkzeug's, gunicorn's) and the app's own error messages
    carry the path: the token in it is replaced."""
    caplog.set_level(logging.DEBUG)
    token = "eyJ1c2VyIjo0Mn0.Zx-secret-token"
    lines = {
        "werkzeug": '127.0.0.1 - - "GET /confirm-email/%s HTTP/1.1" 302 -',
        "gunicorn.access": '203.0.113.7 "POST /reset-password/%s HTTP/1.0" 302 "%s"',
        "marks": "Exception on /account/invitations/%s [POST]",
    }
    logging.getLogger("werkzeug").info(lines["werkzeug"], token)
    logging.getLogger("gunicorn.access").info(
        lines["gunicorn.access"], token, f"https://mark.example.org/reset-password/{token}"
    )
    production.logger.error(lines["marks"], token)
    production.logger.info("Email to %s", f"https://mark.example.org/apply/invitations/{token}")
    assert token not in caplog.text
    assert caplog.text.count(f"/{REDACTED}") == 5
    assert "GET /confirm-email/[redacted] HTTP/1.1" in caplog.text


def test_every_route_with_a_token_is_redacted(production):
    with_tokens = {
        rule.rule for rule in production.url_map.iter_rules() if "token" in rule.arguments
    }
    assert with_tokens == {
        "/confirm-email/<token>",
        "/reset-password/<token>",
        "/account/invitations/<token>",
        "/apply/invitations/<token>",
    }
    assert token_prefixes(production) == sorted(rule.split("<")[0] for rule in with_tokens)


def test_production_refuses_the_log_mail_backend(monkeypatch, database_url):
    monkeypatch.setenv("MARKS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-of-32-characters-or-more")
    monkeypatch.setenv("MAIL_BACKEND", "log")
    config = app_config(database_url)
    for name in ("SECRET_KEY", "MAIL_BACKEND"):
        config.pop(name)  # from the environment, as in production
    with pytest.raises(ConfigurationError, match="MAIL_BACKEND=log writes whole emails"):
        create_app(config)


def test_development_logs_whole_emails_so_that_links_can_be_followed(
    app, make, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    # A production app built earlier in this process has put its filter on the shared logger.
    monkeypatch.setattr(logging.getLogger("marks"), "filters", [])
    user = make.user(email="dev@example.gov.uk")
    with app.test_request_context():
        users.send_password_reset(user.email)
    [email] = db.session.scalars(sa.select(Email).where(Email.to_address == user.email))
    link = re.search(r"http://marks\.test(/reset-password/\S+)", email.body_text).group(1)
    assert link in caplog.text  # development only (MAIL_BACKEND=log): see the test above


def test_a_database_error_message_carries_no_parameters(app, make):
    """An error's message (logged with a 500) would otherwise quote the statement's values."""
    user = make.user()
    with pytest.raises(IntegrityError) as error, db.session.begin_nested():
        db.session.execute(
            sa.insert(User).values(
                email=user.email, full_name="Copy", password_hash="$argon2id$secret-hash"
            )
        )
    assert "secret-hash" not in str(error.value)
    assert "parameters hidden" in str(error.value)


def test_the_certificate_signing_key_and_password_are_never_logged(
    app, make, edition, caplog, tmp_path, monkeypatch
):
    """Signing certificates (a PKCS#12 file and its password), and refusing a wrong password,
    log neither the password nor the key."""
    caplog.set_level(logging.DEBUG)
    authority = authority_in_use()
    settings = pkcs12_settings(authority, tmp_path / "issuer.p12", SIGNING_PASSWORD)
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    award = make.award()  # its certificate signed with the PKCS#12's key
    stored = db.session.scalar(sa.select(Certificate).where(Certificate.award_id == award.id))
    assert b"/ETSI.CAdES.detached" in stored.pdf
    wrong = {**settings, "CERTIFICATE_SIGNING_PASSWORD": WRONG_PASSWORD}
    refused = signing.settings_problem(wrong)
    assert refused and "could not be read" in refused

    key_body = "".join(authority.key.read_text().splitlines()[1:-1])
    for secret in (SIGNING_PASSWORD, WRONG_PASSWORD, key_body[:40], key_body[-40:]):
        assert secret not in caplog.text
        assert secret not in refused
