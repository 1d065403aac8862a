"""Faults of the database: it going away mid-request, its connections killed, and a full disk.
Each fault is real: a TCP proxy cut between the app and PostgreSQL (never the shared server
stopped), backends killed with pg_terminate_backend, SQLite's own SQLITE_FULL. The mail
server refusing is in test_faults_mail.py, a worker killed in test_faults_killed_worker.py."""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import OperationalError

from marks import create_app
from marks.applying import applications
from marks.config import DEFAULTS
from marks.errors import is_disk_full
from marks.extensions import close_connections, db
from marks.models import Answer, Application, EvidenceFile
from marks.states import MembershipRole
from tests import factories
from tests.conftest import app_config, reset_database, separate_database
from tests.integration.fault_world import World
from tests.pages import Page, PageClient, check_page
from tests.tcp_proxy import TcpProxy

POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL,
    reason="SQLite is a file the app opens itself: there is no server connection to cut or "
    "kill. The PostgreSQL pass (TEST_DATABASE_URL, run by CI) runs this test.",
)


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


# --- The database going away --------------------------------------------------------------------


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
        assert client.get("/healthz").json == {
            "status": "ok",
            "app": "ok",
            "database": "ok",
            "redis": "ok",
        }
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


# --- A full disk ---------------------------------------------------------------------------------


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
