"""The one place anything in the scheme changes state.

Each thing that has states has a table of its transitions (a `Machine`), kept beside the rest
of its rules: applications and emails below; assignments and assessments in assessment.py;
awards in awards.py; memberships in memberships.py; editions in editions.py. Each row names
the action, the states it may start from, the state it leads to, who may make it (a predicate
from permissions.py, or SYSTEM: the service's own), whether it takes a reason and who may read
that reason, what else it sets on the row, and the emails it queues.

`transition()` is the only code that changes a state. It locks the row (`SELECT ... FOR
UPDATE` on PostgreSQL) and reads it again, refuses what the table does not allow (from this
state, by this person, now), changes the state, records the audit event and queues the
emails, all in the caller's transaction: it flushes, the request commits.
`available()` lists what a person may do to a thing now: the pages show those actions, and
only those. tests/unit/test_transitions.py reads the code and fails if anything else in
marks/ writes a state (but the one exception it names), and checks the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from marks import audit, mail, notifications, permissions
from marks.extensions import db
from marks.models import Application, Email, utcnow
from marks.states import ApplicationState as S
from marks.states import EmailState, ReasonAudience


class Refused(Exception):
    """A transition the table does not allow: from this state, by this person, or now; with
    a message for people."""


class TransitionRefused(Refused):
    """An application's transition refused."""


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


def SYSTEM(person: Any, thing: Any) -> bool:  # a predicate, named as the constant it is
    """The service's own transitions, made as a consequence of another (never from a page)."""
    return True


@dataclass(frozen=True)
class Change:
    """One transition as it is made: what the effects and the emails are given."""

    thing: Any
    transition: Transition
    actor: Any
    source: Any
    reason: str | None
    at: datetime
    details: dict[str, Any]

    @property
    def told(self) -> str | None:
        """The reason, if the council may read it; None if it is for the record only."""
        return self.reason if permissions.council_may_read(self.transition.reason) else None


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Any]
    target: Any
    may: Callable[[Any, Any], bool]  # (person, thing): from permissions.py, or SYSTEM
    # Who may read the reason it takes (None: it takes none), and whether it must have one.
    reason: ReasonAudience | None = None
    needs_reason: bool = False
    # Why it cannot be made now beyond the thing's own state (another thing's state), or None.
    when: Callable[[Any], str | None] | None = None
    effect: Callable[[Change], None] | None = None  # what else it sets: dates, fields
    emails: Callable[[Change], None] | None = None  # notifications.py
    event: str | None = None  # the audit action, if not "<subject>.<action>"
    # What a person is told when the thing is in a state it cannot start from.
    refusals: dict[Any, str] = field(default_factory=dict)
    # What a person is told when they may not make it (None: a message for the logs).
    forbidden: str | None = None


