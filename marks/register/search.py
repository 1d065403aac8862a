"""The register's query: each council that holds or has held the Mark, with its latest award
and that award's status, computed in SQL from the dates (so it is right whether or not any
job ran), filtered, sorted and counted in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from marks.awarding import awards
from marks.extensions import db
from marks.models import Award, Council, Edition, Level, utcnow
from marks.people.councils import search_name
from marks.states import AwardState, AwardStatus, CouncilKind, Nation

PAGE_SIZE = 25
EXPIRING_DAYS = awards.EXPIRING_SOON_DAYS
MAX_PAGE = 100_000


class Status(StrEnum):
    """An award's status as the register shows it."""

    CURRENT = "current"
    EXPIRING_SOON = "expiring-soon"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"expiring-soon": "Expiring soon"}.get(self.value, self.value.capitalize())


@dataclass(frozen=True)
class Validity:
    """Until when an award holds, as the register tells it: while it holds, the day it is
    valid until; once it has stopped, how and when ("Revoked" on the day, "Expired",
    "Renewed"), never a day it will not reach."""

    ended: str | None
    on: date | datetime


def validity(award: Award, status: str, renewed_on: date | None = None) -> Validity:
    """An award's Validity, given its status today (and, for a renewed one, the day its
    successor was awarded)."""
    if status == Status.REVOKED and award.revoked_at is not None:
        return Validity("Revoked", award.revoked_at)
    if status == Status.SUPERSEDED and renewed_on is not None:
        return Validity("Renewed", renewed_on)
    if status == Status.EXPIRED:
        return Validity("Expired", award.expires_on)
    return Validity(None, award.expires_on)


# What the status filter offers; "current" includes those expiring soon: they still hold it.
STATUS_FILTERS = ("current", "expiring-soon", "expired", "revoked", "all")
SORTS = ("name", "newest", "oldest")


class BadFilter(ValueError):
    """A query string the register cannot answer: a 400, with the reason."""


@dataclass(frozen=True)
class Filters:
    q: str = ""
    nation: str = ""
    kind: str = ""
    level: str = ""
    status: str = "current"
    year: int | None = None
    sort: str = "name"
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        """From the query string: unknown parameters ignored, values normalised (spaces, and
        the case of the ones chosen from a list), unknown values refused, never guessed."""
        q = " ".join((args.get("q") or "").split())[:100]
        nation = _one_of(args.get("nation", ""), [n.value for n in Nation])
        if nation is None:
            raise BadFilter(f"There is no nation called {args['nation']!r}")
        kind = _one_of(args.get("kind", ""), [k.value for k in CouncilKind])
        if kind is None:
            raise BadFilter(f"There is no kind of council called {args['kind']!r}")
        level = args.get("level", "").strip()
        if level and not level.replace("-", "").isalnum():
            raise BadFilter("The level is not one the scheme awards")
        status = _one_of(args.get("status") or "current", STATUS_FILTERS)
        if status is None:
            raise BadFilter(f"Status must be one of {', '.join(STATUS_FILTERS)}")
        sort = _one_of(args.get("sort") or "name", SORTS)
        if sort is None:
            raise BadFilter(f"Sort must be one of {', '.join(SORTS)}")
        return cls(
            q=q,
            nation=nation,
            kind=kind,
            level=level,
            status=status,
            year=_number(args.get("year"), "year", 2000, 2999),
            sort=sort,
            page=_number(args.get("page"), "page", 1, MAX_PAGE) or 1,
        )

    def cache_key(self) -> str:
        """The filters as one string, the same for every query string that means them."""
        return urlencode(sorted(self.query_string().items()))

    def query_string(self, **changes: object) -> dict[str, object]:
        """The filters as URL parameters (defaults left out), with some changed."""
        values = replace(self, **changes) if changes else self
        params = {
            "q": values.q,
            "nation": values.nation,
            "kind": values.kind,
            "level": values.level,
            "status": values.status if values.status != "current" else "",
            "year": values.year or "",
            "sort": values.sort if values.sort != "name" else "",
            "page": values.page if values.page != 1 else "",
        }
        return {k: v for k, v in params.items() if v not in ("", None)}


def _one_of(text: str, values: Sequence[str]) -> str | None:
    """The value of `values` that `text` names, whatever its case and spaces ("" for ""), or
    None if none."""
    text = " ".join(text.split()).casefold()
    if not text:
        return ""
    return next((value for value in values if value.casefold() == text), None)


