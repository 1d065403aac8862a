"""Editions of the criteria: loading one from its data file (the format of
marks/data/editions/demo-2026.toml), and finding the current one; writing one back to that
format, cloning, importing and publishing. Editing a draft is in marks.scheme.edition_drafts; what
changed from its source, in marks.scheme.edition_diff."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tomli_w

from marks import audit, permissions, workflow
from marks.extensions import db
from marks.models import Criterion, Edition, Level, RubricDescriptor, Theme, User, utcnow
from marks.states import EditionState

FORMAT = 1
DEMO_EDITION = Path(__file__).parents[1] / "data" / "editions" / "demo-2026.toml"


class EditionFileError(ValueError):
    """An edition file that does not follow the format."""


def read_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as stream:
        data = tomllib.load(stream)
    if data.get("format") != FORMAT:
        raise EditionFileError(f"{path.name}: format must be {FORMAT}")
    return data


def build(data: dict[str, Any]) -> Edition:
    """An unsaved draft Edition, with its themes, criteria, rubric and levels, from file data."""
    try:
        return _build(data)
    except EditionFileError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise EditionFileError(f"The edition file is not valid: {error!r}") from error


def _build(data: dict[str, Any]) -> Edition:
    e = data["edition"]
    scale = sorted(data["scale"], key=lambda point: point["score"])
    if [p["score"] for p in scale] != list(range(len(scale))) or len(scale) < 2:
        raise EditionFileError("the scale must number its points 0, 1, 2, ... in order")
    edition = Edition(
        code=str(e["code"]),
        year=int(e["year"]),
        title=e["title"],
        summary=e.get("summary", ""),
        state=EditionState.DRAFT,
        validity_months=int(e.get("validity_months", 24)),
        pass_mark=int(e["pass_mark"]),
        theme_minimum=int(e["theme_minimum"]),
        assessors_per_application=int(e.get("assessors_per_application", 2)),
        narrative_word_limit=int(e.get("narrative_word_limit", 500)),
        scale_labels=[p["label"] for p in scale],
        opens_at=_moment(e.get("opens_at")),
        closes_at=_moment(e.get("closes_at")),
    )
    if edition.opens_at and edition.closes_at and edition.opens_at >= edition.closes_at:
        raise EditionFileError("the edition must open before it closes")
    edition.levels = [
        Level(code=lv["code"], name=lv["name"], min_percent=int(lv["min_percent"]))
        for lv in data["levels"]
    ]
    for t_pos, t in enumerate(data["themes"], start=1):
        theme = Theme(
            code=t["code"], title=t["title"], summary=t.get("summary", ""), position=t_pos
        )
        for c_pos, c in enumerate(t["criteria"], start=1):
            if len(c["rubric"]) != len(scale):
                raise EditionFileError(f"{c['code']}: one rubric descriptor per point of the scale")
            theme.criteria.append(
                Criterion(
                    code=c["code"],
                    title=c["title"],
                    question=c["question"],
                    guidance=c["guidance"].strip(),
                    expected_evidence=list(c["expected_evidence"]),
                    weight=Decimal(str(c["weight"])),
                    word_limit=c.get("word_limit"),
                    position=c_pos,
                    descriptors=[
                        RubricDescriptor(score=score, descriptor=text)
                        for score, text in enumerate(c["rubric"])
                    ],
                )
            )
        edition.themes.append(theme)
    return edition


def _moment(value: Any) -> datetime | None:
    """A TOML date-time (or ISO text) as a UTC datetime; one without an offset is UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise EditionFileError(f"{value!r} is not a date and time")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load(path: Path, *, publish: bool, actor: User | None = None) -> Edition:
    """Add the edition in the file to the database (flushed), published if asked."""
    return add(read_file(path), publish=publish, actor=actor)


def add(data: dict[str, Any], *, publish: bool, actor: User | None = None) -> Edition:
    """Add the edition in file data to the database as a draft (flushed, audited as loaded),
    then publish it if asked: as the service's own (EDITION's publish_loaded), checked as an
    administrator's would be. For the service's own editions (the demo, the data sets)."""
    edition = build(data)
    db.session.add(edition)
    db.session.flush()
    audit.record("edition.loaded", edition, actor=actor, to_state=str(edition.state))
    if publish:
        workflow.transition(edition, "publish_loaded", actor=actor)
    return edition


