"""The deployment guide (docs/deploy.md), its database: an install from nothing (migrations,
councils, the first administrator) with the guide's own `marks-flask`; a backup restored into
a fresh database, row for row; an upgrade of a database with data from an older revision.

Everything runs on PostgreSQL (TEST_DATABASE_URL), as deployed: `.ci/run` does."""

# ruff: noqa: S603 (the commands are the guide's own files)

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from marks.config import database_url as driver_url
from tests.conftest import separate_database
from tests.helpers.servers import Inbox
from tests.integration.deploy_site import (
    ADMIN_EMAIL,
    DEPLOY,
    OWN_SETTINGS,
    RELAY_PASSWORD,
    ROOT,
    SBIN_PATH,
    Site,
    libpq_url,
    make_home,
    needs_postgresql,
    read_env_file,
)

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

HEAD = ScriptDirectory(str(ROOT / "marks" / "migrations")).get_current_head()


@needs_postgresql
def test_an_install_from_nothing(site):
    rows = len((ROOT / "marks/data/councils-england-wales-2021.csv").read_text().splitlines()) - 1
    assert site.scalar("SELECT count(*) FROM councils") == rows
    assert site.scalar("SELECT role FROM users WHERE email = :e", e=ADMIN_EMAIL) == "administrator"
    assert site.scalar("SELECT version_num FROM alembic_version") == HEAD
    assert "No new upgrade operations detected" in site.marks_flask("db", "check").stdout


@needs_postgresql
def test_a_setting_with_dollars_quotes_and_spaces_is_read_as_systemd_reads_it(site):
    """systemd's EnvironmentFile= takes `$` literally; so do marks-flask and backup.sh, which
    read the file with the same reader (docs/deploy/marks-env), not the shell."""
    script = "from flask import current_app\nprint(repr(current_app.config['MAIL_PASSWORD']))\n"
    shown = site.marks_flask("shell", stdin=script).stdout
    assert repr(RELAY_PASSWORD) in shown
    result = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(site.tmp / "dollar-backups")],
        env=site.env,  # no DATABASE_URL: backup.sh reads the env file
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).stat().st_size > 0


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, and every sequence's position."""
    engine = sa.create_engine(driver_url(url))
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            rows = {}
            for table in inspector.get_table_names():
                keys = inspector.get_pk_constraint(table)["constrained_columns"] or ["1"]
                order = ", ".join(f'"{k}"' if k != "1" else k for k in keys)
                rows[table] = connection.execute(
                    sa.text(f'SELECT * FROM "{table}" ORDER BY {order}')  # noqa: S608
                ).all()
            for sequence in inspector.get_sequence_names():
                rows[f"sequence {sequence}"] = connection.execute(
                    sa.text(f'SELECT last_value, is_called FROM "{sequence}"')  # noqa: S608
                ).all()
            return rows
    finally:
        engine.dispose()


