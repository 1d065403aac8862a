"""The scheme's issuer: the organisation that runs the Mark and awards it, who signs its
certificates for it, and the scheme's short description. One row (models.SchemeSettings),
kept by administrators at /admin/settings; every page, email, certificate and Open Badges
profile that names the issuer reads it from here, never from code or a settings file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import g

from marks import audit
from marks.awarding.certificates import Image
from marks.extensions import db
from marks.models import Award, SchemeSettings, User, utcnow
from marks.states import AwardState

MAX_IMAGE_BYTES = 1024 * 1024
PNG = "image/png"
SVG = "image/svg+xml"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
# url(...) in a style attribute or a <style>: its target, quoted or not.
_URL = re.compile(r"""url\(\s*['"]?\s*([^'")\s]*)""", re.I)
_SAFE_TARGETS = ("#", "data:image/")

WRONG_TYPE = "The selected file must be a PNG or SVG"
EMPTY = "The selected file is empty"
TOO_BIG = "The selected file must be smaller than 1MB"
UNREADABLE_SVG = "The selected SVG could not be read. Save it again and upload the new copy"
UNSAFE_SVG = (
    "The selected SVG has a script, an embedded page or a link to another file in it. "
    "Save it without them and upload it again"
)

# What a certificate needs, as the settings page and the decision page name it.
NEEDED = {
    "name": "the issuing organisation’s name",
    "contact_email": "the contact email address",
    "website": "the issuing organisation’s website",
    "signatory_name": "the signatory’s name",
    "signatory_title": "the signatory’s title",
}

# Issuer field -> SchemeSettings column, for the text settings.
COLUMNS = {
    "name": "issuer_name",
    "address": "issuer_address",
    "website": "issuer_website",
    "contact_email": "contact_email",
    "description": "description",
    "signatory_name": "signatory_name",
    "signatory_title": "signatory_title",
    "hashtag": "hashtag",
}
TEXT = tuple(COLUMNS)  # the text settings, as update() takes them
# What a certificate prints (awards.printed): a change to any of them has the current
# certificates made again by the mail worker.
PRINTED = frozenset({"name", "signatory_name", "signatory_title", "logo", "signature"})
_LABELS = {
    "name": "name",
    "address": "postal address",
    "website": "website",
    "contact_email": "contact email address",
    "description": "description",
    "signatory_name": "signatory’s name",
    "signatory_title": "signatory’s title",
    "hashtag": "hashtag",
    "logo": "logo",
    "signature": "signature",
}


# A hashtag as the social networks read one: "#", then letters, digits or underscores.
HASHTAG = re.compile(r"#\w+")


class ImageRefused(ValueError):
    """An uploaded logo or signature that cannot be accepted; str() is the message to show."""


@dataclass(frozen=True)
class Issuer:
    """The scheme's settings as plain values: "" for text not yet set."""

    name: str = ""
    address: str = ""
    website: str = ""
    contact_email: str = ""
    description: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    hashtag: str = ""
    has_logo: bool = False
    has_signature: bool = False
    changed_by: str = ""  # the name of who last changed them
    changed_at: datetime | None = None


_CACHE = "scheme_issuer"


def current() -> Issuer:
    """The scheme's settings, read once per request (or command)."""
    found = g.get(_CACHE)
    if found is None:
        found = _read()
        setattr(g, _CACHE, found)
    return found


def _read() -> Issuer:
    row = db.session.execute(
        sa.select(
            *(getattr(SchemeSettings, column) for column in COLUMNS.values()),
            SchemeSettings.logo_type,
            SchemeSettings.signature_type,
            User.full_name,
            SchemeSettings.changed_at,
        )
        .outerjoin(User, User.id == SchemeSettings.changed_by_id)
        .where(SchemeSettings.id == 1)
    ).one_or_none()
    if row is None:
        return Issuer()
    text = {field: row[i] or "" for i, field in enumerate(COLUMNS)}
    return Issuer(
        **text,
        has_logo=row.logo_type is not None,
        has_signature=row.signature_type is not None,
        changed_by=row.full_name or "",
        changed_at=row.changed_at,
    )


def missing(issuer: Issuer | None = None) -> list[str]:
    """What a certificate needs that is not yet set, in words (the logo and the signature are
    optional)."""
    issuer = issuer or current()
    return [words for field, words in NEEDED.items() if not getattr(issuer, field)]


def image(kind: str) -> Image | None:
    """The logo ("logo") or the signature ("signature"), or None if there is none."""
    column = {"logo": SchemeSettings.logo, "signature": SchemeSettings.signature}[kind]
    type_column = {"logo": SchemeSettings.logo_type, "signature": SchemeSettings.signature_type}
    row = db.session.execute(
        sa.select(type_column[kind], column).where(SchemeSettings.id == 1)
    ).one_or_none()
    if row is None or row[0] is None:
        return None
    return Image(row[0], row[1])


def update(
    *,
    actor: User | None,
    logo: Image | None = None,
    signature: Image | None = None,
    remove_logo: bool = False,
    remove_signature: bool = False,
    **text: str,
) -> list[str]:
    """Change the settings in the caller's transaction: the text fields given (Issuer's names:
    name, address, website...; "" clears one), a new logo or signature (already checked), or
    either removed. Audited with what changed; returns what changed, in words."""
    unknown = set(text) - set(COLUMNS)
    if unknown:
        raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
    settings = db.session.get(SchemeSettings, 1, with_for_update=True)
    if settings is None:
        settings = SchemeSettings(id=1)
        db.session.add(settings)
    changed = []
    for field, value in text.items():
        column = COLUMNS[field]
        value = (value or "").strip() or None
        if getattr(settings, column) != value:
            setattr(settings, column, value)
            changed.append(field)
    for kind, new, remove in (
        ("logo", logo, remove_logo),
        ("signature", signature, remove_signature),
    ):
        old_type = getattr(settings, f"{kind}_type")
        if new is not None:
            if old_type != new.content_type or getattr(settings, kind) != new.data:
                setattr(settings, f"{kind}_type", new.content_type)
                setattr(settings, kind, new.data)
                changed.append(kind)
        elif remove and old_type is not None:
            setattr(settings, f"{kind}_type", None)
            setattr(settings, kind, None)
            changed.append(kind)
    if not changed:
        return []
    settings.changed_by_id = actor.id if actor is not None else None
    settings.changed_at = utcnow()
    db.session.flush()
    if PRINTED.intersection(changed):
        # awards.certificates_due: each current award changed since its certificate was checked.
        db.session.execute(
            sa.update(Award).where(Award.state == AwardState.CURRENT).values(updated_at=utcnow())
        )
    words = [_LABELS[field] for field in changed]
    audit.record("scheme.settings_changed", settings, actor=actor, changed=", ".join(words))
    g.pop(_CACHE, None)
    return words


# --- The pictures: PNG or SVG, by their bytes ---------------------------------------------------


def check_image(data: bytes) -> Image:
    """An uploaded logo or signature as an Image, or ImageRefused: a PNG or an SVG by its
    content (never its name), at most 1MB, and an SVG with nothing in it that runs or fetches
    (no script, no embedded page, no event handler, no link but to itself or a data: image)."""
    if not data:
        raise ImageRefused(EMPTY)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused(TOO_BIG)
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return Image(PNG, data)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not (head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head):
        raise ImageRefused(WRONG_TYPE)
    if b"<?xml-stylesheet" in data.lower():  # a style sheet from elsewhere, fetched on display
        raise ImageRefused(UNSAFE_SVG)
    _check_svg(data)
    return Image(SVG, data)


def _check_svg(data: bytes) -> None:
    # defusedxml refuses DTDs' entities and external references (billion laughs, XXE).
    try:
        root = fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, SyntaxError, ValueError) as error:
        raise ImageRefused(UNREADABLE_SVG) from error
    if root.tag != f"{_SVG_NAMESPACE}svg":
        raise ImageRefused(WRONG_TYPE)
    for element in root.iter():
        name = _local(element.tag).lower()
        if name in ("script", "foreignobject"):
            raise ImageRefused(UNSAFE_SVG)
        if name == "style" and not _safe_style(element.text or ""):
            raise ImageRefused(UNSAFE_SVG)
        for attribute, value in element.attrib.items():
            attribute = _local(attribute).lower()
            if attribute.startswith("on"):
                raise ImageRefused(UNSAFE_SVG)
            if attribute in ("href", "src") and not value.strip().startswith(_SAFE_TARGETS):
                raise ImageRefused(UNSAFE_SVG)
            if not _safe_style(value):
                raise ImageRefused(UNSAFE_SVG)


def _safe_style(text: str) -> bool:
    if "@import" in text.lower():
        return False
    return all(target.startswith(_SAFE_TARGETS) for target in _URL.findall(text))


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]
