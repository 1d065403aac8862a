"""The library of good practice: answers councils offered for other councils to learn from."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marks.extensions import db
from marks.models.applications import Answer, EvidenceFile
from marks.models.awards import Award
from marks.models.base import UTCDateTime, created_column, state_column, utcnow
from marks.models.people import User
from marks.states import PracticeState

# The evidence files the council chose to publish with an example: never any other.
practice_example_files = sa.Table(
    "practice_example_files",
    db.metadata,
    sa.Column(
        "example_id", sa.ForeignKey("practice_examples.id", ondelete="CASCADE"), primary_key=True
    ),
    # A file deleted by the retention rules (marks/people/retention.py) leaves the example.
    sa.Column(
        "evidence_file_id",
        sa.ForeignKey("evidence_files.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class PracticeExample(db.Model):
    """One answer of an awarded application, offered to the library by the council's lead,
    public once an administrator publishes it, gone from every page once withdrawn. The text
    is the answer's own (answers are locked once the application is decided); the note and
    the contact are the council's words beside it."""

    __tablename__ = "practice_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One example per answer: offered again, the same row comes back.
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id"), unique=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), index=True)
    state: Mapped[PracticeState] = state_column(
        PracticeState, default=PracticeState.OFFERED, index=True
    )
    # "What we would do differently", and how peers may reach the people who did it.
    note: Mapped[str | None] = mapped_column(sa.Text)
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    offered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_column()
    # When anything about it last changed: the library's pages and feeds follow it.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    answer: Mapped[Answer] = relationship()
    award: Mapped[Award] = relationship()
    offered_by: Mapped[User] = relationship()
    files: Mapped[list[EvidenceFile]] = relationship(
        secondary=practice_example_files, order_by="EvidenceFile.id"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "state != 'published' OR published_at IS NOT NULL", name="published_has_date"
        ),
    )
