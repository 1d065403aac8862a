"""Open Badges 2.0, hosted verification: the issuer profile, one BadgeClass per edition and
level, and one Assertion per award, each at a stable URL of the service."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from marks import mail
from marks.awarding import awards
from marks.extensions import db
from marks.models import Edition, Level
from marks.scheme import issuer as scheme_issuer

CONTEXT = "https://w3id.org/openbadges/v2"


def _iso(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=UTC).isoformat().replace("+00:00", "Z")


def issuer_id() -> str:
    return mail.link("public.ob_issuer")


def badge_class_slug(level: Level) -> str:
    return f"{level.edition.code}-{level.code}"


def level_for_slug(slug: str) -> Level | None:
    edition_code, _, level_code = slug.rpartition("-")
    return db.session.scalar(
        sa.select(Level)
        .join(Edition, Edition.id == Level.edition_id)
        .where(Edition.code == edition_code, Level.code == level_code)
    )


def issuer() -> dict[str, Any]:
    """The issuer profile: the organisation that runs the scheme, as its settings name it
    (what is not yet set is left out, as Open Badges allows, but for name and url)."""
    settings = scheme_issuer.current()
    profile = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_id(),
        "name": settings.name or "Social Media Friendly Mark",
        "url": settings.website or current_app.config["MARKS_BASE_URL"],
        "email": settings.contact_email,
        "description": settings.description,
        # Hosted verification looks for assertions on the origin of `url` unless told
        # otherwise: the issuer's website is not where the service hosts them.
        "verification": {
            "type": "HostedBadge",
            "allowedOrigins": urlsplit(current_app.config["MARKS_BASE_URL"]).netloc,
        },
    }
    return {key: value for key, value in profile.items() if value}


def badge_class(level: Level) -> dict[str, Any]:
    edition = level.edition
    slug = badge_class_slug(level)
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": mail.link("public.ob_badge_class", slug=slug),
        "name": f"Social Media Friendly Mark {edition.year}: {level.name}",
        "description": (
            f"Awarded to UK councils that meet the {edition.title} criteria with a weighted "
            f"score of at least {level.min_percent}%, assessed by practitioners from other "
            "councils."
        ),
        "image": mail.link("public.ob_badge_class_image", slug=slug),
        "criteria": {
            "id": mail.link("public.index"),
            "narrative": (
                f"A self-assessment against the {edition.title} criteria, in three themes "
                f"({', '.join(t.title for t in edition.themes)}), scored by two assessors "
                f"against a rubric; an overall score of at least {level.min_percent}% and at "
                f"least {edition.theme_minimum}% in every theme."
            ),
        },
        "issuer": issuer_id(),
        "tags": ["local government", "social media", "United Kingdom"],
    }


def recipient(facts: awards.Facts) -> dict[str, Any]:
    """The council's website if it gave one, else its contact email, hashed with a salt."""
    if facts.website:
        return {"type": "url", "hashed": False, "identity": facts.website}
    email = (facts.contact_email or "").strip().lower()
    salt = hashlib.sha256(facts.certificate_number.encode()).hexdigest()[:16]
    digest = hashlib.sha256((email + salt).encode()).hexdigest()
    return {"type": "email", "hashed": True, "salt": salt, "identity": f"sha256${digest}"}


def assertion(facts: awards.Facts) -> dict[str, Any]:
    number = facts.certificate_number
    return {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": mail.link("public.ob_assertion", number=number),
        "recipient": recipient(facts),
        "badge": mail.link(
            "public.ob_badge_class", slug=f"{facts.edition_code}-{facts.level_code}"
        ),
        "issuedOn": _iso(facts.awarded_on),
        "expires": _iso(facts.expires_on),
        "verification": {"type": "hosted"},
        "image": mail.link("public.badge", number=number, extension="png"),
        "evidence": [
            {
                "id": mail.link("register.council", gss_code=facts.gss_code),
                "narrative": f"{facts.council_name}'s public page on the register.",
            }
        ],
    }


def revoked(facts: awards.Facts) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": mail.link("public.ob_assertion", number=facts.certificate_number),
        "revoked": True,
        "revocationReason": facts.revocation_reason,
    }
