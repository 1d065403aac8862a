"""Properties of the scoring rules, for any rules and any scores: percentages between 0 and 100,
an outcome consistent with itself, weights that count only relative to each other, a higher
score that never lowers the result, and assessors' keys that change nothing but the order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marks.scheme.scoring import CriterionRule, LevelRule, Rules, level_for, outcome

D = Decimal


# Properties ------------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=200, deadline=None, database=None)


@st.composite
def rules_strategy(draw) -> Rules:
    count = draw(st.integers(1, 8))
    themes = draw(st.lists(st.sampled_from("xyz"), min_size=count, max_size=count))
    weights = draw(
        st.lists(
            st.decimals(D("0.01"), D("100"), places=2, allow_nan=False, allow_infinity=False),
            min_size=count,
            max_size=count,
        )
    )
    minimums = draw(st.lists(st.integers(0, 100), max_size=3, unique=True))
    return Rules(
        criteria=tuple(
            CriterionRule(f"C{i}", t, w)
            for i, (t, w) in enumerate(zip(themes, weights, strict=True))
        ),
        scale_max=draw(st.integers(1, 6)),
        pass_mark=draw(st.integers(0, 100)),
        theme_minimum=draw(st.integers(0, 100)),
        levels=tuple(LevelRule(f"L{m}", f"Level {m}", m) for m in minimums),
    )


@st.composite
def rules_and_scores(draw, min_assessors: int = 0):
    rules = draw(rules_strategy())
    keys = draw(
        st.lists(
            st.text("abcdef", min_size=1, max_size=3),
            min_size=min_assessors,
            max_size=4,
            unique=True,
        )
    )
    score = st.one_of(st.none(), st.integers(0, rules.scale_max))
    scores = {}
    for key in keys:
        scores[key] = {}
        for c in rules.criteria:
            s = draw(score)
            # Not scored: None, or absent altogether.
            if s is not None or draw(st.booleans()):
                scores[key][c.code] = s
    return rules, scores


@PROPERTIES
@given(rules_and_scores())
def test_percentages_are_always_between_0_and_100(case):
    rules, scores = case
    o = outcome(rules, scores)
    assert D(0) <= o.percent <= D(100)
    assert all(D(0) <= t.percent <= D(100) for t in o.themes)
    assert o.percent == o.percent.quantize(D("0.01"))


@PROPERTIES
@given(rules_and_scores())
def test_the_outcome_is_consistent(case):
    rules, scores = case
    o = outcome(rules, scores)
    assert o.passed == (o.reasons == ())
    assert o.passed == (
        o.complete and o.percent >= rules.pass_mark and all(t.passed for t in o.themes)
    )
    assert o.level is None or (o.passed and o.level.min_percent <= o.percent)
    if o.passed:
        assert o.level == level_for(rules, o.percent)
    assert o.complete == (bool(scores) and all(c.missing == () for c in o.criteria))
    assert o.disagreements == tuple(
        c.code for c in o.criteria if c.spread is not None and c.spread > 1
    )
    assert [c.code for c in o.criteria] == [c.code for c in rules.criteria]
    assert [t.theme for t in o.themes] == list(dict.fromkeys(c.theme for c in rules.criteria))


@PROPERTIES
@given(
    rules_and_scores(),
    st.decimals(D("0.001"), D("1000"), places=3, allow_nan=False, allow_infinity=False),
)
def test_scaling_every_weight_changes_nothing(case, factor):
    assume(factor > 0)
    rules, scores = case
    scaled = replace(
        rules, criteria=tuple(replace(c, weight=c.weight * factor) for c in rules.criteria)
    )
    a, b = outcome(rules, scores), outcome(scaled, scores)
    assert (a.percent, a.passed, a.level, a.reasons) == (b.percent, b.passed, b.level, b.reasons)
    assert [t.percent for t in a.themes] == [t.percent for t in b.themes]


@PROPERTIES
@given(rules_and_scores(min_assessors=1), st.data())
def test_raising_a_score_never_lowers_the_percent(case, data):
    rules, scores = case
    given_scores = [
        (key, code, s)
        for key, card_ in scores.items()
        for code, s in card_.items()
        if s is not None
    ]
    assume(any(s < rules.scale_max for _, _, s in given_scores))
    key, code, score = data.draw(
        st.sampled_from([g for g in given_scores if g[2] < rules.scale_max])
    )
    higher = data.draw(st.integers(score + 1, rules.scale_max))
    raised = scores | {key: scores[key] | {code: higher}}
    before, after = outcome(rules, scores), outcome(rules, raised)
    assert after.percent >= before.percent
    assert all(t2.percent >= t1.percent for t1, t2 in zip(before.themes, after.themes, strict=True))
    assert after.passed or not before.passed
    if before.level is not None:
        assert after.level is not None and after.level.min_percent >= before.level.min_percent


@PROPERTIES
@given(rules_and_scores(), st.randoms(use_true_random=False))
def test_relabelling_the_assessors_changes_nothing_but_the_order(case, random):
    rules, scores = case
    keys = list(scores)
    relabelled_keys = keys[:]
    random.shuffle(relabelled_keys)
    relabelled = {new: scores[old] for old, new in zip(keys, relabelled_keys, strict=True)}
    a, b = outcome(rules, scores), outcome(rules, relabelled)
    assert (a.percent, a.passed, a.level, a.complete, a.disagreements, a.reasons) == (
        b.percent,
        b.passed,
        b.level,
        b.complete,
        b.disagreements,
        b.reasons,
    )
    assert a.themes == b.themes
    assert [(c.mean, c.spread, sorted(c.scores, key=str)) for c in a.criteria] == [
        (c.mean, c.spread, sorted(c.scores, key=str)) for c in b.criteria
    ]
