"""Awards of the Mark: issuing one on approval, with a certificate number that is unique
forever and allocated safely when two approvals happen at once."""

from __future__ import annotations

import calendar
import functools
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marks import audit, config, mail, notifications, permissions, workflow
from marks.awarding import badges, certificates, signing
from marks.extensions import db
from marks.models import (
    Application,
    Award,
    Certificate,
    CertificateCounter,
    Council,
    Edition,
    Level,
    User,
    utcnow,
)
from marks.scheme import issuer as scheme_issuer
from marks.states import AwardState, AwardStatus, ReasonAudience

PREFIX = "SMFM"
# An award expires soon from this many days before it expires: the council is sent its first
# reminder (reminders.REMINDERS) and offered its renewal.
EXPIRING_SOON_DAYS = 90


class AwardRefused(workflow.Refused):
    """Something that cannot be done to an award, with a message for people."""


def _superseded(change: workflow.Change) -> None:
    with db.session.no_autoflush:  # the state and its successor are written together
        change.thing.superseded_by_id = db.session.scalar(
            sa.select(Award.id).where(Award.certificate_number == change.details["superseded_by"])
        )


def _revoked(change: workflow.Change) -> None:
    change.thing.revoked_at = change.at
    change.thing.revocation_reason = change.reason


AWARD = workflow.machine(
    workflow.Machine(
        "award",
        Award,
        (
            workflow.Transition(
                "revoke",
                frozenset({AwardState.CURRENT}),
                AwardState.REVOKED,
                permissions.may_administer,
                reason=ReasonAudience.PUBLIC,  # on the register and the verification page
                needs_reason=True,
                effect=_revoked,
                emails=notifications.award_revoked,
                event="award.revoked",
                refusals={
                    AwardState.REVOKED: "This award has already been revoked",
                    AwardState.SUPERSEDED: (
                        "This award has been superseded by its renewal: it cannot be revoked"
                    ),
                },
            ),
            # When the council's renewal is approved (issue() below).
            workflow.Transition(
                "supersede",
                frozenset({AwardState.CURRENT}),
                AwardState.SUPERSEDED,
                workflow.SYSTEM,
                effect=_superseded,  # by the renewal's award, named in the audit event
                event="award.superseded",
            ),
        ),
        refused=AwardRefused,
        where=lambda award: {
            "application_id": award.application_id,
            "council_id": award.council_id,
        },
    )
)


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


class Dated(Protocol):
    state: AwardState
    expires_on: date


def status(award: Dated, today: date | None = None) -> AwardStatus:
    """Current, expiring soon, expired (by date, whether or not any job ran), revoked or
    superseded."""
    if award.state == AwardState.REVOKED:
        return AwardStatus.REVOKED
    if award.state == AwardState.SUPERSEDED:
        return AwardStatus.SUPERSEDED
    today = today or utcnow().date()
    if award.expires_on <= today:
        return AwardStatus.EXPIRED
    if award.expires_on <= today + timedelta(days=EXPIRING_SOON_DAYS):
        return AwardStatus.EXPIRING_SOON
    return AwardStatus.CURRENT


def face(facts: Facts, status: AwardStatus) -> badges.Face:
    """What the award's badge and its social media cards show today: a renewed award's badge
    stays valid on the council's website, and one expiring soon holds; an expired or revoked
    one says so."""
    held = status.holds or status == AwardStatus.SUPERSEDED
    shown = AwardStatus.CURRENT.value if held else status.value
    return badges.Face(facts.level_name, facts.year, shown, distinction=facts.level_highest)


def renewal_opens(award: Dated) -> date:
    """The day the award starts expiring soon: its first reminder, and its renewal offered."""
    return award.expires_on - timedelta(days=EXPIRING_SOON_DAYS)


@dataclass(frozen=True)
class Facts:
    """An award's public facts as plain values, read in one query: everything its certificate,
    badge and Open Badges assertion show, so that equal facts make equal documents."""

    certificate_number: str
    year: int
    state: AwardState
    awarded_on: date
    expires_on: date
    revocation_reason: str | None
    council_name: str
    gss_code: str
    website: str | None  # the application's, or else the council's
    contact_email: str | None
    level_name: str
    level_code: str
    level_highest: bool  # the edition's highest of two or more levels: a distinction
    edition_code: str
    edition_title: str
    certificate_sha256: str | None  # of the stored PDF, if one has been rendered
    status_index: int  # its place in the Open Badges 3.0 status lists


