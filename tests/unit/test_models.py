"""The database refuses illegal states: each constraint is tried with a row that breaks it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from marks.extensions import db
from marks.models import (
    Application,
    Assessment,
    Assignment,
    Award,
    CouncilEmailDomain,
    Decision,
    Email,
    EvidenceLink,
    Membership,
    User,
    utcnow,
)
from marks.states import (
    ApplicationState,
    AssessmentState,
    AssignmentState,
    AwardState,
    DecisionOutcome,
    EmailState,
    MembershipRole,
    MembershipState,
)


def refused(*rows) -> bool:
    """True if the database refuses to store the rows (the savepoint is rolled back)."""
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
            db.session.flush()
    except (IntegrityError, StatementError):
        return True
    return False


@pytest.fixture
def application(make):
    edition = make.demo_edition()
    lead = make.member(role=MembershipRole.LEAD)
    app = Application(council=lead.membership.council, edition=edition, started_by_id=lead.id)
    db.session.add(app)
    db.session.flush()
    return app


def test_emails_are_stored_in_lower_case_only(make):
    assert refused(User(email="Mixed@Case.gov.uk", full_name="X", password_hash="x"))
    assert not refused(User(email="lower@case.gov.uk", full_name="X", password_hash="x"))


def test_a_state_outside_its_enum_is_refused(make):
    user = make.user()
    db.session.execute(sa.text("SAVEPOINT bad_state"))
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("UPDATE users SET role = 'superuser' WHERE id = :id"), {"id": user.id}
        )
    db.session.execute(sa.text("ROLLBACK TO SAVEPOINT bad_state"))


def test_a_user_belongs_to_one_council_at_a_time(make):
    member = make.member()
    other = make.council()
    # Rows built from ids, not objects: a refused row must not linger in a parent's collection.
    assert refused(
        Membership(user_id=member.id, council_id=other.id, state=MembershipState.REQUESTED)
    )
    member.membership.state = MembershipState.REMOVED
    db.session.flush()
    assert not refused(
        Membership(user_id=member.id, council_id=other.id, state=MembershipState.ACTIVE)
    )


def test_a_lead_must_be_an_active_member(make):
    assert refused(
        Membership(
            user_id=make.user().id,
            council_id=make.council().id,
            role=MembershipRole.LEAD,
            state=MembershipState.REQUESTED,
        )
    )


def test_a_councils_email_domains_are_lower_case_domains_each_recorded_once(make):
    council, other = make.council(), make.council()

    def domain(name: str, council_id: int = council.id) -> CouncilEmailDomain:
        return CouncilEmailDomain(council_id=council_id, domain=name)

    assert refused(domain("Hartlepool.gov.uk"))
    assert refused(domain("lena@hartlepool.gov.uk"))
    assert refused(domain("hartlepool"))
    assert not refused(domain("hartlepool.gov.uk"))
    assert refused(domain("hartlepool.gov.uk"))
    # Shared services: two councils' staff may share one domain.
    assert not refused(domain("hartlepool.gov.uk", other.id))


def test_one_open_application_per_council(application):
    second = Application(
        council_id=application.council_id,
        edition_id=application.edition_id,
        started_by_id=application.started_by_id,
    )
    assert refused(second)
    application.state = ApplicationState.WITHDRAWN
    db.session.flush()
    assert not refused(
        Application(
            council_id=application.council_id,
            edition_id=application.edition_id,
            started_by_id=application.started_by_id,
        )
    )


def test_a_submitted_application_has_a_submission_date(application):
    application.state = ApplicationState.SUBMITTED
    assert refused(application)


def test_only_decided_applications_have_a_decision_date(application):
    application.decided_at = utcnow()
    assert refused(application)


def test_evidence_links_are_web_addresses(application):
    from marks.models import Answer

    answer = Answer(application=application, criterion=application.edition.criteria[0])
    db.session.add(answer)
    db.session.flush()
    assert refused(EvidenceLink(answer_id=answer.id, url="javascript:alert(1)"))
    assert not refused(
        EvidenceLink(answer_id=answer.id, url="https://www.hartlepool.gov.uk/social")
    )


def test_a_conflict_of_interest_needs_a_reason(application, make):
    assessor, admin = make.assessor(), make.administrator()
    assignment = Assignment(
        application=application,
        assessor=assessor,
        assigned_by=admin,
        state=AssignmentState.CONFLICT_DECLARED,
        ended_at=utcnow(),
    )
    assert refused(assignment)


def test_an_assessor_is_assigned_once_while_active(application, make):
    assessor, admin = make.assessor(), make.administrator()
    first = Assignment(application=application, assessor=assessor, assigned_by=admin)
    assert not refused(first)
    assert refused(Assignment(application=application, assessor=assessor, assigned_by=admin))


def test_a_submitted_assessment_has_a_recommendation(application, make):
    assignment = Assignment(
        application=application, assessor=make.assessor(), assigned_by=make.administrator()
    )
    assessment = Assessment(
        assignment=assignment, state=AssessmentState.SUBMITTED, submitted_at=utcnow()
    )
    assert refused(assignment, assessment)


def test_one_decision_per_application_and_approval_needs_a_level(application, make):
    admin = make.administrator()
    level = application.edition.levels[0]
    assert refused(
        Decision(application=application, outcome=DecisionOutcome.APPROVED, decided_by=admin)
    )
    assert refused(
        Decision(application=application, outcome=DecisionOutcome.REJECTED, decided_by=admin)
    )
    # Approving at a level other than the computed one needs a written reason.
    higher = application.edition.levels[1]
    assert refused(
        Decision(
            application=application,
            outcome=DecisionOutcome.APPROVED,
            level=higher,
            computed_level=level,
            decided_by=admin,
        )
    )
    assert not refused(
        Decision(
            application=application,
            outcome=DecisionOutcome.APPROVED,
            level=level,
            computed_level=level,
            decided_by=admin,
        )
    )
    assert refused(
        Decision(
            application=application,
            outcome=DecisionOutcome.REJECTED,
            reasons="Twice",
            decided_by=admin,
        )
    )


def award(application, **kwargs) -> Award:
    values = {
        "application": application,
        "council_id": application.council_id,
        "edition_id": application.edition_id,
        "level_id": application.edition.levels[0].id,
        "certificate_number": "SMFM-2026-00001",
        "year": 2026,
        "sequence": 1,
        "awarded_on": date(2026, 11, 22),
        "expires_on": date(2028, 11, 22),
    }
    values.update(kwargs)
    return Award(**values)


def test_award_constraints(application):
    assert refused(award(application, expires_on=date(2026, 11, 22)))
    assert refused(award(application, certificate_number="FAKE-2026-00001"))
    assert refused(award(application, state=AwardState.REVOKED))
    assert refused(award(application, sequence=0))
    assert not refused(award(application))
    db.session.flush()


def test_certificate_numbers_are_unique_forever(application, make):
    assert not refused(award(application))
    other = Application(
        council=make.council(), edition=application.edition, started_by_id=application.started_by_id
    )
    assert refused(other, award(other, sequence=2))  # same number
    assert refused(other, award(other, certificate_number="SMFM-2026-00002"))  # same sequence


def test_a_sent_email_has_a_sending_date():
    email = Email(
        to_address="a@b.gov.uk",
        subject="S",
        body_text="B",
        template="t",
        state=EmailState.SENT,
    )
    assert refused(email)
    email.sent_at = utcnow()
    assert not refused(email)


def test_emails_with_the_same_dedupe_key_are_stored_once():
    def reminder():
        return Email(
            to_address="a@b.gov.uk", subject="S", body_text="B", template="t", dedupe_key="r:1"
        )

    assert not refused(reminder())
    assert refused(reminder())


def test_timestamps_come_back_in_utc(make):
    user = make.user()
    db.session.expire(user)
    assert user.created_at.utcoffset() == timedelta(0)
