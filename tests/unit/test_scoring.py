"""The scoring rules: weighted percentages, pass rules, levels, and the assessors' agreement.

Every expected value is worked out by hand in the test, with the arithmetic in a comment. What
the rules and the scores must be, and reading the rules of an edition, are in
test_scoring_rules.py; properties that hold for any rules and scores in test_scoring_properties.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from marks.scheme.scoring import CriterionRule, LevelRule, Outcome, Rules, level_for, outcome
from tests.unit.demo_rules import (
    ACCREDITED,
    DEMO,
    DISTINCTION,
    LEVELS,
    TITLES,
    D,
    card,
    every,
)


def one_theme(weights: list[str], **kwargs) -> Rules:
    """Rules with one theme, criteria C1, C2, ... of these weights, on the demo's pass rules."""
    settings_ = {
        "scale_max": 4,
        "pass_mark": 60,
        "theme_minimum": 40,
        "levels": LEVELS,
    } | kwargs
    criteria = tuple(CriterionRule(f"C{i}", "t", D(w)) for i, w in enumerate(weights, 1))
    return Rules(criteria=criteria, **settings_)


def result(o: Outcome, code: str):
    return next(c for c in o.criteria if c.code == code)


def theme(o: Outcome, code: str):
    return next(t for t in o.themes if t.theme == code)


# All zeros, all maximum ------------------------------------------------------------------------


def test_all_zeros_score_nothing_and_fail_on_every_count():
    o = outcome(DEMO, {"a": every(0), "b": every(0)}, TITLES)
    assert o.percent == D("0.00")
    assert [(t.theme, t.percent, t.passed) for t in o.themes] == [
        ("myths-debunked", D("0.00"), False),
        ("engagement", D("0.00"), False),
        ("staff-empowerment", D("0.00"), False),
    ]
    assert o.complete
    assert not o.passed
    assert o.level is None
    assert o.disagreements == ()
    assert o.reasons == (
        "Overall score 0.00% is below the pass mark of 60%",
        "Myths debunked scored 0.00%, below the minimum of 40% for every theme",
        "Engagement scored 0.00%, below the minimum of 40% for every theme",
        "Staff empowerment scored 0.00%, below the minimum of 40% for every theme",
    )
    assert all(c.mean == 0 and c.spread == 0 and c.missing == () for c in o.criteria)


def test_all_maximum_scores_100_and_earns_the_highest_level():
    o = outcome(DEMO, {"a": every(4), "b": every(4)})
    assert o.percent == D("100.00")
    assert all(t.percent == D("100.00") and t.passed for t in o.themes)
    assert o.complete and o.passed
    assert o.level == DISTINCTION
    assert o.reasons == ()


# The demo edition, two assessors ---------------------------------------------------------------


