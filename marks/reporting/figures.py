"""How the scheme is doing: the figures of the administrators' dashboard, each from one query
(grouped in the database, or bucketed here where SQLite and PostgreSQL differ), read-only.

Decisions are read from the application (its state and decided_at): the workflow sets both on
approval and rejection, a CHECK constraint keeps them together, and awards loaded in bulk
(imports, the benchmark data) have them without a Decision row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marks.extensions import db
from marks.models import Application, Assessment, Assignment, Award, Council, User, utcnow
from marks.presentation import LONDON
from marks.register import search
from marks.states import (
    ApplicationState,
    AssessmentState,
    AssignmentState,
    AwardState,
    Nation,
    UserRole,
)

EXPIRING_DAYS = search.EXPIRING_DAYS  # "expiring soon", as the register says it
MONTHS = 12
DECIDED = (ApplicationState.APPROVED, ApplicationState.REJECTED)


@dataclass(frozen=True)
class Month:
    """Decisions made in one calendar month (UK time)."""

    start: date
    approved: int
    rejected: int

    @property
    def label(self) -> str:
        return f"{self.start:%b %Y}"

    @property
    def name(self) -> str:
        return f"{self.start:%B %Y}"


@dataclass(frozen=True)
class Workload:
    """An active assessor's unfinished assessments, and how many of them are past due."""

    assessor_id: int
    name: str
    in_progress: int
    overdue: int


@dataclass(frozen=True)
class AverageTime:
    """The mean time from an application's submission to its decision."""

    days: float | None
    decisions: int

    @property
    def text(self) -> str:
        if self.days is None:
            return "No decisions yet"
        rounded = round(self.days, 1)
        figure = f"{rounded:g}" if rounded.is_integer() else f"{rounded:.1f}"
        return f"{figure} {'day' if rounded == 1 else 'days'}"


@dataclass(frozen=True)
class Figures:
    now: datetime
    applications: list[tuple[ApplicationState, int]]
    awards_by_level: list[tuple[str, int]]
    awards_by_nation: list[tuple[Nation, int]]
    months: list[Month]
    average: AverageTime
    workload: list[Workload]
    overdue: list[Assignment]
    expiring: list[Award]


def dashboard(now: datetime | None = None) -> Figures:
    """Every figure of the dashboard, as at `now`: a fixed number of queries."""
    now = now or utcnow()
    today = now.date()
    return Figures(
        now=now,
        applications=applications_by_state(),
        awards_by_level=search.summary(today),
        awards_by_nation=awards_by_nation(today),
        months=decisions_by_month(now),
        average=average_time_to_decision(),
        workload=assessor_workload(now),
        overdue=overdue_assignments(now),
        expiring=expiring_awards(today),
    )


def applications_by_state() -> list[tuple[ApplicationState, int]]:
    """How many applications are in each state, every state listed (drafts included)."""
    counts = dict(
        db.session.execute(
            sa.select(Application.state, sa.func.count()).group_by(Application.state)
        ).all()
    )
    return [(state, counts.get(state, 0)) for state in ApplicationState]


def _current_on(on: date) -> list:
    """Councils holding the Mark on the day: their latest award, neither revoked nor expired
    (the register's rule)."""
    return [Award.is_latest, Award.state == AwardState.CURRENT, Award.expires_on > on]


def awards_by_nation(on: date) -> list[tuple[Nation, int]]:
    """Councils holding the Mark on the day, by nation, every nation listed."""
    counts = dict(
        db.session.execute(
            sa.select(Council.nation, sa.func.count())
            .select_from(Award)
            .join(Council, Council.id == Award.council_id)
            .where(*_current_on(on))
            .group_by(Council.nation)
        ).all()
    )
    return [(nation, counts.get(nation, 0)) for nation in Nation]


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def decisions_by_month(now: datetime, months: int = MONTHS) -> list[Month]:
    """Approvals and rejections in each of the last `months` calendar months (UK time), this
    month included, oldest first. Bucketed here: SQLite and PostgreSQL truncate dates
    differently, and a year of decisions is a few hundred rows."""
    this_month = now.astimezone(LONDON).date()
    starts = [_month_start(this_month, back) for back in range(months - 1, -1, -1)]
    since = datetime.combine(starts[0], time(0, 0), tzinfo=LONDON).astimezone(UTC)
    rows = db.session.execute(
        sa.select(Application.decided_at, Application.state).where(
            Application.state.in_(DECIDED), Application.decided_at >= since
        )
    ).all()
    counted = Counter(
        (_month_start(decided_at.astimezone(LONDON).date()), state) for decided_at, state in rows
    )
    return [
        Month(
            start,
            counted[(start, ApplicationState.APPROVED)],
            counted[(start, ApplicationState.REJECTED)],
        )
        for start in starts
    ]


def average_time_to_decision() -> AverageTime:
    """The mean number of days from submission to decision, over every decided application."""
    if db.session.get_bind().dialect.name == "postgresql":
        days = sa.func.extract("epoch", Application.decided_at - Application.submitted_at) / 86400
    else:  # SQLite keeps UTC datetimes as text, which julianday() reads
        days = sa.func.julianday(Application.decided_at) - sa.func.julianday(
            Application.submitted_at
        )
    average, decided = db.session.execute(
        sa.select(sa.func.avg(days), sa.func.count()).where(
            Application.state.in_(DECIDED), Application.submitted_at.is_not(None)
        )
    ).one()
    return AverageTime(float(average) if average is not None else None, decided)


def _unfinished() -> list:
    return [
        Assignment.state == AssignmentState.ACTIVE,
        Assessment.state == AssessmentState.IN_PROGRESS,
    ]


def assessor_workload(now: datetime) -> list[Workload]:
    """Every active assessor, with their unfinished assessments and how many are overdue,
    busiest first: one grouped query."""
    late = sa.and_(Assessment.id.is_not(None), Assignment.due_at < now)
    overdue = sa.func.coalesce(sa.func.sum(sa.case((late, 1), else_=0)), 0)
    unfinished = sa.func.count(Assessment.id)
    rows = db.session.execute(
        sa.select(User.id, User.full_name, unfinished, overdue)
        .select_from(User)
        .outerjoin(
            Assignment,
            sa.and_(Assignment.assessor_id == User.id, Assignment.state == AssignmentState.ACTIVE),
        )
        .outerjoin(
            Assessment,
            sa.and_(
                Assessment.assignment_id == Assignment.id,
                Assessment.state == AssessmentState.IN_PROGRESS,
            ),
        )
        .where(User.role == UserRole.ASSESSOR, User.deactivated_at.is_(None))
        .group_by(User.id, User.full_name)
        .order_by(unfinished.desc(), User.full_name, User.id)
    ).all()
    return [Workload(id_, name, int(count), int(late)) for id_, name, count, late in rows]


def overdue_assignments(now: datetime) -> list[Assignment]:
    """Assessments past their due date and not yet submitted, the longest overdue first, with
    the application, its council and the assessor loaded."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .join(Assessment, Assessment.assignment_id == Assignment.id)
            .where(*_unfinished(), Assignment.due_at < now)
            .options(
                joinedload(Assignment.assessor),
                joinedload(Assignment.application).joinedload(Application.council),
            )
            .order_by(Assignment.due_at, Assignment.id)
        )
    )


def expiring_awards(on: date, days: int = EXPIRING_DAYS) -> list[Award]:
    """Councils' awards that run out within `days` of the day, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Award)
            .where(*_current_on(on), Award.expires_on <= on + timedelta(days=days))
            .options(joinedload(Award.council), joinedload(Award.level))
            .order_by(Award.expires_on, Award.certificate_number)
        )
    )
