"""Assessment: assigning assessors (by hand or balanced automatically), conflicts of interest,
scoring against the rubric, and submitting. Nobody assesses their own council: the rule
(permissions.may_assess) is asked here, when assigning and by every function that changes an
assessment, not only hidden in the screens. This module flushes, never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from marks import audit, mail, notifications, permissions, workflow
from marks.extensions import db
from marks.models import Application, Assessment, Assignment, Score, User, utcnow
from marks.states import (
    ApplicationState,
    AssessmentState,
    AssignmentState,
    ReasonAudience,
    Recommendation,
    UserRole,
)

# Which states of the application each thing done in assessment may start from: said here
# once, asked by the functions below and by the pages that show or hide their buttons.
# Assigning: while the application waits for its assessors.
ASSESSABLE = frozenset({ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW})
# Scoring, submitting, handing back: while the application is with its assessors, and while
# the council answers a request for more information (the assessors look again when it
# resubmits; one who hands it back then is replaced under review). From ready for decision
# on, the assessments are what the decision rests on, and change no more.
WITH_ASSESSORS = ASSESSABLE | {ApplicationState.INFO_REQUESTED}
DEFAULT_DAYS_TO_ASSESS = 21


class AssessmentRefused(workflow.Refused):
    """Something that cannot be done in assessment now, with a message for people."""


class AssessmentConflict(Exception):
    """The assessment was saved elsewhere (another tab) since this form was opened."""


def _ended(change: workflow.Change) -> None:
    change.thing.ended_at = change.at
    if change.transition.action == "declare_conflict":
        change.thing.conflict_reason = change.reason


def _submitted(change: workflow.Change) -> None:
    change.thing.submitted_at = change.at


def _reopened(change: workflow.Change) -> None:
    change.thing.submitted_at = None


ASSIGNMENT = workflow.machine(
    workflow.Machine(
        "assignment",
        Assignment,
        (
            workflow.Transition(
                "declare_conflict",
                frozenset({AssignmentState.ACTIVE}),
                AssignmentState.CONFLICT_DECLARED,
                permissions.may_hand_back,
                reason=ReasonAudience.RECORD,  # the staff's to know, not the council's
                needs_reason=True,
                when=lambda assignment: why_closed(assignment.application),
                effect=_ended,
                emails=notifications.conflict_declared,
                event="assignment.conflict_declared",
                refusals={
                    AssignmentState.CONFLICT_DECLARED: "You have already handed this back",
                    AssignmentState.REMOVED: "You are no longer assigned to this application",
                },
            ),
            # The assessor has joined the council, or asked to (memberships.py): nobody
            # assesses their own council, so the administrators assign someone else.
            workflow.Transition(
                "end_for_conflict",
                frozenset({AssignmentState.ACTIVE}),
                AssignmentState.REMOVED,
                workflow.SYSTEM,
                reason=ReasonAudience.RECORD,
                needs_reason=True,
                when=lambda assignment: why_closed(assignment.application),
                effect=_ended,
                emails=notifications.assignment_ended,
            ),
            # An administrator takes an assessor off an application (away, too slow, too
            # many), only before they submit: a submitted assessment may be what made the
            # application ready for decision.
            workflow.Transition(
                "unassign",
                frozenset({AssignmentState.ACTIVE}),
                AssignmentState.REMOVED,
                permissions.may_administer,
                reason=ReasonAudience.RECORD,
                needs_reason=True,
                when=lambda assignment: (
                    why_submitted(assignment) or why_closed(assignment.application)
                ),
                effect=_ended,
                emails=notifications.assessor_unassigned,
                refusals={
                    AssignmentState.CONFLICT_DECLARED: "They have handed this application back",
                    AssignmentState.REMOVED: "They are no longer assigned to this application",
                },
            ),
        ),
        refused=AssessmentRefused,
        where=lambda assignment: {
            "application_id": assignment.application_id,
            "council_id": assignment.application.council_id,
        },
    )
)

ASSESSMENT = workflow.machine(
    workflow.Machine(
        "assessment",
        Assessment,
        (
            workflow.Transition(
                "submit",
                frozenset({AssessmentState.IN_PROGRESS}),
                AssessmentState.SUBMITTED,
                permissions.may_submit_assessment,
                when=lambda assessment: (
                    why_closed(assessment.assignment.application)
                    or (
                        "Score every criterion with feedback, and choose a recommendation"
                        if problems(assessment)
                        else None
                    )
                ),
                effect=_submitted,
                event="assessment.submitted",
                refusals={AssessmentState.SUBMITTED: "You have already submitted this assessment"},
            ),
            # The council has answered a request for more information: each assessor looks
            # again and submits again (applications.resubmit).
            workflow.Transition(
                "reopen",
                frozenset({AssessmentState.SUBMITTED}),
                AssessmentState.IN_PROGRESS,
                workflow.SYSTEM,
                effect=_reopened,
                event="assessment.reopened",
            ),
        ),
        refused=AssessmentRefused,
        where=lambda assessment: {
            "application_id": assessment.assignment.application_id,
            "council_id": assessment.assignment.application.council_id,
        },
    )
)


def is_open(application: Application) -> bool:
    """Whether the application's assessments may still change (WITH_ASSESSORS)."""
    return application.state in WITH_ASSESSORS


