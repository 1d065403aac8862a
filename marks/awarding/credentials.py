"""Open Badges 3.0: each award as an `OpenBadgeCredential` (a W3C Verifiable Credential 2.0),
issued by the scheme's issuer under its did:web identifier, to the council (identified by its
GSS code and official name), for the edition's achievement at the award's level; secured by an
eddsa-rdfc-2022 Data Integrity proof, with its place in the status list, so that anyone can
check it, and whether it has been revoked, without asking the service about it."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app

from marks import mail
from marks.awarding import awards, data_integrity, did, openbadges, status_list
from marks.scheme import issuer as scheme_issuer

CONTEXT = [data_integrity.VC_V2, data_integrity.OB_V3]


def _instant(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=UTC).isoformat().replace("+00:00", "Z")


def issuer_profile() -> dict[str, Any]:
    """The issuer as an Open Badges 3.0 Profile: its did:web, and its name, website and email
    as the scheme's settings say (what is not set is left out)."""
    settings = scheme_issuer.current()
    profile = {
        "id": did.issuer_did(),
        "type": ["Profile"],
        "name": settings.name or "Social Media Friendly Mark",
        "url": settings.website or current_app.config["MARKS_BASE_URL"],
        "email": settings.contact_email,
        "description": settings.description,
    }
    return {key: value for key, value in profile.items() if value}


def _achievement(facts: awards.Facts) -> dict[str, Any]:
    """The edition's achievement at the award's level: the 2.0 badge class's words."""
    level = openbadges.level_for_slug(f"{facts.edition_code}-{facts.level_code}")
    badge_class = openbadges.badge_class(level)
    return {
        "id": badge_class["id"],
        "type": ["Achievement"],
        "achievementType": "Award",
        "name": badge_class["name"],
        "description": badge_class["description"],
        "criteria": {
            "id": mail.link("public.criteria"),
            "narrative": badge_class["criteria"]["narrative"],
        },
        "image": {"id": badge_class["image"], "type": "Image", "caption": badge_class["name"]},
        "tag": badge_class["tags"],
    }


def unsigned(facts: awards.Facts) -> dict[str, Any]:
    """The award's credential, before its proof."""
    number = facts.certificate_number
    achievement = _achievement(facts)
    return {
        "@context": CONTEXT,
        "id": mail.link("public.ob_credential", number=number),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{achievement['name']}, certificate {number}",
        "issuer": issuer_profile(),
        "validFrom": _instant(facts.awarded_on),
        "validUntil": _instant(facts.expires_on),
        "credentialSubject": {
            "id": mail.link("register.council", gss_code=facts.gss_code),
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "identifier",
                    "hashed": False,
                    "identityHash": facts.gss_code,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": facts.council_name,
                },
            ],
            "achievement": achievement,
        },
        "credentialStatus": status_list.entry(facts.status_index),
    }


def credential(facts: awards.Facts) -> str:
    """The award's signed credential, as JSON. Signed again only when what it says changes (or
    the key does): equal facts make equal bytes, as the proof has no time in it."""
    document = json.dumps(unsigned(facts), ensure_ascii=False, indent=2)
    return _signed(document, did.verification_method(), did.signing_key())


@functools.lru_cache(maxsize=256)
def _signed(document: str, verification_method: str, key) -> str:
    signed = data_integrity.sign(json.loads(document), key, verification_method)
    return json.dumps(signed, ensure_ascii=False, indent=2)
