"""What the open data says of a council and of an award: the register's JSON records, a
council's JSON and a verification's JSON are made here, so each field has one name and one
value wherever it is published."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from marks.mail import link
from marks.models import Award, Council, Level, utcnow


def council_fields(council: Council) -> dict[str, Any]:
    """A council as the open data names it (the register's records call `name` "council")."""
    return {
        "gss_code": council.gss_code,
        "name": council.name,
        "short_name": council.short_name,
        "ons_name": council.ons_name,
        "nation": str(council.nation),
        "kind": str(council.kind),
        "council_url": link("register.council", gss_code=council.gss_code),
    }


def award_fields(award: Award, level: Level, status: str) -> dict[str, Any]:
    """An award, given its status today, as the open data names it."""
    revoked_on = award.revoked_at.date().isoformat() if award.revoked_at else None
    return {
        "certificate_number": award.certificate_number,
        "level": level.name,
        "edition": award.year,
        "awarded_on": award.awarded_on.isoformat(),
        "expires_on": award.expires_on.isoformat(),
        "status": str(status),
        "revoked_on": revoked_on,
        "revocation_reason": award.revocation_reason,
        # expires_on is the end of the award's term; a revoked award held until revoked_on.
        "valid_until": revoked_on or award.expires_on.isoformat(),
        "verification_url": link("public.verify_certificate", number=award.certificate_number),
    }


# The register's records, in the order their fields were published (new ones at the end).
REGISTER_FIELDS = (
    "gss_code",
    "council",
    "short_name",
    "nation",
    "kind",
    "certificate_number",
    "level",
    "edition",
    "awarded_on",
    "expires_on",
    "status",
    "revoked_on",
    "revocation_reason",
    "verification_url",
    "council_url",
    "valid_until",
    "ons_name",
)


def register_record(council: Council, award: Award, level: Level, status: str) -> dict[str, Any]:
    """A council and its latest award, as one record of the register's JSON."""
    fields = council_fields(council) | award_fields(award, level, status)
    fields["council"] = fields.pop("name")
    return {name: fields[name] for name in REGISTER_FIELDS}


def last_changed(*changes: datetime | None) -> datetime:
    """The latest of these changes, and never before today began: statuses follow the date."""
    midnight = datetime.combine(utcnow().date(), time(0, 0), tzinfo=UTC)
    known = [c if c.tzinfo else c.replace(tzinfo=UTC) for c in changes if c is not None]
    return max([midnight, *known]).replace(microsecond=0)
