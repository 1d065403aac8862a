"""Column types and helpers shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC datetime on PostgreSQL and SQLite alike (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def state_column(enum_type: type[enum.StrEnum], **kwargs: Any) -> Any:
    """A column holding a StrEnum's values, with a CHECK constraint naming the allowed values."""
    return mapped_column(
        sa.Enum(
            enum_type,
            name=_snake(enum_type.__name__),
            native_enum=False,
            create_constraint=True,
            length=max(len(m.value) for m in enum_type),
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        **kwargs,
    )


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def in_states(column: str, *states: enum.StrEnum) -> str:
    return f"{column} IN ({', '.join(repr(s.value) for s in states)})"


def created_column() -> Any:
    return mapped_column(UTCDateTime, default=utcnow)
