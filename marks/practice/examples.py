"""Offering an awarded council's answers to the library of good practice, and every change of
an example's state after that: published or returned by an administrator, withdrawn by the
council's lead, offered again. The table below is the only place these rules live."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from marks import audit, notifications, permissions, workflow
from marks.extensions import db
from marks.models import (
    Answer,
    AuditEvent,
    Award,
    Council,
    Criterion,
    EvidenceFile,
    PracticeExample,
    User,
    utcnow,
)
from marks.states import AwardState, PracticeState, ReasonAudience

NOTE_MAX = 2000
CONTACT_MAX = 200


class PracticeRefused(workflow.Refused):
    """Something that cannot be done to an example, with a message for people."""


def _award_stands(thing: PracticeExample | Award) -> str | None:
    award = getattr(thing, "award", thing)
    if award.state == AwardState.REVOKED:
        return "This award has been revoked: its answers cannot be shared."
    return None


def _offered(change: workflow.Change) -> None:
    change.thing.offered_at = change.at
    change.thing.offered_by_id = change.actor.id


def _published(change: workflow.Change) -> None:
    change.thing.published_at = change.at


def _unpublished(change: workflow.Change) -> None:
    change.thing.published_at = None


PRACTICE = workflow.machine(
    workflow.Machine(
        "practice",
        PracticeExample,
        (
            workflow.Transition(
                "offer",  # again: returned, or withdrawn. The first offer is offer() below.
                frozenset({PracticeState.RETURNED, PracticeState.WITHDRAWN}),
                PracticeState.OFFERED,
                permissions.may_share_practice,
                when=_award_stands,
                effect=_offered,
                event="practice.offered",
            ),
            workflow.Transition(
                "publish",
                frozenset({PracticeState.OFFERED}),
                PracticeState.PUBLISHED,
                permissions.may_administer,
                when=_award_stands,
                effect=_published,
                emails=notifications.practice_published,
            ),
            workflow.Transition(
                "return",  # before publishing, or taking a published example down
                frozenset({PracticeState.OFFERED, PracticeState.PUBLISHED}),
                PracticeState.RETURNED,
                permissions.may_administer,
                reason=ReasonAudience.COUNCIL,  # what the council is asked to change
                needs_reason=True,
                effect=_unpublished,
                emails=notifications.practice_returned,
                event="practice.returned",
            ),
            workflow.Transition(
                "withdraw",
                frozenset({PracticeState.OFFERED, PracticeState.PUBLISHED}),
                PracticeState.WITHDRAWN,
                permissions.may_share_practice,
                effect=_unpublished,
                event="practice.withdrawn",
            ),
        ),
        refused=PracticeRefused,
        where=lambda example: {
            "application_id": example.award.application_id,
            "council_id": example.award.council_id,
        },
    )
)


def examples_of(award: Award) -> dict[int, PracticeExample]:
    """The award's examples in any state, by the criterion of their answer."""
    found = db.session.scalars(
        sa.select(PracticeExample)
        .join(PracticeExample.answer)
        .where(PracticeExample.award_id == award.id)
    )
    return {example.answer.criterion_id: example for example in found}


def return_reasons(found: Iterable[PracticeExample]) -> dict[int, str]:
    """Why each of these examples that is returned now was returned: the administrator's
    reason for the council (the latest), by the example's id."""
    returned = {e.id for e in found if e.state == PracticeState.RETURNED}
    if not returned:
        return {}
    events = db.session.execute(
        sa.select(AuditEvent.subject_id, AuditEvent.reason)
        .where(
            AuditEvent.subject_type == PracticeExample.__name__,
            AuditEvent.subject_id.in_(returned),
            AuditEvent.action == "practice.returned",
        )
        .order_by(AuditEvent.id)
    )
    return {example_id: reason for example_id, reason in events}


# The administrators' list: offers waiting for review first, then the rest, newest first.
_WAITING_FIRST = sa.case((PracticeExample.state == PracticeState.OFFERED, 0), else_=1)