def test_the_demo_edition_scored_by_two_assessors():
    a = card(3, 3, 2, 4, 2, 3, 1, 2, 4, 3, 3, 2)
    b = card(3, 4, 2, 2, 2, 2, 2, 3, 4, 3, 1, 3)
    o = outcome(DEMO, {"b": b, "a": a})

    assert o.assessors == ("a", "b")
    assert [(c.code, c.scores, c.mean, c.spread, c.disagrees) for c in o.criteria] == [
        ("MD1", (3, 3), D("3"), 0, False),
        ("MD2", (3, 4), D("3.5"), 1, False),
        ("MD3", (2, 2), D("2"), 0, False),
        ("MD4", (4, 2), D("3"), 2, True),
        ("EN1", (2, 2), D("2"), 0, False),
        ("EN2", (3, 2), D("2.5"), 1, False),
        ("EN3", (1, 2), D("1.5"), 1, False),
        ("EN4", (2, 3), D("2.5"), 1, False),
        ("SE1", (4, 4), D("4"), 0, False),
        ("SE2", (3, 3), D("3"), 0, False),
        ("SE3", (3, 1), D("2"), 2, True),
        ("SE4", (2, 3), D("2.5"), 1, False),
    ]
    assert result(o, "MD1").weight == D("2.0")
    assert all(c.missing == () for c in o.criteria)
    # Each theme's weights sum to 6.0, so each theme is out of 6.0 x 4 = 24.
    # MD: 2.0x3 + 1.5x3.5 + 1.5x2 + 1.0x3   = 6 + 5.25 + 3 + 3     = 17.25; /24 = 71.875%
    # EN: 1.5x2 + 2.0x2.5 + 1.5x1.5 + 1.0x2.5 = 3 + 5 + 2.25 + 2.5 = 12.75; /24 = 53.125%
    # SE: 2.0x4 + 1.5x3 + 1.0x2 + 1.5x2.5   = 8 + 4.5 + 2 + 3.75   = 18.25; /24 = 76.041666..%
    # Half up: 71.875 -> 71.88 and 53.125 -> 53.13 (half even would give 53.12).
    assert [(t.theme, t.percent, t.passed) for t in o.themes] == [
        ("myths-debunked", D("71.88"), True),
        ("engagement", D("53.13"), True),
        ("staff-empowerment", D("76.04"), True),
    ]
    # Overall: (17.25 + 12.75 + 18.25) / 72 = 48.25 / 72 = 67.013888..% -> 67.01. Averaging the
    # rounded theme figures instead would give (71.88 + 53.13 + 76.04) / 3 = 67.0166.. -> 67.02.
    assert o.percent == D("67.01")
    assert o.complete and o.passed
    assert o.level == ACCREDITED
    assert o.disagreements == ("MD4", "SE3")
    assert o.reasons == ()


# The pass mark and the theme minimum -----------------------------------------------------------


def test_exactly_the_pass_mark_passes():
    # 3 x 4 + 2 x 0 = 12 out of (3 + 2) x 4 = 20: 60.00%.
    o = outcome(one_theme(["3", "2"]), {"a": {"C1": 4, "C2": 0}, "b": {"C1": 4, "C2": 0}})
    assert o.percent == D("60.00")
    assert o.passed and o.level == ACCREDITED
    assert o.reasons == ()


def test_a_hundredth_below_the_pass_mark_fails():
    # 59.99 x 4 out of (59.99 + 40.01) x 4 = 100 x 4: 59.99%.
    o = outcome(one_theme(["59.99", "40.01"]), {"a": {"C1": 4, "C2": 0}})
    assert o.percent == D("59.99")
    assert not o.passed and o.level is None
    assert o.reasons == ("Overall score 59.99% is below the pass mark of 60%",)


def test_a_percent_that_rounds_up_to_the_pass_mark_passes_as_shown():
    # 1 x 2 out of 1 x 3: 66.666..% rounds to 66.67, so a pass mark of 67 is not reached; with
    # a pass mark of 66 it is. The comparison is with the figure shown (66.67).
    rules = one_theme(["1"], scale_max=3, pass_mark=67, levels=())
    assert outcome(rules, {"a": {"C1": 2}}).reasons == (
        "Overall score 66.67% is below the pass mark of 67%",
    )
    assert outcome(replace(rules, pass_mark=66), {"a": {"C1": 2}}).passed


def test_a_theme_below_the_minimum_fails_even_though_the_overall_passes():
    scores = every(4) | {"EN1": 1, "EN2": 1, "EN3": 1, "EN4": 1}
    o = outcome(DEMO, {"a": scores, "b": scores}, TITLES)
    # MD and SE: 6.0 x 4 = 24 each, 100%. EN: 6.0 x 1 = 6 out of 24 = 25%.
    # Overall: (24 + 6 + 24) / 72 = 54 / 72 = 75%.
    assert o.percent == D("75.00")
    assert theme(o, "engagement").percent == D("25.00")
    assert not theme(o, "engagement").passed
    assert theme(o, "myths-debunked").passed and theme(o, "staff-empowerment").passed
    assert o.complete and not o.passed and o.level is None
    assert o.reasons == ("Engagement scored 25.00%, below the minimum of 40% for every theme",)


