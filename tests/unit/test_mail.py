"""The outbox: queued in the caller's transaction, sent by the worker through a real SMTP
server (aiosmtpd on localhost), retried when the server refuses, never sent twice."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from marks import mail, workflow
from marks.extensions import db
from marks.models import Email, utcnow
from marks.states import EmailState
from tests.helpers.outbox import queue_one
from tests.helpers.servers import Inbox, free_port


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    old = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    app.config.update(old)
    controller.stop()


def test_an_email_is_rendered_from_its_template(make):
    email = queue_one(make)
    assert email.subject == "Your password has been changed"
    assert email.body_text.startswith("Dear Pat <Officer>,")  # plain text: nothing escaped
    assert "http://marks.test" in email.body_text
    assert email.state == EmailState.QUEUED


def test_the_worker_sends_through_smtp_once(make, smtp):
    email = queue_one(make)
    assert mail.send_queued() == (1, 0)
    [message] = smtp.messages
    assert message.rcpt_tos == [email.to_address]
    assert b"Subject: Your password has been changed" in message.content
    db.session.refresh(email)
    assert email.state == EmailState.SENT
    assert email.sent_at is not None
    assert mail.send_queued() == (0, 0)
    assert len(smtp.messages) == 1


def test_a_refusing_server_leaves_the_email_queued_for_a_retry(app, make):
    email = queue_one(make)
    old = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    try:
        assert mail.send_queued() == (0, 1)
    finally:
        app.config.update(old)
    db.session.refresh(email)
    assert email.state == EmailState.QUEUED
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at > utcnow()
    # Not due yet: the next run leaves it alone.
    assert mail.send_queued() == (0, 0)


def test_an_email_that_keeps_failing_is_marked_failed(app, make):
    email = queue_one(make)
    old = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    try:
        for _ in range(mail.MAX_ATTEMPTS):
            email.next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.flush()
            mail.send_queued()
            db.session.refresh(email)
    finally:
        app.config.update(old)
    assert email.state == EmailState.FAILED
    assert email.attempts == mail.MAX_ATTEMPTS
    # An administrator may send it again (workflow.EMAIL), nobody else; and only once.
    admin = make.administrator()
    assert workflow.available(email, make.user()) == []
    assert workflow.available(email, admin) == ["resend"]
    with pytest.raises(mail.ResendRefused, match="You may not resend"):
        mail.resend(email, actor=make.assessor())
    mail.resend(email, actor=admin)
    assert (email.state, email.attempts, email.next_attempt_at) == (EmailState.QUEUED, 0, None)
    assert workflow.available(email, admin) == []
    with pytest.raises(mail.ResendRefused, match="this one is queued"):
        mail.resend(email, actor=admin)


def test_an_email_queued_in_a_transaction_that_fails_is_never_sent(make):
    user = make.user()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        mail.queue(user.email, "password_changed", user=user)
        raise RuntimeError("the change failed half-way")
    count = db.session.scalar(sa.select(sa.func.count(Email.id)))
    assert count == 0


def test_a_subject_is_one_line_without_control_characters(app):
    council = SimpleNamespace(name="Evil\r\nBcc: x@evil.example\x01\x7f Council\u202e")
    with app.test_request_context():
        subject, _, _ = mail.render(
            "application_resubmitted", council=council, recipient=SimpleNamespace(full_name="A")
        )
    assert subject == "Evil Bcc: x@evil.example Council\u202e has sent the information asked for"
    message = EmailMessage()
    message["Subject"] = subject  # a header Python's email accepts as it is
    assert "\n" not in message["Subject"]


def sent_message(envelope) -> EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_an_email_says_when_it_was_sent(make, smtp):
    queue_one(make)
    before = datetime.now(UTC).replace(microsecond=0)
    mail.send_queued()
    [envelope] = smtp.messages
    date = sent_message(envelope)["Date"]
    assert date is not None, "no Date: header"
    sent = email.utils.parsedate_to_datetime(str(date))
    assert sent.utcoffset() == timedelta(0)  # in UTC, as RFC 5322 allows and readers expect
    assert before <= sent <= datetime.now(UTC) + timedelta(seconds=1)


def test_the_message_id_is_on_the_senders_domain_and_kept_when_sent_again(
    app, make, smtp, monkeypatch
):
    sender = "Social Media Friendly Mark <noreply@mark.example.org>"
    monkeypatch.setitem(app.config, "MAIL_SENDER", sender)
    monkeypatch.setitem(app.config, "MARKS_BASE_URL", "https://elsewhere.example")
    first = queue_one(make)
    second = queue_one(make)
    mail.send_queued()
    ids = [str(sent_message(envelope)["Message-ID"]) for envelope in smtp.messages]
    assert all(re.fullmatch(r"<[^<>@\s]+@mark\.example\.org>", each) for each in ids), ids
    assert ids[0] != ids[1]
    # Not the bare row id: two installations (or a test server restored from a backup and
    # then a new one) would reuse it.
    assert all(f"<marks-{row.id}@" not in ids[i] for i, row in enumerate((first, second)))
    # A retried or resent email is the same message: it keeps its Message-ID.
    outgoing = mail.Outgoing(
        *db.session.execute(sa.select(*mail.Outgoing.COLUMNS).where(Email.id == first.id)).one()
    )
    mail.deliver(outgoing)
    assert str(sent_message(smtp.messages[-1])["Message-ID"]) == ids[0]


def relays_certificate(tmp_path) -> tuple:
    """A certificate no one has vouched for (as a machine in the middle would have), and a
    server's TLS context with it."""
    cert, key = tmp_path / "relay.pem", tmp_path / "relay.key"
    openssl = [
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        *("-keyout", str(key), "-out", str(cert)),
    ]
    subprocess.run(openssl, check=True, capture_output=True)  # noqa: S603
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


@pytest.fixture
def relay_with_its_own_certificate(app, tmp_path, monkeypatch):
    """A relay that speaks STARTTLS with a certificate no one has vouched for (as a machine in
    the middle would), and its certificate, to trust where a test means to."""
    cert, context = relays_certificate(tmp_path)
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True
    )
    controller.start()
    for name, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": True,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    yield inbox, cert
    controller.stop()


def test_starttls_checks_the_relays_certificate(make, relay_with_its_own_certificate, monkeypatch):
    """The relay's password and every emailed link cross this connection: a relay whose
    certificate is not trusted gets nothing; trusted (here through SSL_CERT_FILE, as the
    system's store would), it gets the email."""
    inbox, cert = relay_with_its_own_certificate
    email = queue_one(make)
    with pytest.raises(ssl.SSLCertVerificationError):
        mail.deliver(email)
    assert inbox.messages == []

    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    mail.deliver(email)
    assert len(inbox.messages) == 1


def test_implicit_tls_on_port_465_checks_the_relays_certificate(make, app, tmp_path, monkeypatch):
    """MAIL_USE_SSL=1: a relay that speaks TLS from the first byte (port 465, no STARTTLS),
    its certificate checked as STARTTLS's is."""
    cert, context = relays_certificate(tmp_path)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    try:
        for name, value in {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": controller.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": True,
        }.items():
            monkeypatch.setitem(app.config, name, value)
        email = queue_one(make)
        with pytest.raises(ssl.SSLCertVerificationError):
            mail.deliver(email)
        assert inbox.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        mail.deliver(email)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
