"""What the library of good practice's public pages read: the examples that are public (published,
and their award not revoked: a revoked award's examples vanish at once, their state kept),
searched and filtered as the register is, each with its council, award, criterion and answer,
in a fixed number of queries whatever the page holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import selectinload, undefer

from marks.extensions import db
from marks.models import (
    Answer,
    Award,
    Council,
    Criterion,
    Edition,
    EvidenceFile,
    Level,
    PracticeExample,
    Theme,
    practice_example_files,
)
from marks.people.councils import search_name
from marks.register import search
from marks.states import AwardState, PracticeState

PAGE_SIZE = 20
FEED_SIZE = 100


def _code(args: Mapping[str, str], name: str, what: str) -> str:
    """A theme's or a criterion's code as typed: letters, digits and hyphens, or refused."""
    code = (args.get(name) or "").strip()
    if code and not code.replace("-", "").isalnum():
        raise search.BadFilter(f"The {what} is not one of the scheme's")
    return code


@dataclass(frozen=True)
class Filters:
    """The library's query string: the register's search and council filters (parsed by
    search.Filters: the same normalising, the same refusals), a theme and a criterion."""

    q: str = ""
    theme: str = ""
    criterion: str = ""
    nation: str = ""
    kind: str = ""
    level: str = ""
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        shared = search.Filters.parse(
            {name: args[name] for name in ("q", "nation", "kind", "level", "page") if name in args}
        )
        return cls(
            q=shared.q,
            theme=_code(args, "theme", "theme").lower(),
            criterion=_code(args, "criterion", "criterion").upper(),
            nation=shared.nation,
            kind=shared.kind,
            level=shared.level,
            page=shared.page,
        )

    def query_string(self, **changes: object) -> dict[str, object]:
        """The filters as URL parameters (defaults left out), with some changed."""
        values = replace(self, **changes) if changes else self
        params = {
            "q": values.q,
            "theme": values.theme,
            "criterion": values.criterion,
            "nation": values.nation,
            "kind": values.kind,
            "level": values.level,
            "page": values.page if values.page != 1 else "",
        }
        return {k: v for k, v in params.items() if v not in ("", None)}

    def cache_key(self) -> str:
        """The filters as one string, the same for every query string that means them."""
        return urlencode(sorted(self.query_string().items()))


@dataclass(frozen=True)
class Row:
    """One public example and everything its pages show of it."""

    example: PracticeExample
    answer: Answer
    criterion: Criterion
    theme: Theme
    award: Award
    council: Council
    level: Level


def public() -> list[sa.ColumnElement[bool]]:
    """The terms that make an example public (the award joined)."""
    return [PracticeExample.state == PracticeState.PUBLISHED, Award.state != AwardState.REVOKED]


def _joined(statement: sa.Select) -> sa.Select:
    return (
        statement.select_from(PracticeExample)
        .join(Answer, Answer.id == PracticeExample.answer_id)
        .join(Criterion, Criterion.id == Answer.criterion_id)
        .join(Theme, Theme.id == Criterion.theme_id)
        .join(Award, Award.id == PracticeExample.award_id)
        .join(Council, Council.id == Award.council_id)
        .join(Level, Level.id == Award.level_id)
        .where(*public())
    )


def _conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    terms: list[sa.ColumnElement[bool]] = []
    # Each word somewhere: the answer, the note, the council's names or the criterion's title.
    for word in filters.q.split():
        lowered = word.lower()
        terms.append(
            sa.or_(
                sa.func.lower(Answer.narrative).contains(lowered, autoescape=True),
                sa.func.lower(PracticeExample.note).contains(lowered, autoescape=True),
                sa.func.lower(Criterion.title).contains(lowered, autoescape=True),
                Council.search_name.contains(search_name(word), autoescape=True),
            )
        )
    if filters.theme:
        terms.append(Theme.code == filters.theme)
    if filters.criterion:
        terms.append(Criterion.code == filters.criterion)
    if filters.nation:
        terms.append(Council.nation == filters.nation)
    if filters.kind:
        terms.append(Council.kind == filters.kind)
    if filters.level:
        terms.append(Level.code == filters.level)
    return terms


ENTITIES = (PracticeExample, Answer, Criterion, Theme, Award, Council, Level)
# By theme and criterion, as the criteria page reads; within one, by council.
ORDER = (
    Theme.position,
    Criterion.position,
    Criterion.code,
    Council.search_name,
    PracticeExample.id,
)


def _rows(statement: sa.Select) -> list[Row]:
    """The rows, their links and picked files loaded in one query each (no query per row)."""
    found = db.session.execute(
        statement.options(selectinload(PracticeExample.files), selectinload(Answer.links))
    ).all()
    return [Row(*entities) for entities in found]


def page(filters: Filters) -> search.Page:
    """One page of the library: the rows, how many match, and their links and files."""
    terms = _conditions(filters)
    total = db.session.scalar(_joined(sa.select(sa.func.count(PracticeExample.id))).where(*terms))
    rows = _rows(
        _joined(sa.select(*ENTITIES))
        .where(*terms)
        .order_by(*ORDER)
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    )
    return search.Page(rows, total, filters, PAGE_SIZE)


def newest(filters: Filters, limit: int = FEED_SIZE) -> list[Row]:
    """The most recently published examples that match, newest first: the feed's entries."""
    return _rows(
        _joined(sa.select(*ENTITIES))
        .where(*_conditions(filters))
        .order_by(PracticeExample.published_at.desc(), PracticeExample.id.desc())
        .limit(limit)
    )