def test_without_titles_the_reasons_name_the_theme_code():
    scores = every(4) | {"EN1": 1, "EN2": 1, "EN3": 1, "EN4": 1}
    o = outcome(DEMO, {"a": scores})
    assert o.reasons == ("engagement scored 25.00%, below the minimum of 40% for every theme",)


def test_a_theme_exactly_at_the_minimum_passes():
    rules = Rules(
        criteria=(
            CriterionRule("X1", "x", D("2")),
            CriterionRule("X2", "x", D("3")),
            CriterionRule("Y1", "y", D("1")),
        ),
        scale_max=4,
        pass_mark=0,
        theme_minimum=40,
        levels=(),
    )
    # x: 2 x 4 + 3 x 0 = 8 out of 5 x 4 = 20: exactly 40%. y: 4 out of 4: 100%.
    o = outcome(rules, {"a": {"X1": 4, "X2": 0, "Y1": 4}})
    assert [(t.theme, t.percent, t.passed) for t in o.themes] == [
        ("x", D("40.00"), True),
        ("y", D("100.00"), True),
    ]
    assert o.passed and o.level is None


# Missing scores, one and three assessors, none ------------------------------------------------


def test_a_score_one_assessor_left_out_uses_the_other_assessors_score_but_is_incomplete():
    a = every(3) | {"EN2": None}  # None: not scored
    b = every(3)
    del b["MD1"]  # absent: not scored
    o = outcome(DEMO, {"a": a, "b": b})
    assert result(o, "MD1").scores == (3, None)
    assert result(o, "MD1").missing == ("b",)
    assert result(o, "EN2").scores == (None, 3)
    assert result(o, "EN2").missing == ("a",)
    assert (result(o, "MD1").mean, result(o, "MD1").spread) == (D("3"), 0)
    # Every mean is still 3: 3/4 = 75.00%.
    assert o.percent == D("75.00")
    assert not o.complete and not o.passed and o.level is None
    assert o.reasons == ("Not every criterion has been scored by every assessor",)


def test_a_criterion_nobody_scored_counts_as_zero():
    a = every(3) | {"MD1": None}
    b = every(3) | {"MD1": None}
    o = outcome(DEMO, {"a": a, "b": b})
    md1 = result(o, "MD1")
    assert (md1.scores, md1.mean, md1.spread, md1.disagrees) == ((None, None), None, None, False)
    assert md1.missing == ("a", "b")
    # Overall: 3 x (18.0 - 2.0) = 48 out of 72: 66.666..% -> 66.67.
    assert o.percent == D("66.67")
    # MD: 3 x (6.0 - 2.0) = 12 out of 24: 50%.
    assert theme(o, "myths-debunked").percent == D("50.00")
    assert not o.complete and not o.passed
    assert o.reasons == ("Not every criterion has been scored by every assessor",)


def test_an_incomplete_outcome_also_gives_its_other_reasons():
    o = outcome(DEMO, {"a": every(0) | {"SE4": None}})
    assert o.reasons[0] == "Not every criterion has been scored by every assessor"
    assert o.reasons[1] == "Overall score 0.00% is below the pass mark of 60%"
    assert len(o.reasons) == 5  # and the three themes


