"""Records the service keeps of itself: the audit log and the email outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marks.extensions import db
from marks.models.base import UTCDateTime, created_column, state_column
from marks.models.people import User
from marks.states import EmailState, ReasonAudience


class AuditEvent(db.Model):
    """Something that happened: who, when, to what, from which state to which, and why.

    Append-only: rows are written, never changed, but for the law's exceptions: a person's
    name and email address are taken out when they are erased (marks/people/personal_data.py),
    and an address invited and never accepted when its invitation is deleted
    (marks/people/retention.py); a sign-up never confirmed goes with its own events.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = created_column()
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None]
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    council_id: Mapped[int | None] = mapped_column(sa.ForeignKey("councils.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str | None] = mapped_column(sa.String(40))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    # Who may read the reason (every reason says): the public, the council, or the record only.
    reason_audience: Mapped[ReasonAudience | None] = state_column(ReasonAudience)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),
        sa.CheckConstraint(
            "(reason IS NULL) = (reason_audience IS NULL)", name="reason_has_audience"
        ),
    )


class Email(db.Model):
    """An email in the outbox: written in the same transaction as the change it tells of,
    sent later by the worker, retried on failure, never lost."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    template: Mapped[str] = mapped_column(sa.String(80))
    state: Mapped[EmailState] = state_column(EmailState, default=EmailState.QUEUED, index=True)
    # Makes a message that must go at most once (a reminder, say) unstorable twice.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_column()

    __table_args__ = (
        sa.CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_has_date"),
        sa.CheckConstraint("state <> 'failed' OR last_error IS NOT NULL", name="failed_has_error"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )
