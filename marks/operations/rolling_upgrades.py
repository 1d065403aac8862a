"""Whether the next upgrade can be rolled: app servers upgraded one at a time, the old code
running on the new schema meanwhile (docs/deploy.md, section 11).

Each migration says so itself: `rolling_upgrade = True` when the code of the release before it
works on the schema it leaves (it only adds: tables, columns that may be empty or have a
default, indexes) and lets nobody do what the new release forbids; otherwise `False`, with
`why_not_rolling`, the sentence `flask check-rolling-upgrade` prints.
tests/unit/test_migrations.py holds every migration to its word, from the SQL it runs."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from flask import current_app

from marks.extensions import db


@dataclass(frozen=True)
class Pending:
    revision: str
    title: str  # the migration's first docstring line
    rolling: bool
    why_not: str


def scripts() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def described(script: Script) -> Pending:
    module = script.module
    return Pending(
        revision=script.revision,
        title=(script.doc or "").strip().splitlines()[0] if script.doc else script.revision,
        rolling=module.rolling_upgrade,
        why_not=getattr(module, "why_not_rolling", ""),
    )


def pending() -> list[Pending]:
    """The migrations `db upgrade` would run on this database, oldest first."""
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    found = scripts().iterate_revisions("heads", current or "base")
    return [described(script) for script in reversed(list(found))]
