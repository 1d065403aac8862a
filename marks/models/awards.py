"""Awards of the Mark, their certificates, and the certificate number sequence."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from marks.extensions import db
from marks.models.applications import Application
from marks.models.base import UTCDateTime, created_column, state_column, utcnow
from marks.models.content import Edition, Level
from marks.models.people import Council
from marks.states import AwardState


class Award(db.Model):
    """The Mark, awarded to a council by an approved application.

    Expiry is computed from expires_on, never stored as a state, so it holds whether or not
    any job ran.
    """

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", use_alter=True), unique=True
    )
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"), index=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id"))
    level_id: Mapped[int] = mapped_column(sa.ForeignKey("levels.id"))
    certificate_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    year: Mapped[int]
    sequence: Mapped[int]
    state: Mapped[AwardState] = state_column(AwardState, default=AwardState.CURRENT)
    awarded_on: Mapped[date]
    expires_on: Mapped[date] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("awards.id"))
    # Its place in the Open Badges 3.0 status lists (awarding/status_list.py): allocated at
    # issue, never changed. Nullable only while older code, during a rolling upgrade, may still
    # issue awards without one (the migration numbers those before it).
    status_index: Mapped[int | None] = mapped_column(unique=True)
    # The council's most recent award: the one the register shows (one per council).
    is_latest: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_column()
    # When anything about the award last changed: the register's caches follow it.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    application: Mapped[Application] = relationship(foreign_keys=[application_id])
    council: Mapped[Council] = relationship()
    edition: Mapped[Edition] = relationship()
    level: Mapped[Level] = relationship()
    certificate: Mapped[Certificate | None] = relationship(back_populates="award")
    superseded_by: Mapped[Award | None] = relationship(
        remote_side=[id], foreign_keys=[superseded_by_id]
    )

    __table_args__ = (
        sa.UniqueConstraint("year", "sequence"),
        sa.Index("ix_awards_council_latest", "council_id", "awarded_on", "id"),
        sa.Index(
            "uq_awards_one_latest_per_council",
            "council_id",
            unique=True,
            # As each database writes the condition in queries, so that they use the index.
            sqlite_where=sa.text("is_latest = 1"),
            postgresql_where=sa.text("is_latest"),
        ),
        sa.CheckConstraint("sequence BETWEEN 1 AND 99999", name="sequence_range"),
        sa.CheckConstraint("certificate_number LIKE 'SMFM-%'", name="certificate_number_format"),
        sa.CheckConstraint("expires_on > awarded_on", name="expires_after_award"),
        sa.CheckConstraint(
            "(state = 'revoked') = (revoked_at IS NOT NULL AND revocation_reason IS NOT NULL)",
            name="revoked_has_reason",
        ),
        sa.CheckConstraint(
            "(state = 'superseded') = (superseded_by_id IS NOT NULL)",
            name="superseded_has_successor",
        ),
    )


class Certificate(db.Model):
    """An award's rendered PDF, stored so every app server serves the same bytes."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("awards.id"), unique=True)
    pdf: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # A hash of everything printed on the certificate: when it changes, render again.
    printed_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    rendered_at: Mapped[datetime] = created_column()
    # When it was last compared with what is true now (rendered again if it differed): an
    # award changed since (its updated_at is later) is due to be checked by the mail worker.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    award: Mapped[Award] = relationship(back_populates="certificate")


class CertificateCounter(db.Model):
    """The last certificate sequence number used in a year; locked while a number is taken."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("last_sequence BETWEEN 0 AND 99999", name="in_range"),)
