"""Faults: the database going away mid-request, the mail server refusing, a worker killed while
it makes a certificate, and a full disk. Each fault is real: a TCP proxy cut between the app and
PostgreSQL (never the shared server stopped), backends killed with pg_terminate_backend, an SMTP
server (aiosmtpd) that refuses, a process killed with SIGKILL, SQLite's own SQLITE_FULL."""

from __future__ import annotations

import hashlib
import io
import os
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy.exc import OperationalError

from marks import applications, assessment, create_app, decisions, mail
from marks.config import DEFAULTS
from marks.errors import is_disk_full
from marks.extensions import close_connections, db
from marks.models import (
    Answer,
    Application,
    Award,
    Certificate,
    CertificateCounter,
    Decision,
    Email,
    EvidenceFile,
    utcnow,
)
from marks.states import ApplicationState, EmailState, MembershipRole
from tests import factories
from tests.conftest import app_config, reset_database, separate_database
from tests.pages import Page, PageClient, check_page
from tests.tcp_proxy import TcpProxy
from tests.unit.test_assessment import complete_application, score_all
from tests.unit.test_certificates import text_of
from tests.unit.test_mail import free_port, queue_one

ROOT = Path(__file__).resolve().parents[2]
POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL,
    reason="SQLite is a file the app opens itself: there is no server connection to cut or "
    "kill. The PostgreSQL pass (TEST_DATABASE_URL, run by CI) runs this test.",
)


# --- A world in a database of its own ---------------------------------------------------------


@dataclass
class World:
    url: str
    app: Flask  # connects directly: to set up and to look
    number: str  # a certificate number
    lead_email: str
    draft_id: int  # the lead's draft application


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


def ready_application(app: Flask) -> int:
    """A council's application, assessed and ready for a decision; committed."""
    with app.app_context():
        administrator = factories.administrator()
        application = complete_application(factories)
        for value in (3, 3):
            assignment = assessment.assign(application, factories.assessor(), actor=administrator)
            score_all(assignment, value)
        assert application.state == ApplicationState.READY_FOR_DECISION
        db.session.commit()
        return application.id


def approve(application_id: int) -> Award:
    application = db.session.get(Application, application_id)
    administrator = assessment.active_assignments(application)[0].assigned_by
    level = decisions.moderation(application).computed_level
    return decisions.approve(application, actor=administrator, level=level)


def fresh_award(app: Flask) -> str:
    """An award whose certificate nobody has downloaded yet; committed."""
    application_id = ready_application(app)
    with app.app_context():
        award = approve(application_id)
        db.session.commit()
        return award.certificate_number


def unavailable(page: Page) -> None:
    """The GOV.UK page for a database that is away: no trace of what failed inside."""
    assert page.status == 503
    assert page.h1 == "Sorry, the service is unavailable"
    assert page.headers["Retry-After"] == "60"
    html = page.response.get_data(as_text=True)
    for sql in ("SELECT ", "INSERT ", "UPDATE ", " FROM "):
        assert sql not in html, sql
    for name in ("traceback", "sqlalchemy", "psycopg", "sqlite3", "operationalerror"):
        assert name not in html.lower(), name


def kept_form(page: Page) -> tuple[str, dict[str, str]]:
    """The "Try again" form of an error page: where it posts, and what (typed and hidden)."""
    form = page.soup.find("form", attrs={"method": "post"})
    fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    fields |= {t["name"]: t.get_text() for t in form.select("textarea")}
    return form["action"], fields


def wait_until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.05)


def answer_of(world: World, code: str) -> Answer:
    with world.app.app_context():
        answer = applications.answer_for(db.session.get(Application, world.draft_id), code)
        db.session.expunge_all()  # read: nothing lazy left to load
        return answer


# --- 1. The database going away -----------------------------------------------------------------


