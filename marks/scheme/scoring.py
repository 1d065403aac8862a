"""The scoring rules, in one pure module: weighted percentages per theme and overall, the pass
rules (an overall pass mark and a minimum for every theme), the level earned, and the mean and
spread of the assessors' scores, with the criteria on which they disagree by more than a point.

No I/O, no database, no Flask: the rules come in as plain frozen dataclasses (`rules_for` builds
them from an edition by attribute access alone) and the scores as nested mappings.

Arithmetic is exact: weights and means are carried as fractions and percentages are rounded to
two places, half up, only once, at the end. The pass mark, the theme minimum and the levels are
compared with those rounded percentages, so that a decision always agrees with the figure shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any

# assessor key -> criterion code -> score (None, or absent: not scored)
Scores = Mapping[str, Mapping[str, int | None]]

_HUNDRED = Fraction(100)


# Rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRule:
    code: str
    theme: str
    weight: Decimal  # relative: the weights need not sum to 1


@dataclass(frozen=True)
class LevelRule:
    code: str
    name: str
    min_percent: int


@dataclass(frozen=True)
class Rules:
    criteria: tuple[CriterionRule, ...]
    scale_max: int
    pass_mark: int  # percent overall needed to pass
    theme_minimum: int  # percent every theme must reach
    levels: tuple[LevelRule, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "levels", tuple(self.levels))
        if not self.criteria:
            raise ValueError("the rules need at least one criterion")
        codes = [c.code for c in self.criteria]
        for criterion in self.criteria:
            if not isinstance(criterion.code, str) or not criterion.code:
                raise ValueError(f"criterion code {criterion.code!r} must be a non-empty string")
            if not isinstance(criterion.theme, str) or not criterion.theme:
                raise ValueError(f"criterion {criterion.code}: theme must be a non-empty string")
            if codes.count(criterion.code) > 1:
                raise ValueError(f"criterion code {criterion.code} appears more than once")
            if not _positive_weight(criterion.weight):
                raise ValueError(
                    f"criterion {criterion.code}: weight {criterion.weight!r} "
                    "must be a positive, finite Decimal"
                )
        if not _is_int(self.scale_max) or self.scale_max < 1:
            raise ValueError(f"scale_max {self.scale_max!r} must be a whole number of at least 1")
        _check_percent("pass_mark", self.pass_mark)
        _check_percent("theme_minimum", self.theme_minimum)
        level_codes = [lv.code for lv in self.levels]
        level_minimums = [lv.min_percent for lv in self.levels]
        for level in self.levels:
            _check_percent(f"level {level.code}: min_percent", level.min_percent)
            if level_codes.count(level.code) > 1:
                raise ValueError(f"level code {level.code} appears more than once")
            if level_minimums.count(level.min_percent) > 1:
                raise ValueError(f"two levels share the min_percent {level.min_percent}")

    @property
    def themes(self) -> tuple[str, ...]:
        """The theme codes, in order of first appearance among the criteria."""
        return tuple(dict.fromkeys(c.theme for c in self.criteria))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_weight(weight: Any) -> bool:
    if _is_int(weight):
        return weight > 0
    return isinstance(weight, Decimal) and weight.is_finite() and weight > 0


def _check_percent(name: str, value: Any) -> None:
    if not _is_int(value) or not 0 <= value <= 100:
        raise ValueError(f"{name} {value!r} must be a whole percent from 0 to 100")


def rules_for(edition: Any) -> Rules:
    """The Rules of an edition (or anything shaped like one: read by attribute access only)."""
    criteria = tuple(
        CriterionRule(code=criterion.code, theme=theme.code, weight=_decimal(criterion.weight))
        for theme in edition.themes
        for criterion in theme.criteria
    )
    levels = tuple(
        LevelRule(code=level.code, name=level.name, min_percent=level.min_percent)
        for level in edition.levels
    )
    return Rules(
        criteria=criteria,
        scale_max=len(edition.scale_labels) - 1,
        pass_mark=edition.pass_mark,
        theme_minimum=edition.theme_minimum,
        levels=levels,
    )


def _decimal(value: Any) -> Any:
    """A weight as a Decimal: a float by its shortest repr (2.0 -> Decimal('2.0')), not its binary
    value. Anything else is passed on as it is, for Rules to accept or refuse."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if _is_int(value):
        return Decimal(value)
    return value


# Outcome ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionResult:
    code: str
    theme: str
    weight: Decimal
    scores: tuple[int | None, ...]  # one per assessor, in Outcome.assessors order
    mean: Decimal | None  # of the scores given; None when nobody scored it
    spread: int | None  # highest minus lowest score given; None when nobody scored it
    disagrees: bool  # spread > 1
    missing: tuple[str, ...]  # the assessors who did not score it


@dataclass(frozen=True)
class ThemeResult:
    theme: str
    percent: Decimal
    passed: bool  # percent >= the theme minimum