def test_one_assessor():
    a = card(3, 3, 2, 4, 2, 3, 1, 2, 4, 3, 3, 2)
    o = outcome(DEMO, {"a": a}, TITLES)
    assert o.assessors == ("a",)
    assert all(c.spread == 0 and c.mean == c.scores[0] for c in o.criteria)
    # MD: 2.0x3 + 1.5x3 + 1.5x2 + 1.0x4 = 6 + 4.5 + 3 + 4 = 17.5 / 24 = 72.9166..% -> 72.92
    # EN: 1.5x2 + 2.0x3 + 1.5x1 + 1.0x2 = 3 + 6 + 1.5 + 2 = 12.5 / 24 = 52.0833..% -> 52.08
    # SE: 2.0x4 + 1.5x3 + 1.0x3 + 1.5x2 = 8 + 4.5 + 3 + 3 = 18.5 / 24 = 77.0833..% -> 77.08
    # Overall: (17.5 + 12.5 + 18.5) / 72 = 48.5 / 72 = 67.3611..% -> 67.36
    assert [t.percent for t in o.themes] == [D("72.92"), D("52.08"), D("77.08")]
    assert o.percent == D("67.36")
    assert o.complete and o.passed and o.level == ACCREDITED
    assert o.disagreements == ()


def test_three_assessors():
    a = every(3)
    b = every(3) | {"MD1": 4}
    c = every(3) | {"MD1": 4, "EN4": 1}
    o = outcome(DEMO, {"c": c, "a": a, "b": b})
    assert o.assessors == ("a", "b", "c")
    md1, en4 = result(o, "MD1"), result(o, "EN4")
    # MD1: (3 + 4 + 4) / 3 = 11/3, spread 1. EN4: (3 + 3 + 1) / 3 = 7/3, spread 2.
    assert (md1.scores, md1.spread, md1.disagrees) == ((3, 4, 4), 1, False)
    assert md1.mean == D("3.666666666666666666666666667")
    assert (en4.scores, en4.spread, en4.disagrees) == ((3, 3, 1), 2, True)
    assert en4.mean == D("2.333333333333333333333333333")
    # MD: 3 x 6.0 + 2.0 x (11/3 - 3) = 18 + 4/3 = 58/3; / 24 = 58/72 = 80.555..% -> 80.56
    # EN: 3 x 6.0 + 1.0 x (7/3 - 3) = 18 - 2/3 = 52/3; / 24 = 52/72 = 72.222..% -> 72.22
    # SE: 18 / 24 = 75%
    # Overall: (58/3 + 52/3 + 18) / 72 = (110/3 + 54/3) / 72 = (164/3) / 72 = 75.925..% -> 75.93
    assert [t.percent for t in o.themes] == [D("80.56"), D("72.22"), D("75.00")]
    assert o.percent == D("75.93")
    assert o.disagreements == ("EN4",)
    assert o.complete and o.passed and o.level == ACCREDITED


def test_no_assessors_at_all():
    o = outcome(DEMO, {})
    assert o.assessors == ()
    assert o.percent == D("0.00")
    assert not o.complete and not o.passed and o.level is None
    assert all(
        (c.scores, c.mean, c.spread, c.disagrees, c.missing) == ((), None, None, False, ())
        for c in o.criteria
    )
    assert o.reasons[0] == "No assessor has scored it yet"


def test_an_assessor_who_scored_nothing_yet_is_missing_everywhere():
    o = outcome(DEMO, {"a": every(4), "b": {}})
    assert all(c.missing == ("b",) and c.mean == 4 for c in o.criteria)
    assert o.percent == D("100.00")
    assert not o.complete and not o.passed and o.level is None
    assert o.reasons == ("Not every criterion has been scored by every assessor",)


# Weights, disagreement, rounding ---------------------------------------------------------------


def test_weights_need_not_sum_to_one():
    # Weights 0.2 / 0.3 (sum 0.5), 2 / 3 (sum 5) and 20 / 30 (sum 50) all weigh C2 at 3/5.
    # 0.2 x 4 + 0.3 x 1 = 1.1 out of 0.5 x 4 = 2: 55%.
    scores = {"a": {"C1": 4, "C2": 1}}
    for weights in (["0.2", "0.3"], ["2", "3"], ["20", "30"], ["0.4", "0.6"]):
        assert outcome(one_theme(weights), scores).percent == D("55.00")


