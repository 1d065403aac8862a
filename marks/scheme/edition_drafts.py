"""Editing a draft edition of the criteria: its settings, its themes, its criteria (the
rubric included) and its levels, each change checked and written to the audit log. A published
edition cannot change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marks import audit
from marks.extensions import db
from marks.models import Criterion, Edition, RubricDescriptor, Theme, User
from marks.scheme import editions
from marks.scheme.editions import SETTINGS, EditionRefused, refuse_unless_draft


def _apply(target: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the attributes; what changed, as {name: [old, new]} for the audit log."""
    changed = {}
    for name, value in values.items():
        old = getattr(target, name)
        if old != value:
            changed[name] = [_plain(old), _plain(value)]
            setattr(target, name, value)
    return changed


def _lines(text: str) -> str:
    """Text as typed into a browser's textarea (CRLF line ends), as the data file holds it."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


EDITABLE_SETTINGS = set(SETTINGS) - {"code"}


def update_settings(edition: Edition, *, actor: User | None, **values: Any) -> list[str]:
    """Change a draft's settings (year, title, summary, validity, pass rules, window); the names
    of those that changed."""
    refuse_unless_draft(edition)
    unknown = set(values) - EDITABLE_SETTINGS
    if unknown:
        raise TypeError(f"not settings: {sorted(unknown)}")
    opens = values.get("opens_at", edition.opens_at)
    closes = values.get("closes_at", edition.closes_at)
    if opens and closes and opens >= closes:
        raise EditionRefused("The closing date must be after the opening date", "closes_at")
    pass_mark = values.get("pass_mark", edition.pass_mark)
    minimums = [lv.min_percent for lv in edition.levels]
    if not editions.pass_mark_fits(pass_mark, minimums):
        lowest = min(minimums)
        raise EditionRefused(
            f"The pass mark must be no higher than the lowest level's minimum ({lowest}%)",
            "pass_mark",
        )
    if "summary" in values:
        values["summary"] = _lines(values["summary"])
    changed = _apply(edition, values)
    if changed:
        db.session.flush()
        audit.record("edition.settings_changed", edition, actor=actor, changed=changed)
    return sorted(changed)


def update_criterion(
    criterion: Criterion,
    *,
    actor: User | None,
    title: str,
    question: str,
    guidance: str,
    expected_evidence: list[str],
    weight: Decimal,
    word_limit: int | None,
    descriptors: list[str],
) -> list[str]:
    """Change a draft's criterion, its rubric included (one descriptor per point of the
    scale); the names of the fields that changed."""
    edition = criterion.theme.edition
    refuse_unless_draft(edition)
    try:
        positive = weight.is_finite() and weight > 0
    except (AttributeError, InvalidOperation):
        positive = False
    if not positive:
        raise EditionRefused("The weight must be a number greater than 0", "weight")
    if word_limit is not None and word_limit < 1:
        raise EditionRefused("The word limit must be 1 or more", "word_limit")
    if len(descriptors) != edition.scale_max + 1:
        raise EditionRefused("Give one rubric descriptor for each point of the scale")
    changed = _apply(
        criterion,
        {
            "title": title,
            "question": _lines(question),
            "guidance": _lines(guidance),
            "expected_evidence": list(expected_evidence),
            "weight": weight,
            "word_limit": word_limit,
        },
    )
    if "weight" in changed and Decimal(changed["weight"][0]) == weight:
        del changed["weight"]  # 2.00 in the database is the 2 that was typed
    by_score = {d.score: d for d in criterion.descriptors}
    for score, text in enumerate(map(_lines, descriptors)):
        found = by_score.get(score)
        if found is None:
            criterion.descriptors.append(RubricDescriptor(score=score, descriptor=text))
            changed[f"rubric {score}"] = [None, text]
        elif found.descriptor != text:
            changed[f"rubric {score}"] = [found.descriptor, text]
            found.descriptor = text
    if changed:
        db.session.flush()
        audit.record(
            "edition.criterion_changed",
            criterion,
            actor=actor,
            edition=edition.code,
            criterion=criterion.code,
            changed=changed,
        )
    return sorted(changed)


def update_theme(theme: Theme, *, actor: User | None, title: str, summary: str) -> list[str]:
    """Change a draft's theme's title and summary."""
    refuse_unless_draft(theme.edition)
    changed = _apply(theme, {"title": title, "summary": _lines(summary)})
    if changed:
        db.session.flush()
        audit.record("edition.theme_changed", theme, actor=actor, theme=theme.code, changed=changed)
    return sorted(changed)


def _check_new_code(kind: type[Theme | Criterion], taken: set[str], code: str, like: str) -> str:
    what = kind.__name__.lower()
    longest = kind.__table__.c.code.type.length
    code = editions.checked_code(code, what=what, longest=longest, like=like)
    if code in taken:
        raise EditionRefused(f"This edition already has a {what} with the code {code}", "code")
    return code


def add_theme(
    edition: Edition, *, actor: User | None, code: str, title: str, summary: str = ""
) -> Theme:
    """A new, empty theme at the end of a draft (it needs a criterion before publishing)."""
    refuse_unless_draft(edition)
    code = _check_new_code(Theme, {t.code for t in edition.themes}, code, "measuring-impact")
    position = max((t.position for t in edition.themes), default=0) + 1
    theme = Theme(code=code, title=title, summary=_lines(summary), position=position)
    edition.themes.append(theme)
    db.session.flush()
    audit.record("edition.theme_added", theme, actor=actor, edition=edition.code, theme=code)
    return theme


def add_criterion(theme: Theme, *, actor: User | None, code: str, title: str) -> Criterion:
    """A new criterion at the end of a draft's theme; its question, guidance, evidence and
    rubric are written on its own page (publishing needs them)."""
    edition = theme.edition
    refuse_unless_draft(edition)
    code = _check_new_code(Criterion, {c.code for c in edition.criteria}, code, "MI1")
    position = max((c.position for c in theme.criteria), default=0) + 1
    criterion = Criterion(
        code=code,
        title=title,
        question="",
        guidance="",
        expected_evidence=[],
        weight=Decimal(1),
        word_limit=None,
        position=position,
        descriptors=[
            RubricDescriptor(score=score, descriptor="") for score in range(edition.scale_max + 1)
        ],
    )
    theme.criteria.append(criterion)
    db.session.flush()
    audit.record(
        "edition.criterion_added", criterion, actor=actor, edition=edition.code, criterion=code
    )
    return criterion


def remove_criterion(criterion: Criterion, *, actor: User | None) -> None:
    """Take a criterion out of a draft."""
    theme = criterion.theme
    refuse_unless_draft(theme.edition)
    audit.record(
        "edition.criterion_removed",
        criterion,
        actor=actor,
        edition=theme.edition.code,
        criterion=criterion.code,
    )
    theme.criteria.remove(criterion)
    db.session.flush()


def why_not_remove_theme(theme: Theme) -> str | None:
    """Why the theme cannot be taken out of its draft (None: it can). Only an empty one can:
    a criterion is removed on its own, after a look at what it holds."""
    count = len(theme.criteria)
    if count == 0:
        return None
    if count == 1:
        return f"{theme.title} has 1 criterion: remove it first"
    return f"{theme.title} has {count} criteria: remove them first"


def remove_theme(theme: Theme, *, actor: User | None) -> None:
    """Take an empty theme out of a draft."""
    edition = theme.edition
    refuse_unless_draft(edition)
    if refusal := why_not_remove_theme(theme):
        raise EditionRefused(refusal)
    audit.record(
        "edition.theme_removed", theme, actor=actor, edition=edition.code, theme=theme.code
    )
    edition.themes.remove(theme)
    db.session.flush()


def update_levels(
    edition: Edition, levels: list[tuple[str, int]], *, actor: User | None
) -> list[str]:
    """Rename the draft's levels and change their minimum percents: (name, min_percent) for each
    level, lowest first."""
    refuse_unless_draft(edition)
    current = sorted(edition.levels, key=lambda lv: lv.min_percent)
    if len(levels) != len(current):
        raise TypeError("one (name, min_percent) for each level")
    minimums = [m for _, m in levels]
    if minimums != sorted(set(minimums)):
        raise EditionRefused("Each level's minimum must be higher than the one before it")
    if not editions.pass_mark_fits(edition.pass_mark, minimums):
        raise EditionRefused(
            f"The lowest level's minimum must be at least the pass mark ({edition.pass_mark}%)"
        )
    moves = list(zip(current, levels, strict=True))
    # In an order that never meets the unique (edition, min_percent): the levels going up from
    # the top down, then the ones going down from the bottom up.
    up = [m for m in reversed(moves) if m[1][1] > m[0].min_percent]
    down = [m for m in moves if m[1][1] <= m[0].min_percent]
    changed = {}
    for level, (name, minimum) in up + down:
        was = [level.name, level.min_percent]
        if was != [name, minimum]:
            changed[level.code] = [was, [name, minimum]]
            level.name, level.min_percent = name, minimum
            db.session.flush()
    if changed:
        audit.record("edition.levels_changed", edition, actor=actor, changed=changed)
    return sorted(changed)