@needs_postgresql
def test_a_backup_restores_into_a_fresh_database_row_for_row(site, tmp_path_factory):
    site.marks_flask("seed-demo")  # applications, evidence files, assessments, audit events
    # The demo has every UK council (417): 183 more, with award histories and certificate numbers.
    site.marks_flask("seed-scale", "--councils", "600")
    before = table_rows(site.url)
    assert before["awards"] and before["answers"] and before["audit_events"] and before["emails"]

    backups = site.tmp / "backups"
    result = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(backups)],
        env={**site.env, "KEEP_DAYS": "30"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip())
    assert archive.parent == backups and archive.suffix == ".dump"
    assert [p.name for p in backups.iterdir()] == [archive.name]  # no .partial left

    fresh = separate_database(tmp_path_factory, "restored")
    try:
        result = subprocess.run(
            [str(DEPLOY / "restore.sh"), str(archive), libpq_url(fresh.url)],
            env=site.env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        after = table_rows(fresh.url)
        assert set(after) == set(before)
        for table, rows in before.items():
            assert after[table] == rows, table
    finally:
        fresh.drop()


def watched(tmp: Path, *tools: str) -> tuple[Path, Path]:
    """A directory for PATH with each of `tools` as a script that writes down its command
    line, and the PGPASSWORD it was given, then runs the real one; and the log of both."""
    bin_dir, log = tmp / "bin", tmp / "seen.log"
    bin_dir.mkdir()
    for tool in tools:
        script = bin_dir / tool
        real = shutil.which(tool, path=SBIN_PATH)
        script.write_text(
            "#!/bin/sh\n"
            f'printf "argv: %s\\n" "$0 $*" >>"{log}"\n'
            f'printf "PGPASSWORD: %s\\n" "${{PGPASSWORD-}}" >>"{log}"\n'
            f'exec {real} "$@"\n'
        )
        script.chmod(0o755)
    return bin_dir, log


@needs_postgresql
def test_a_database_password_never_reaches_a_command_line(site, tmp_path_factory):
    """`ps` shows every process's command line to every user of the machine: a password in
    DATABASE_URL (a database on another server, section 11) reaches pg_dump and pg_restore
    in their environment, never their arguments; and restore.sh, given the restored
    database's name, takes the rest from DATABASE_URL, password and all. (PostgreSQL here
    trusts its clients: this checks where the password goes, not that it is asked for.)"""
    password = "db pa$$word/with:@%"
    tmp = tmp_path_factory.mktemp("argv")
    bin_dir, seen = watched(tmp, "pg_dump", "pg_restore")
    with_password = sa.make_url(site.url).set(password=password)
    env = {
        **site.env,
        "PATH": f"{bin_dir}:{SBIN_PATH}",
        "DATABASE_URL": with_password.render_as_string(hide_password=False),
    }
    backup = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(tmp / "backups")], env=env, capture_output=True, text=True
    )
    assert backup.returncode == 0, backup.stderr
    fresh = separate_database(tmp_path_factory, "restored-by-name")
    try:
        restored = subprocess.run(
            [str(DEPLOY / "restore.sh"), backup.stdout.strip(), sa.make_url(fresh.url).database],
            env=env,
            capture_output=True,
            text=True,
        )
        assert restored.returncode == 0, restored.stderr
        assert table_rows(fresh.url)["councils"] == table_rows(site.url)["councils"]
    finally:
        fresh.drop()
    lines = seen.read_text().splitlines()
    arguments = [line for line in lines if line.startswith("argv: ")]
    assert [line.split()[1].rsplit("/", 1)[1] for line in arguments] == [
        "pg_dump",
        "pg_restore",  # backup.sh's check of its archive
        "pg_restore",
    ]
    assert sa.make_url(fresh.url).database in arguments[-1]
    for secret in ("pa$$word", "pa%24%24word", quote(password, safe="")):
        assert secret not in "\n".join(arguments)
    assert f"{sa.make_url(site.url).username}@127.0.0.1" in arguments[0]  # the URL, without
    assert [line for line in lines if line.startswith("PGPASSWORD: ")] == [
        f"PGPASSWORD: {password}"
    ] * 3


