"""A council's application: its answers, evidence links and evidence files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from marks.extensions import db
from marks.models.base import UTCDateTime, created_column, in_states, state_column, utcnow
from marks.models.content import Criterion, Edition
from marks.models.people import Council, User
from marks.states import OPEN_APPLICATION_STATES, ApplicationState

_OPEN = in_states("state", *sorted(OPEN_APPLICATION_STATES))


class Application(db.Model):
    """A council's self-assessment against one edition, from draft to decision."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"))
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id"), index=True)
    state: Mapped[ApplicationState] = state_column(
        ApplicationState, default=ApplicationState.DRAFT, index=True
    )
    # The award this application renews, if it is a renewal.
    renews_award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("awards.id"))
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # "About your council"
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(320))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    social_accounts: Mapped[str | None] = mapped_column(sa.Text)
    declaration_name: Mapped[str | None] = mapped_column(sa.String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    council: Mapped[Council] = relationship()
    edition: Mapped[Edition] = relationship()
    started_by: Mapped[User] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        """What the council quotes to the scheme about this application: its number."""
        return f"APP-{self.id:06d}"

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One open application per council at a time.
        sa.Index(
            "uq_applications_one_open_per_council",
            "council_id",
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL", name="submitted_has_date"
        ),
        sa.CheckConstraint(
            "(state IN ('approved', 'rejected')) = (decided_at IS NOT NULL)",
            name="decided_has_date",
        ),
    )


class Answer(db.Model):
    """A council's answer to one criterion. Versioned: two people saving at once conflict."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    self_score: Mapped[int | None]
    narrative: Mapped[str] = mapped_column(sa.Text, default="")
    # Reopened by a request for more information: the council may change it again.
    reopened: Mapped[bool] = mapped_column(default=False)
    # When the council saved the reopened answer again, or confirmed it needs no changes: it
    # may resubmit once every reopened answer has one (applications.resubmit_problem).
    reopened_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship(back_populates="answers")
    criterion: Mapped[Criterion] = relationship()
    updated_by: Mapped[User | None] = relationship()
    links: Mapped[list[EvidenceLink]] = relationship(
        back_populates="answer", order_by="EvidenceLink.position", cascade="all, delete-orphan"
    )
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="answer", order_by="EvidenceFile.id", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[AnswerRevision]] = relationship(
        back_populates="answer", order_by="AnswerRevision.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("application_id", "criterion_id"),
        sa.CheckConstraint(
            "self_score IS NULL OR self_score BETWEEN 0 AND 10", name="self_score_range"
        ),
    )


class EvidenceLink(db.Model):
    __tablename__ = "evidence_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_column()

    answer: Mapped[Answer] = relationship(back_populates="links")

    __table_args__ = (
        sa.CheckConstraint(
            "url LIKE 'https://%' OR url LIKE 'http://%'", name="url_is_web_address"
        ),
    )


class EvidenceFile(db.Model):
    """An uploaded file, stored in the database so every app server shares it."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(200))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Deferred: listing files must not load their bytes.
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()

    answer: Mapped[Answer] = relationship(back_populates="files")
    uploaded_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("size_bytes > 0", name="not_empty"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )


class AnswerRevision(db.Model):
    """An answer as it stood when a request for more information reopened it, kept so that
    assessors can see what the council changed."""

    __tablename__ = "answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answers.id"), index=True)
    information_request_id: Mapped[int] = mapped_column(sa.ForeignKey("information_requests.id"))
    self_score: Mapped[int | None]
    narrative: Mapped[str] = mapped_column(sa.Text)
    links: Mapped[list[str]] = mapped_column(sa.JSON)
    files: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = created_column()

    answer: Mapped[Answer] = relationship(back_populates="revisions")

    __table_args__ = (sa.UniqueConstraint("answer_id", "information_request_id"),)
