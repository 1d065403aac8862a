"""How things are shown: dates in GOV.UK style, states as tags, the service navigation."""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from marks.awarding import badges
from marks.mail import link
from marks.operations import static_files
from marks.people import sessions
from marks.permissions import has_council_pages
from marks.presentation.text import council_text

LONDON = ZoneInfo("Europe/London")


def govuk_date(value: date | datetime | None) -> str:
    """22 November 2026, in UK time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON)
    return f"{value.day} {value:%B %Y}"


def govuk_datetime(value: datetime | None) -> str:
    """22 November 2026 at 2:05pm, in UK time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{govuk_date(local)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def static_url(filename: str) -> str:
    """The address of one of the service's static files, by a fingerprint of its content: its
    fingerprinted copy (/static/css/marks.3f2a1b4c5d6e.css) where the install made them, else
    the file with the fingerprint in the query (/static/css/marks.css?v=3f2a1b4c5d6e). Either
    way a changed file has a new address; nginx keeps the copies for a year, and the files
    themselves are checked each time (docs/deploy/nginx-marks.conf)."""
    copy = current_app.extensions["marks.operations.static_files"].get(filename)
    if copy:
        return url_for("static", filename=copy)
    return url_for("static", filename=filename, v=_fingerprint(current_app.static_folder, filename))


@functools.cache
def _fingerprint(folder: str, filename: str) -> str:
    """Once per file in a process: a reload's new workers (an upgrade) read the files again."""
    return static_files.fingerprint((Path(folder) / filename).read_bytes())


def navigation() -> list[dict]:
    """The service navigation's items for whoever is signed in; an item is active on its own
    page, or anywhere in its section for a section prefix ("admin.")."""
    entries = [
        ("public.index", "Home", "public.index"),
        ("register.register", "Register", "register."),
        ("practice.library", "Good practice", "practice."),
        ("public.verify", "Check a certificate", "public.verify"),
    ]
    if current_user.is_authenticated:
        if current_user.is_administrator:
            entries.append(("admin.index", "Administration", "admin."))
        if current_user.is_assessor:
            entries.append(("assess.dashboard", "Assessments", "assess."))
        if has_council_pages(current_user):
            entries.append(("council.home", "Your council", "council."))
        # and "Sign out", a button (base.html): signing out is a POST
        entries.append(("accounts.account", "Your account", "accounts.account"))
    else:
        entries.append(("accounts.sign_in", "Sign in", "accounts.sign_in"))
    here = request.endpoint or ""
    return [
        {
            "href": url_for(endpoint),
            "text": text,
            "active": here.startswith(section) if section.endswith(".") else here == section,
        }
        for endpoint, text, section in entries
    ]


def govuk_hint(text: str) -> dict:
    """A radio or checkbox item's hint, for the params of a govuk-frontend-wtf widget."""
    return {"hint": {"text": text}}


STATE_TAG_CLASSES = {
    "draft": "govuk-tag--grey",
    "submitted": "govuk-tag--blue",
    "under_review": "govuk-tag--light-blue",
    "ready_for_decision": "govuk-tag--purple",
    "info_requested": "govuk-tag--yellow",
    "approved": "govuk-tag--green",
    "rejected": "govuk-tag--red",
    "withdrawn": "govuk-tag--grey",
    # An answer in the library of good practice (offered: waiting for review).
    "offered": "govuk-tag--blue",
    "published": "govuk-tag--green",
    "returned": "govuk-tag--orange",
}


def state_tag_class(state: str) -> str:
    return STATE_TAG_CLASSES.get(str(state), "govuk-tag--grey")


AWARD_TAG_CLASSES = {
    "current": "govuk-tag--green",
    "expiring-soon": "govuk-tag--yellow",
    "expired": "govuk-tag--grey",
    "revoked": "govuk-tag--red",
    "superseded": "govuk-tag--grey",
}


def award_tag(status) -> dict:
    """An award's status today (awards.status) as govukTag's parameters."""
    return {"text": status.label, "classes": AWARD_TAG_CLASSES[str(status)]}


def badge_alt(council_name: str) -> str:
    """The embedded badge's alt text: true whatever happens to the award later (the image
    itself says what holds today, and the link goes to the live verification page)."""
    return f"Social Media Friendly Mark: check {council_name}'s current status"


def badge_snippet(
    verify_url: str, image_url: str, alt: str, width: int = 200, height: int = 200
) -> str:
    """The HTML a council pastes into its website: plain text here (the page escapes it once
    more to show it), with every attribute escaped, whatever the council is called."""
    return (
        f'<a href="{_attribute(verify_url)}"><img src="{_attribute(image_url)}" '
        f'alt="{_attribute(alt)}" width="{width}" height="{height}"></a>'
    )


# Heights a council may show its badge at (pixels): from a footer strip's to the full seal's.
EMBED_HEIGHTS = (40, 50, 60, 88, 120, 200)


@dataclass(frozen=True)
class BadgeEmbed:
    """The badge a council chose to embed: its artwork, its height on the page and the
    background it is for (its variant)."""

    artwork: str = "full"
    height: int = 200
    variant: str = "light"

    @property
    def width(self) -> int:
        width, height = badges.dimensions(self.artwork, "print")
        return round(self.height * width / height)

    @property
    def height_items(self) -> list[dict]:
        """The heights as govukRadios items, the chosen one checked."""
        return [
            {"value": str(h), "text": f"{h} pixels", "checked": h == self.height}
            for h in EMBED_HEIGHTS
        ]

    @property
    def image_options(self) -> dict[str, str]:
        """The badge URL's query: only what differs from its defaults, so the code for the
        full light badge stays the one councils have embedded from the start."""
        chosen = {"artwork": self.artwork, "variant": self.variant}
        return {name: value for name, value in chosen.items() if value != _EMBED_DEFAULT[name]}


_EMBED_DEFAULT = {"artwork": "full", "variant": "light"}


def badge_embed(args: Mapping[str, str]) -> BadgeEmbed:
    """The badge chosen in the embed code's GET form; a value it does not offer (a link cut
    short, an address typed by hand) leaves that choice at its default."""
    default = BadgeEmbed()
    artwork = args.get("artwork", default.artwork)
    height = args.get("height", "")
    variant = args.get("variant", default.variant)
    return BadgeEmbed(
        artwork=artwork if artwork in badges.ARTWORKS else default.artwork,
        height=int(height) if height in {str(h) for h in EMBED_HEIGHTS} else default.height,
        variant=variant if variant in badges.VARIANTS else default.variant,
    )


def _attribute(value: str) -> str:
    """Escaped for a double-quoted attribute: an apostrophe stays one, for people to read."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def score_items(field) -> list[dict]:
    """A RadioField's options as govukRadios items, checked as the form holds them."""
    return [
        {"value": c.value, "text": c.label, "checked": str(c.value) == str(field.data)}
        for c in field.choices
    ]


def select_item(value: object, selected: object, labels: dict | None = None) -> dict:
    """A govukSelect item, selected when it is the filter's value."""
    return {
        "value": value,
        "text": (labels or {}).get(value, value),
        "selected": str(value) == str(selected),
    }


def level_item(level: tuple[str, str], selected: str) -> dict:
    code, name = level
    return {"value": code, "text": name, "selected": code == selected}


def pagination(current: int, pages: int, href: Callable[[int], str]) -> dict | None:
    """govukPagination's parameters for page `current` of `pages` (None when there is only
    one): previous, next, and numbered links to the first, the last and two either side."""
    if pages < 2:
        return None
    shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    items: list[dict] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == current})
        previous = number
    return {
        "previous": {"href": href(current - 1)} if current > 1 else None,
        "next": {"href": href(current + 1)} if current < pages else None,
        "items": items,
    }


def register(app: Flask) -> None:
    # Read once as each worker starts: a reload (an upgrade) reads the new ones.
    app.extensions["marks.operations.static_files"] = static_files.current_copies(
        Path(app.static_folder), production=app.config["MARKS_ENV"] != "development"
    )
    app.add_template_filter(select_item)
    app.add_template_filter(level_item)
    app.add_template_global(link)  # absolute links, for the Atom feed
    app.add_template_global(badge_snippet)
    app.add_template_global(badge_alt)
    app.add_template_global(badge_embed)
    app.add_template_global(award_tag)
    app.add_template_global(score_items)
    app.add_template_filter(govuk_hint)
    app.add_template_global(state_tag_class)
    app.add_template_filter(govuk_date)
    app.add_template_filter(council_text)
    app.add_template_filter(govuk_datetime)
    app.add_template_global(navigation)
    app.add_template_global(sessions.seconds_left, "session_seconds_left")
    app.add_template_global(sessions.limit_seconds_left, "session_limit_seconds_left")
    app.add_template_global(static_url)