def _number(text: str | None, name: str, low: int, high: int) -> int | None:
    if text in (None, ""):
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadFilter(f"The {name} must be a whole number from {low} to {high}")
    return int(text)


def today() -> date:
    return utcnow().date()


def _status_sql(on: date) -> sa.ColumnElement[str]:
    return sa.case(
        (Award.state == AwardState.REVOKED, Status.REVOKED.value),
        (Award.state == AwardState.SUPERSEDED, Status.SUPERSEDED.value),
        (Award.expires_on <= on, Status.EXPIRED.value),
        (Award.expires_on <= on + timedelta(days=EXPIRING_DAYS), Status.EXPIRING_SOON.value),
        else_=Status.CURRENT.value,
    )


def _conditions(filters: Filters, on: date) -> tuple[list, bool, bool]:
    """The WHERE terms for the filters, and whether they need the councils and levels."""
    terms: list = [Award.is_latest]
    words = search_name(filters.q).split()
    terms += [Council.search_name.contains(word, autoescape=True) for word in words]
    if filters.nation:
        terms.append(Council.nation == filters.nation)
    if filters.kind:
        terms.append(Council.kind == filters.kind)
    if filters.level:
        terms.append(Level.code == filters.level)
    if filters.year:
        terms.append(Award.year == filters.year)
    # Each status as plain conditions on indexed columns (the same rules as _status_sql).
    soon = on + timedelta(days=EXPIRING_DAYS)
    current = Award.state == AwardState.CURRENT
    terms += {
        "current": [current, Award.expires_on > on],
        "expiring-soon": [current, Award.expires_on > on, Award.expires_on <= soon],
        "expired": [current, Award.expires_on <= on],
        "revoked": [Award.state == AwardState.REVOKED],
        "all": [],
    }[filters.status]
    needs_councils = bool(words or filters.nation or filters.kind)
    return terms, needs_councils, bool(filters.level)


def _filtered(filters: Filters, on: date, *columns: sa.ColumnElement) -> sa.Select:
    """Each council's latest award (one per council, marked in the table), filtered: the
    council, award and level (or the columns given), and the award's status."""
    terms, _, _ = _conditions(filters, on)
    return (
        sa.select(*(columns or (Council, Award, Level)), _status_sql(on).label("status"))
        .select_from(Award)
        .join(Council, Council.id == Award.council_id)
        .join(Level, Level.id == Award.level_id)
        .where(*terms)
    )


def count(filters: Filters, on: date) -> int:
    """How many councils match, joining only the tables the filters need."""
    terms, needs_councils, needs_levels = _conditions(filters, on)
    statement = sa.select(sa.func.count(Award.id)).select_from(Award)
    if needs_councils:
        statement = statement.join(Council, Council.id == Award.council_id)
    if needs_levels:
        statement = statement.join(Level, Level.id == Award.level_id)
    return db.session.scalar(statement.where(*terms))


@dataclass(frozen=True)
class Row:
    council: Council
    award: Award
    level: Level
    status: Status

    @property
    def validity(self) -> Validity:
        return validity(self.award, self.status)


@dataclass(frozen=True)
class Page:
    """One page of what the filters find (the register's rows, or another list's: the library
    of good practice's), with how many there are in all and how many a page holds."""

    rows: list[Any]
    total: int
    filters: Any
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


# By name: by the short name where there is one ("London Borough of Brent" under B), which
# search_name begins with.
ORDER = {
    "name": (Council.search_name, Council.id),
    "newest": (Award.awarded_on.desc(), Council.search_name),
    "oldest": (Award.awarded_on, Council.search_name),
}


def page(filters: Filters, on: date | None = None) -> Page:
    """One page of the register: two queries (the rows, and how many there are)."""
    on = on or today()
    total = count(filters, on)
    rows = db.session.execute(
        _filtered(filters, on)
        .order_by(*ORDER[filters.sort])
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    ).all()
    return Page([Row(c, a, lv, Status(s)) for c, a, lv, s in rows], total, filters)


def every_row(filters: Filters, on: date | None = None, batch: int = 1000) -> Iterator[Row]:
    """Every matching row, in batches, for the JSON and Atom downloads (the CSV reads
    every_record: plain values, faster)."""
    on = on or today()
    statement = _filtered(filters, on).order_by(*ORDER[filters.sort])
    result = db.session.execute(statement.execution_options(yield_per=batch))
    for council, award, level, status in result:
        yield Row(council, award, level, Status(status))


