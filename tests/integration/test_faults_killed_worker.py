"""Faults of a worker: a process killed with SIGKILL while it approves an application (taking
the award's number, rendering its certificate, storing it), or while the mail worker makes a
changed award's certificate again. Nothing is left half done: no award without its number and
certificate, no number taken, no half-stored certificate; approving again, or the mail
worker's next run, makes it."""

from __future__ import annotations

import hashlib
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from marks.awarding import awards
from marks.extensions import db
from marks.models import Application, Award, Certificate, CertificateCounter, Decision
from marks.people import councils
from marks.states import ApplicationState
from tests.helpers.pdfs import text_of
from tests.integration.fault_world import World, approve, fresh_award, ready_application
from tests.pages import PageClient

ROOT = Path(__file__).resolve().parents[2]


# --- A worker killed while it makes a certificate -------------------------------------------------


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


def assert_certificate_served(world: World, number: str, printing: str) -> None:
    with world.app.app_context():
        response = PageClient(world.app).get(f"/certificates/{number}.pdf")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    assert response.data.startswith(b"%PDF-")
    printed = text_of(response.data)
    assert number in printed and printing in printed
    [stored] = certificates_of(world, number)
    assert stored.sha256 == hashlib.sha256(response.data).hexdigest()


def council_of(world: World, number: str) -> str:
    with world.app.app_context():
        return db.session.scalar(
            sa.select(Award).where(Award.certificate_number == number)
        ).council.name


@pytest.mark.slow
@pytest.mark.real_database
@pytest.mark.parametrize("point", ["approving", "rendering", "storing"])
def test_a_worker_killed_while_approving_leaves_no_award_and_no_number_taken(
    world, point, tmp_path
):
    application_id = ready_application(world.app)
    with world.app.app_context():
        year = db.session.get(Application, application_id).edition.year
        taken = db.session.scalar(
            sa.select(CertificateCounter.last_sequence).where(CertificateCounter.year == year)
        )
        certificates = db.session.scalar(sa.select(sa.func.count(Certificate.id)))
    run_worker_until_killed(world, point, str(application_id), tmp_path / "worker.log")
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
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == certificates
        db.session.rollback()
        award = approve(application_id)  # approved again, by someone still alive
        db.session.commit()
        assert award.sequence == taken + 1
        number = award.certificate_number
    assert_nothing_half_done(world)
    assert_certificate_served(world, number, council_of(world, number))


@pytest.mark.slow
@pytest.mark.real_database
def test_a_mail_worker_killed_making_a_certificate_again_keeps_the_old_one_whole(world, tmp_path):
    number = fresh_award(world.app)
    before = certificates_of(world, number)[0].sha256
    with world.app.app_context():
        award = db.session.scalar(sa.select(Award).where(Award.certificate_number == number))
        award.council.name = "Renamed While Rendering Council"
        councils.touch_awards([award.council_id])
        db.session.commit()
        award_id = award.id
    run_worker_until_killed(world, "re-rendering", number, tmp_path / "worker.log")
    assert [c.sha256 for c in certificates_of(world, number)] == [before]  # the old one, whole
    assert_nothing_half_done(world)
    with world.app.app_context():
        assert award_id in awards.certificates_due()  # still due: the next run makes it
        assert awards.store_certificates(awards.certificates_due()) >= 1
    assert_certificate_served(world, number, "Renamed While Rendering Council")
    assert_nothing_half_done(world)