def why_closed(application: Application) -> str | None:
    """Why the application's assessments can no longer change, or None if they can."""
    if is_open(application):
        return None
    return (
        f"{application.council.name}'s application is {application.state.label.lower()}: "
        "its assessments can no longer change"
    )


def why_submitted(assignment: Assignment) -> str | None:
    """Why the assessor can no longer be unassigned: they have submitted; or None."""
    if assignment.assessment is None or assignment.assessment.state != AssessmentState.SUBMITTED:
        return None
    return (
        f"{assignment.assessor.full_name} has submitted their assessment: "
        "only an assessor who has not submitted can be unassigned"
    )


def _refuse_unless_may_assess(assignment: Assignment, actor: User) -> None:
    if permissions.may_assess(actor, assignment):
        return
    council = assignment.application.council
    if actor.id == assignment.assessor_id and permissions.works_for(actor, council.id):
        raise AssessmentRefused(f"You work for {council.name}: nobody assesses their own council")
    raise AssessmentRefused("You are not assigned to this application")


def _refuse_unless_open(application: Application) -> None:
    closed = why_closed(application)
    if closed:
        raise AssessmentRefused(closed)


def assessors() -> list[User]:
    """Everyone who may be assigned: active assessors."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == UserRole.ASSESSOR, User.deactivated_at.is_(None))
            .order_by(User.full_name)
        )
    )


def active_assignments(application: Application) -> list[Assignment]:
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.application_id == application.id,
                Assignment.state == AssignmentState.ACTIVE,
            )
            .order_by(Assignment.id)
        )
    )


def open_workload() -> dict[int, int]:
    """Assessor id -> assignments they have not submitted yet."""
    rows = db.session.execute(
        sa.select(Assignment.assessor_id, sa.func.count())
        .join(Assessment, Assessment.assignment_id == Assignment.id)
        .where(
            Assignment.state == AssignmentState.ACTIVE,
            Assessment.state == AssessmentState.IN_PROGRESS,
        )
        .group_by(Assignment.assessor_id)
    )
    return dict(rows.all())


def why_not(application: Application, assessor: User) -> str | None:
    """Why the assessor cannot be assigned to the application, or None if they can."""
    if assessor.role != UserRole.ASSESSOR or not assessor.is_active:
        return f"{assessor.full_name} is not an active assessor"
    if permissions.works_for(assessor, application.council_id):
        return (
            f"{assessor.full_name} works for {application.council.name}: "
            "nobody assesses their own council"
        )
    previous = db.session.scalars(
        sa.select(Assignment.state).where(
            Assignment.application_id == application.id, Assignment.assessor_id == assessor.id
        )
    ).all()
    if AssignmentState.ACTIVE in previous:
        return f"{assessor.full_name} is already assigned to this application"
    if AssignmentState.CONFLICT_DECLARED in previous:
        return f"{assessor.full_name} has declared a conflict of interest with this application"
    return None


def assign(
    application: Application, assessor: User, *, actor: User, due_at: datetime | None = None
) -> Assignment:
    if not actor.is_administrator:
        raise AssessmentRefused("Only an administrator can assign assessors")
    if application.state not in ASSESSABLE:
        raise AssessmentRefused("Only submitted applications can be assigned")
    problem = why_not(application, assessor)
    if problem:
        raise AssessmentRefused(problem)
    assignment = Assignment(
        application=application,
        assessor=assessor,
        assigned_by=actor,
        due_at=due_at or utcnow() + timedelta(days=DEFAULT_DAYS_TO_ASSESS),
    )
    assignment.assessment = Assessment()
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "assignment.created",
        assignment,
        actor=actor,
        application_id=application.id,
        council_id=application.council_id,
        assessor=assessor.email,
    )
    if application.state == ApplicationState.SUBMITTED:
        workflow.transition(application, "start_review", actor=actor)
    mail.queue(
        assessor.email,
        "assessment_assigned",
        assessor=assessor,
        application=application,
        due_at=assignment.due_at,
        assess_url=mail.link("assess.score", assignment_id=assignment.id),
    )
    return assignment


def needing_assessors() -> list[Application]:
    """Submitted or under-review applications with fewer active assessors than their edition
    asks for, oldest submission first."""
    active = (
        sa.select(sa.func.count(Assignment.id))
        .where(
            Assignment.application_id == Application.id,
            Assignment.state == AssignmentState.ACTIVE,
        )
        .scalar_subquery()
    )
    from marks.models import Edition

    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Edition, Edition.id == Application.edition_id)
            .where(Application.state.in_(ASSESSABLE), active < Edition.assessors_per_application)
            .order_by(Application.submitted_at, Application.id)
        )
    )


def auto_assign(applications: Sequence[Application], *, actor: User) -> list[Assignment]:
    """Give each application the assessors it still needs, choosing whoever has the fewest
    unfinished assessments (then the fewest in total), never their own council's."""
    pool = assessors()
    workload = open_workload()
    made = []
    for application in applications:
        wanted = application.edition.assessors_per_application - len(
            active_assignments(application)
        )
        candidates = sorted(
            (a for a in pool if why_not(application, a) is None),
            key=lambda a: (workload.get(a.id, 0), a.id),
        )
        for assessor in candidates[: max(wanted, 0)]:
            made.append(assign(application, assessor, actor=actor))
            workload[assessor.id] = workload.get(assessor.id, 0) + 1
    return made