def for_review(state: PracticeState | None = None) -> list[PracticeExample]:
    """Every example (or those in one state) with its council and criterion, for the
    administrators: the ones waiting for review first, the longest waiting at the top."""
    statement = (
        sa.select(PracticeExample)
        .join(PracticeExample.award)
        .join(Award.council)
        .join(PracticeExample.answer)
        .join(Answer.criterion)
        .options(
            contains_eager(PracticeExample.award).contains_eager(Award.council),
            contains_eager(PracticeExample.answer).contains_eager(Answer.criterion),
        )
        .order_by(
            _WAITING_FIRST,
            sa.case(
                (PracticeExample.state == PracticeState.OFFERED, PracticeExample.offered_at),
                else_=None,
            ),
            PracticeExample.offered_at.desc(),
            Council.name,
            Criterion.code,
        )
    )
    if state is not None:
        statement = statement.where(PracticeExample.state == state)
    return list(db.session.scalars(statement))


def waiting_count() -> int:
    """How many offers wait for an administrator's review."""
    return db.session.scalar(
        sa.select(sa.func.count(PracticeExample.id)).where(
            PracticeExample.state == PracticeState.OFFERED
        )
    )


def offer_problem(award: Award, actor: User) -> str | None:
    """Why the person may not offer this award's answers now, or None."""
    if not permissions.may_share_practice(actor, award):
        return "Only your council's lead can share its answers."
    return _award_stands(award)


def offer(
    award: Award,
    answers: Iterable[Answer],
    *,
    actor: User,
    note: str | None = None,
    contact: str | None = None,
    files: Iterable[EvidenceFile] = (),
) -> list[PracticeExample]:
    """Offer these answers of the award's application to the library, with the council's note,
    a contact for peers and the evidence files the lead picked (only ever those: files of
    these answers). An answer offered before and returned or withdrawn is offered again (its
    note, contact and files replaced); one waiting for review has them replaced; a published
    one must be withdrawn first. Each is waiting for an administrator's review."""
    problem = offer_problem(award, actor)
    if problem:
        raise PracticeRefused(problem)
    note = (note or "").strip() or None
    contact = (contact or "").strip() or None
    if len(note or "") > NOTE_MAX or len(contact or "") > CONTACT_MAX:
        raise PracticeRefused("The note or the contact is too long.")
    files = list(files)
    existing = examples_of(award)
    offered = []
    for answer in answers:
        if answer.application_id != award.application_id:
            raise PracticeRefused("That answer is not one of this award's.")
        chosen = [f for f in files if f.answer_id == answer.id]
        example = existing.get(answer.criterion_id)
        if example is not None and example.state == PracticeState.PUBLISHED:
            raise PracticeRefused(
                f"Your answer to {answer.criterion.code} is published: withdraw it first."
            )
        if example is None:
            example = PracticeExample(
                answer=answer, award=award, offered_by_id=actor.id, offered_at=utcnow()
            )
            db.session.add(example)
            example.note, example.contact, example.files = note, contact, chosen
            db.session.flush()
            audit.record(
                "practice.offered",
                example,
                actor=actor,
                to_state=str(PracticeState.OFFERED),
                application_id=award.application_id,
                council_id=award.council_id,
                criterion=answer.criterion.code,
            )
        else:
            example.note, example.contact, example.files = note, contact, chosen
            if example.state == PracticeState.OFFERED:
                db.session.flush()
                audit.record(
                    "practice.changed",
                    example,
                    actor=actor,
                    application_id=award.application_id,
                    council_id=award.council_id,
                    criterion=answer.criterion.code,
                )
            else:
                workflow.transition(example, "offer", actor=actor, criterion=answer.criterion.code)
        offered.append(example)
    if extra := {f.id for f in files} - {f.id for e in offered for f in e.files}:
        raise PracticeRefused(f"Files {sorted(extra)} are not evidence of these answers.")
    return offered
