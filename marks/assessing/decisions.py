"""Moderation and decision: the scores side by side, the computed outcome, and the
administrator's decision (approve, reject, or ask for more information), each through the
one workflow function, audited, with its emails, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from marks import workflow
from marks.applying import applications
from marks.assessing import assessment
from marks.awarding import awards
from marks.extensions import db
from marks.models import (
    Answer,
    Application,
    Assessment,
    Award,
    Criterion,
    Decision,
    Level,
    Score,
    User,
    utcnow,
)
from marks.scheme import issuer, scoring
from marks.states import DecisionOutcome


class DecisionRefused(Exception):
    """A decision that cannot be made, with a message for people."""


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    answer: Answer | None  # the council's, shown beside the scores
    self_score: int | None
    scores: list[Score | None]  # one per assessment, in Moderation.assessments order
    result: scoring.CriterionResult


@dataclass(frozen=True)
class Moderation:
    application: Application
    assessments: list[Assessment]
    rows: list[CriterionRow]
    outcome: scoring.Outcome
    computed_level: Level | None


def moderation(application: Application) -> Moderation:
    """Everything an administrator needs to decide, from the submitted assessments."""
    applications.preload(application)
    edition = application.edition
    submitted = assessment.submitted_assessments(application)
    by_assessment = {a.id: assessment.scores_by_code(a) for a in submitted}
    result = scoring.outcome(
        scoring.rules_for(edition),
        {str(a.id): {code: s.score for code, s in by_assessment[a.id].items()} for a in submitted},
        theme_titles={t.code: t.title for t in edition.themes},
    )
    results = {r.code: r for r in result.criteria}
    answers = {a.criterion_id: a for a in application.answers}
    rows = [
        CriterionRow(
            criterion=c,
            answer=answers.get(c.id),
            self_score=answers[c.id].self_score if c.id in answers else None,
            scores=[by_assessment[a.id].get(c.code) for a in submitted],
            result=results[c.code],
        )
        for c in edition.criteria
    ]
    level = None
    if result.level is not None:
        level = next(lv for lv in edition.levels if lv.code == result.level.code)
    return Moderation(application, submitted, rows, result, level)


def scores_are_final(application: Application) -> bool:
    """Whether the assessments are in and the decision rests on them: ready for a decision,
    or decided."""
    return workflow.startable(application, "approve") or decision_for(application) is not None


def problems(
    found: Moderation | None,
    outcome: str,
    *,
    level: Level | None = None,
    override_reason: str = "",
    reasons: str = "",
    reject_override_reason: str = "",
    criteria: Sequence[Criterion] = (),
    message: str = "",
) -> list[tuple[str, str]]:
    """What stops the decision `outcome` ("approve", "reject", "request_information"), each
    as (message, the decision form's field it is about). `found` is the moderation the
    decision rests on (None while only more information can be asked for)."""
    found_problems: list[tuple[str, str]] = []
    if outcome == "approve":
        if unset := issuer.missing():
            # Approving issues the certificate, which names its issuer and signatory.
            found_problems.append(
                (
                    "You cannot approve until the scheme’s settings give "
                    + ", ".join(unset)
                    + ": the certificate names them",
                    "outcome",
                )
            )
        if level is None:
            found_problems.append(("Choose the level to award", "level"))
        elif found is not None and level.edition_id != found.application.edition_id:
            found_problems.append(("Choose a level of this application's edition", "level"))
        elif found is not None and _overriding(found, level) and not override_reason.strip():
            found_problems.append(
                (
                    "Explain why you are approving at a level other than the one the scores earn",
                    "override_reason",
                )
            )
    elif outcome == "reject":
        if not reasons.strip():
            found_problems.append(("Give the reasons the council will read", "reasons"))
        if found is not None and found.outcome.passed and not reject_override_reason.strip():
            found_problems.append(
                (
                    "The scores pass: explain why you are not approving it (for the record)",
                    "reject_override_reason",
                )
            )
    elif outcome == "request_information":
        if not criteria:
            found_problems.append(("Choose at least one criterion to reopen", "criteria"))
        if not message.strip():
            found_problems.append(("Say what the council needs to send", "message"))
    return found_problems


def _overriding(found: Moderation, level: Level) -> bool:
    return found.computed_level is None or level.id != found.computed_level.id


def _refuse_any(found: list[tuple[str, str]]) -> None:
    if found:
        raise DecisionRefused(found[0][0])


def _decision_state(application: Application) -> None:
    if not workflow.startable(application, "approve"):  # reject starts from the same state
        raise DecisionRefused("This application is not ready for a decision")
    exists = db.session.scalar(
        sa.select(Decision.id).where(Decision.application_id == application.id)
    )
    if exists is not None:
        raise DecisionRefused("This application has already been decided")


def approve(
    application: Application, *, actor: User, level: Level, override_reason: str | None = None
) -> Award:
    """Approve at `level`; a level other than the computed one needs a written reason."""
    _decision_state(application)
    found = moderation(application)
    _refuse_any(problems(found, "approve", level=level, override_reason=override_reason or ""))
    overriding = _overriding(found, level)
    decision = Decision(
        application=application,
        outcome=DecisionOutcome.APPROVED,
        computed_percent=found.outcome.percent,
        computed_level_id=found.computed_level.id if found.computed_level else None,
        level_id=level.id,
        override_reason=override_reason.strip() if overriding and override_reason else None,
        decided_by=actor,
    )
    db.session.add(decision)
    db.session.flush()
    award = awards.issue(application, level, actor=actor, on=utcnow().date())
    workflow.transition(application, "approve", actor=actor, reason=decision.override_reason)
    return award


def reject(
    application: Application, *, actor: User, reasons: str, override_reason: str | None = None
) -> Decision:
    """Reject with reasons the council will read. Rejecting what the scores pass needs an
    extra reason for the record."""
    _decision_state(application)
    found = moderation(application)
    _refuse_any(
        problems(found, "reject", reasons=reasons, reject_override_reason=override_reason or "")
    )
    decision = Decision(
        application=application,
        outcome=DecisionOutcome.REJECTED,
        computed_percent=found.outcome.percent,
        computed_level_id=found.computed_level.id if found.computed_level else None,
        reasons=reasons.strip(),
        override_reason=override_reason.strip() if override_reason else None,
        decided_by=actor,
    )
    db.session.add(decision)
    db.session.flush()
    workflow.transition(application, "reject", actor=actor, reason=decision.reasons)
    return decision


def request_information(
    application: Application, criteria: Sequence[Criterion], message: str, *, actor: User
) -> None:
    _refuse_any(problems(None, "request_information", criteria=criteria, message=message))
    try:
        applications.request_information(application, criteria, message, actor=actor)
    except applications.ApplicationRefused as error:
        raise DecisionRefused(str(error)) from error


def decision_for(application: Application) -> Decision | None:
    return db.session.scalar(sa.select(Decision).where(Decision.application_id == application.id))
