"""A worker process for tests/integration/test_faults_killed_worker.py, killed with SIGKILL at
a chosen point:

    python -m tests.fault_worker <database url> <point> <argument>

approving    <application id>: approve the application, and stop once its award is flushed
             (a certificate number taken, nothing committed)
rendering    <application id>: the same, and stop inside WeasyPrint's rendering of the award's
             certificate (approving makes it)
storing      <application id>: the same, and stop once the certificate's row is flushed,
             before the commit
re-rendering <certificate number>: make again, as the mail worker does, the certificate of
             an award changed since, and stop inside WeasyPrint's rendering of the PDF

At the point it prints the point's name on stdout and waits to be killed.
"""

from __future__ import annotations

import sys
import threading

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marks import create_app
from marks.assessing import decisions
from marks.awarding import awards, certificates
from marks.extensions import db
from marks.models import Application, Award, Certificate, User
from marks.states import UserRole
from tests.conftest import app_config


def stop_here(point: str) -> None:
    print(point, flush=True)
    threading.Event().wait()  # until SIGKILL


def stop_after_flushing(model: type, point: str) -> None:
    @sa.event.listens_for(Session, "after_flush")
    def flushed(session, _context):
        if any(isinstance(instance, model) for instance in session.new):
            stop_here(point)


def stop_inside_rendering(point: str) -> None:
    fetch = certificates.StaticFileFetcher.fetch

    def fetch_then_stop(self, url, headers=None):
        if url.startswith("data:"):  # the QR code, fetched as WeasyPrint lays the page out
            stop_here(point)
        return fetch(self, url, headers)

    certificates.StaticFileFetcher.fetch = fetch_then_stop


def main(database_url: str, point: str, argument: str) -> None:
    app = create_app(app_config(database_url))
    with app.app_context():
        if point in ("approving", "rendering", "storing"):
            if point == "approving":
                stop_after_flushing(Award, point)
            elif point == "rendering":
                stop_inside_rendering(point)
            else:
                stop_after_flushing(Certificate, point)
            application = db.session.get(Application, int(argument))
            administrator = db.session.scalar(
                sa.select(User).where(User.role == UserRole.ADMINISTRATOR).limit(1)
            )
            level = decisions.moderation(application).computed_level
            decisions.approve(application, actor=administrator, level=level)
            db.session.commit()
        elif point == "re-rendering":
            stop_inside_rendering(point)
            award = db.session.scalar(sa.select(Award).where(Award.certificate_number == argument))
            awards.store_certificates([award.id])
        else:
            raise SystemExit(f"no such point: {point}")
    print("finished", flush=True)  # the test fails if the worker gets here


if __name__ == "__main__":
    main(*sys.argv[1:])
