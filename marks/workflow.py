"""The one place an application changes state.

`transition()` refuses what the table does not allow (from this state, by this person), then
changes the state, stamps the dates, records an audit event (who, when, from, to, why) and
queues the emails, all in the caller's transaction: it flushes, the request commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marks import audit, notifications, permissions
from marks.models import Application, User, utcnow
from marks.states import ApplicationState as S


class TransitionRefused(Exception):
    """A transition that the table does not allow, or that this person may not make."""


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


TRANSITIONS = {
    t.name: t
    for t in [
        Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, _council_member),
        Transition("withdraw", frozenset({S.DRAFT, S.SUBMITTED}), S.WITHDRAWN, _council_member),
        Transition("start_review", frozenset({S.SUBMITTED}), S.UNDER_REVIEW, _administrator),
        Transition("all_assessed", frozenset({S.UNDER_REVIEW}), S.READY_FOR_DECISION, _system),
        Transition(
            "request_information",
            frozenset({S.UNDER_REVIEW, S.READY_FOR_DECISION}),
            S.INFO_REQUESTED,
            _administrator,
            needs_reason=True,
        ),
        Transition("resubmit", frozenset({S.INFO_REQUESTED}), S.UNDER_REVIEW, _council_member),
        Transition("approve", frozenset({S.READY_FOR_DECISION}), S.APPROVED, _administrator),
        Transition(
            "reject",
            frozenset({S.READY_FOR_DECISION}),
            S.REJECTED,
            _administrator,
            needs_reason=True,
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
        application_id=application.id,
        council_id=application.council_id,
    )
    notifications.after_transition(name, application, actor=actor, reason=reason)
