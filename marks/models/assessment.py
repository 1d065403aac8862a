"""Assessment: assessor assignments, their assessments and scores, requests for more
information, and the administrator's decision."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marks.extensions import db
from marks.models.applications import Application
from marks.models.base import UTCDateTime, created_column, state_column, utcnow
from marks.models.content import Criterion, Level
from marks.models.people import User
from marks.states import AssessmentState, AssignmentState, DecisionOutcome, Recommendation


class Assignment(db.Model):
    """An assessor assigned to an application by an administrator."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    state: Mapped[AssignmentState] = state_column(AssignmentState, default=AssignmentState.ACTIVE)
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = created_column()
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conflict_reason: Mapped[str | None] = mapped_column(sa.Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    assigned_by: Mapped[User] = relationship(foreign_keys=[assigned_by_id])
    assessment: Mapped[Assessment | None] = relationship(back_populates="assignment")

    __table_args__ = (
        sa.Index(
            "uq_assignments_active_assessor",
            "application_id",
            "assessor_id",
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        ),
        sa.CheckConstraint(
            "state <> 'conflict_declared' OR conflict_reason IS NOT NULL",
            name="conflict_has_reason",
        ),
        sa.CheckConstraint("(state = 'active') = (ended_at IS NULL)", name="ended_has_date"),
    )


class Assessment(db.Model):
    """One assessor's scoring of one application."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id"), unique=True)
    state: Mapped[AssessmentState] = state_column(
        AssessmentState, default=AssessmentState.IN_PROGRESS
    )
    recommendation: Mapped[Recommendation | None] = state_column(Recommendation, nullable=True)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[Assignment] = relationship(back_populates="assessment")
    scores: Mapped[list[Score]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "state <> 'submitted' OR (recommendation IS NOT NULL AND submitted_at IS NOT NULL)",
            name="submitted_is_complete",
        ),
    )


class Score(db.Model):
    """An assessor's score for one criterion, with feedback for the council and a private note."""

    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    score: Mapped[int | None]
    feedback: Mapped[str] = mapped_column(sa.Text, default="")
    private_note: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "criterion_id"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 10", name="score_range"),
    )


class InformationRequest(db.Model):
    """An administrator's request to the council for more information on named criteria."""

    __tablename__ = "information_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    message: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = created_column()
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
    requested_by: Mapped[User] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(secondary="information_request_criteria")

    __table_args__ = (sa.CheckConstraint("length(message) > 0", name="message_not_empty"),)


information_request_criteria = sa.Table(
    "information_request_criteria",
    db.metadata,
    sa.Column(
        "information_request_id",
        sa.ForeignKey("information_requests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("criterion_id", sa.ForeignKey("criteria.id"), primary_key=True),
)


class Decision(db.Model):
    """The administrator's final decision on an application: one per application, ever."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), unique=True)
    outcome: Mapped[DecisionOutcome] = state_column(DecisionOutcome)
    # What the scores earned, kept as decided: the rules may change in later editions.
    computed_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    computed_level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id"))
    level_id: Mapped[int | None] = mapped_column(sa.ForeignKey("levels.id"))
    reasons: Mapped[str] = mapped_column(sa.Text, default="")
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = created_column()

    application: Mapped[Application] = relationship()
    level: Mapped[Level | None] = relationship(foreign_keys=[level_id])
    computed_level: Mapped[Level | None] = relationship(foreign_keys=[computed_level_id])
    decided_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(outcome = 'approved') = (level_id IS NOT NULL)", name="approved_has_level"
        ),
        sa.CheckConstraint(
            "outcome <> 'rejected' OR length(reasons) > 0", name="rejected_has_reasons"
        ),
        # Approving at a level other than the computed one needs a written reason.
        sa.CheckConstraint(
            "level_id IS NULL OR override_reason IS NOT NULL"
            " OR (computed_level_id IS NOT NULL AND level_id = computed_level_id)",
            name="override_has_reason",
        ),
    )