def pass_mark_fits(pass_mark: int, minimums: Iterable[int]) -> bool:
    """The rule, said once: the pass mark is at most the lowest level's minimum, so that a
    council that earns a level has passed (asked when a draft's settings or levels change, and
    before it is published)."""
    lowest = min(minimums, default=None)
    return lowest is None or pass_mark <= lowest


def find(code: str) -> Edition | None:
    return db.session.scalar(sa.select(Edition).where(Edition.code == code))


def current() -> Edition | None:
    """The edition councils apply under now: the latest published one that has opened."""
    now = utcnow()
    return db.session.scalar(
        sa.select(Edition)
        .where(
            Edition.state == EditionState.PUBLISHED,
            sa.or_(Edition.opens_at.is_(None), Edition.opens_at <= now),
        )
        .order_by(Edition.year.desc(), Edition.published_at.desc())
        .limit(1)
    )


# --- Writing an edition back to its data file ---------------------------------------------------

SETTINGS = (
    "code",
    "year",
    "title",
    "summary",
    "validity_months",
    "pass_mark",
    "theme_minimum",
    "assessors_per_application",
    "narrative_word_limit",
    "opens_at",
    "closes_at",
)


def to_data(edition: Edition) -> dict[str, Any]:
    """The edition as file data: the inverse of build (TOML has no null: unset values are left
    out)."""
    settings = {name: getattr(edition, name) for name in SETTINGS}
    return {
        "format": FORMAT,
        "edition": {k: v for k, v in settings.items() if v is not None},
        "scale": [
            {"score": score, "label": label} for score, label in enumerate(edition.scale_labels)
        ],
        "levels": [
            {"code": lv.code, "name": lv.name, "min_percent": lv.min_percent}
            for lv in sorted(edition.levels, key=lambda lv: lv.min_percent)
        ],
        "themes": [
            {
                "code": theme.code,
                "title": theme.title,
                "summary": theme.summary,
                "criteria": [_criterion_data(c) for c in theme.criteria],
            }
            for theme in edition.themes
        ],
    }


def _criterion_data(criterion: Criterion) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": criterion.code,
        "title": criterion.title,
        "question": criterion.question,
        "guidance": criterion.guidance,
        "expected_evidence": list(criterion.expected_evidence),
        "weight": float(criterion.weight),
    }
    if criterion.word_limit is not None:
        data["word_limit"] = criterion.word_limit
    data["rubric"] = [d.descriptor for d in sorted(criterion.descriptors, key=lambda d: d.score)]
    return data


def dumps(edition: Edition) -> str:
    """The edition's data file, as TOML text."""
    return tomli_w.dumps(to_data(edition), multiline_strings=True)


def loads(text: str) -> dict[str, Any]:
    """File data from uploaded TOML text, checked for the format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise EditionFileError(f"The file is not valid TOML: {error}") from error
    if data.get("format") != FORMAT:
        raise EditionFileError(f"The file must say format = {FORMAT} on its first line")
    return data


# --- Making new editions --------------------------------------------------------------------------


class EditionRefused(workflow.Refused, ValueError):
    """A change the edition cannot take; field names the form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


PUBLISHED = "A published edition cannot change: clone it to make a new one"


def refuse_unless_draft(edition: Edition) -> None:
    if edition.state != EditionState.DRAFT:
        raise EditionRefused(PUBLISHED)


# An edition's code is part of links (Open Badges) and of file names (exports).
CODE = re.compile(r"[A-Za-z0-9]+([._-][A-Za-z0-9]+)*")


def checked_code(code: str, *, what: str, longest: int, like: str) -> str:
    """A code typed for a new edition, theme or criterion, stripped: there, no longer than its
    column, and made of CODE's characters (a criterion's code is part of the councils' links)."""
    code = code.strip()
    if not code:
        raise EditionRefused(f"Enter a code for the {what}", "code")
    if len(code) > longest:
        raise EditionRefused(f"The code must be {longest} characters or fewer", "code")
    if not CODE.fullmatch(code):
        raise EditionRefused(
            "The code can only have letters, numbers, and hyphens, full stops or underscores "
            f"between them, like {like}",
            "code",
        )
    return code


def _new_code(code: str) -> str:
    code = checked_code(code, what="new edition", longest=40, like="2027 or 2027-spring")
    if find(code) is not None:
        raise EditionRefused(f"There is already an edition with the code {code}", "code")
    return code


