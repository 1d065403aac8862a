"""Every action the service records in its audit log reads as a sentence on the log's page:
this collects the actions from the code (each `audit.record(...)` call, and the transition
tables' events) and fails, naming it, on any without one in marks/presentation/events.py."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import marks
from marks import workflow
from marks.people import retention
from marks.presentation import events

MARKS = Path(marks.__file__).parent

# Calls whose action is computed, and where the actions they may compute are listed.
COMPUTED = {
    "workflow.py": "the transition tables: workflow.MACHINES",
    "people/retention.py": "one per rule: retention.RULES",
}


def _is_record(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    )


def _literals(node: ast.expr) -> Iterator[str] | None:
    """The action names an argument may be, or None if it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return iter([node.value])
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        if body is not None and orelse is not None:
            return iter([*body, *orelse])
    return None


def recorded_in_code() -> tuple[set[str], list[str]]:
    """The literal actions of every audit.record(...) in marks/, and where a call computes its
    action outside the places listed in COMPUTED."""
    found: set[str] = set()
    unlisted: list[str] = []
    for path in sorted(MARKS.rglob("*.py")):
        where = path.relative_to(MARKS).as_posix()
        if where.startswith("migrations/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not _is_record(node):
                continue
            names = _literals(node.args[0])
            if names is not None:
                found.update(names)
            elif where not in COMPUTED:
                unlisted.append(f"{where}:{node.lineno}")
    return found, unlisted


def _import_every_module() -> None:
    """Each transition table registers itself when its module is imported."""
    for module in pkgutil.walk_packages(marks.__path__, "marks."):
        if not module.name.startswith("marks.migrations"):
            importlib.import_module(module.name)


def every_action() -> set[str]:
    _import_every_module()
    literal, _ = recorded_in_code()
    from_tables = {
        t.event or f"{table.subject}.{t.action}"
        for table in workflow.MACHINES.values()
        for t in table.transitions
    }
    from_retention = {f"retention.{rule.name}" for rule in retention.RULES}
    return literal | from_tables | from_retention


def test_the_actions_are_found():
    """The collection itself works: some of each kind, none computed somewhere unlisted."""
    literal, unlisted = recorded_in_code()
    assert unlisted == [], "say in COMPUTED where these calls' actions are listed"
    assert {"user.signed_in", "award.issued", "membership.joined_as_lead"} <= literal
    assert {"application.submit", "email.resent", "retention.sessions_ended"} <= every_action()


@pytest.mark.parametrize("action", sorted(every_action()))
def test_every_recorded_action_has_a_sentence(action):
    assert action in events.SENTENCES, f"{action} has no sentence in presentation/events.py"
    said = events.Said(
        actor="Asha Assessor",
        council="Halton Borough Council",
        subject="Nia Newcomer",
        data={"count": 3, "email": "nia@example.org", "kind": "assessor"},
    )
    text = events.sentence(action, said)
    assert action not in text and "{" not in text and "_" not in text
    assert text[0].isupper()


def test_no_sentence_for_an_action_nobody_records():
    assert set(events.SENTENCES) - every_action() == set()


def test_a_sentence_in_neutral_words():
    said = events.Said(actor="Asha Assessor", council="Halton Borough Council", subject="", data={})
    assert events.sentence("assessment.submitted", said) == (
        "Asha Assessor submitted an assessment of Halton Borough Council"
    )


def test_details_recorded_as_codes_read_as_people_say_them():
    rows = dict(
        events.detail_rows(
            {
                "level": "accredited",
                "recommendation": "more_information",
                "role": "lead",
                "via": "import",
                "certificate_number": "SMFM-2026-00001",
            }
        )
    )
    assert rows == {
        "Level": "Accredited",
        "Recommendation": "Ask the council for more information",
        "Role": "Lead",
        "Added from": "A file of councils",
        "Certificate number": "SMFM-2026-00001",
    }
    assert dict(events.detail_rows({"role": "administrator"})) == {"Role": "Administrator"}
    assert dict(events.detail_rows({"role": "someone_new"})) == {"Role": "someone_new"}