def test_a_failed_backup_fails_its_unit_and_leaves_nothing(tmp_path):
    """The database unreachable: backup.sh exits non-zero (the unit fails, and its OnFailure=
    logs the line monitoring matches) and leaves no half-written archive to be trusted."""
    result = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(tmp_path / "backups")],
        env={"PATH": SBIN_PATH, "DATABASE_URL": "postgresql://marks@127.0.0.1:9/marks"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "pg_dump" in result.stderr
    assert list((tmp_path / "backups").iterdir()) == []


# The councils table's name and search_name columns (id, gss_code, name, search_name, ...).
NAMES = (2, 3)


@needs_postgresql
def test_an_upgrade_with_migrations_keeps_the_data(tmp_path_factory):
    """A database at an older release, with data, brought to this release by the guide's
    upgrade step (`marks-flask db upgrade`): every row kept, the new columns filled in."""
    database = separate_database(tmp_path_factory, "upgrade")
    tmp = tmp_path_factory.mktemp("upgrade")
    home = make_home(
        tmp,
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=libpq_url(database.url),
        **{**OWN_SETTINGS, "RATELIMIT_STORAGE_URI": "memory://"},
        CACHE_TYPE="NullCache",
    )
    site = Site(home, libpq_url(database.url), Inbox(), tmp)
    try:
        site.marks_flask("db", "upgrade")
        site.marks_flask("seed-demo")
        site.marks_flask("seed-scale", "--councils", "600")  # the demo has 417 councils
        # The release before the register's indexes (awards.updated_at) and latest-award flag.
        older = "1b7f410e63b1"
        site.marks_flask("db", "downgrade", older)
        assert site.scalar("SELECT version_num FROM alembic_version") == older
        before = table_rows(site.url)
        assert len(before["awards"]) > 100

        site.marks_flask("db", "upgrade")
        assert site.scalar("SELECT version_num FROM alembic_version") == HEAD
        after = table_rows(site.url)
        for table, rows in before.items():
            if table == "alembic_version":
                continue
            columns = len(rows[0]) if rows else 0
            # Old columns come first (new ones are added at the end): each row kept as it was,
            # but for councils' names (0015 gives each its official name, and search names).
            kept = [i for i in range(columns) if table != "councils" or i not in NAMES]
            assert [[row[i] for i in kept] for row in after[table]] == [
                [row[i] for i in kept] for row in rows
            ], table
        assert (
            site.scalar(
                "SELECT count(*) FROM councils WHERE gss_code = 'E06000010'"
                " AND name = 'Hull City Council' AND ons_name = 'Kingston upon Hull, City of'"
            )
            == 1
        )
        # An award's updated_at is its created_at (0004 filled it so), unless 0015 renamed its
        # council (the register's caches and the certificates follow the name).
        assert site.scalar("SELECT count(*) FROM awards WHERE updated_at <> created_at") > 0
        assert (
            site.scalar(
                "SELECT count(*) FROM awards a JOIN councils c ON c.id = a.council_id"
                " WHERE (a.updated_at <> a.created_at)"
                " <> (c.ons_name IS NOT NULL AND c.ons_name <> c.name)"
            )
            == 0
        )
        latest = site.scalar(
            "SELECT count(*) FROM awards a WHERE a.is_latest <> (a.id = (SELECT b.id FROM awards b"
            " WHERE b.council_id = a.council_id ORDER BY b.awarded_on DESC, b.id DESC LIMIT 1))"
        )
        assert latest == 0
        assert site.scalar("SELECT count(DISTINCT council_id) FROM awards") == site.scalar(
            "SELECT count(*) FROM awards WHERE is_latest"
        )
        assert "No new upgrade operations detected" in site.marks_flask("db", "check").stdout
    finally:
        database.drop()


def test_retention_from_its_units_command_dry_run_then_run(site):
    """marks-retention.service's own command line, with the env file as systemd reads it: a
    dry run says what it would remove and removes nothing; the run removes an old email's
    words and audits it; running it again does nothing."""
    engine = site.engine()
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO emails (to_address, subject, body_text, template, state,"
                    " attempts, sent_at, created_at) VALUES ('old@example.org', 'Old',"
                    " 'Old words', 'password_changed', 'sent', 1, now() - interval '100 days',"
                    " now() - interval '100 days')"
                )
            )
    finally:
        engine.dispose()

    def run(*args: str) -> str:
        unit = site.home.unit("marks-retention.service")["Service"]
        result = subprocess.run(
            [*site.home.exec_start("marks-retention.service"), *args],
            env={"PATH": SBIN_PATH, **read_env_file(site.home.env_file)},
            cwd=unit["WorkingDirectory"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    words = "SELECT body_text FROM emails WHERE to_address = 'old@example.org'"
    audited = "SELECT count(*) FROM audit_events WHERE action = 'retention.email_bodies_removed'"
    dry = run("--dry-run")
    assert "email_bodies_removed: 1 emails' words would be removed" in dry
    assert (site.scalar(words), site.scalar(audited)) == ("Old words", 0)
    assert "email_bodies_removed: 1 emails' words removed" in run()
    assert (site.scalar(words), site.scalar(audited)) == ("", 1)
    assert "email_bodies_removed: 0 " in run()
    assert site.scalar(audited) == 1