def declare_conflict(assignment: Assignment, reason: str, *, actor: User) -> None:
    """The assessor hands the application back: it is unassigned and administrators told."""
    if actor.id != assignment.assessor_id:
        raise AssessmentRefused("Only the assessor can declare their own conflict of interest")
    if not reason.strip():
        raise AssessmentRefused("Say why you have a conflict of interest")
    workflow.transition(assignment, "declare_conflict", actor=actor, reason=reason)
    _maybe_ready(assignment.application, actor=actor)


def unassign(assignment: Assignment, reason: str, *, actor: User) -> None:
    """An administrator takes the assessor off the application before they submit, saying
    why for the record; the assessor is told. If the others have all submitted, and are
    enough, the application is ready for decision."""
    workflow.transition(
        assignment, "unassign", actor=actor, reason=reason, assessor=assignment.assessor.email
    )
    _maybe_ready(assignment.application, actor=actor)


def end_for_conflict(person: User, council_id: int, *, actor: User) -> int:
    """End the person's active assignments to the council's open applications, now that they
    work for it (they have joined it, or asked to); how many were ended."""
    ended = 0
    for assignment in db.session.scalars(
        sa.select(Assignment)
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Assignment.assessor_id == person.id,
            Assignment.state == AssignmentState.ACTIVE,
            Application.council_id == council_id,
        )
    ).all():
        if workflow.may(assignment, "end_for_conflict", actor):
            workflow.transition(
                assignment,
                "end_for_conflict",
                actor=actor,
                reason=f"{person.full_name} now works for this council",
            )
            ended += 1
    return ended


# --- Scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionScore:
    score: int | None
    feedback: str
    private_note: str


def scores_by_code(assessment: Assessment) -> dict[str, Score]:
    return {s.criterion.code: s for s in assessment.scores}


