"""Awards of the Mark: issuing one on approval, with a certificate number that is unique
forever and allocated safely when two approvals happen at once."""

from __future__ import annotations

import calendar
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marks import audit
from marks.extensions import db
from marks.models import Application, Award, CertificateCounter, Level, User
from marks.states import AwardState

PREFIX = "SMFM"


def certificate_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:05d}"


def next_sequence(year: int) -> int:
    """Take the next sequence number of the year. The counter row is updated in place (an
    atomic increment that PostgreSQL locks and SQLite serialises), so two approvals at once
    get two numbers; a year's first number creates the row."""
    increment = (
        sa.update(CertificateCounter)
        .where(CertificateCounter.year == year)
        .values(last_sequence=CertificateCounter.last_sequence + 1)
        .returning(CertificateCounter.last_sequence)
    )
    for _ in range(3):
        taken = db.session.execute(increment).scalar()
        if taken is not None:
            return taken
        try:
            with db.session.begin_nested():
                db.session.add(CertificateCounter(year=year, last_sequence=1))
            return 1
        except IntegrityError:
            continue  # another approval created the row first: increment it instead
    raise RuntimeError(f"could not take a certificate number for {year}")


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def award_for(application: Application) -> Award | None:
    return db.session.scalar(sa.select(Award).where(Award.application_id == application.id))


def issue(application: Application, level: Level, *, actor: User, on: date) -> Award:
    """The award for an approved application, in the caller's transaction."""
    edition = application.edition
    sequence = next_sequence(edition.year)
    award = Award(
        application=application,
        council_id=application.council_id,
        edition_id=edition.id,
        level_id=level.id,
        certificate_number=certificate_number(edition.year, sequence),
        year=edition.year,
        sequence=sequence,
        state=AwardState.CURRENT,
        awarded_on=on,
        expires_on=add_months(on, edition.validity_months),
    )
    db.session.add(award)
    db.session.flush()
    if application.renews_award_id is not None:
        previous = db.session.get(Award, application.renews_award_id)
        if previous is not None and previous.state == AwardState.CURRENT:
            previous.state = AwardState.SUPERSEDED
            previous.superseded_by_id = award.id
    db.session.flush()
    audit.record(
        "award.issued",
        award,
        actor=actor,
        to_state=str(AwardState.CURRENT),
        application_id=application.id,
        council_id=application.council_id,
        certificate_number=award.certificate_number,
        level=level.code,
    )
    return award
