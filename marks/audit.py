"""The audit log: an append-only record of who did what, when, and why."""

from __future__ import annotations

from typing import Any

from marks.extensions import db
from marks.models import AuditEvent, User
from marks.states import ReasonAudience


def record(
    action: str,
    subject: Any,
    *,
    actor: User | None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    reason_audience: ReasonAudience | None = None,
    application_id: int | None = None,
    council_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (flushed, never committed here). A reason
    comes with who may read it (`reason_audience`), decided where the change is defined."""
    if reason is not None and reason_audience is None:
        raise ValueError(f"{action}: say who may read the reason (reason_audience)")
    event = AuditEvent(
        action=action,
        subject_type=type(subject).__name__,
        subject_id=getattr(subject, "id", None),
        actor_id=actor.id if actor is not None else None,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        reason_audience=reason_audience if reason is not None else None,
        application_id=application_id,
        council_id=council_id,
        data=data,
    )
    db.session.add(event)
    db.session.flush()
    return event
