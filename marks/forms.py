"""What every form of the service shares: filters, checks and choices."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional


def strip(value: str | None) -> str | None:
    """A filter: surrounding spaces are never what someone meant to type."""
    return value.strip() if isinstance(value, str) else value


def lines(text: str | None) -> list[str]:
    """The non-blank lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def is_web_address(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in text


def email_checks(missing: str | None) -> list:
    """The checks on an email address field: required with the message `missing`, or
    optional when it is None."""
    return [
        InputRequired(message=missing) if missing else Optional(),
        Length(max=320, message="Email address must be 320 characters or fewer"),
        Email(
            message="Enter an email address in the correct format, like name@example.gov.uk",
            check_deliverability=False,
        ),
    ]


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Radio, checkbox and select options from (value, label) pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def whole_number(label: str, low: int, high: int, what: str) -> IntegerField:
    """A whole number from `low` to `high`, with GOV.UK's messages naming `what`."""
    return IntegerField(
        label,
        validators=[
            InputRequired(message=f"Enter {what}"),
            NumberRange(low, high, message=f"{what[0].upper()}{what[1:]} must be {low} to {high}"),
        ],
        widget=GovTextInput(),
    )


class ConfirmForm(FlaskForm):
    """A form with nothing in it but its CSRF token: for buttons that change something."""
