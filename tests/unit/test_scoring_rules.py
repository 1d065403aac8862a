"""The scoring rules themselves: what Rules and outcome() refuse, what they accept and leave
alone, and rules_for, which reads the rules of an edition. The worked examples of scoring are in
test_scoring.py."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from marks.scheme.scoring import CriterionRule, LevelRule, Rules, outcome, rules_for
from tests.unit.demo_rules import ACCREDITED, DEMO, DEMO_WEIGHTS, LEVELS, TITLES, D, every

# Validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"a": {"XX9": 2}}, "unknown criterion 'XX9'"),
        ({"a": {"MD1": 5}}, "scores are whole numbers from 0 to 4"),
        ({"a": {"MD1": -1}}, "scores are whole numbers from 0 to 4"),
        ({"a": {"MD1": 2.5}}, "scores are whole numbers"),
        ({"a": {"MD1": "3"}}, "scores are whole numbers"),
        ({"a": {"MD1": True}}, "scores are whole numbers"),
        ({"a": every(3), "b": {"MD1": 3, "EN9": None}}, "unknown criterion 'EN9'"),
    ],
)
def test_bad_scores_are_refused(scores, message):
    with pytest.raises(ValueError, match=message):
        outcome(DEMO, scores)


def criterion(code="C1", theme="t", weight="1"):
    return CriterionRule(code, theme, D(weight))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"criteria": ()}, "at least one criterion"),
        ({"criteria": (criterion(), criterion())}, "C1 appears more than once"),
        ({"criteria": (criterion(weight="0"),)}, "positive"),
        ({"criteria": (criterion(weight="-1.5"),)}, "positive"),
        ({"criteria": (criterion(weight="NaN"),)}, "positive"),
        ({"criteria": (criterion(weight="Infinity"),)}, "positive"),
        ({"criteria": (CriterionRule("C1", "t", 1.5),)}, "Decimal"),  # a float
        ({"criteria": (criterion(code=""),)}, "non-empty"),
        ({"criteria": (criterion(theme=""),)}, "non-empty"),
        ({"scale_max": 0}, "scale_max"),
        ({"scale_max": True}, "scale_max"),
        ({"pass_mark": 101}, "pass_mark"),
        ({"pass_mark": -1}, "pass_mark"),
        ({"pass_mark": 60.5}, "pass_mark"),
        ({"theme_minimum": 101}, "theme_minimum"),
        ({"theme_minimum": -1}, "theme_minimum"),
        ({"levels": (LevelRule("x", "X", 101),)}, "min_percent"),
        ({"levels": (LevelRule("x", "X", -1),)}, "min_percent"),
        ({"levels": (ACCREDITED, LevelRule("accredited", "Again", 70))}, "more than once"),
        ({"levels": (ACCREDITED, LevelRule("other", "Other", 60))}, "share the min_percent"),
    ],
)
def test_bad_rules_are_refused(changes, message):
    good = {
        "criteria": (criterion(),),
        "scale_max": 4,
        "pass_mark": 60,
        "theme_minimum": 40,
        "levels": LEVELS,
    }
    Rules(**good)  # the baseline is fine
    with pytest.raises(ValueError, match=message):
        Rules(**(good | changes))


def test_rules_are_frozen_and_hashable():
    with pytest.raises(AttributeError):
        DEMO.pass_mark = 50  # type: ignore[misc]
    assert hash(DEMO) == hash(replace(DEMO))
    # Lists given for the tuples are kept as tuples.
    rules = Rules([criterion()], 4, 60, 40, [ACCREDITED])  # type: ignore[arg-type]
    assert isinstance(rules.criteria, tuple) and isinstance(rules.levels, tuple)
    assert hash(rules)


def test_integer_weights_are_accepted():
    criteria = (CriterionRule("C1", "t", 3), CriterionRule("C2", "t", 1))  # type: ignore[arg-type]
    rules = Rules(criteria, 4, 60, 40, ())
    # 3 x 4 + 1 x 0 = 12 out of 16: 75%.
    assert outcome(rules, {"a": {"C1": 4, "C2": 0}}).percent == D("75.00")


def test_the_scores_are_not_changed():
    scores = {"b": every(2), "a": every(3)}
    before = {k: dict(v) for k, v in scores.items()}
    outcome(DEMO, scores)
    assert scores == before
    assert list(scores) == ["b", "a"]


# rules_for -------------------------------------------------------------------------------------


def demo_namespace(**overrides) -> SimpleNamespace:
    themes = [
        SimpleNamespace(
            code=theme_code,
            title=TITLES[theme_code],
            criteria=[SimpleNamespace(code=c, weight=D(w)) for c, w in weights.items()],
        )
        for theme_code, weights in DEMO_WEIGHTS.items()
    ]
    fields = {
        "themes": themes,
        "scale_labels": ["Not in place", "Emerging", "Developing", "Established", "Exemplary"],
        "pass_mark": 60,
        "theme_minimum": 40,
        "levels": [
            SimpleNamespace(code="accredited", name="Accredited", min_percent=60),
            SimpleNamespace(code="distinction", name="Accredited with distinction", min_percent=85),
        ],
    }
    return SimpleNamespace(**(fields | overrides))


def test_rules_for_an_edition_shaped_object():
    assert rules_for(demo_namespace()) == DEMO


def test_rules_for_reads_float_weights_by_their_written_value():
    edition = demo_namespace()
    edition.themes[0].criteria[0].weight = 2.1  # not Decimal(2.1) = 2.100000000000000088..
    assert rules_for(edition).criteria[0].weight == D("2.1")


def test_rules_for_refuses_an_edition_that_breaks_the_rules():
    with pytest.raises(ValueError, match="scale_max"):
        rules_for(demo_namespace(scale_labels=["Only"]))
    with pytest.raises(ValueError, match="at least one criterion"):
        rules_for(demo_namespace(themes=[]))


def test_rules_for_the_real_demo_edition(make):
    edition = make.demo_edition()
    rules = rules_for(edition)
    assert [c.code for c in rules.criteria] == [c.code for c in edition.criteria]
    assert rules.themes == tuple(t.code for t in edition.themes)
    assert (rules.scale_max, rules.pass_mark, rules.theme_minimum) == (4, 60, 40)
    assert [lv.min_percent for lv in rules.levels] == [60, 85]
    perfect = {c.code: rules.scale_max for c in rules.criteria}
    assert outcome(rules, {"a": perfect, "b": perfect}).level.min_percent == 85