def clone(edition: Edition, code: str, year: int, actor: User | None) -> Edition:
    """A new draft with the edition's content, under a new code and year. The window is not
    copied: a new edition needs its own."""
    data = to_data(edition)
    settings = data["edition"]
    settings["code"] = _new_code(code)
    settings["year"] = year
    settings["title"] = edition.title.replace(str(edition.year), str(year))
    settings.pop("opens_at", None)
    settings.pop("closes_at", None)
    copy = build(data)
    copy.cloned_from_id = edition.id
    db.session.add(copy)
    db.session.flush()
    audit.record(
        "edition.cloned", copy, actor=actor, to_state=str(copy.state), cloned_from=edition.code
    )
    return copy


def import_data(data: dict[str, Any], actor: User | None) -> Edition:
    """A new draft from an uploaded data file; its code must be new."""
    edition = build(data)
    try:
        edition.code = _new_code(edition.code)
    except EditionRefused as refused:
        raise EditionFileError(f"{refused}: change the code in the file") from refused
    db.session.add(edition)
    db.session.flush()
    audit.record("edition.imported", edition, actor=actor, to_state=str(edition.state))
    return edition


# --- Publishing -----------------------------------------------------------------------------------


def problems(edition: Edition) -> list[str]:
    """What stops the edition being published, in GOV.UK voice; empty when it can be."""
    found = []
    if not edition.themes:
        found.append("Add at least one theme")
    for theme in edition.themes:
        if not theme.criteria:
            found.append(f"Add a criterion to the theme {theme.title}")
        for c in theme.criteria:
            label = f"{c.code}: {c.title}"
            if not (c.question.strip() and c.guidance.strip()):
                found.append(f"Write the question and guidance for {label}")
            if not c.expected_evidence:
                found.append(f"List the evidence expected for {label}")
            scores = [d.score for d in c.descriptors if d.descriptor.strip()]
            if sorted(scores) != list(range(edition.scale_max + 1)):
                found.append(f"Write a rubric descriptor for every score of {label}")
    minimums = [lv.min_percent for lv in edition.levels]
    if not minimums:
        found.append("Add at least one level")
    elif minimums != sorted(set(minimums)):
        found.append("Each level's minimum must be higher than the one before it")
    if not 0 < edition.pass_mark <= 100:
        found.append("The pass mark must be between 1% and 100%")
    elif not pass_mark_fits(edition.pass_mark, minimums):
        found.append("The pass mark must be no higher than the lowest level's minimum")
    if edition.opens_at and edition.closes_at and edition.opens_at >= edition.closes_at:
        found.append("The closing date must be after the opening date")
    return found


def _first_problem(edition: Edition) -> str | None:
    found = problems(edition)
    return found[0] if found else None


def _published(change: workflow.Change) -> None:
    change.thing.published_at = change.at


EDITION = workflow.machine(
    workflow.Machine(
        "edition",
        Edition,
        (
            workflow.Transition(
                "publish",
                frozenset({EditionState.DRAFT}),
                EditionState.PUBLISHED,
                permissions.may_administer,
                when=_first_problem,
                effect=_published,
                event="edition.published",
                refusals={EditionState.PUBLISHED: PUBLISHED},
            ),
            # The service's own: an edition it loads from a data file and publishes at once
            # (add(): the demo, the national-scale data set), checked all the same.
            workflow.Transition(
                "publish_loaded",
                frozenset({EditionState.DRAFT}),
                EditionState.PUBLISHED,
                workflow.SYSTEM,
                when=_first_problem,
                effect=_published,
                event="edition.published",
            ),
        ),
        refused=EditionRefused,
    )
)


def publish(edition: Edition, *, actor: User) -> None:
    """Publish a complete draft: from now on it cannot change."""
    workflow.transition(edition, "publish", actor=actor)


def criteria_count(edition_ids: list[int]) -> dict[int, int]:
    """How many criteria each edition has."""
    rows = db.session.execute(
        sa.select(Theme.edition_id, sa.func.count(Criterion.id))
        .join(Criterion, Criterion.theme_id == Theme.id)
        .where(Theme.edition_id.in_(edition_ids))
        .group_by(Theme.edition_id)
    ).all()
    return dict(rows)
