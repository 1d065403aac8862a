"""What every form of the service shares: filters, checks and choices."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from wtforms.fields.choices import SelectChoice


def strip(value: str | None) -> str | None:
    """A filter: surrounding spaces are never what someone meant to type."""
    return value.strip() if isinstance(value, str) else value


def lines(text: str | None) -> list[str]:
    """The non-blank lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def is_web_address(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in text


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Radio, checkbox and select options from (value, label) pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
