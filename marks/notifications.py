"""Who is told what when something changes state. Each function here is named by a row of a
transition table (workflow.py, assessment.py, awards.py, memberships.py) and called by
workflow.transition() only, with the change, so that every transition queues its emails in
its own transaction, once."""

from __future__ import annotations

import sqlalchemy as sa

from marks import mail, permissions
from marks.extensions import db
from marks.models import (
    Application,
    Assessment,
    Assignment,
    Award,
    Criterion,
    Decision,
    Membership,
    Score,
    User,
)
from marks.states import (
    AssessmentState,
    AssignmentState,
    MembershipRole,
    MembershipState,
    UserRole,
)


def administrators() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.role == UserRole.ADMINISTRATOR, User.deactivated_at.is_(None)
            )
        )
    )


def council_members(application: Application, *, leads_only: bool = False) -> list[User]:
    statement = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.council_id == application.council_id,
            Membership.state == MembershipState.ACTIVE,
        )
    )
    if leads_only:
        statement = statement.where(Membership.role == MembershipRole.LEAD)
    return list(db.session.scalars(statement.order_by(User.id)))


def assessors(application: Application) -> list[User]:
    """The assessors assigned to the application, but one who has joined its council since."""
    found = db.session.scalars(
        sa.select(User)
        .join(Assignment, Assignment.assessor_id == User.id)
        .where(
            Assignment.application_id == application.id,
            Assignment.state == AssignmentState.ACTIVE,
        )
    )
    return [u for u in found if not permissions.works_for(u, application.council_id)]


def _context(change) -> dict:
    application = change.thing
    return {
        "application": application,
        "council": application.council,
        "edition": application.edition,
        "actor": change.actor,
        "reason": change.told,  # never a reason meant for the record
        "status_url": mail.link("council.status", application_id=application.id),
    }


def application_submitted(change) -> None:
    context = _context(change)
    context["submission_url"] = mail.link("council.submission", application_id=change.thing.id)
    for lead in council_members(change.thing, leads_only=True):
        mail.queue(lead.email, "application_submitted", recipient=lead, **context)
    for admin in administrators():
        mail.queue(admin.email, "application_submitted_admin", recipient=admin, **context)


def application_withdrawn(change) -> None:
    context = _context(change)
    for person in council_members(change.thing, leads_only=True) + administrators():
        mail.queue(person.email, "application_withdrawn", recipient=person, **context)


def information_requested(change) -> None:
    context = _context(change)
    for person in council_members(change.thing):
        mail.queue(person.email, "information_requested", recipient=person, **context)


def application_resubmitted(change) -> None:
    context = _context(change)
    for person in assessors(change.thing) + administrators():
        mail.queue(person.email, "application_resubmitted", recipient=person, **context)


def application_decided(change) -> None:
    """Approved or not approved: the decision, the award and the feedback."""
    context = _context(change) | decision_context(change.thing)
    template = (
        "application_approved"
        if change.transition.action == "approve"
        else ("application_rejected")
    )
    for person in council_members(change.thing):
        mail.queue(person.email, template, recipient=person, **context)


def feedback(application: Application) -> list[tuple[Criterion, list[str]]]:
    """The feedback the council will see, criterion by criterion, from the submitted
    assessments (never the private notes)."""
    rows = db.session.execute(
        sa.select(Score.criterion_id, Score.feedback)
        .join(Assessment, Assessment.id == Score.assessment_id)
        .join(Assignment, Assignment.id == Assessment.assignment_id)
        .where(
            Assignment.application_id == application.id,
            Assignment.state == AssignmentState.ACTIVE,
            Assessment.state == AssessmentState.SUBMITTED,
        )
        .order_by(Assignment.id)
    ).all()
    by_criterion: dict[int, list[str]] = {}
    for criterion_id, text in rows:
        if text:
            by_criterion.setdefault(criterion_id, []).append(text)
    return [(c, by_criterion.get(c.id, [])) for c in application.edition.criteria]


def decision_context(application: Application) -> dict:
    """What a decision email says: the decision, the award, and the feedback."""
    decision = db.session.scalar(
        sa.select(Decision).where(Decision.application_id == application.id)
    )
    award = db.session.scalar(sa.select(Award).where(Award.application_id == application.id))
    return {"decision": decision, "award": award, "feedback": feedback(application)}


def award_revoked(change) -> None:
    award = change.thing
    for person in council_members(award.application):
        mail.queue(
            person.email,
            "award_revoked",
            recipient=person,
            award=award,
            council=award.council,
            verify_url=mail.link("public.verify_certificate", number=award.certificate_number),
        )


def conflict_declared(change) -> None:
    """The assessor has handed the application back."""
    _unassigned(change, "conflict_declared")


def assignment_ended(change) -> None:
    """An assessor who now works for the council."""
    _unassigned(change, "assignment_ended")


def assessor_unassigned(change) -> None:
    """An administrator has unassigned the assessor: they are told (the reason is the
    record's, not theirs)."""
    assignment = change.thing
    mail.queue(
        assignment.assessor.email,
        "assessor_unassigned",
        assessor=assignment.assessor,
        application=assignment.application,
        queue_url=mail.link("assess.dashboard"),
    )


def _unassigned(change, template: str) -> None:
    """The administrators are told that an assessor is unassigned, and why, so that they
    assign someone else."""
    assignment = change.thing
    application = assignment.application
    for admin in administrators():
        mail.queue(
            admin.email,
            template,
            recipient=admin,
            assessor=assignment.assessor,
            application=application,
            reason=change.reason,
            assign_url=mail.link("admin.application", application_id=application.id),
        )


def membership_decided(change) -> None:
    """A request to join a council, approved (as its lead, if they are its first member) or
    turned down: the person who asked is told."""
    membership = change.thing
    mail.queue(
        membership.user.email,
        "membership_approved" if change.transition.action == "approve" else "membership_rejected",
        user=membership.user,
        council=membership.council,
        is_lead=membership.role == MembershipRole.LEAD,
        apply_url=mail.link("council.home"),
    )


def _practice_context(change) -> dict:
    example = change.thing
    application = example.award.application
    return {
        "example": example,
        "council": example.award.council,
        "criterion": example.answer.criterion,
        "reason": change.told,
        "answer_url": mail.link(
            "council.practice_answer",
            application_id=application.id,
            code=example.answer.criterion.code,
        ),
        "practice_url": mail.link("council.practice", application_id=application.id),
        "example_url": mail.link("practice.example", example_id=example.id),
    }


def practice_published(change) -> None:
    """An answer the council offered is in the library of good practice: its leads are told."""
    context = _practice_context(change)
    for lead in council_members(change.thing.award.application, leads_only=True):
        mail.queue(lead.email, "practice_published", recipient=lead, **context)


def practice_returned(change) -> None:
    """An answer sent back (or taken down) with a reason for the council: its leads are told."""
    context = _practice_context(change)
    for lead in council_members(change.thing.award.application, leads_only=True):
        mail.queue(lead.email, "practice_returned", recipient=lead, **context)
