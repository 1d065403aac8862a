"""The world the fault tests share (test_faults_database.py, test_faults_killed_worker.py): a
database of its own with a council lead, their draft application and an award; and
applications made ready for a decision in it, and approved. The `world` fixture that builds
it, once per test module, is in conftest.py."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from marks.assessing import assessment, decisions
from marks.extensions import db
from marks.models import Application, Award
from marks.states import ApplicationState
from tests import factories
from tests.helpers.applications import complete_application, score_all


@dataclass
class World:
    url: str
    app: Flask  # connects directly: to set up and to look
    number: str  # a certificate number
    lead_email: str
    draft_id: int  # the lead's draft application


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
    """An award, its certificate made with it; committed."""
    application_id = ready_application(app)
    with app.app_context():
        award = approve(application_id)
        db.session.commit()
        return award.certificate_number