class Outage:
    """The world's database, seen by an app of its own that a test can cut off and reconnect.

    PostgreSQL: the app connects through a TCP proxy, which is cut. SQLite: the database file is
    moved away and a directory left in its place (as when a volume is unmounted); connections
    already open would keep reading the moved file, as any open file would, so the app's are
    closed first, as in a worker that has just started."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        url = sa.make_url(world.url)
        self.proxy = None
        if url.get_backend_name() == "postgresql":
            self.proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
            url = url.set(host="127.0.0.1", port=self.proxy.port).update_query_dict(
                {"application_name": name}
            )
        self.path = Path(url.database or "")
        self.app = create_app(app_config(url.render_as_string(hide_password=False)))

    def cut(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            return
        with self.app.app_context():
            close_connections()
        self.path.rename(self.path.with_suffix(".away"))
        self.path.mkdir()

    def restore(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
            return
        self.path.rmdir()
        self.path.with_suffix(".away").rename(self.path)

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            close_connections()
        if self.proxy is not None:
            self.proxy.close()


@contextmanager
def outage(world: World, name: str = "marks-faults") -> Iterator[Outage]:
    away = Outage(world, name)
    try:
        with away.app.app_context():
            yield away
    finally:
        away.close()


@pytest.mark.slow
@pytest.mark.real_database
def test_while_the_database_is_away_pages_say_so_and_the_next_request_after_it_returns_works(
    world,
):
    with outage(world) as away:
        client = PageClient(away.app)
        assert world.number in client.get(f"/verify/{world.number}").text
        client.sign_in(world.lead_email)
        url = f"/apply/applications/{world.draft_id}/criteria/MD1"
        version = client.get(url).field_value("version")
        token = client.csrf_token()
        typed = "We answer residents within 4 hours, every day of the year.\nEven at Christmas."

        away.cut()
        unavailable(client.get(f"/verify/{world.number}"))
        health = client.get("/healthz")
        assert (health.status_code, health.json["database"]) == (503, "unreachable")
        register = client.get("/register.json")
        assert (register.status_code, register.json) == (503, {"error": "Service Unavailable"})
        # A form sent while it is away: nothing saved, nothing typed lost.
        page = client.post(
            url,
            data={
                "csrf_token": token,
                "version": version,
                "self_score": "3",
                "narrative": typed,
                "save_as_draft": "Save as draft",
            },
        )
        unavailable(page)
        action, fields = kept_form(page)
        assert (action, fields["narrative"], fields["self_score"]) == (url, typed, "3")
        assert "Sign in" in page.text  # the menu could not know who is signed in

        away.restore()
        page = client.get(f"/verify/{world.number}")  # the very next request
        assert page.status == 200 and world.number in page.h1 + page.text
        assert client.get("/healthz").json == {"status": "ok", "app": "ok", "database": "ok"}
        assert answer_of(world, "MD1").narrative != typed
        assert client.post(action, data=fields).status_code == 302  # "Try again"
        saved = answer_of(world, "MD1")
        assert (saved.narrative, saved.self_score) == (typed, 3)


@contextmanager
def table_locked(world: World, table: str) -> Iterator[None]:
    """An ACCESS EXCLUSIVE lock on the table, held by a connection of the test's own."""
    engine = sa.create_engine(world.url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            yield
            connection.rollback()
    finally:
        engine.dispose()


def waiting_on_a_lock(world: World, name: str) -> bool:
    with world.app.app_context(), db.engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT count(*) > 0 FROM pg_stat_activity "
                "WHERE application_name = :n AND datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ),
            {"n": name},
        )


@postgresql_only
@pytest.mark.slow
@pytest.mark.real_database
def test_a_connection_cut_in_the_middle_of_a_query_gets_the_error_page(world):
    with outage(world, "marks-faults-mid-request") as away:
        client = PageClient(away.app)
        assert client.get(f"/verify/{world.number}").status == 200
        answered: list = []

        def verify() -> None:  # in a thread: the request waits on the lock
            with away.app.app_context():
                answered.append(away.app.test_client().get(f"/verify/{world.number}"))

        with table_locked(world, "awards"):
            thread = threading.Thread(target=verify)
            thread.start()
            wait_until(lambda: waiting_on_a_lock(world, "marks-faults-mid-request"))
            away.cut()  # the query is running: the connection goes under it
            thread.join(timeout=30)
        unavailable(check_page(answered[0]))

        away.restore()
        assert world.number in client.get(f"/verify/{world.number}").text


