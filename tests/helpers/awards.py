"""Awards made directly in the database, on the dates and in the states a test needs (the
journeys that make them, through the domain, are tested elsewhere: factories.award makes one
that way)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from marks.awarding import awards
from marks.extensions import db
from marks.models import Application, Award, utcnow
from marks.states import ApplicationState, AwardState, CouncilKind, MembershipRole, Nation


def award_to(
    make,
    edition,
    name: str,
    *,
    awarded: date,
    level=0,
    state=AwardState.CURRENT,
    nation=Nation.ENGLAND,
    kind=CouncilKind.TOWN_OR_PARISH,
    council=None,
) -> Award:
    """An award on `awarded` to a new council called `name` (or to the council given), at the
    edition's level `level`, revoked if `state` says so, and the latest of the council's."""
    if council is None:  # a new council, with a lead to be told of reminders
        council = make.council(name=name, nation=nation, kind=kind)
        starter = make.member(council=council, role=MembershipRole.LEAD)
    else:
        starter = make.user()
    application = Application(
        council=council,
        edition=edition,
        started_by_id=starter.id,
        state=ApplicationState.APPROVED,
        submitted_at=utcnow(),
        decided_at=utcnow(),
    )
    db.session.add(application)
    db.session.flush()
    db.session.execute(
        sa.update(Award).where(Award.council_id == council.id).values(is_latest=False)
    )
    sequence = awards.next_sequence(edition.year)
    award = Award(
        application=application,
        council_id=council.id,
        edition_id=edition.id,
        level_id=edition.levels[level].id,
        certificate_number=awards.certificate_number(edition.year, sequence),
        year=edition.year,
        sequence=sequence,
        state=AwardState.CURRENT,
        is_latest=True,
        awarded_on=awarded,
        expires_on=awards.add_months(awarded, 24),
    )
    db.session.add(award)
    db.session.flush()
    if state == AwardState.REVOKED:
        award.state, award.revoked_at = state, utcnow()
        award.revocation_reason = "=cmd|' /C calc'!A0"  # a formula, for the CSV test
        db.session.flush()
    return award
