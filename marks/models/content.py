"""The scheme's content: editions, levels, themes, criteria and their rubric."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marks.extensions import db
from marks.models.base import UTCDateTime, created_column, state_column
from marks.states import EditionState


class Edition(db.Model):
    """A set of criteria. Published editions are immutable; applications are bound to one."""

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[EditionState] = state_column(EditionState, default=EditionState.DRAFT)
    validity_months: Mapped[int] = mapped_column(default=24)
    pass_mark: Mapped[int]
    theme_minimum: Mapped[int]
    assessors_per_application: Mapped[int] = mapped_column(default=2)
    narrative_word_limit: Mapped[int] = mapped_column(default=500)
    # Labels of the scale's points, index = score: ["Not in place", ..., "Exemplary"].
    scale_labels: Mapped[list[str]] = mapped_column(sa.JSON)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cloned_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("editions.id"))
    created_at: Mapped[datetime] = created_column()

    themes: Mapped[list[Theme]] = relationship(
        back_populates="edition", order_by="Theme.position", cascade="all, delete-orphan"
    )
    levels: Mapped[list[Level]] = relationship(
        back_populates="edition", order_by="Level.min_percent", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("year BETWEEN 2000 AND 2999", name="year_range"),
        sa.CheckConstraint("validity_months > 0", name="validity_positive"),
        sa.CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark_percent"),
        sa.CheckConstraint("theme_minimum BETWEEN 0 AND 100", name="theme_minimum_percent"),
        sa.CheckConstraint("assessors_per_application >= 1", name="assessors_positive"),
        sa.CheckConstraint("narrative_word_limit > 0", name="word_limit_positive"),
        sa.CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at", name="window_order"
        ),
        sa.CheckConstraint(
            "(state = 'published') = (published_at IS NOT NULL)", name="published_has_date"
        ),
    )

    @property
    def scale_max(self) -> int:
        return len(self.scale_labels) - 1

    @property
    def criteria(self) -> list[Criterion]:
        return [c for t in self.themes for c in t.criteria]


class Level(db.Model):
    """A level of the Mark an edition awards (its Open Badges BadgeClass)."""

    __tablename__ = "levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id"))
    code: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(100))
    min_percent: Mapped[int]

    edition: Mapped[Edition] = relationship(back_populates="levels")

    __table_args__ = (
        sa.UniqueConstraint("edition_id", "code"),
        sa.UniqueConstraint("edition_id", "min_percent"),
        sa.CheckConstraint("min_percent BETWEEN 0 AND 100", name="min_percent_range"),
    )


class Theme(db.Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id"))
    code: Mapped[str] = mapped_column(sa.String(60))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int]

    edition: Mapped[Edition] = relationship(back_populates="themes")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="theme", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("edition_id", "code"),
        sa.UniqueConstraint("edition_id", "position"),
    )


class Criterion(db.Model):
    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id"))
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text)
    guidance: Mapped[str] = mapped_column(sa.Text)
    expected_evidence: Mapped[list[str]] = mapped_column(sa.JSON)
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    # None: the edition's narrative_word_limit applies.
    word_limit: Mapped[int | None]
    position: Mapped[int]

    theme: Mapped[Theme] = relationship(back_populates="criteria")
    descriptors: Mapped[list[RubricDescriptor]] = relationship(
        back_populates="criterion", order_by="RubricDescriptor.score", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("theme_id", "code"),
        sa.UniqueConstraint("theme_id", "position"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        sa.CheckConstraint("word_limit IS NULL OR word_limit > 0", name="word_limit_positive"),
    )


class RubricDescriptor(db.Model):
    """What a score means for one criterion: 0 = not in place ... 4 = exemplary."""

    __tablename__ = "rubric_descriptors"

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    score: Mapped[int]
    descriptor: Mapped[str] = mapped_column(sa.Text)

    criterion: Mapped[Criterion] = relationship(back_populates="descriptors")

    __table_args__ = (
        sa.UniqueConstraint("criterion_id", "score"),
        sa.CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
    )
