"""Who reads each reason. The council reads what it is told: a refusal's reasons, a request
for more information, its own withdrawal. Anyone reads why an award was revoked. A reason for
the record (approving at another level than the scores earn, refusing what the scores pass, a
conflict of interest) stays with the scheme's staff: never on the council's pages or in its
emails."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marks import audit, create_app
from marks.applying import applications
from marks.assessing import assessment, decisions
from marks.awarding import awards
from marks.extensions import close_connections, db
from marks.models import Application, AuditEvent, Email, User, utcnow
from marks.states import ReasonAudience
from tests.conftest import app_config, separate_database
from tests.helpers.applications import complete_application, score_all
from tests.pages import PageClient

OVERRIDE = "Panel view: their emergency work is sector-leading"


@pytest.fixture
def admin(make) -> User:
    make.demo_edition()
    return make.administrator()


def assessed(application: Application, admin: User, make, value: int) -> None:
    for _ in range(2):
        score_all(assessment.assign(application, make.assessor(), actor=admin), value)


def history_of(app, application: Application) -> str:
    """The History section of the council's status page, as its lead reads it."""
    client = PageClient(app)
    client.sign_in(application.started_by.email)
    page = client.get(f"/apply/applications/{application.id}/status")
    assert page.status == 200
    return " ".join(page.soup.select_one("ol.marks-history").get_text(" ").split())


def council_emails(application: Application) -> list[Email]:
    council = {u.email for u in [application.started_by]}
    emails = db.session.scalars(sa.select(Email).order_by(Email.id))
    return [e for e in emails if e.to_address in council]


def test_an_override_reason_stays_in_the_record(app, make, admin):
    application = complete_application(make)
    assessed(application, admin, make, 3)  # 75%: the scores earn Accredited
    distinction = application.edition.levels[1]
    decisions.approve(application, actor=admin, level=distinction, override_reason=OVERRIDE)

    history = history_of(app, application)
    assert "Approved" in history
    assert OVERRIDE not in history, "the council read a reason meant for the record"
    told = council_emails(application)
    assert [e.template for e in told] == ["application_submitted", "application_approved"]
    for email in told:
        assert OVERRIDE not in email.body_text and OVERRIDE not in (email.body_html or "")
    staff = PageClient(app)
    staff.sign_in(admin.email)
    assert OVERRIDE in staff.get(f"/admin/applications/{application.id}").text
    assert OVERRIDE in staff.get(f"/admin/audit?application={application.id}").text


def test_a_refusal_shows_its_reasons_and_keeps_the_one_for_the_record(app, make, admin):
    application = complete_application(make)
    assessed(application, admin, make, 4)  # the scores pass
    decisions.reject(
        application,
        actor=admin,
        reasons="Your policy still blocks staff",
        override_reason="The evidence was not the council's own",
    )
    client = PageClient(app)
    client.sign_in(application.started_by.email)
    page = client.get(f"/apply/applications/{application.id}/status")
    assert "Your policy still blocks staff" in page.text
    assert "not the council's own" not in page.text
    (email,) = [e for e in council_emails(application) if e.template == "application_rejected"]
    assert "Your policy still blocks staff" in email.body_text
    assert "not the council's own" not in email.body_text


def test_the_council_reads_the_reasons_meant_for_it(app, make, admin):
    application = complete_application(make)
    assessed(application, admin, make, 3)
    criterion = application.edition.criteria[0]
    decisions.request_information(
        application, [criterion], "Send us your published response times", actor=admin
    )
    assert "Send us your published response times" in history_of(app, application)

    withdrawn = complete_application(make)
    applications.withdraw(withdrawn, actor=withdrawn.started_by, reason="Merging with a neighbour")
    assert "Merging with a neighbour" in history_of(app, withdrawn)


