"""What changed in an edition from the edition it was cloned from: settings, levels, themes
and criteria (the rubric included), matched by codes, for the administrators to check a draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marks.extensions import db
from marks.models import Edition
from marks.scheme.editions import to_data


@dataclass(frozen=True)
class Change:
    """One difference: what (Settings, a theme or a criterion), which field, old and new.
    field is "" for something added or removed as a whole."""

    what: str
    change: str  # "added", "removed" or "changed"
    field: str = ""
    old: str = ""
    new: str = ""


SETTING_LABELS = {
    "year": "Year",
    "title": "Title",
    "summary": "Summary",
    "validity_months": "Months an award is valid",
    "pass_mark": "Pass mark (%)",
    "theme_minimum": "Minimum in every theme (%)",
    "assessors_per_application": "Assessors for each application",
    "narrative_word_limit": "Word limit for answers",
    "opens_at": "Opens",
    "closes_at": "Closes",
}
CRITERION_LABELS = {
    "theme": "Theme",
    "title": "Title",
    "question": "Question",
    "guidance": "Guidance",
    "expected_evidence": "Evidence expected",
    "weight": "Weight",
    "word_limit": "Word limit",
}


def _text(value: Any) -> str:
    if value is None:
        return "Not set"
    if isinstance(value, list):
        return "\n".join(map(str, value))
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _compare(what: str, old: dict, new: dict, labels: dict[str, str]) -> list[Change]:
    return [
        Change(what, "changed", label, _text(old.get(name)), _text(new.get(name)))
        for name, label in labels.items()
        if old.get(name) != new.get(name)
    ]


def diff(edition: Edition) -> list[Change]:
    """What changed from the edition this one was cloned from, matched by codes."""
    if edition.cloned_from_id is None:
        return []
    source = db.session.get(Edition, edition.cloned_from_id)
    if source is None:
        return []
    old, new = to_data(source), to_data(edition)
    changes = _compare("Settings", old["edition"], new["edition"], SETTING_LABELS)

    changes += _compare_by_code(
        "Level",
        "name",
        old["levels"],
        new["levels"],
        {"name": "Name", "min_percent": "Minimum (%)"},
    )
    changes += _compare_by_code(
        "Theme", "title", old["themes"], new["themes"], {"title": "Title", "summary": "Summary"}
    )

    def criteria(data: dict) -> dict[str, dict]:
        return {
            c["code"]: {**c, "theme": t["title"]} for t in data["themes"] for c in t["criteria"]
        }

    old_criteria, new_criteria = criteria(old), criteria(new)
    scale = edition.scale_labels
    for code, criterion in new_criteria.items():
        what = f"{code}: {criterion['title']}"
        if code not in old_criteria:
            changes.append(Change(what, "added"))
            continue
        before = old_criteria[code]
        changes += _compare(what, before, criterion, CRITERION_LABELS)
        for score, text in enumerate(criterion["rubric"]):
            was = before["rubric"][score] if score < len(before["rubric"]) else None
            if was != text:
                label = scale[score] if score < len(scale) else str(score)
                changes.append(
                    Change(what, "changed", f"Rubric: {score} ({label})", _text(was), text)
                )
    changes += [
        Change(f"{code}: {c['title']}", "removed")
        for code, c in old_criteria.items()
        if code not in new_criteria
    ]
    return changes


def _compare_by_code(
    kind: str, name: str, old: list[dict], new: list[dict], labels: dict[str, str]
) -> list[Change]:
    """Levels or themes, matched by code: added, removed, or changed field by field."""
    before = {item["code"]: item for item in old}
    after = {item["code"]: item for item in new}
    changes = []
    for code, item in after.items():
        what = f"{kind} {item[name]}"
        if code not in before:
            changes.append(Change(what, "added"))
        else:
            changes += _compare(what, before[code], item, labels)
    changes += [
        Change(f"{kind} {item[name]}", "removed")
        for code, item in before.items()
        if code not in after
    ]
    return changes
