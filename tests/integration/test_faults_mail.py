"""Faults of the mail server: a real SMTP server (aiosmtpd) that refuses, for now or for good, at
each step of a delivery, or is not there at all. Each email is delayed and retried, or failed
and shown in the outbox to be sent again; never lost, never sent twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from marks import mail
from marks.extensions import db
from marks.models import Email, utcnow
from marks.states import EmailState
from tests.helpers.outbox import queue_one
from tests.helpers.servers import free_port

# --- The mail server refusing ---------------------------------------------------------------------
# tests/unit/test_mail.py covers a server that is not there (refused, retried, failed after
# MAX_ATTEMPTS) and one that accepts; these add a real server that refuses.


class Scripted:
    """An SMTP server's handler that answers each delivery as scripted, by the reply it makes:
    at MAIL, "553" refuses the sender; at RCPT, "452" the recipient for now (mailbox full),
    "550" for good (no such mailbox); at DATA, "451" the message for now (try later), "554"
    for good (rejected); "421 at QUIT" accepts the message and then answers QUIT with an
    error; anything else, or nothing left, accepts it."""

    REPLIES = {
        "553": "553 5.7.1 Sender address not allowed",
        "452": "452 4.2.2 Mailbox full: try again later",
        "550": "550 5.1.1 No such mailbox here",
        "451": "451 4.3.0 Mailbox busy: try again later",
        "554": "554 5.6.0 Message rejected",
    }

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.delivered: list = []

    async def handle_MAIL(self, server, session, envelope, address, options):
        session.answer = self.answers.pop(0) if self.answers else "accept"
        if session.answer == "553":
            return self.REPLIES["553"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if session.answer in ("452", "550"):
            return self.REPLIES[session.answer]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if session.answer in ("451", "554"):
            return self.REPLIES[session.answer]
        self.delivered.append(envelope)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        return "421 4.3.2 Shutting down" if session.answer == "421 at QUIT" else "221 Bye"


class SmtpServer:
    """aiosmtpd on a port of its own, which can be stopped (connections refused) and started
    again on the same port."""

    def __init__(self, handler: Scripted) -> None:
        self.handler, self.port, self.controller = handler, free_port(), None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app) -> Iterator[Callable[..., SmtpServer]]:
    servers: list[SmtpServer] = []
    old = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}

    def start(*answers: str) -> SmtpServer:
        server = SmtpServer(Scripted(*answers))
        server.start()
        servers.append(server)
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        return server

    yield start
    app.config.update(old)
    for server in servers:
        server.stop()


def send_mail(runner) -> str:
    """The worker, as cron or systemd runs it."""
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def backed_off(email: Email, minutes: int) -> None:
    """The email waits `minutes` before its next try; then the test moves the clock on."""
    db.session.refresh(email)
    assert email.state == EmailState.QUEUED
    wait = email.next_attempt_at - utcnow()
    assert timedelta(minutes=minutes) - timedelta(seconds=30) < wait <= timedelta(minutes=minutes)
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_refusing_mail_server_delays_the_email_which_is_then_delivered_once(
    make, runner, smtp_server
):
    email = queue_one(make)
    server = smtp_server("451", "452", "553")

    assert send_mail(runner) == "0 sent, 1 failed"
    assert "451" in email.last_error and "try again later" in email.last_error
    assert send_mail(runner) == "0 sent, 0 failed"  # not due yet: left alone
    backed_off(email, minutes=2)

    server.stop()  # no server on the port: connection refused
    assert send_mail(runner) == "0 sent, 1 failed"
    assert "ConnectionRefusedError" in email.last_error
    backed_off(email, minutes=4)

    server.start()
    assert send_mail(runner) == "0 sent, 1 failed"
    assert "452" in email.last_error and "Mailbox full" in email.last_error
    backed_off(email, minutes=8)

    # The sender refused, even for good: the service's own set-up, which can be put right.
    assert send_mail(runner) == "0 sent, 1 failed"
    assert "553" in email.last_error and "Sender address not allowed" in email.last_error
    backed_off(email, minutes=16)

    assert send_mail(runner) == "1 sent, 0 failed"
    db.session.refresh(email)
    assert (email.state, email.attempts, email.last_error) == (EmailState.SENT, 5, None)
    [delivered] = server.handler.delivered
    assert delivered.rcpt_tos == [email.to_address]
    assert b"Subject: Your password has been changed" in delivered.content
    assert send_mail(runner) == "0 sent, 0 failed"
    assert len(server.handler.delivered) == 1


def test_an_email_the_server_accepted_is_not_sent_again_whatever_it_answers_to_quit(
    make, runner, smtp_server
):
    email = queue_one(make)
    server = smtp_server("421 at QUIT")
    assert send_mail(runner) == "1 sent, 0 failed"
    db.session.refresh(email)
    assert email.state == EmailState.SENT
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_mail(runner) == "0 sent, 0 failed"
    assert len(server.handler.delivered) == 1


def resend_from_the_outbox(client, make, email: Email, shown: str) -> None:
    """An administrator finds the failed email in the outbox, with why, and sends it again."""
    client.sign_in(make.administrator().email)
    row = next(
        tr for tr in client.get("/admin/outbox").soup.select("tbody tr") if email.subject in tr.text
    )
    assert "Failed" in row.text and shown in row.text
    page = client.get(f"/admin/outbox/{email.id}")
    form = page.soup.find("form", action=f"/admin/outbox/{email.id}/resend")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    assert client.post(form["action"], data={"csrf_token": token}).status_code == 302


def test_an_email_the_server_always_puts_off_is_marked_failed_shown_and_never_lost(
    make, runner, client, smtp_server
):
    email = queue_one(make)
    server = smtp_server(*["451"] * mail.MAX_ATTEMPTS)
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert send_mail(runner) == "0 sent, 1 failed"
        db.session.refresh(email)
        assert email.attempts == attempt
        email.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert email.state == EmailState.FAILED
    assert "451" in email.last_error and "try again later" in email.last_error
    assert send_mail(runner) == "0 sent, 0 failed"  # given up on: never tried again by itself
    assert server.handler.delivered == []

    resend_from_the_outbox(client, make, email, "Mailbox busy")
    assert send_mail(runner) == "1 sent, 0 failed"
    assert len(server.handler.delivered) == 1


@pytest.mark.parametrize(
    ("answer", "shown"), [("550", "No such mailbox here"), ("554", "Message rejected")]
)
def test_an_email_refused_for_good_fails_at_once_and_can_be_sent_again(
    make, runner, client, smtp_server, answer, shown
):
    """A 5xx reply to the recipient or the message will come again: the email is not tried
    five more times over an hour, it fails now and shows in the outbox."""
    email = queue_one(make)
    server = smtp_server(answer)
    assert send_mail(runner) == "0 sent, 1 failed"
    db.session.refresh(email)
    assert (email.state, email.attempts) == (EmailState.FAILED, 1)
    assert answer in email.last_error and shown in email.last_error
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_mail(runner) == "0 sent, 0 failed"
    assert server.handler.delivered == []

    # The address put right (here, the server now takes it): sent again, it goes, once.
    resend_from_the_outbox(client, make, email, shown)
    assert send_mail(runner) == "1 sent, 0 failed"
    assert len(server.handler.delivered) == 1
    db.session.refresh(email)
    assert email.state == EmailState.SENT
