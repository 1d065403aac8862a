"""Assessment and decision, through the domain: assignment rules, conflicts, scoring,
submission, moderation, approval with an award, rejection, more information, and every
workflow transition allowed and refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks import notifications, permissions, workflow
from marks.applying import applications, memberships
from marks.assessing import assessment, decisions
from marks.assessing.assessment import AssessmentRefused, CriterionScore
from marks.awarding import awards
from marks.extensions import db
from marks.models import AuditEvent, Award, Decision, Email
from marks.states import (
    ApplicationState,
    AssessmentState,
    AssignmentState,
    AwardState,
    MembershipRole,
    Recommendation,
)
from tests.helpers.applications import complete_application, score_all


@pytest.fixture
def submitted(make):
    make.demo_edition()
    return complete_application(make)


@pytest.fixture
def admin(make):
    return make.administrator()


def assessed(submitted, admin, make, values=(3, 3)):
    made = [assessment.assign(submitted, make.assessor(), actor=admin) for _ in range(len(values))]
    for assignment, value in zip(made, values, strict=True):
        score_all(assignment, value)
    return made


# --- Assignment ------------------------------------------------------------------------------


def test_assigning_starts_the_review_and_tells_the_assessor(submitted, admin, make):
    assessor = make.assessor()
    assignment = assessment.assign(submitted, assessor, actor=admin)
    assert submitted.state == ApplicationState.UNDER_REVIEW
    assert assignment.assessment.state == AssessmentState.IN_PROGRESS
    email = db.session.scalar(sa.select(Email).where(Email.to_address == assessor.email))
    assert email.subject == f"Please assess {submitted.council.name}'s application"
    assert f"/assess/{assignment.id}" in email.body_text


def test_nobody_assesses_their_own_council(submitted, admin, make):
    insider = make.member(council=submitted.council, role=MembershipRole.MEMBER)
    insider.role = "assessor"
    db.session.flush()
    with pytest.raises(AssessmentRefused, match="nobody assesses their own council"):
        assessment.assign(submitted, insider, actor=admin)
    assert assessment.active_assignments(submitted) == []


def test_only_administrators_assign_and_only_assessors_are_assigned(submitted, admin, make):
    with pytest.raises(AssessmentRefused, match="Only an administrator"):
        assessment.assign(submitted, make.assessor(), actor=make.assessor())
    with pytest.raises(AssessmentRefused, match="is not an active assessor"):
        assessment.assign(submitted, make.user(), actor=admin)
    assessor = make.assessor()
    assessment.assign(submitted, assessor, actor=admin)
    with pytest.raises(AssessmentRefused, match="already assigned"):
        assessment.assign(submitted, assessor, actor=admin)


def test_auto_assign_balances_load_and_skips_own_council(make, admin):
    make.demo_edition()
    first, second, third = (complete_application(make) for _ in range(3))
    busy, idle_a, idle_b = make.assessor(), make.assessor(), make.assessor()
    insider = make.member(council=third.council)
    insider.role = "assessor"
    db.session.flush()
    # busy already has one unfinished assessment
    assessment.assign(first, busy, actor=admin)

    made = assessment.auto_assign(assessment.needing_assessors(), actor=admin)
    counts = {}
    for assignment in made:
        counts[assignment.assessor_id] = counts.get(assignment.assessor_id, 0) + 1
        assert assignment.assessor_id != insider.id or assignment.application_id != third.id
    # 3 applications x 2 assessors = 6, one already made: 5 new, spread over 4 people
    assert len(made) == 5
    for application in (first, second, third):
        assert len(assessment.active_assignments(application)) == 2
    load = assessment.open_workload()
    assert max(load.values()) - min(load[a.id] for a in (busy, idle_a, idle_b)) <= 1
    assert assessment.needing_assessors() == []


def test_a_conflict_unassigns_and_alerts_administrators(submitted, admin, make):
    assignment = assessment.assign(submitted, make.assessor(), actor=admin)
    with pytest.raises(AssessmentRefused, match="Say why"):
        assessment.declare_conflict(assignment, "  ", actor=assignment.assessor)
    assessment.declare_conflict(assignment, "I used to work there", actor=assignment.assessor)
    assert assignment.state == AssignmentState.CONFLICT_DECLARED
    assert assessment.active_assignments(submitted) == []
    alert = db.session.scalar(sa.select(Email).where(Email.template == "conflict_declared"))
    assert alert.to_address == admin.email
    assert "I used to work there" in alert.body_text
    with pytest.raises(AssessmentRefused, match="declared a conflict"):
        assessment.assign(submitted, assignment.assessor, actor=admin)


# --- Scoring and submitting ------------------------------------------------------------------


def test_drafts_save_and_submission_needs_every_score(submitted, admin, make):
    assignment = assessment.assign(submitted, make.assessor(), actor=admin)
    a = assignment.assessment
    assessment.save(
        a,
        version=a.version,
        actor=assignment.assessor,
        scores={"MD1": CriterionScore(2, "Good start", "private")},
        recommendation=None,
        summary="",
    )
    assert assessment.scores_by_code(a)["MD1"].score == 2
    assert ("Choose your recommendation", "recommendation") in assessment.problems(a)
    assert ("Score MD2: Social media sites open to staff", "score_MD2") in assessment.problems(a)
    with pytest.raises(AssessmentRefused, match="Score every criterion"):
        assessment.submit(a, actor=assignment.assessor)
    with pytest.raises(assessment.AssessmentConflict):
        assessment.save(
            a,
            version=a.version - 1,
            actor=assignment.assessor,
            scores={},
            recommendation=None,
            summary="",
        )


def test_another_assessor_cannot_touch_an_assessment(submitted, admin, make):
    assignment = assessment.assign(submitted, make.assessor(), actor=admin)
    a = assignment.assessment
    with pytest.raises(AssessmentRefused, match="not assigned"):
        assessment.save(
            a, version=a.version, actor=make.assessor(), scores={}, recommendation=None, summary=""
        )


def test_blind_until_submitted(submitted, admin, make):
    first, second = (assessment.assign(submitted, make.assessor(), actor=admin) for _ in "ab")
    score_all(first, 3, submit=False)
    may_see = permissions.may_see_other_scores
    assert not may_see(first.assessor, first)
    assessment.submit(first.assessment, actor=first.assessor)
    assert may_see(first.assessor, first)
    assert not may_see(second.assessor, second)
    assert not may_see(second.assessor, first)  # only their own assignment's


def test_when_every_assessor_submits_the_application_is_ready(submitted, admin, make):
    first, second = (assessment.assign(submitted, make.assessor(), actor=admin) for _ in "ab")
    score_all(first, 3)
    assert submitted.state == ApplicationState.UNDER_REVIEW
    score_all(second, 2)
    assert submitted.state == ApplicationState.READY_FOR_DECISION
    with pytest.raises(AssessmentRefused, match="already submitted"):
        assessment.submit(second.assessment, actor=second.assessor)


# --- Moderation and decision -----------------------------------------------------------------


def test_moderation_shows_scores_side_by_side_and_flags_disagreement(submitted, admin, make):
    assessed(submitted, admin, make, values=(4, 2))
    found = decisions.moderation(submitted)
    assert len(found.assessments) == 2
    assert len(found.rows) == 12
    row = found.rows[0]
    assert [s.score for s in row.scores] == [4, 2]
    assert row.result.disagrees
    assert found.outcome.disagreements == tuple(c.code for c in submitted.edition.criteria)
    assert found.outcome.percent == 75  # mean 3 of 4 everywhere
    assert found.computed_level.code == "accredited"


def test_approve_at_the_computed_level_issues_an_award(submitted, admin, make):
    assessed(submitted, admin, make, values=(3, 3))
    level = decisions.moderation(submitted).computed_level
    award = decisions.approve(submitted, actor=admin, level=level)
    assert submitted.state == ApplicationState.APPROVED
    assert submitted.decided_at is not None
    assert award.certificate_number == "SMFM-2026-00001"
    assert award.state == AwardState.CURRENT
    assert award.expires_on == awards.add_months(award.awarded_on, 24)
    decision = decisions.decision_for(submitted)
    assert (decision.level_id, decision.computed_level_id) == (level.id, level.id)
    email = db.session.scalar(sa.select(Email).where(Email.template == "application_approved"))
    assert "SMFM-2026-00001" in email.body_text
    assert "Feedback on MD1" in email.body_text
    assert "Note on MD1" not in email.body_text  # private notes stay private
    assert "Feedback on MD1" in email.body_html
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.application_id == submitted.id)
    ).all()
    assert {"application.approve", "award.issued"} <= set(events)


def test_approving_at_another_level_needs_a_reason(submitted, admin, make):
    assessed(submitted, admin, make, values=(3, 3))
    distinction = submitted.edition.levels[1]
    with pytest.raises(decisions.DecisionRefused, match="Explain why"):
        decisions.approve(submitted, actor=admin, level=distinction)
    assert submitted.state == ApplicationState.READY_FOR_DECISION
    decisions.approve(
        submitted, actor=admin, level=distinction, override_reason="Sector-leading work"
    )
    assert decisions.decision_for(submitted).override_reason == "Sector-leading work"


def test_reject_with_reasons(submitted, admin, make):
    assessed(submitted, admin, make, values=(1, 1))
    with pytest.raises(decisions.DecisionRefused, match="reasons"):
        decisions.reject(submitted, actor=admin, reasons="")
    decisions.reject(submitted, actor=admin, reasons="Policy still restricts staff")
    assert submitted.state == ApplicationState.REJECTED
    email = db.session.scalar(sa.select(Email).where(Email.template == "application_rejected"))
    assert "Policy still restricts staff" in email.body_text
    assert db.session.scalar(sa.select(sa.func.count(Award.id))) == 0


def test_rejecting_what_the_scores_pass_needs_a_reason_for_the_record(submitted, admin, make):
    assessed(submitted, admin, make, values=(4, 4))
    with pytest.raises(decisions.DecisionRefused, match="scores pass"):
        decisions.reject(submitted, actor=admin, reasons="No")
    decisions.reject(submitted, actor=admin, reasons="No", override_reason="Evidence was forged")


def test_one_decision_only(submitted, admin, make):
    assessed(submitted, admin, make)
    decisions.approve(submitted, actor=admin, level=submitted.edition.levels[0])
    with pytest.raises(decisions.DecisionRefused):
        decisions.approve(submitted, actor=admin, level=submitted.edition.levels[0])
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 1


def test_more_information_then_resubmission_reopens_the_assessments(submitted, admin, make):
    first, second = assessed(submitted, admin, make)
    md1 = submitted.edition.criteria[0]
    decisions.request_information(submitted, [md1], "Send the policy", actor=admin)
    assert submitted.state == ApplicationState.INFO_REQUESTED
    lead = submitted.started_by
    answer = applications.answer_for(submitted, "MD1")
    applications.save_answer(
        answer, version=answer.version, actor=lead, self_score=4, narrative="New", links=[]
    )
    applications.resubmit(submitted, actor=lead)
    assert submitted.state == ApplicationState.UNDER_REVIEW
    assert first.assessment.state == AssessmentState.IN_PROGRESS
    reopened = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "assessment.reopened")
    ).all()
    assert sorted((e.subject_id, e.from_state, e.to_state, e.actor_id) for e in reopened) == sorted(
        (a.assessment.id, "submitted", "in_progress", lead.id) for a in (first, second)
    )
    told = set(
        db.session.scalars(
            sa.select(Email.to_address).where(Email.template == "application_resubmitted")
        )
    )
    assert {first.assessor.email, second.assessor.email, admin.email} <= told
    assessment.submit(first.assessment, actor=first.assessor)
    assessment.submit(second.assessment, actor=second.assessor)
    assert submitted.state == ApplicationState.READY_FOR_DECISION


def test_certificate_numbers_follow_each_other_within_a_year(app):
    assert [awards.next_sequence(2031) for _ in range(3)] == [1, 2, 3]
    assert awards.next_sequence(2032) == 1
    assert awards.certificate_number(2031, 42) == "SMFM-2031-00042"


# --- Every transition, allowed and refused ---------------------------------------------------

S = ApplicationState


@pytest.mark.parametrize(
    ("name", "allowed_from"),
    [(t.action, t.sources) for t in workflow.APPLICATION.transitions],
)
def test_each_transition_refuses_every_other_state(make, admin, name, allowed_from):
    make.demo_edition()
    lead = make.member(role=MembershipRole.LEAD)
    application = applications.start(lead.membership.council, actor=lead)
    actor = lead if workflow.APPLICATION[name].may is permissions.may_act_for_council else admin
    for state in S:
        application.state = state
        if state in allowed_from:
            assert workflow.may(application, name, actor), (name, state)
        else:
            with pytest.raises(workflow.TransitionRefused):
                workflow.transition(application, name, actor=actor, reason="because")


def test_transitions_check_who_may_make_them(make, admin):
    make.demo_edition()
    lead = make.member(role=MembershipRole.LEAD)
    stranger = make.member()
    application = applications.start(lead.membership.council, actor=lead)
    with pytest.raises(workflow.TransitionRefused, match="You may not withdraw"):
        workflow.transition(application, "withdraw", actor=stranger)
    with pytest.raises(workflow.TransitionRefused, match="You may not withdraw"):
        workflow.transition(application, "withdraw", actor=admin)
    application.state = S.SUBMITTED
    with pytest.raises(workflow.TransitionRefused, match="You may not start review"):
        workflow.transition(application, "start_review", actor=lead)
    application.state = S.READY_FOR_DECISION
    with pytest.raises(workflow.TransitionRefused, match="needs a reason"):
        workflow.transition(application, "reject", actor=admin)
    with pytest.raises(workflow.TransitionRefused, match="no transition"):
        workflow.transition(application, "teleport", actor=admin)


# --- Who may assess, on every call; and until when -------------------------------------------


def joins(person, council, *, approved_by=None):
    """The person asks to join the council and, if a lead is given, is approved by them."""
    membership = memberships.ask_to_join(person, council)
    if approved_by is not None:
        memberships.decide(membership, approve=True, actor=approved_by)
    return membership


def a_draft(assignment):
    return dict(
        version=assignment.assessment.version,
        actor=assignment.assessor,
        scores={"MD1": CriterionScore(4, "Fine", "")},
        recommendation=Recommendation.AWARD,
        summary="",
    )


def test_may_assess_only_their_own_active_assignment_of_another_council(submitted, admin, make):
    mine = assessment.assign(submitted, make.assessor(), actor=admin)
    theirs = assessment.assign(submitted, make.assessor(), actor=admin)
    assert permissions.may_assess(mine.assessor, mine)
    assert not permissions.may_assess(mine.assessor, theirs)
    assert not permissions.may_assess(submitted.started_by, mine)  # the council's lead
    joins(theirs.assessor, submitted.council)
    assert not permissions.may_assess(theirs.assessor, theirs)  # asked to join: conflicted
    assessment.declare_conflict(mine, "I used to work there", actor=mine.assessor)
    assert not permissions.may_assess(mine.assessor, mine)


def test_an_assessor_who_joins_the_council_may_no_longer_score_or_submit(submitted, admin, make):
    assignment = assessment.assign(submitted, make.assessor(), actor=admin)
    score_all(assignment, 4, submit=False)
    joins(assignment.assessor, submitted.council, approved_by=submitted.started_by)
    mine = assignment.assessment
    before = (mine.version, [s.score for s in mine.scores])
    with pytest.raises(AssessmentRefused, match="nobody assesses their own council"):
        assessment.save(mine, **a_draft(assignment))
    with pytest.raises(AssessmentRefused, match="nobody assesses their own council"):
        assessment.submit(mine, actor=assignment.assessor)
    assert (mine.version, [s.score for s in mine.scores]) == before
    assert mine.state == AssessmentState.IN_PROGRESS
    assert assessment.queue_of(assignment.assessor) == []


def test_an_assessor_who_joins_the_council_is_not_told_of_its_resubmission(submitted, admin, make):
    stays, joined = (assessment.assign(submitted, make.assessor(), actor=admin) for _ in "ab")
    joins(joined.assessor, submitted.council, approved_by=submitted.started_by)
    md1 = submitted.edition.criteria[0]
    decisions.request_information(submitted, [md1], "Send the policy", actor=admin)
    applications.confirm_unchanged(
        applications.answer_for(submitted, md1.code), actor=submitted.started_by
    )
    applications.resubmit(submitted, actor=submitted.started_by)
    told = set(
        db.session.scalars(
            sa.select(Email.to_address).where(Email.template == "application_resubmitted")
        )
    )
    assert stays.assessor.email in told
    assert joined.assessor.email not in told


def test_an_assessor_who_has_asked_to_join_a_council_is_not_assigned_to_it(submitted, admin, make):
    assessor = make.assessor()
    joins(assessor, submitted.council)  # not approved yet: they say they work there
    assert assessment.why_not(submitted, assessor) is not None
    with pytest.raises(AssessmentRefused, match="nobody assesses their own council"):
        assessment.assign(submitted, assessor, actor=admin)


@pytest.mark.parametrize("state", [S.READY_FOR_DECISION, S.APPROVED, S.REJECTED])
def test_a_conflict_cannot_be_declared_once_the_assessments_are_in(submitted, admin, make, state):
    first, _ = assessed(submitted, admin, make)
    if state == S.APPROVED:
        decisions.approve(submitted, actor=admin, level=submitted.edition.levels[0])
    elif state == S.REJECTED:
        decisions.reject(submitted, actor=admin, reasons="Not yet", override_reason="Because")
    assert submitted.state == state

    def record():
        feedback = sum(len(items) for _, items in notifications.feedback(submitted))
        moderated = [s.score for row in decisions.moderation(submitted).rows for s in row.scores]
        return feedback, moderated, assessment.active_assignments(submitted)

    before = record()
    with pytest.raises(AssessmentRefused, match="its assessments can no longer change"):
        assessment.declare_conflict(first, "I used to work there", actor=first.assessor)
    assert first.state == AssignmentState.ACTIVE and first.conflict_reason is None
    assert record() == before
    assert db.session.scalar(sa.select(Email.id).where(Email.template == "conflict_declared")) is (
        None
    )


def test_scores_change_only_while_the_application_is_with_its_assessors(submitted, admin, make):
    """Whatever the path that led there: from every other state, saving, submitting and
    handing back are refused, and the assessment is as it was."""
    assignment = assessment.assign(submitted, make.assessor(), actor=admin)
    score_all(assignment, 3, submit=False)
    mine = assignment.assessment
    for state in S:
        submitted.state = state
        if state in assessment.WITH_ASSESSORS:
            assert assessment.is_open(submitted), state
            continue
        assert not assessment.is_open(submitted), state
        with pytest.raises(AssessmentRefused, match="can no longer change"):
            assessment.save(mine, **a_draft(assignment))
        with pytest.raises(AssessmentRefused, match="can no longer change"):
            assessment.submit(mine, actor=assignment.assessor)
        with pytest.raises(AssessmentRefused, match="can no longer change"):
            assessment.declare_conflict(assignment, "Conflicted", actor=assignment.assessor)
        assert mine.state == AssessmentState.IN_PROGRESS, state
        assert assessment.scores_by_code(mine)["MD1"].score == 3, state
        assert assignment.state == AssignmentState.ACTIVE, state
    assert set(assessment.WITH_ASSESSORS) == {S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED}
