"""Counting the statements a request sends to the database: a page that reads a fixed number
of them however many rows it shows has no N+1."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from marks.extensions import db


def statements_during(action: Callable[[], object]) -> list[str]:
    """The SQL statements sent while `action` runs."""
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return statements
