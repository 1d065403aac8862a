"""Editions of the criteria: loading one from its data file (the format of
marks/data/editions/demo-2026.toml), and finding the current one."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from marks import audit
from marks.extensions import db
from marks.models import Criterion, Edition, Level, RubricDescriptor, Theme, User, utcnow
from marks.states import EditionState

FORMAT = 1
DEMO_EDITION = Path(__file__).parent / "data" / "editions" / "demo-2026.toml"


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
    )
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


def load(path: Path, *, publish: bool, actor: User | None = None) -> Edition:
    """Add the edition in the file to the database (flushed), published if asked."""
    edition = build(read_file(path))
    db.session.add(edition)
    if publish:
        edition.state = EditionState.PUBLISHED
        edition.published_at = utcnow()
    db.session.flush()
    audit.record("edition.loaded", edition, actor=actor, to_state=str(edition.state))
    return edition


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
