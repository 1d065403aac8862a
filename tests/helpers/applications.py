"""Applications made through the domain, as far as the tests need them: complete and
submitted, and scored by their assessors."""

from __future__ import annotations

from marks.applying import applications
from marks.assessing import assessment
from marks.assessing.assessment import CriterionScore
from marks.models import Application, User
from marks.states import MembershipRole, Recommendation


def submitted_by(lead: User) -> Application:
    """The lead's council's complete application, submitted."""
    application = applications.start(lead.membership.council, actor=lead)
    applications.save_about(
        application,
        actor=lead,
        contact_name="Lena",
        contact_email="lena@x.gov.uk",
        website="https://www.x.gov.uk",
        social_accounts="https://x.com/x",
    )
    for answer in application.answers:
        applications.save_answer(
            answer,
            version=answer.version,
            actor=lead,
            self_score=3,
            narrative="What we do.",
            links=[],
        )
    applications.submit(application, actor=lead, declaration_name="Lena")
    return application


def complete_application(make) -> Application:
    """A council's complete, submitted application, with a lead made for it."""
    return submitted_by(make.member(role=MembershipRole.LEAD))


def score_all(assignment, value: int, recommendation=Recommendation.AWARD, submit=True) -> None:
    """The assessor scores every criterion `value`, with feedback and notes (and submits)."""
    a = assignment.assessment
    codes = [c.code for c in assignment.application.edition.criteria]
    assessment.save(
        a,
        version=a.version,
        actor=assignment.assessor,
        scores={
            code: CriterionScore(value, f"Feedback on {code}", f"Note on {code}") for code in codes
        },
        recommendation=recommendation,
        summary="Summary",
    )
    if submit:
        assessment.submit(a, actor=assignment.assessor)
