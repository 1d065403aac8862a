"""The demo edition's scoring rules, as marks.scheme.scoring takes them, and an assessor's score
card for them: shared by test_scoring.py and test_scoring_rules.py."""

from __future__ import annotations

from decimal import Decimal

from marks.scheme.scoring import CriterionRule, LevelRule, Rules

D = Decimal
ACCREDITED = LevelRule("accredited", "Accredited", 60)
DISTINCTION = LevelRule("distinction", "Accredited with distinction", 85)
LEVELS = (ACCREDITED, DISTINCTION)

# The demo edition's shape: 3 themes of 4 criteria, each theme's weights summing to 6.0, 18.0 in
# all; a 0..4 scale; pass mark 60%, every theme at least 40%.
DEMO_WEIGHTS = {
    "myths-debunked": {"MD1": "2.0", "MD2": "1.5", "MD3": "1.5", "MD4": "1.0"},
    "engagement": {"EN1": "1.5", "EN2": "2.0", "EN3": "1.5", "EN4": "1.0"},
    "staff-empowerment": {"SE1": "2.0", "SE2": "1.5", "SE3": "1.0", "SE4": "1.5"},
}
TITLES = {
    "myths-debunked": "Myths debunked",
    "engagement": "Engagement",
    "staff-empowerment": "Staff empowerment",
}
DEMO = Rules(
    criteria=tuple(
        CriterionRule(code, theme, D(weight))
        for theme, weights in DEMO_WEIGHTS.items()
        for code, weight in weights.items()
    ),
    scale_max=4,
    pass_mark=60,
    theme_minimum=40,
    levels=LEVELS,
)
CODES = [c.code for c in DEMO.criteria]


def card(*scores: int | None) -> dict[str, int | None]:
    """One assessor's scores for the 12 demo criteria, in order (None: not scored)."""
    assert len(scores) == len(CODES)
    return dict(zip(CODES, scores, strict=True))


def every(score: int | None) -> dict[str, int | None]:
    return card(*[score] * len(CODES))
