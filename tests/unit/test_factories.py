"""The factories make what they say: each thing in the state its name promises, made through
the domain, so that a test that starts from one starts from something the scheme could hold."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.applying import memberships
from marks.assessing import assessment
from marks.extensions import db
from marks.models import Decision, Email
from marks.states import (
    ApplicationState,
    AssessmentState,
    AssignmentState,
    AwardState,
    MembershipRole,
)


@pytest.fixture
def edition(make):
    return make.demo_edition()


def test_an_application_is_a_draft_started_by_its_councils_lead(make, edition):
    application = make.application()
    assert application.state == ApplicationState.DRAFT
    assert application.edition == edition
    lead = application.started_by
    assert (lead.membership.council, lead.membership.role) == (
        application.council,
        MembershipRole.LEAD,
    )
    assert len(application.answers) == len(edition.criteria)


def test_an_application_is_the_given_leads_councils(make, edition):
    lead = make.member(role=MembershipRole.LEAD)
    assert make.application(lead).council == lead.membership.council
    other = make.member(role=MembershipRole.LEAD)
    assert make.submitted_application(other).council == other.membership.council


def test_a_submitted_application_is_complete(make, edition):
    application = make.submitted_application()
    assert application.state == ApplicationState.SUBMITTED
    assert all(answer.self_score is not None for answer in application.answers)


def test_an_assignment_is_an_assessor_on_a_submitted_application(make, edition):
    assignment = make.assignment()
    assert assignment.state == AssignmentState.ACTIVE
    assert assignment.assessor.is_assessor
    assert assignment.assigned_by.is_administrator
    assert assignment.application.state == ApplicationState.UNDER_REVIEW
    assert assignment.assessment.state == AssessmentState.IN_PROGRESS


def test_an_assignment_is_of_the_application_assessor_and_administrator_given(make, edition):
    application = make.submitted_application()
    assessor, admin = make.assessor(), make.administrator()
    assignment = make.assignment(application, assessor, admin=admin)
    assert assignment.application == application
    assert (assignment.assessor, assignment.assigned_by) == (assessor, admin)


def test_an_award_is_approved_after_two_assessments_and_its_lead_told(make, edition):
    award = make.award()
    assert (award.state, award.is_latest, award.level) == (
        AwardState.CURRENT,
        True,
        edition.levels[0],
    )
    assert award.application.state == ApplicationState.APPROVED
    assignments = assessment.active_assignments(award.application)
    assert [a.assessment.state for a in assignments] == [AssessmentState.SUBMITTED] * 2
    [lead] = memberships.leads(award.council)
    told = sa.select(Email).where(
        Email.to_address == lead.email, Email.template == "application_approved"
    )
    assert len(db.session.scalars(told).all()) == 1


def test_an_award_is_to_the_council_at_the_level_and_by_the_administrator_given(make, edition):
    council, admin = make.council(), make.administrator()
    award = make.award(council, admin=admin, level=-1, score=4)
    assert (award.council, award.level) == (council, edition.levels[-1])
    decision = db.session.scalar(
        sa.select(Decision).where(Decision.application == award.application)
    )
    assert decision.decided_by == admin