# What the open data's CSV prints of each row, besides the status (see every_record).
RECORD_COLUMNS = (
    Council.gss_code,
    Council.name,
    sa.type_coerce(Council.nation, sa.String).label("nation"),  # the value, as the CSV prints it
    sa.type_coerce(Council.kind, sa.String).label("kind"),
    Award.certificate_number,
    Level.name.label("level"),
    Award.year,
    Award.awarded_on,
    Award.expires_on,
    Award.revoked_at,
    Award.revocation_reason,
    Council.ons_name,
)


def every_record(
    filters: Filters, on: date | None = None, batch: int = 1000
) -> Iterator[Sequence[sa.Row]]:
    """Every matching row as plain values (RECORD_COLUMNS and the status; no ORM objects),
    in batches, streamed from a server-side cursor on PostgreSQL: for the full CSV, which at
    national scale is tens of thousands of rows."""
    on = on or today()
    statement = _filtered(filters, on, *RECORD_COLUMNS).order_by(*ORDER[filters.sort])
    options = {"stream_results": True, "yield_per": batch}
    # On the session's connection, not through the session: Core rows, no ORM loading.
    result = db.session.connection().execute(statement.execution_options(**options))
    yield from result.partitions()


def summary(on: date | None = None) -> list[tuple[str, int]]:
    """Councils holding the Mark now, by level name: the figures at the top of the register."""
    on = on or today()
    rows = db.session.execute(
        sa.select(Level.name, sa.func.count())
        .select_from(Award)
        .join(Level, Level.id == Award.level_id)
        .where(Award.is_latest, Award.state == AwardState.CURRENT, Award.expires_on > on)
        .group_by(Level.name, Level.min_percent)
        .order_by(Level.min_percent)
    ).all()
    return [(name, count) for name, count in rows]


def levels() -> list[tuple[str, str]]:
    """(code, name) of every level any published edition awards, for the filter."""
    rows = db.session.execute(
        sa.select(Level.code, Level.name)
        .join(Edition, Edition.id == Level.edition_id)
        .distinct()
        .order_by(Level.code)
    ).all()
    return [(code, name) for code, name in rows]


def award_years() -> list[int]:
    """The years awards are made in: those of the published editions."""
    return list(
        db.session.scalars(
            sa.select(Edition.year)
            .where(Edition.published_at.is_not(None))
            .distinct()
            .order_by(Edition.year.desc())
        )
    )


@dataclass(frozen=True)
class Version:
    """Changes whenever any award changes, or the day turns (statuses follow the date): the
    key of the register's caches and ETags."""

    key: str
    last_modified: datetime


def moment(value: datetime | str | None) -> datetime | None:
    """A max() of a UTC time column as it comes back: text on SQLite, naive or not."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def version() -> Version:
    # Awards are never deleted: the latest change (an indexed max) says all.
    latest = moment(db.session.scalar(sa.select(sa.func.max(Award.updated_at))))
    midnight = datetime.combine(today(), time(0, 0), tzinfo=UTC)
    changed = max(latest, midnight) if latest is not None else midnight
    return Version(f"{today().isoformat()}|{changed.isoformat()}", changed)


@dataclass(frozen=True)
class Held:
    """One award in a council's history: its status today, and until when it holds."""

    award: Award
    status: AwardStatus
    validity: Validity


def shared(history: list[Held]) -> Held | None:
    """The award a link to the council's page shows (its link card): the one it holds now,
    else its latest."""
    return next((held for held in history if held.status.holds), history[0] if history else None)


def council(gss_code: str) -> tuple[Council, list[Held]] | None:
    """A council and every award it has held, newest first, for its public page; None for a
    code the service does not know."""
    found = db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code.upper()))
    if found is None:
        return None
    history = db.session.scalars(
        sa.select(Award).where(Award.council_id == found.id).order_by(Award.awarded_on.desc())
    ).all()
    # A renewed award held until its successor was awarded: the history holds both.
    awarded_on = {award.id: award.awarded_on for award in history}
    held = []
    for award in history:
        status = awards.status(award)
        renewed_on = awarded_on.get(award.superseded_by_id)
        held.append(Held(award, status, validity(award, status, renewed_on)))
    return found, held