def save(
    assessment: Assessment,
    *,
    version: int,
    actor: User,
    scores: Mapping[str, CriterionScore],
    recommendation: Recommendation | None,
    summary: str,
) -> None:
    """Save the assessor's draft. AssessmentConflict if it was saved elsewhere meanwhile."""
    assignment = assessment.assignment
    _refuse_unless_may_assess(assignment, actor)
    if assessment.state != AssessmentState.IN_PROGRESS:
        raise AssessmentRefused("You have submitted this assessment: it can no longer change")
    _refuse_unless_open(assignment.application)
    if assessment.version != version:
        raise AssessmentConflict()
    criteria = {c.code: c for c in assignment.application.edition.criteria}
    existing = scores_by_code(assessment)
    scale_max = assignment.application.edition.scale_max
    for code, given in scores.items():
        criterion = criteria.get(code)
        if criterion is None:
            raise AssessmentRefused(f"There is no criterion {code}")
        if given.score is not None and not 0 <= given.score <= scale_max:
            raise AssessmentRefused(f"Scores go from 0 to {scale_max}")
        score = existing.get(code)
        if score is None:
            score = Score(criterion=criterion)
            assessment.scores.append(score)
        score.score = given.score
        score.feedback = given.feedback.strip()
        score.private_note = given.private_note.strip()
    assessment.recommendation = recommendation
    assessment.summary = summary.strip()
    assessment.updated_at = utcnow()  # moves the version even if only scores changed
    db.session.flush()


def problems(assessment: Assessment) -> list[tuple[str, str]]:
    """What stops submission: (message, the scoring form's field it is about)."""
    found: list[tuple[str, str]] = []
    scored = scores_by_code(assessment)
    for criterion in assessment.assignment.application.edition.criteria:
        score = scored.get(criterion.code)
        # Every problem in one round: a missing score does not hide the missing feedback.
        if score is None or score.score is None:
            found.append((f"Score {criterion.code}: {criterion.title}", f"score_{criterion.code}"))
        if score is None or not score.feedback:
            found.append((f"Write feedback for {criterion.code}", f"feedback_{criterion.code}"))
    if assessment.recommendation is None:
        found.append(("Choose your recommendation", "recommendation"))
    return found


def submit(assessment: Assessment, *, actor: User) -> None:
    """Lock the assessment; when every assigned assessor has submitted, the application is
    ready for decision."""
    assignment = assessment.assignment
    _refuse_unless_may_assess(assignment, actor)
    workflow.transition(
        assessment, "submit", actor=actor, recommendation=str(assessment.recommendation)
    )
    _maybe_ready(assignment.application, actor=actor)


def _maybe_ready(application: Application, *, actor: User) -> None:
    # Under the application's lock: more information may have been asked for meanwhile, and
    # then the assessors look again once the council answers.
    if not workflow.startable(workflow.lock(application), "all_assessed"):
        return
    active = active_assignments(application)
    wanted = application.edition.assessors_per_application
    if len(active) >= wanted and all(
        a.assessment is not None and a.assessment.state == AssessmentState.SUBMITTED for a in active
    ):
        workflow.transition(application, "all_assessed", actor=actor)


def reopen_for_revision(application: Application, *, actor: User) -> None:
    """After the council resubmits, each assessor looks again and submits again."""
    for assignment in active_assignments(application):
        assessment = assignment.assessment
        if assessment is not None and workflow.startable(assessment, "reopen"):
            workflow.transition(assessment, "reopen", actor=actor)


def submitted_assessments(application: Application) -> list[Assessment]:
    return [
        a.assessment
        for a in active_assignments(application)
        if a.assessment is not None and a.assessment.state == AssessmentState.SUBMITTED
    ]


def queue_of(assessor: User) -> list[Assignment]:
    """The assignments the assessor may assess, unsubmitted first, soonest due first."""
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.assessor_id == assessor.id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Assignment.due_at, Assignment.id)
    ).all()
    return sorted(
        (a for a in assignments if permissions.may_assess(assessor, a)),
        key=lambda a: a.assessment is not None and a.assessment.state == AssessmentState.SUBMITTED,
    )