def example(example_id: int) -> Row | None:
    """A public example, or None (never published, returned, withdrawn, or its award revoked)."""
    found = _rows(_joined(sa.select(*ENTITIES)).where(PracticeExample.id == example_id))
    return found[0] if found else None


def of_council(council_id: int) -> list[Row]:
    """A council's public examples, by theme and criterion, for its public page."""
    return _rows(
        _joined(sa.select(*ENTITIES)).where(Award.council_id == council_id).order_by(*ORDER)
    )


def by_criterion() -> dict[str, int]:
    """How many public examples answer each criterion, by the criterion's code (the same code in
    every edition is the same question, asked again)."""
    rows = db.session.execute(
        _joined(sa.select(Criterion.code, sa.func.count(PracticeExample.id))).group_by(
            Criterion.code
        )
    ).all()
    return {code: count for code, count in rows}


def picked_file(example_id: int, file_id: int) -> EvidenceFile | None:
    """An evidence file the council picked for a public example, with its content; None for
    any other file, or while the example is not public."""
    return db.session.scalar(
        sa.select(EvidenceFile)
        .join(practice_example_files, practice_example_files.c.evidence_file_id == EvidenceFile.id)
        .join(PracticeExample, PracticeExample.id == practice_example_files.c.example_id)
        .join(Award, Award.id == PracticeExample.award_id)
        .where(
            practice_example_files.c.example_id == example_id,
            EvidenceFile.id == file_id,
            *public(),
        )
        .options(undefer(EvidenceFile.content))
    )


def themes() -> list[tuple[str, str]]:
    """(code, title) of the themes of the published editions, the newest edition's title for a
    code they share, in the order the edition puts them: the theme filter's choices."""
    rows = db.session.execute(
        sa.select(Theme.code, Theme.title)
        .join(Edition, Edition.id == Theme.edition_id)
        .where(Edition.published_at.is_not(None))
        .order_by(Edition.year.desc(), Theme.position)
    ).all()
    chosen: dict[str, str] = {}
    for code, title in rows:
        chosen.setdefault(code, title)
    return list(chosen.items())


def version() -> search.Version:
    """One query: how many examples there are and when the latest changed, and the same of the
    awards (an example is never deleted but a count keeps it honest if one ever is)."""
    examples, example_changed, award_count, award_changed = db.session.execute(
        sa.select(
            sa.select(sa.func.count(PracticeExample.id)).scalar_subquery(),
            sa.select(sa.func.max(PracticeExample.updated_at)).scalar_subquery(),
            sa.select(sa.func.count(Award.id)).scalar_subquery(),
            sa.select(sa.func.max(Award.updated_at)).scalar_subquery(),
        )
    ).one()
    example_changed, award_changed = search.moment(example_changed), search.moment(award_changed)
    changed = max(
        (m for m in (example_changed, award_changed) if m is not None),
        default=datetime(2000, 1, 1, tzinfo=UTC),
    )
    # Every example and award, for the library's caches and ETags: a withdrawal or a
    # revocation changes it at once.
    return search.Version(f"{examples}|{example_changed}|{award_count}|{award_changed}", changed)
