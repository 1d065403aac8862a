"""How things are shown: dates in GOV.UK style, states as tags, the service navigation."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_login import current_user

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


def navigation() -> list[dict]:
    """The service navigation's items for whoever is signed in."""
    items = [{"href": url_for("public.index"), "text": "Home", "endpoint": "public.index"}]
    if current_user.is_authenticated:
        if current_user.is_administrator:
            items.append(
                {"href": url_for("admin.index"), "text": "Administration", "endpoint": "admin."}
            )
        items.append(
            {"href": url_for("council.home"), "text": "Your council", "endpoint": "council."}
        )
        items.append(
            {
                "href": url_for("accounts.account"),
                "text": "Your account",
                "endpoint": "accounts.account",
            }
        )
        items.append(
            {
                "href": url_for("accounts.sign_out"),
                "text": "Sign out",
                "endpoint": "accounts.sign_out",
            }
        )
    else:
        items.append(
            {"href": url_for("accounts.sign_in"), "text": "Sign in", "endpoint": "accounts.sign_in"}
        )
    endpoint = request.endpoint or ""
    for item in items:
        item["active"] = endpoint == item["endpoint"] or (
            item["endpoint"].endswith(".") and endpoint.startswith(item.pop("endpoint"))
        )
        item.pop("endpoint", None)
    return items


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
}


def state_tag_class(state: str) -> str:
    return STATE_TAG_CLASSES.get(str(state), "govuk-tag--grey")


def score_items(field) -> list[dict]:
    """A RadioField's options as govukRadios items, checked as the form holds them."""
    return [
        {"value": c.value, "text": c.label, "checked": str(c.value) == str(field.data)}
        for c in field.choices
    ]


def register(app: Flask) -> None:
    app.add_template_global(score_items)
    app.add_template_filter(govuk_hint)
    app.add_template_filter(conditional_item)
    app.add_template_global(state_tag_class)
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_datetime)
    app.add_template_global(navigation)


def conditional_item(value: str, conditionals: dict) -> dict:
    """A radio item that reveals the HTML given for its value (GOV.UK conditional reveal)."""
    html = conditionals.get(value)
    return {"conditional": {"html": html}} if html else {}
