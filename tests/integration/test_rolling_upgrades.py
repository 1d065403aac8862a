"""`flask check-rolling-upgrade`: run with the new release before `db upgrade`, it says whether
the app servers can be upgraded one at a time (docs/deploy.md, section 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from marks import ROOT, create_app
from tests.conftest import app_config


def test_the_check_says_whether_the_pending_migrations_let_servers_be_upgraded_one_at_a_time(
    tmp_path,
):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'older.sqlite3'}"))
    runner = app.test_cli_runner()
    with app.app_context():  # as the flask command has: this app's, not the suite's
        upgrade(revision="51eeea0fbd8a")  # a release from before the latest award
        older = runner.invoke(args=["check-rolling-upgrade"])
    assert older.exit_code == 1
    assert "4274676e22b6 Latest award per council: cannot be rolled: awards.is_latest" in (
        older.output
    )
    assert "c0de0009pr1v Data protection: when a person's personal data was erased: only adds" in (
        older.output
    )
    assert "Not a rolling upgrade: stop marks-web and marks-mail on every app server" in (
        older.output
    )

    # A release whose migrations since the database's all roll: this one's, up to data protection.
    release = tmp_path / "migrations"
    shutil.copytree(ROOT / "marks" / "migrations", release)
    for later in ScriptDirectory(str(release)).iterate_revisions("heads", "c0de0009pr1v"):
        Path(later.path).unlink()
    migrations = app.extensions["migrate"]
    migrations.directory, this_release = str(release), migrations.directory
    with app.app_context():
        upgrade(revision="c0de0006f2a0")  # the release before it
        recent = runner.invoke(args=["check-rolling-upgrade"])
    assert recent.exit_code == 0, recent.output
    assert recent.output.splitlines()[-1] == (
        "A rolling upgrade is possible: 1 migrations, each only adds."
    )

    migrations.directory = this_release
    with app.app_context():
        upgrade()
        current = runner.invoke(args=["check-rolling-upgrade"])
    assert (current.exit_code, current.output) == (
        0,
        "The database is up to date: no migration to run.\n",
    )