@dataclass(frozen=True)
class Machine:
    subject: str  # "application": the audit events' prefix
    model: type
    transitions: tuple[Transition, ...]
    # What it raises: a Refused, or (mail.ResendRefused) an exception of a module below this.
    refused: type[Exception] = Refused
    # The audit event's application and council, from the thing.
    where: Callable[[Any], dict[str, Any]] = lambda thing: {}

    def __getitem__(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        raise self.refused(f"there is no transition called {action}")


MACHINES: dict[type, Machine] = {}


def machine(table: Machine) -> Machine:
    """Register a thing's table: `transition()` finds it by the thing's class."""
    MACHINES[table.model] = table
    return table


def _said(t: Transition) -> str:
    return t.action.replace("_", " ")


def _why_not(table: Machine, t: Transition, thing: Any, person: Any) -> str | None:
    if thing.state not in t.sources:
        return t.refusals.get(thing.state) or (
            f"You cannot {_said(t)} this {table.subject} now: it is {thing.state}"
        )
    if t.may is not SYSTEM and (person is None or not t.may(person, thing)):
        return t.forbidden or f"You may not {_said(t)} this {table.subject}"
    return t.when(thing) if t.when else None


def transition(
    thing: Any, action: str, *, actor: Any, reason: str | None = None, **details: Any
) -> Change:
    """Move the thing along the named transition, or raise its machine's Refused."""
    table = MACHINES[type(thing)]
    t = table[action]
    if reason is not None and t.reason is None:
        raise table.refused(f"{action} takes no reason")
    reason = reason.strip() if reason is not None else None
    if t.needs_reason and not reason:
        raise table.refused(f"{action} needs a reason")
    for held in (False, True):  # refused at once as it stands; checked again under the lock
        refused = _why_not(table, t, thing, actor)
        if refused:
            raise table.refused(refused)
        if not held:
            lock(thing)
    change = Change(thing, t, actor, thing.state, reason or None, utcnow(), details)
    thing.state = t.target
    if t.effect:
        t.effect(change)
    db.session.flush()
    audit.record(
        t.event or f"{table.subject}.{action}",
        thing,
        actor=actor,
        from_state=str(change.source),
        to_state=str(t.target),
        reason=change.reason,
        reason_audience=t.reason,
        **table.where(thing),
        **details,
    )
    if t.emails:
        t.emails(change)
    return change


def may(thing: Any, action: str, person: Any) -> bool:
    """Whether the person may make the transition now (from this state, as who they are)."""
    table = MACHINES[type(thing)]
    return _why_not(table, table[action], thing, person) is None


def startable(thing: Any, action: str) -> bool:
    """Whether the thing's state is one the transition may start from (whoever makes it)."""
    return thing.state in MACHINES[type(thing)][action].sources


def available(thing: Any, person: Any) -> list[str]:
    """The actions the person may take on the thing now: what their page offers them."""
    table = MACHINES[type(thing)]
    return [
        t.action
        for t in table.transitions
        if t.may is not SYSTEM and _why_not(table, t, thing, person) is None
    ]


# --- Applications ----------------------------------------------------------------------------


def _submitted(change: Change) -> None:
    change.thing.submitted_at = change.at


def _decided(change: Change) -> None:
    change.thing.decided_at = change.at


def _reopened_answers_answered(application: Application) -> str | None:
    # Imported here: the applying domain imports this module (a cycle at import time).
    from marks.applying import applications

    return applications.resubmit_problem(application)


APPLICATION = machine(
    Machine(
        "application",
        Application,
        (
            Transition(
                "submit",
                frozenset({S.DRAFT}),
                S.SUBMITTED,
                permissions.may_act_for_council,
                effect=_submitted,
                emails=notifications.application_submitted,
            ),
            Transition(
                "withdraw",
                frozenset({S.DRAFT, S.SUBMITTED}),
                S.WITHDRAWN,
                permissions.may_act_for_council,
                reason=ReasonAudience.COUNCIL,
                emails=notifications.application_withdrawn,
            ),
            Transition(
                "start_review",
                frozenset({S.SUBMITTED}),
                S.UNDER_REVIEW,
                permissions.may_administer,
            ),
            Transition("all_assessed", frozenset({S.UNDER_REVIEW}), S.READY_FOR_DECISION, SYSTEM),
            Transition(
                "request_information",
                frozenset({S.UNDER_REVIEW, S.READY_FOR_DECISION}),
                S.INFO_REQUESTED,
                permissions.may_administer,
                reason=ReasonAudience.COUNCIL,  # what the council is asked for
                needs_reason=True,
                emails=notifications.information_requested,
            ),
            Transition(
                "resubmit",
                frozenset({S.INFO_REQUESTED}),
                S.UNDER_REVIEW,
                permissions.may_act_for_council,
                when=_reopened_answers_answered,
                emails=notifications.application_resubmitted,
            ),
            Transition(
                "approve",
                frozenset({S.READY_FOR_DECISION}),
                S.APPROVED,
                permissions.may_administer,
                # Why the level differs from the one the scores earn: for the record only.
                reason=ReasonAudience.RECORD,
                effect=_decided,
                emails=notifications.application_decided,
            ),
            Transition(
                "reject",
                frozenset({S.READY_FOR_DECISION}),
                S.REJECTED,
                permissions.may_administer,
                reason=ReasonAudience.COUNCIL,  # the reasons the council is told
                needs_reason=True,
                effect=_decided,
                emails=notifications.application_decided,
            ),
        ),
        refused=TransitionRefused,
        where=lambda application: {
            "application_id": application.id,
            "council_id": application.council_id,
        },
    )
)


# --- Emails: sending again one that could not be sent ----------------------------------------
# Here rather than in mail.py: the outbox is below the engine (the engine queues emails
# through notifications.py, which queues them in mail.py). The worker's own record of what the
# mail server answered is mail.send_queued's (tests/unit/test_transitions.py says why).


def _queued_again(change: Change) -> None:
    """A fresh count of attempts; its last error stays until it is sent, so the outbox page
    still says what went wrong."""
    change.thing.attempts = 0
    change.thing.next_attempt_at = None


def _has_a_message(email: Email) -> str | None:
    if email.body_text:
        return None
    return "Its message was removed, as the privacy notice says: there is nothing to send again."


EMAIL = machine(
    Machine(
        "email",
        Email,
        (
            Transition(
                "resend",
                frozenset({EmailState.FAILED}),
                EmailState.QUEUED,
                permissions.may_administer,
                when=_has_a_message,
                effect=_queued_again,
                event="email.resent",
                refusals={
                    state: (
                        "Only an email that could not be sent can be sent again: "
                        f"this one is {state}."
                    )
                    for state in EmailState
                    if state != EmailState.FAILED
                },
            ),
        ),
        refused=mail.ResendRefused,
    )
)