def facts(certificate_number: str) -> Facts | None:
    """The award's public facts, or None for a number that was never issued: one Core query
    (no ORM objects, built once), as the certificate and badge downloads run it on every
    request."""
    number = {"number": certificate_number.strip().upper()}
    bind = db.session.get_bind()
    if isinstance(bind, sa.Engine) and not db.session().in_transaction():
        # Nothing of the caller's is pending: a connection of its own, no session to begin
        # and end (the downloads' fast path). On PostgreSQL, from the engine whose
        # connections never roll back a transaction (config.binds), so psycopg keeps the
        # statement prepared and PostgreSQL plans the six tables' join once per connection,
        # not on every download. One statement sees one snapshot: it needs no transaction.
        # (On SQLite the statement cache survives rollbacks: the one engine serves.)
        with downloads_engine().connect() as connection:
            row = connection.execute(_facts_query(), number).one_or_none()
    else:  # what the caller has flushed counts
        row = db.session.connection().execute(_facts_query(), number).one_or_none()
    return Facts(**row._mapping) if row else None


def downloads_engine() -> sa.Engine:
    """The engine the downloads read an award's facts through: config.DOWNLOADS's on
    PostgreSQL, the main one elsewhere."""
    return db.engines.get(config.DOWNLOADS, db.engine)


@functools.cache
def _facts_query() -> sa.Select:
    award, council, level, edition, application, stored = (
        model.__table__ for model in (Award, Council, Level, Edition, Application, Certificate)
    )
    return (
        sa.select(
            award.c.certificate_number,
            award.c.year,
            award.c.state,
            award.c.awarded_on,
            award.c.expires_on,
            award.c.revocation_reason,
            council.c.name.label("council_name"),
            council.c.gss_code,
            sa.func.coalesce(sa.func.nullif(application.c.website, ""), council.c.website).label(
                "website"
            ),
            application.c.contact_email,
            level.c.name.label("level_name"),
            level.c.code.label("level_code"),
            _highest(level).label("level_highest"),
            edition.c.code.label("edition_code"),
            edition.c.title.label("edition_title"),
            stored.c.sha256.label("certificate_sha256"),
            status_index(award).label("status_index"),
        )
        .select_from(
            award.join(council, council.c.id == award.c.council_id)
            .join(level, level.c.id == award.c.level_id)
            .join(edition, edition.c.id == award.c.edition_id)
            .join(application, application.c.id == award.c.application_id)
            .outerjoin(stored, stored.c.award_id == award.c.id)
        )
        .where(award.c.certificate_number == sa.bindparam("number"))
    )


def status_index(award: sa.Table) -> sa.ColumnElement[int]:
    """An award's place in the status lists: the one allocated at issue, or, for an award
    issued by the previous release during a rolling upgrade, the id that issue would have
    allocated it."""
    return sa.func.coalesce(award.c.status_index, award.c.id)


def _highest(level: sa.Table) -> sa.ColumnElement[bool]:
    """Whether a level is its edition's highest of two or more (levels are ordered by their
    minimum percentage, unique in an edition)."""
    other = level.alias("other_level")
    beside = other.c.edition_id == level.c.edition_id
    above = sa.exists().where(beside, other.c.min_percent > level.c.min_percent)
    below = sa.exists().where(beside, other.c.min_percent < level.c.min_percent)
    return sa.case((sa.and_(below, ~above), sa.true()), else_=sa.false())


def is_highest(level: Level) -> bool:
    """Whether a level is its edition's highest of two or more (as Facts.level_highest)."""
    levels = level.edition.levels
    return len(levels) > 1 and level is levels[-1]


def find(certificate_number: str) -> Award | None:
    """The award, with everything its public pages print, in one query."""
    return db.session.scalar(
        sa.select(Award)
        .where(Award.certificate_number == certificate_number.strip().upper())
        .options(
            joinedload(Award.council),
            joinedload(Award.level),
            joinedload(Award.edition),
            joinedload(Award.certificate),  # the PDF itself only when it is sent
        )
    )


def revoke(award: Award, reason: str, *, actor: User) -> None:
    """Revoke the award with a public reason; the council is told. Two revocations at once
    revoke it once: the second waits for the first, then is refused."""
    workflow.transition(award, "revoke", actor=actor, reason=reason)


def award_for(application: Application) -> Award | None:
    return db.session.scalar(sa.select(Award).where(Award.application_id == application.id))


def latest_award(council: Council) -> Award | None:
    """The council's most recent award, whatever has become of it: the one its page leads with."""
    return db.session.scalar(
        sa.select(Award).where(Award.council_id == council.id, Award.is_latest)
    )


def issue(application: Application, level: Level, *, actor: User, on: date) -> Award:
    """The award for an approved application, in the caller's transaction."""
    edition = application.edition
    sequence = next_sequence(edition.year)
    db.session.execute(
        sa.update(Award)
        .where(Award.council_id == application.council_id, Award.is_latest)
        .values(is_latest=False)
    )
    award = Award(
        application=application,
        council_id=application.council_id,
        edition_id=edition.id,
        level_id=level.id,
        certificate_number=certificate_number(edition.year, sequence),
        year=edition.year,
        sequence=sequence,
        state=AwardState.CURRENT,
        is_latest=True,
        awarded_on=on,
        expires_on=add_months(on, edition.validity_months),
    )
    db.session.add(award)
    db.session.flush()
    # The award's id: unique, never reused, and allocated by the database without a race.
    award.status_index = award.id
    previous = None
    if application.renews_award_id is not None:
        previous = db.session.get(Award, application.renews_award_id)
        # Read again under the lock: an award revoked meanwhile stays revoked.
        if previous is None or not workflow.startable(workflow.lock(previous), "supersede"):
            previous = None
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
    if previous is not None:
        workflow.transition(
            previous, "supersede", actor=actor, superseded_by=award.certificate_number
        )
    store_certificate(award)  # in this transaction: a download only ever reads
    return award