@dataclass(frozen=True)
class Outcome:
    assessors: tuple[str, ...]  # sorted
    criteria: tuple[CriterionResult, ...]  # in rules order
    themes: tuple[ThemeResult, ...]  # in order of first appearance
    percent: Decimal  # overall weighted percentage, 2 places
    complete: bool  # at least one assessor, and every one scored every criterion
    passed: bool
    level: LevelRule | None  # None unless passed
    disagreements: tuple[str, ...]  # codes of the criteria with spread > 1
    reasons: tuple[str, ...]  # why it did not pass; empty when it passed


def outcome(rules: Rules, scores: Scores, theme_titles: Mapping[str, str] | None = None) -> Outcome:
    """Score an application. A criterion nobody scored counts as 0 and leaves it incomplete.

    theme_titles, if given, names themes in the reasons (theme code -> title); otherwise the
    theme codes are used.
    """
    assessors = tuple(sorted(scores))
    _validate_scores(rules, scores)

    results: list[CriterionResult] = []
    # Exact weighted sums (weight x mean / scale_max) and weight totals, overall and per theme.
    achieved: dict[str, Fraction] = dict.fromkeys(rules.themes, Fraction(0))
    possible: dict[str, Fraction] = dict.fromkeys(rules.themes, Fraction(0))
    for criterion in rules.criteria:
        given_by = tuple(scores[key].get(criterion.code) for key in assessors)
        given = [s for s in given_by if s is not None]
        mean = Fraction(sum(given), len(given)) if given else None
        spread = max(given) - min(given) if given else None
        weight = Fraction(criterion.weight)
        achieved[criterion.theme] += weight * (mean or 0) / rules.scale_max
        possible[criterion.theme] += weight
        results.append(
            CriterionResult(
                code=criterion.code,
                theme=criterion.theme,
                weight=criterion.weight,
                scores=given_by,
                mean=None if mean is None else _to_decimal(mean),
                spread=spread,
                disagrees=spread is not None and spread > 1,
                missing=tuple(k for k, s in zip(assessors, given_by, strict=True) if s is None),
            )
        )

    themes = tuple(
        ThemeResult(
            theme=theme,
            percent=(percent := _percent(achieved[theme], possible[theme])),
            passed=percent >= rules.theme_minimum,
        )
        for theme in rules.themes
    )
    percent = _percent(sum(achieved.values(), Fraction(0)), sum(possible.values(), Fraction(0)))
    complete = bool(assessors) and not any(r.missing for r in results)

    reasons: list[str] = []
    if not assessors:
        reasons.append("No assessor has scored it yet")
    elif not complete:
        reasons.append("Not every criterion has been scored by every assessor")
    if percent < rules.pass_mark:
        reasons.append(f"Overall score {percent}% is below the pass mark of {rules.pass_mark}%")
    titles = theme_titles or {}
    for theme in themes:
        if not theme.passed:
            reasons.append(
                f"{titles.get(theme.theme, theme.theme)} scored {theme.percent}%, below the "
                f"minimum of {rules.theme_minimum}% for every theme"
            )
    passed = not reasons

    return Outcome(
        assessors=assessors,
        criteria=tuple(results),
        themes=themes,
        percent=percent,
        complete=complete,
        passed=passed,
        level=level_for(rules, percent) if passed else None,
        disagreements=tuple(r.code for r in results if r.disagrees),
        reasons=tuple(reasons),
    )


def level_for(rules: Rules, percent: Decimal) -> LevelRule | None:
    """The level with the highest min_percent at or below percent; None if none qualifies."""
    qualifying = [lv for lv in rules.levels if lv.min_percent <= percent]
    return max(qualifying, key=lambda lv: lv.min_percent, default=None)


def _validate_scores(rules: Rules, scores: Scores) -> None:
    known = {c.code for c in rules.criteria}
    for assessor, given in scores.items():
        for code, score in given.items():
            if code not in known:
                raise ValueError(f"assessor {assessor} scored an unknown criterion {code!r}")
            if score is None:
                continue
            if not _is_int(score) or not 0 <= score <= rules.scale_max:
                raise ValueError(
                    f"assessor {assessor} gave {code} the score {score!r}: "
                    f"scores are whole numbers from 0 to {rules.scale_max}"
                )


def _percent(achieved: Fraction, possible: Fraction) -> Decimal:
    """achieved / possible as a percentage, rounded once to 2 places, half up."""
    hundredths = math.floor(achieved / possible * _HUNDRED * 100 + Fraction(1, 2))
    return Decimal((0, tuple(int(d) for d in str(hundredths)), -2))


def _to_decimal(value: Fraction) -> Decimal:
    """A fraction as a Decimal: exact when it can be, otherwise to 28 significant digits."""
    # A fresh context each time: no shared (global or thread-local) decimal state is touched.
    return Context(prec=28).divide(Decimal(value.numerator), Decimal(value.denominator))