def test_a_conflict_of_interest_is_not_shown_to_the_council(app, make, admin):
    application = complete_application(make)
    assignment = assessment.assign(application, make.assessor(), actor=admin)
    assessment.declare_conflict(
        assignment, "I used to work for this council", actor=assignment.assessor
    )
    client = PageClient(app)
    client.sign_in(application.started_by.email)
    page = client.get(f"/apply/applications/{application.id}/status")
    assert "used to work for this council" not in page.text


def test_each_reason_is_recorded_with_who_may_read_it(app, make, admin):
    """Decided where the change is defined, stored beside the reason."""
    application = complete_application(make)
    assessed(application, admin, make, 3)
    decisions.approve(
        application, actor=admin, level=application.edition.levels[1], override_reason=OVERRIDE
    )
    award = awards.award_for(application)
    awards.revoke(award, "The council blocked social media", actor=admin)
    refused = complete_application(make)
    assessed(refused, admin, make, 1)
    decisions.reject(refused, actor=admin, reasons="Not enough evidence")
    asked = complete_application(make)
    assessed(asked, admin, make, 3)
    decisions.request_information(asked, asked.edition.criteria[:1], "More, please", actor=admin)
    conflicted = assessment.assign(complete_application(make), make.assessor(), actor=admin)
    assessment.declare_conflict(conflicted, "My old council", actor=conflicted.assessor)

    audiences = dict(
        db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.reason_audience).where(
                AuditEvent.reason.is_not(None)
            )
        ).all()
    )
    assert audiences == {
        "application.approve": ReasonAudience.RECORD,
        "award.revoked": ReasonAudience.PUBLIC,
        "application.reject": ReasonAudience.COUNCIL,
        "application.request_information": ReasonAudience.COUNCIL,
        "assignment.conflict_declared": ReasonAudience.RECORD,
    }


def test_a_reason_cannot_be_recorded_without_saying_who_may_read_it(admin):
    with pytest.raises(ValueError, match="who may read"):
        audit.record("user.password_changed", admin, actor=admin, reason="changed")


@pytest.mark.real_database
def test_the_reasons_already_written_are_given_their_readers(tmp_path_factory):
    """The migration that adds who may read each reason fills it in for the reasons written
    before it, as the code that wrote them meant them; and it goes back down."""
    database = separate_database(tmp_path_factory, "reasons")
    app = create_app(app_config(database.url))
    written = {
        "application.reject": "Your policy still blocks staff",
        "application.request_information": "Send your policy",
        "application.withdraw": "Merging with a neighbour",
        "application.approve": OVERRIDE,
        "award.revoked": "Blocked social media",
        "assignment.conflict_declared": "My old council",
        "user.password_changed": "reset",
        "application.submit": None,
    }
    events = sa.table(
        "audit_events",
        sa.column("action"),
        sa.column("subject_type"),
        sa.column("reason"),
        sa.column("data", sa.JSON),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
    )
    try:
        with app.app_context():
            upgrade(revision="c0de0009pr1v")
            with db.engine.begin() as connection:
                connection.execute(
                    sa.insert(events),
                    [
                        {
                            "action": action,
                            "subject_type": "Application",
                            "reason": reason,
                            "data": {},
                            "occurred_at": utcnow(),
                        }
                        for action, reason in written.items()
                    ],
                )
            upgrade()
            with db.engine.connect() as connection:
                found = dict(
                    connection.execute(
                        sa.text("SELECT action, reason_audience FROM audit_events")
                    ).all()
                )
            assert found == {
                "application.reject": "council",
                "application.request_information": "council",
                "application.withdraw": "council",
                "application.approve": "record",
                "award.revoked": "public",
                "assignment.conflict_declared": "record",
                "user.password_changed": "record",
                "application.submit": None,
            }
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO audit_events (action, subject_type, reason, data,"
                        " occurred_at) VALUES ('x', 'X', 'why', '{}', CURRENT_TIMESTAMP)"
                    )
                )
            downgrade(revision="c0de0009pr1v")
            db.session.remove()
            close_connections()
    finally:
        database.drop()