# --- The certificate PDF, rendered at issue and kept ------------------------------------------


def printed(facts: Facts) -> certificates.Printed:
    """Everything the award's certificate prints, as plain values."""
    issuer = scheme_issuer.current()
    return certificates.Printed(
        scheme_name="Social Media Friendly Mark",
        council_name=facts.council_name,
        level_name=facts.level_name,
        edition_title=facts.edition_title,
        awarded_on=facts.awarded_on,
        expires_on=facts.expires_on,
        certificate_number=facts.certificate_number,
        verification_url=mail.link("public.verify_certificate", number=facts.certificate_number),
        signatory_name=issuer.signatory_name,
        signatory_title=issuer.signatory_title,
        issuer_name=issuer.name,
        issuer_logo=scheme_issuer.image("logo") if issuer.has_logo else None,
        signature=scheme_issuer.image("signature") if issuer.has_signature else None,
        distinction=facts.level_highest,
    )


def certificate_pdf(certificate_number: str) -> tuple[str, bytes] | None:
    """The stored certificate's SHA-256 and bytes."""
    row = db.session.execute(
        sa.select(Certificate.sha256, Certificate.pdf)
        .join(Award, Award.id == Certificate.award_id)
        .where(Award.certificate_number == certificate_number)
    ).one_or_none()
    return (row.sha256, row.pdf) if row else None


def signed_pdf(printed: certificates.Printed) -> bytes:
    """The certificate's PDF, signed by the issuer (signing.sign): the issuer's name as the
    signer, the service's address as where."""
    return signing.sign(
        certificates.render_pdf(printed),
        signed_by=printed.issuer_name or printed.scheme_name,
        location=current_app.config["MARKS_BASE_URL"],
    )


def store_certificate(award: Award) -> tuple[Certificate, bool]:
    """Render and sign the award's certificate and keep it, unless the one kept already prints
    what is true now (the council's name, the signatory...) and is signed with the issuer's
    certificate of now; either way it is checked now. Returns it
    and whether it was rendered. Called when the award is issued (downloads only ever read),
    and by the mail worker for awards changed since. Flushes; the caller commits."""
    db.session.flush()  # the facts are read from the database: what is pending counts
    now = printed(facts(award.certificate_number))
    fingerprint = certificates.fingerprint(now, signed_with=signing.issuer().certificate_sha256)
    # One render at a time per award: the second waits here, then finds it stored.
    workflow.lock(award)
    stored = db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.award_id == award.id)
        .execution_options(populate_existing=True)
    )
    checked = utcnow()
    rendered = stored is None or stored.printed_fingerprint != fingerprint
    if rendered:
        pdf = signed_pdf(now)
        if stored is None:
            stored = Certificate(award=award)
            db.session.add(stored)
        stored.pdf = pdf
        stored.sha256 = hashlib.sha256(pdf).hexdigest()
        stored.printed_fingerprint = fingerprint
        stored.rendered_at = checked
    stored.checked_at = checked
    db.session.flush()
    return stored, rendered


def _valid_today() -> sa.ColumnElement[bool]:
    return sa.and_(Award.state == AwardState.CURRENT, Award.expires_on > utcnow().date())


def certificates_due(limit: int | None = None) -> list[int]:
    """The awards, valid today, whose certificate is missing or not checked since the award
    last changed (councils.touch_awards marks a renamed council's), oldest first."""
    checked = sa.func.coalesce(Certificate.checked_at, Certificate.rendered_at)
    return list(
        db.session.scalars(
            sa.select(Award.id)
            .outerjoin(Certificate, Certificate.award_id == Award.id)
            .where(_valid_today(), sa.or_(Certificate.id.is_(None), checked < Award.updated_at))
            .order_by(Award.id)
            .limit(limit)
        )
    )


def certificates_to_regenerate() -> list[int]:
    """Every award valid today: what `flask regenerate-certificates` checks when something
    printed on all of them changes outside the database (the signatory, the design, the
    service's address)."""
    return list(db.session.scalars(sa.select(Award.id).where(_valid_today()).order_by(Award.id)))


def store_certificates(award_ids: list[int]) -> int:
    """Check the certificates of these awards (store_certificate), committing each, so that
    one that fails leaves the others done. Returns how many were rendered."""
    rendered = 0
    for award_id in award_ids:
        award = db.session.get(Award, award_id)
        if award is None:
            continue
        rendered += store_certificate(award)[1]
        db.session.commit()
    return rendered