def terminate(world: World, name: str) -> int:
    """Kill the app's connections on the server, waiting until they have gone. The pids are
    read first, then killed one by one: in one WHERE clause the server may call
    pg_terminate_backend() before it has filtered the rows, killing everyone's connections."""
    with world.app.app_context(), db.engine.connect() as connection:
        pids = connection.scalars(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :n "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        ).all()
        for pid in pids:
            assert connection.scalar(sa.text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
        return len(pids)


def app_named(world: World, name: str, **config) -> Flask:
    url = sa.make_url(world.url).update_query_dict({"application_name": name})
    return create_app(app_config(url.render_as_string(hide_password=False), **config))


@postgresql_only
@pytest.mark.real_database
def test_connections_killed_between_two_requests_are_replaced_by_the_pre_ping(world):
    app = app_named(world, "marks-faults-killed")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True  # the app's own
    with app.app_context():
        client = PageClient(app)
        assert client.get(f"/verify/{world.number}").status == 200
        assert terminate(world, "marks-faults-killed") >= 1
        page = client.get(f"/verify/{world.number}")
        assert page.status == 200 and world.number in page.text
        close_connections()


@postgresql_only
@pytest.mark.real_database
def test_without_the_pre_ping_a_killed_connection_would_fail_a_request(world):
    """The control for the test above: it shows the kill does break a pooled connection."""
    options = {**DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    app = app_named(world, "marks-faults-no-ping", SQLALCHEMY_ENGINE_OPTIONS=options)
    with app.app_context():
        client = PageClient(app)
        assert client.get(f"/verify/{world.number}").status == 200
        assert terminate(world, "marks-faults-no-ping") >= 1
        unavailable(client.get(f"/verify/{world.number}"))
        # The dead connection was thrown away with the pool: the next request connects again.
        assert client.get(f"/verify/{world.number}").status == 200
        close_connections()


# --- 2. The mail server refusing ------------------------------------------------------------------
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


# --- 3. A worker killed while it makes a certificate ----------------------------------------------


def run_worker_until_killed(world: World, point: str, argument: str, log: Path) -> None:
    """Start tests/fault_worker.py, wait until it reaches `point`, and SIGKILL it there."""
    with log.open("w") as errors:
        worker = subprocess.Popen(  # noqa: S603 (our own arguments)
            [sys.executable, "-m", "tests.fault_worker", world.url, point, argument],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        ready, _, _ = select.select([worker.stdout], [], [], 120)
        said = worker.stdout.readline().strip() if ready else "(nothing in 120 s)"
        assert said == point, f"{said}\n{log.read_text()[-3000:]}"
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()


def assert_nothing_half_done(world: World) -> None:
    """Every award has its number; every stored certificate is whole; the file is sound."""
    with world.app.app_context():
        numbers = db.session.scalars(sa.select(Award.certificate_number)).all()
        assert all(n and n.startswith("SMFM-") and len(n) == 15 for n in numbers), numbers
        for sha256, pdf in db.session.execute(sa.select(Certificate.sha256, Certificate.pdf)):
            assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
            assert hashlib.sha256(pdf).hexdigest() == sha256
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def certificates_of(world: World, number: str) -> list[Certificate]:
    with world.app.app_context():
        found = db.session.scalars(
            sa.select(Certificate).join(Award).where(Award.certificate_number == number)
        ).all()
        db.session.expunge_all()
        return found


def assert_certificate_made_on_next_access(world: World, number: str) -> None:
    with world.app.app_context():
        response = PageClient(world.app).get(f"/certificates/{number}.pdf")
        council = db.session.scalar(
            sa.select(Award).where(Award.certificate_number == number)
        ).council.name
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    assert response.data.startswith(b"%PDF-")
    printed = text_of(response.data)
    assert number in printed and council in printed
    [stored] = certificates_of(world, number)
    assert stored.sha256 == hashlib.sha256(response.data).hexdigest()


@pytest.mark.slow
@pytest.mark.real_database
@pytest.mark.parametrize("point", ["rendering", "storing"])
def test_a_worker_killed_making_a_certificate_leaves_none_and_the_next_download_makes_it(
    world, point, tmp_path
):
    number = fresh_award(world.app)
    run_worker_until_killed(world, point, number, tmp_path / "worker.log")
    assert certificates_of(world, number) == []  # no half-stored row
    assert_nothing_half_done(world)
    assert_certificate_made_on_next_access(world, number)
    assert_nothing_half_done(world)


@pytest.mark.slow
@pytest.mark.real_database
def test_a_worker_killed_while_approving_leaves_no_award_and_no_number_taken(world, tmp_path):
    application_id = ready_application(world.app)
    with world.app.app_context():
        year = db.session.get(Application, application_id).edition.year
        taken = db.session.scalar(
            sa.select(CertificateCounter.last_sequence).where(CertificateCounter.year == year)
        )
    run_worker_until_killed(world, "approving", str(application_id), tmp_path / "worker.log")
    with world.app.app_context():
        application = db.session.get(Application, application_id)
        assert application.state == ApplicationState.READY_FOR_DECISION
        assert (
            db.session.scalars(sa.select(Award).where(Award.application_id == application_id)).all()
            == []
        )
        assert (
            db.session.scalars(
                sa.select(Decision).where(Decision.application_id == application_id)
            ).all()
            == []
        )
        assert db.session.get(CertificateCounter, year).last_sequence == taken
        db.session.rollback()
        award = approve(application_id)  # approved again, by someone still alive
        db.session.commit()
        assert award.sequence == taken + 1
        number = award.certificate_number
    assert_nothing_half_done(world)
    assert_certificate_made_on_next_access(world, number)


# --- 4. A full disk ------------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path_factory) -> Iterator[tuple[World, Callable[[bool], None]]]:
    """A SQLite world whose disk can be filled: PRAGMA max_page_count set to the file's size on
    every connection the app takes makes SQLite itself answer SQLITE_FULL to any growth."""
    if POSTGRESQL:
        pytest.skip(
            "A full disk cannot be made on the shared PostgreSQL server without filling its "
            "disk; SQLite's max_page_count makes the real engine answer SQLITE_FULL instead"
        )
    database = separate_database(tmp_path_factory, "disk-full")
    app = create_app(app_config(database.url))
    reset_database(app)
    full = {"now": False}
    with app.app_context():
        factories.demo_edition()
        lead = factories.member(role=MembershipRole.LEAD)
        draft = applications.start(lead.membership.council, actor=lead)
        db.session.commit()
        world = World(database.url, app, "", lead.email, draft.id)

        @sa.event.listens_for(db.engine, "checkout")
        def cap(dbapi_connection, _record, _proxy):
            # At most the pages the file has now (a smaller cap is raised to that).
            pages = 1 if full["now"] else 1_073_741_823
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def fill(now: bool) -> None:
        if now:  # no free pages left inside the file either
            with sqlite3.connect(sa.make_url(database.url).database) as connection:
                connection.execute("VACUUM")
        full["now"] = now

    yield world, fill
    with app.app_context():
        db.session.remove()
        close_connections()


PDF_PAGE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def could_not_save(page: Page) -> None:
    assert page.status == 507
    assert page.h1 == "Sorry, we could not save your changes"
    assert "Sign out" in page.text  # still signed in: the database could still be read
    html = page.response.get_data(as_text=True)
    assert "Traceback" not in html and "database or disk is full" not in html


@pytest.mark.real_database
def test_a_full_disk_when_saving_an_answer_keeps_what_was_typed_and_saves_nothing(full_disk):
    world, fill = full_disk
    with world.app.app_context():
        client = PageClient(world.app)
        client.sign_in(world.lead_email)
        url = f"/apply/applications/{world.draft_id}/criteria/MD2"
        before = answer_of(world, "MD2")
        typed = "Our chief executive blogs every week about what social media does for us. " * 150

        fill(True)
        page = client.submit(
            url, {"self_score": "4", "narrative": typed, "save_as_draft": "Save as draft"}
        )
        could_not_save(page)
        action, fields = kept_form(page)
        assert (action, fields["narrative"], fields["self_score"]) == (url, typed, "4")
        after = answer_of(world, "MD2")
        assert (after.narrative, after.self_score, after.version) == (
            before.narrative,
            before.self_score,
            before.version,
        )

        fill(False)  # space again: "Try again" saves it
        assert client.post(action, data=fields).status_code == 302
        assert answer_of(world, "MD2").narrative == typed


@pytest.mark.real_database
def test_a_full_disk_when_uploading_evidence_leaves_nothing_half_written(full_disk):
    world, fill = full_disk
    with world.app.app_context():
        client = PageClient(world.app)
        client.sign_in(world.lead_email)
        url = f"/apply/applications/{world.draft_id}/criteria/MD3"
        page = client.get(url)
        hidden = {
            i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")
        }
        pdf = PDF_PAGE[:-6] + (b"%" + b"x" * 999 + b"\n") * 300 + b"%%EOF\n"  # about 300KB

        fill(True)
        page = client.post(
            url,
            data={
                **hidden,
                "narrative": "Short",  # fits in the page it already has: written, then undone
                "links": "https://www.testbury.gov.uk/policy",
                "upload": "Upload file",
                "evidence_file": (io.BytesIO(pdf), "policy.pdf"),
            },
            content_type="multipart/form-data",
        )
        could_not_save(page)
        assert "The file you chose was not kept: choose it again" in page.text
        _, fields = kept_form(page)
        assert fields["links"] == "https://www.testbury.gov.uk/policy"
        with world.app.app_context():
            answer = applications.answer_for(db.session.get(Application, world.draft_id), "MD3")
            assert (answer.narrative, answer.links, answer.files) == ("", [], [])
            assert db.session.scalar(sa.select(sa.func.count(EvidenceFile.id))) == 0
        fill(False)


def test_postgresqls_disk_full_is_told_apart_from_the_database_being_away():
    """PostgreSQL's disk cannot be filled here: its error is recognised by its SQLSTATE."""
    import psycopg.errors

    assert is_disk_full(OperationalError("INSERT", {}, psycopg.errors.DiskFull("no space")))
    assert not is_disk_full(OperationalError("SELECT 1", {}, psycopg.OperationalError("gone")))
