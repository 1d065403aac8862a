"""Each migration says whether the release before it runs on the schema it leaves
(`rolling_upgrade`: marks/operations/rolling_upgrades.py), and those that say so are held to it
by the SQL they run on PostgreSQL (Alembic's offline mode: no server needed)."""

from __future__ import annotations

import os
import re
import subprocess  # nosec B404: the flask command, to print the migrations' SQL
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ScriptDirectory(str(ROOT / "marks" / "migrations"))

# What the older code cannot run on: a table or column it reads gone or renamed, a column it
# does not write made required, a type changed under it.
BLOCKING = [
    re.compile(r"\bDROP TABLE\b"),
    re.compile(r"\bDROP COLUMN\b"),
    re.compile(r"\bRENAME\b"),
    re.compile(r"\bSET NOT NULL\b"),
    re.compile(r"\bDROP DEFAULT\b"),
    re.compile(r"\bALTER COLUMN \S+ (SET DATA )?TYPE\b"),
]
ADDED_COLUMN = re.compile(r"\bADD COLUMN (?P<definition>.*)", re.DOTALL)
UNIQUE_INDEX_ON = re.compile(r"\bCREATE UNIQUE INDEX \S+ ON (?P<table>\w+)")
CREATED_TABLE = re.compile(r"\bCREATE TABLE (?P<table>\w+)")


def statements(sql: str) -> list[str]:
    return [" ".join(s.split()) for s in sql.split(";\n") if s.strip()]


def blocking_statements(sql: str) -> list[str]:
    """The statements of one migration that the older code could not run against."""
    created = {m["table"] for m in CREATED_TABLE.finditer(sql)}
    found = []
    for statement in statements(sql):
        added = ADDED_COLUMN.search(statement)
        required = added and "NOT NULL" in added["definition"]
        unique = UNIQUE_INDEX_ON.search(statement)
        if (
            any(pattern.search(statement) for pattern in BLOCKING)
            or (required and "DEFAULT" not in added["definition"])
            or (unique and unique["table"] not in created)
        ):
            found.append(statement)
    return found


@pytest.fixture(scope="module")
def sql_by_revision() -> dict[str, str]:
    """Every migration's upgrade as PostgreSQL SQL, by revision, from one `flask db upgrade
    --sql` (a process of its own: Alembic's env.py sets up logging as it runs)."""
    environment = dict(
        os.environ, FLASK_APP="app.py", DATABASE_URL="postgresql://nobody@127.0.0.1:9/none"
    )
    printed = subprocess.run(  # nosec B603: our own command, no shell
        [sys.executable, "-m", "flask", "db", "upgrade", "base:heads", "--sql"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    parts = re.split(r"^-- Running upgrade \S* ?-> (\S+)$", printed, flags=re.MULTILINE)
    return {
        revision: re.sub(r"UPDATE alembic_version .*", "", sql)
        for revision, sql in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_every_migration_says_whether_it_can_be_rolled():
    for script in SCRIPTS.walk_revisions():
        rolling = getattr(script.module, "rolling_upgrade", None)
        assert isinstance(rolling, bool), f"{script.path}: rolling_upgrade = True or False"
        if not rolling:
            assert getattr(script.module, "why_not_rolling", "").strip(), (
                f"{script.path}: why_not_rolling, the sentence the check prints"
            )


def test_migrations_that_say_they_roll_only_add(sql_by_revision):
    assert set(sql_by_revision) == {script.revision for script in SCRIPTS.walk_revisions()}
    for script in SCRIPTS.walk_revisions():
        if script.module.rolling_upgrade:
            assert blocking_statements(sql_by_revision[script.revision]) == [], script.path


def test_the_migrations_that_cannot_roll_are_caught_by_their_sql(sql_by_revision):
    """The check finds what made the two schema changes of earlier releases unrollable."""
    assert blocking_statements(sql_by_revision["51eeea0fbd8a"]) == [
        "ALTER TABLE awards ALTER COLUMN updated_at SET NOT NULL"
    ]
    assert blocking_statements(sql_by_revision["4274676e22b6"]) == [
        "ALTER TABLE awards ALTER COLUMN is_latest DROP DEFAULT",
        "CREATE UNIQUE INDEX uq_awards_one_latest_per_council ON awards (council_id) "
        "WHERE is_latest",
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE answers",
        "ALTER TABLE users DROP COLUMN full_name",
        "ALTER TABLE users RENAME COLUMN full_name TO name",
        "ALTER TABLE users RENAME TO people",
        "ALTER TABLE users ALTER COLUMN phone SET NOT NULL",
        "ALTER TABLE users ALTER COLUMN phone TYPE INTEGER",
        "ALTER TABLE users ALTER COLUMN phone SET DATA TYPE INTEGER",
        "ALTER TABLE users ADD COLUMN phone VARCHAR(20) NOT NULL",
        "CREATE UNIQUE INDEX uq_users_phone ON users (phone)",
    ],
)
def test_what_the_older_code_cannot_run_on_is_blocking(statement):
    assert blocking_statements(statement + ";\n") == [statement]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE notes (\n id SERIAL NOT NULL, \n body TEXT NOT NULL\n);\n",
        "ALTER TABLE users ADD COLUMN phone VARCHAR(20);\n",
        "ALTER TABLE users ADD COLUMN active BOOLEAN DEFAULT true NOT NULL;\n",
        "CREATE INDEX ix_users_phone ON users (phone);\n",
        "CREATE TABLE notes (id SERIAL NOT NULL);\nCREATE UNIQUE INDEX uq_notes ON notes (id);\n",
        "UPDATE awards SET updated_at = created_at;\n",
    ],
)
def test_what_only_adds_is_not_blocking(sql):
    assert blocking_statements(sql) == []