def test_a_spread_of_one_point_is_not_a_disagreement_but_two_are():
    rules = one_theme(["1", "1"])
    o = outcome(rules, {"a": {"C1": 2, "C2": 1}, "b": {"C1": 3, "C2": 3}})
    assert (result(o, "C1").spread, result(o, "C1").disagrees) == (1, False)
    assert (result(o, "C2").spread, result(o, "C2").disagrees) == (2, True)
    assert o.disagreements == ("C2",)


@pytest.mark.parametrize(
    ("scale_max", "score", "percent"),
    [
        (3, 1, "33.33"),  # 33.333..: down
        (3, 2, "66.67"),  # 66.666..: up
        (32, 1, "3.13"),  # 3.125 exactly: half up (half even would give 3.12)
        (8, 1, "12.50"),  # 12.5 exactly
        (7, 1, "14.29"),  # 14.285714..
    ],
)
def test_percentages_are_rounded_once_to_two_places_half_up(scale_max, score, percent):
    o = outcome(one_theme(["1"], scale_max=scale_max), {"a": {"C1": score}})
    assert o.percent == D(percent)
    assert o.themes[0].percent == D(percent)
    assert str(o.percent) == percent


def test_rounding_does_not_accumulate_across_criteria():
    # Three criteria each at 1/3 of weight 1: 1/3 + 1/3 + 1/3 = 1 of 3 -> exactly 33.33..; and
    # three at 2/3 each of scale 3: 6 out of 9 -> 66.67 (not 3 x 22.22 = 66.66).
    rules = one_theme(["1", "1", "1"], scale_max=3)
    assert outcome(rules, {"a": {"C1": 2, "C2": 2, "C3": 2}}).percent == D("66.67")
    # Weights 1, 1, 1 with scores 1, 1, 0 of 3: 2/9 = 22.222..% -> 22.22.
    assert outcome(rules, {"a": {"C1": 1, "C2": 1, "C3": 0}}).percent == D("22.22")


# Levels ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "percent", "level"),
    [
        (["85", "15"], "85.00", DISTINCTION),  # 85 x 4 out of 100 x 4
        (["84.99", "15.01"], "84.99", ACCREDITED),
        (["60", "40"], "60.00", ACCREDITED),
        (["100", "0.01"], "99.99", DISTINCTION),  # 100 / 100.01 = 99.990..%
    ],
)
def test_level_boundaries(weights, percent, level):
    o = outcome(one_theme(weights), {"a": {"C1": 4, "C2": 0}})
    assert o.percent == D(percent)
    assert o.passed
    assert o.level == level


def test_no_level_qualifies():
    rules = one_theme(["65", "35"], levels=(LevelRule("gold", "Gold", 70),))
    o = outcome(rules, {"a": {"C1": 4, "C2": 0}})
    assert o.percent == D("65.00")
    assert o.passed and o.level is None
    assert outcome(replace(rules, levels=()), {"a": {"C1": 4, "C2": 0}}).level is None


def test_level_for_picks_the_highest_qualifying_level_whatever_their_order():
    rules = replace(DEMO, levels=(DISTINCTION, ACCREDITED))
    assert level_for(rules, D("59.99")) is None
    assert level_for(rules, D("60.00")) == ACCREDITED
    assert level_for(rules, D("84.99")) == ACCREDITED
    assert level_for(rules, D("85")) == DISTINCTION
    assert level_for(rules, D("100.00")) == DISTINCTION


def test_a_failed_application_earns_no_level_even_when_a_level_would_qualify():
    # A level below the pass mark does not award anything on its own.
    rules = one_theme(["50", "50"], levels=(LevelRule("bronze", "Bronze", 40),))
    o = outcome(rules, {"a": {"C1": 4, "C2": 0}})  # 50%
    assert not o.passed and o.level is None
