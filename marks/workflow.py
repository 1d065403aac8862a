"""The one place an application changes state, and the lock every state change takes.

`transition()` refuses what the table does not allow (from this state, by this person), then
changes the state, stamps the dates, records an audit event (who, when, from, to, why, and who
may read the why) and queues the emails, all in the caller's transaction: it flushes, the
request commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from marks import audit, notifications, permissions
from marks.extensions import db
from marks.models import Application, User, utcnow
from marks.states import ApplicationState as S
from marks.states import ReasonAudience


class TransitionRefused(Exception):
    """A transition that the table does not allow, or that this person may not make."""


Row = TypeVar("Row", bound=Any)


def lock(row: Row) -> Row:
    """Hold the row until the transaction ends and read it again: check its state after this,
    never before. On PostgreSQL, SELECT ... FOR UPDATE: a second change of the same row waits
    here until the first commits, then reads what the first wrote (checked before the lock,
    all four of four revocations at once passed). SQLite lets one writer at a time anyway."""
    model = type(row)
    return db.session.scalars(
        sa.select(model)
        .where(model.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _council_member(user: User, application: Application) -> bool:
    return permissions.is_member_of(user, application.council_id)


def _administrator(user: User, application: Application) -> bool:
    return user.is_administrator


def _system(user: User | None, application: Application) -> bool:
    return True


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[S]
    target: S
    may: Callable[[User, Application], bool]
    needs_reason: bool = False
    # Who may read the reason given, if the transition takes one (None: it takes none).
    reason_audience: ReasonAudience | None = None


TRANSITIONS = {
    t.name: t
    for t in [
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, _council_member),
        Transition(
            "withdraw",
            frozenset({S.DRAFT, S.SUBMITTED}),
            S.WITHDRAWN,
            _council_member,
            reason_audience=ReasonAudience.COUNCIL,
        ),
        Transition("start_review", frozenset({S.SUBMITTED}), S.UNDER_REVIEW, _administrator),
        Transition("all_assessed", frozenset({S.UNDER_REVIEW}), S.READY_FOR_DECISION, _system),
        Transition(
            "request_information",
            frozenset({S.UNDER_REVIEW, S.READY_FOR_DECISION}),
            S.INFO_REQUESTED,
            _administrator,
            needs_reason=True,
            reason_audience=ReasonAudience.COUNCIL,  # what the council is asked for
        ),
        Transition("resubmit", frozenset({S.INFO_REQUESTED}), S.UNDER_REVIEW, _council_member),
        Transition(
            "approve",
            frozenset({S.READY_FOR_DECISION}),
            S.APPROVED,
            _administrator,
            # Why the level differs from the one the scores earn: for the record only.
            reason_audience=ReasonAudience.RECORD,
        ),
        Transition(
            "reject",
            frozenset({S.READY_FOR_DECISION}),
            S.REJECTED,
            _administrator,
            needs_reason=True,
            reason_audience=ReasonAudience.COUNCIL,  # the reasons the council is told
        ),
    ]
}


def allowed(application: Application, name: str, actor: User | None) -> bool:
    """Whether `actor` may make the transition now: for showing or hiding buttons."""
    t = TRANSITIONS[name]
    return application.state in t.sources and (actor is None or t.may(actor, application))


def transition(
    application: Application, name: str, *, actor: User | None, reason: str | None = None
) -> None:
    """Move the application along the named transition, or raise TransitionRefused."""
    t = TRANSITIONS.get(name)
    if t is None:
        raise TransitionRefused(f"there is no transition called {name}")
    if application.state not in t.sources:
        raise TransitionRefused(f"cannot {name} an application that is {application.state}")
    if t.may is not _system and (actor is None or not t.may(actor, application)):
        raise TransitionRefused(f"{actor!r} may not {name} this application")
    if t.needs_reason and not (reason and reason.strip()):
        raise TransitionRefused(f"{name} needs a reason")
    if reason is not None and t.reason_audience is None:
        raise TransitionRefused(f"{name} takes no reason")

    source = application.state
    now = utcnow()
    application.state = t.target
    if t.target == S.SUBMITTED:
        application.submitted_at = now
    if t.target in (S.APPROVED, S.REJECTED):
        application.decided_at = now
    audit.record(
        f"application.{name}",
        application,
        actor=actor,
        from_state=str(source),
        to_state=str(t.target),
        reason=reason,
        reason_audience=t.reason_audience,
        application_id=application.id,
        council_id=application.council_id,
    )
    # The emails go to the council (and the staff, who read it all the same): a reason for
    # the record is never in them.
    told = reason if permissions.council_may_read(t.reason_audience) else None
    notifications.after_transition(name, application, actor=actor, reason=told)
