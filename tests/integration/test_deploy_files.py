"""The deployment guide (docs/deploy.md), its files checked without a server: the env file
template names only settings the app reads, and the app starts with it; the systemd units
verify and run commands the app accepts; the nginx site file sends what the app needs.

The deployment served by gunicorn behind nginx is in test_deploy_served.py; its database
(install, backup, upgrade) in test_deploy_database.py."""

# ruff: noqa: S603, S607 (the commands are the guide's own files and Debian's tools, by name)

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import secrets
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from marks import create_app
from marks.config import DEFAULTS, ConfigurationError
from tests.helpers.signing_keys import credential_signing_key
from tests.integration.deploy_site import (
    DEPLOY,
    OWN_SETTINGS,
    ROOT,
    SBIN_PATH,
    make_home,
    marks_env,
    read_env_file,
)

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

GUIDE = ROOT / "docs" / "deploy.md"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def settings_the_app_reads() -> set[str]:
    source = (ROOT / "marks" / "config.py").read_text()
    return set(re.findall(r'(?:environ\.get|_bool)\(\s*"([A-Z_]+)"', source))


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read(path)
    return unit


# --- The files: no server needed ----------------------------------------------------------


def test_the_env_file_names_only_settings_the_app_reads():
    template = read_env_file(DEPLOY / "marks.env")
    read = settings_the_app_reads()
    assert len(read) > 15
    assert set(template) <= read, set(template) - read
    # Every setting is in the template, but the development-only one (explained in the guide).
    assert read - set(template) == {"PREFERRED_URL_SCHEME"}
    guide = GUIDE.read_text()
    assert [name for name in sorted(read) if f"`{name}`" not in guide] == []
    assert template["MAIL_SENDER"] == "Social Media Friendly Mark <noreply@mark.example.org>"


# Lines and the value systemd's EnvironmentFile= reads from each (systemd 252, env-file.c):
# nothing is expanded; quotes, and backslashes outside single quotes, are taken away.
SYSTEMD_READS = [
    ("A=plain", "plain"),
    ("  A = spaced out  ", "spaced out"),
    ('A="two  words"', "two  words"),
    ("A='pa$$word $HOME ${x'", "pa$$word $HOME ${x"),
    ("A=pa$$word $HOME", "pa$$word $HOME"),
    ('A="pa$$ \\"quoted\\" \\\\ \\$ \\n"', 'pa$$ "quoted" \\ $ \\n'),
    ("A=it\\'s", "it's"),
    ("A='a' \"b\" c", "abc"),
    ("A=x 'y'", "x 'y'"),
    ("A=<noreply@x.example> # not a comment", "<noreply@x.example> # not a comment"),
    ("A=", ""),
    ('A=""', ""),
]
# What systemd versions read differently, or skip, or read over several lines: refused.
REFUSED = ["A='not closed", 'A="not closed', "A=goes on\\", "# goes on\\", "NO_EQUALS", "1A=x"]


@pytest.mark.parametrize(("line", "value"), SYSTEMD_READS)
def test_the_env_file_is_read_as_systemd_reads_it(line, value):
    assert marks_env.parse(f"# a comment\n; another\n\n{line}\nB=after\n") == {
        "A": value,
        "B": "after",
    }


@pytest.mark.parametrize("line", REFUSED)
def test_a_line_systemd_might_read_otherwise_is_refused(line, tmp_path):
    with pytest.raises(marks_env.EnvFileError, match="line 2"):
        marks_env.parse(f"B=before\n{line}\n")
    env_file = tmp_path / "marks.env"
    env_file.write_text(f"B=before\n{line}\n")
    result = subprocess.run(
        [str(DEPLOY / "marks-env"), str(env_file), "true"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert f"marks-env: {env_file}: line 2: " in result.stderr


def test_marks_env_runs_a_command_with_the_settings_as_systemd_reads_them(tmp_path):
    """marks-flask and backup.sh run through marks-env: their settings are the units'."""
    env_file = tmp_path / "marks.env"
    lines = [line.replace("A", f"A{n}", 1) for n, (line, _) in enumerate(SYSTEMD_READS)]
    env_file.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [str(DEPLOY / "marks-env"), str(env_file), "env", "-0"],
        env={"PATH": SBIN_PATH, "A0": "the caller's", "HOME": "/nowhere"},
        capture_output=True,
        check=True,
    )
    seen = dict(item.split("=", 1) for item in result.stdout.decode().split("\0") if item)
    assert {f"A{n}": seen[f"A{n}"] for n in range(len(SYSTEMD_READS))} == {
        f"A{n}": value for n, (_, value) in enumerate(SYSTEMD_READS)
    }
    assert seen["HOME"] == "/nowhere"  # the caller's own environment is kept


def test_the_app_starts_with_the_env_file_template(monkeypatch, tmp_path):
    settings = read_env_file(DEPLOY / "marks.env")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    # As it is, the template's SECRET_KEY is a placeholder: refused.
    with pytest.raises(ConfigurationError, match="SECRET_KEY is the placeholder"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))  # the guide's command
    # And so is each of its examples of the address and the mail settings, until replaced.
    for name, value in OWN_SETTINGS.items():
        with pytest.raises(ConfigurationError, match=f"^{name} holds"):
            create_app()
        monkeypatch.setenv(name, value)
    # And the credential signing key it names, until that file is made (the guide's command).
    with pytest.raises(ConfigurationError, match=r"^CREDENTIAL_SIGNING_KEY names a file that"):
        create_app()
    monkeypatch.setenv("CREDENTIAL_SIGNING_KEY", credential_signing_key())
    app = create_app()
    assert app.config["MARKS_ENV"] == "production"
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_PORT"] == 587
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg:///marks"


def test_the_app_starts_from_code_it_cannot_write(monkeypatch):
    """The code is root's, and read-only to the units (ProtectSystem=strict): on PostgreSQL
    the app creates nothing there (instance/ is for development's SQLite file)."""
    for name, value in read_env_file(DEPLOY / "marks.env").items():
        monkeypatch.setenv(name, value)
    own = {
        "SECRET_KEY": secrets.token_hex(32),
        "CREDENTIAL_SIGNING_KEY": credential_signing_key(),
        **OWN_SETTINGS,
    }
    for name, value in own.items():
        monkeypatch.setenv(name, value)  # the template's are refused

    def read_only(path: Path, *args, **kwargs) -> None:
        raise PermissionError(f"[Errno 30] Read-only file system: {str(path)!r}")

    monkeypatch.setattr(Path, "mkdir", read_only)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_the_systemd_units_verify(tmp_path):
    home = make_home(tmp_path)
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS:
        (units / path.name).write_text(home.substitute(path.read_text()))
    timers = {p.stem for p in UNITS if p.suffix == ".timer"}
    assert timers == {"marks-reminders", "marks-backup", "marks-retention"}
    assert timers <= {p.stem for p in UNITS if p.suffix == ".service"}
    assert "marks-failed@" in {p.stem for p in UNITS}
    for path in UNITS:
        unit = read_unit(units / path.name)
        if path.suffix == ".service":
            command = shlex.split(unit["Service"]["ExecStart"])
            assert os.access(command[0], os.X_OK), command[0]  # it exists, here too
            assert unit["Service"]["User"] == "marks"
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: checked with configparser only")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
        capture_output=True,
        text=True,
        cwd=units,
    )
    # Unknown keys or sections are only warnings to systemd: any line at all is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_units_cannot_rewrite_the_code_and_their_failures_are_logged(tmp_path):
    services = [p for p in UNITS if p.suffix == ".service" and "@" not in p.name]
    assert {p.stem for p in services} == {
        "marks-web",
        "marks-mail",
        "marks-reminders",
        "marks-backup",
        "marks-retention",
    }
    for path in services:
        unit = read_unit(path)
        assert unit["Unit"]["OnFailure"] == "marks-failed@%n.service", path.name
        assert unit["Service"]["ProtectSystem"] == "strict", path.name  # all read-only but:
        writable = unit["Service"].get("ReadWritePaths")
        assert writable == ("/var/backups/marks" if path.stem == "marks-backup" else None)
        if unit["Service"].get("Restart"):  # failing over and over is a failure too
            assert unit["Unit"]["StartLimitBurst"] == "5"
    backup = read_unit(DEPLOY / "marks-backup.service")["Service"]["Environment"]
    assert "BACKUP_DIR=/var/backups/marks" in backup.split()
    # The line monitoring matches (the guide's `journalctl -t marks-alert -p err`).
    command = shlex.split(read_unit(DEPLOY / "marks-failed@.service")["Service"]["ExecStart"])
    command = [part.replace("%i", "marks-backup.service") for part in command]
    result = subprocess.run(
        [command[0], "--socket-errors=off", "--no-act", "--stderr", *command[1:]],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("<11>")  # user.err: -p err
    assert result.stderr.rstrip().endswith(
        " marks-alert: marks-backup.service failed: see journalctl -u marks-backup.service"
    )
    assert "`journalctl -t marks-alert -p err`" in GUIDE.read_text()


def test_the_timers_run_in_utc_whatever_the_servers_time_zone():
    for path in DEPLOY.glob("*.timer"):
        when = read_unit(path)["Timer"]["OnCalendar"]
        assert when.endswith(" UTC"), path.name
        if shutil.which("systemd-analyze"):
            result = subprocess.run(
                ["systemd-analyze", "calendar", when],
                capture_output=True,
                text=True,
                env={"TZ": "Pacific/Auckland", "PATH": SBIN_PATH},
            )
            assert f"Normalized form: {when}" in result.stdout, result.stderr
            # On a server in New Zealand's time: still at that time in UTC.
            assert re.search(rf"\(in UTC\): .* {when.split()[1]} UTC$", result.stdout, re.M)


def test_the_units_run_commands_the_app_accepts(tmp_path):
    home = make_home(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3",
        SECRET_KEY=secrets.token_hex(32),
        **OWN_SETTINGS,
    )
    env = {"PATH": SBIN_PATH, **read_env_file(home.env_file)}
    for name in ("marks-mail.service", "marks-reminders.service", "marks-retention.service"):
        command = home.exec_start(name)
        # --help after the unit's own options: click refuses an option it does not know.
        result = subprocess.run(
            [*command, "--help"],
            env=env,
            capture_output=True,
            text=True,
            cwd=home.unit(name)["Service"]["WorkingDirectory"],
        )
        assert result.returncode == 0, (name, result.stderr)
        assert "Usage: flask" in result.stdout
    command = home.exec_start("marks-web.service")
    result = subprocess.run(
        [*command, "--check-config"],
        env=env,
        capture_output=True,
        text=True,
        cwd=home.unit("marks-web.service")["Service"]["WorkingDirectory"],
    )
    assert result.returncode == 0, result.stderr  # the config file, and the app imports
    backup = home.exec_start("marks-backup.service")
    assert backup == [str(home.root / "app/docs/deploy/backup.sh")]


@pytest.mark.parametrize(
    ("replaced", "refused"),
    [
        ({}, "SECRET_KEY is the placeholder"),
        (
            {"SECRET_KEY": secrets.token_hex(32)},
            "MARKS_BASE_URL holds the settings template's example",
        ),
        (
            {"SECRET_KEY": secrets.token_hex(32), **OWN_SETTINGS, "MAIL_SENDER": None},
            "MAIL_SENDER holds the settings template's",
        ),
    ],
)
def test_the_units_refuse_to_start_with_the_templates_placeholders(tmp_path, replaced, refused):
    """The env file installed as it is, its SECRET_KEY not replaced, or the examples of the
    address and the mail settings: nothing starts."""
    home = make_home(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3",
        **{name: value for name, value in replaced.items() if value is not None},
    )
    settings = read_env_file(home.env_file)
    if not replaced:
        assert settings["SECRET_KEY"] == "replace-with-64-hex-characters"
    env = {"PATH": SBIN_PATH, **settings}
    for name, last in (("marks-web.service", "--check-config"), ("marks-mail.service", "--help")):
        result = subprocess.run(
            [*home.exec_start(name), last],
            env=env,
            capture_output=True,
            text=True,
            cwd=home.unit(name)["Service"]["WorkingDirectory"],
        )
        assert result.returncode != 0, name
        assert refused in result.stdout + result.stderr, name


def test_the_settings_check_lists_every_refused_setting_without_a_traceback(tmp_path):
    """The guide's `runuser -u marks -- marks-flask routes` on the template as it is: one line
    for each setting to change, all at once, and no traceback."""
    home = make_home(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3")
    env = {
        "PATH": SBIN_PATH,
        "HOME": str(tmp_path),
        "MARKS_HOME": str(home.root),
        "MARKS_ENV_FILE": str(home.env_file),
    }
    result = subprocess.run(
        [str(DEPLOY / "marks-flask"), "routes"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    refused = [line for line in result.stderr.splitlines() if line.startswith("- ")]
    names = [line.split()[1] for line in refused]
    assert names == ["SECRET_KEY", *OWN_SETTINGS], result.stderr
    assert result.stderr.startswith("Error: the app refuses these settings:\n")
    # Put right, the same check passes.
    (tmp_path / "own").mkdir()
    home = make_home(
        tmp_path / "own",
        DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3",
        SECRET_KEY=secrets.token_hex(32),
        **OWN_SETTINGS,
    )
    env["MARKS_HOME"], env["MARKS_ENV_FILE"] = str(home.root), str(home.env_file)
    result = subprocess.run(
        [str(DEPLOY / "marks-flask"), "routes"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "/healthz" in result.stdout


def guide_commands() -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.DOTALL))


def test_the_guide_is_the_one_story_and_runs_as_root():
    """A minimal Debian has no sudo; the README points to the guide, not a second story."""
    commands = guide_commands()
    assert "sudo" not in commands
    assert re.search(r"apt-get install -y [^\n]*\bssl-cert certbot\b", commands)
    assert "runuser -u marks -- marks-flask db upgrade" in commands
    production = (ROOT / "README.md").read_text().split("## Running in production")[1]
    production = production.split("\n## ")[0]
    assert "docs/deploy.md" in production
    assert "```" not in production  # no commands of its own: no 0.0.0.0, no cron lines
    # Every file the guide installs is one of docs/deploy/'s, and each is named by the guide.
    files = [p for p in DEPLOY.iterdir() if p.name != "__pycache__"]
    for pattern in re.findall(r"docs/deploy/([\w.@*-]+)", commands):
        assert [p for p in files if fnmatch.fnmatch(p.name, pattern)], pattern
    for path in files:
        assert f"deploy/{path.name}" in GUIDE.read_text(), path.name


def test_the_install_and_each_upgrade_make_the_static_files_copies():
    """Sections 2 and 9, as root after compileall (the code is root's), before the service
    (re)starts; the deployment tests' site runs the same command (Site.compile_static)."""
    commands = guide_commands().splitlines()
    compiled = [n for n, line in enumerate(commands) if "-m marks.operations.static_files" in line]
    assert len(compiled) == 2
    for n in compiled:
        assert commands[n].startswith(
            "/srv/marks/venv/bin/python -m marks.operations.static_files "
        )
        assert "-m compileall" in commands[n - 1]


def test_the_tls_site_starts_before_its_certificate_exists():
    """The site file as shipped names Debian's snakeoil certificate (package ssl-cert), and
    the guide's sed puts the Let's Encrypt one in its place, line for line."""
    site = (DEPLOY / "nginx-marks.conf").read_text()
    certificates = re.findall(r"^\s*ssl_certificate(?:_key)? (\S+);", site, re.MULTILINE)
    assert certificates == [
        "/etc/ssl/certs/ssl-cert-snakeoil.pem",
        "/etc/ssl/private/ssl-cert-snakeoil.key",
    ]
    replaced = re.findall(r"-e 's\|([^|]+)\|([^|]+)\|'", guide_commands())
    assert [old for old, _ in replaced] == certificates
    assert [new.rsplit("/", 1)[1] for _, new in replaced] == ["fullchain.pem", "privkey.pem"]
    assert "location /.well-known/acme-challenge/ {\n        root /var/www/letsencrypt;" in site
    assert "certbot certonly --webroot -w /var/www/letsencrypt" in guide_commands()
    # Made if the image lacks it, before nginx first reads the site (section 7).
    commands = guide_commands()
    assert commands.index("make-ssl-cert generate-default-snakeoil") < commands.index("nginx -t")


def test_the_access_log_is_never_readable_by_everyone():
    """nginx would create its access log (visitors' addresses) world-readable until logrotate
    first turns it: section 7 creates it as logrotate does, before nginx first reads the site."""
    site = (DEPLOY / "nginx-marks.conf").read_text()
    logs = set(re.findall(r"^\s*access_log (\S+)", site, re.MULTILINE))
    assert logs == {"/var/log/nginx/marks.access.log"}
    assert not re.search(r"^\s*error_log ", site, re.MULTILINE)  # nginx's own error.log
    commands = guide_commands()
    created = commands.index(
        "install -m 0640 -o www-data -g adm /dev/null /var/log/nginx/marks.access.log"
    )
    assert created < commands.index("nginx -t && systemctl reload nginx")
    rotated = Path("/etc/logrotate.d/nginx")
    if rotated.exists():  # Debian's own: what the file becomes at its first turn
        assert "create 0640 www-data adm" in rotated.read_text()


def test_the_journal_keeps_the_logs_90_days():
    journal = read_unit(DEPLOY / "journald-marks.conf")["Journal"]
    assert dict(journal) == {
        "Storage": "persistent",
        "MaxRetentionSec": "90day",
        "SystemMaxUse": "2G",
    }
    assert "Keep the journal for 90 days" in GUIDE.read_text()


def nginx_block(site: str, start: str) -> str:
    """From `start` to the closing brace at its own indentation."""
    indent = re.match(r"\s*", start).group(0)
    begin = site.index(start)
    return site[begin : site.index(f"\n{indent}}}", begin) + len(indent) + 2]


def test_an_app_server_behind_a_balancer_serves_as_one_server_does():
    """nginx-marks-behind-balancer.conf: the same logs, static files and limits as
    nginx-marks.conf, but plain HTTP with no redirect, and each proxy's headers added to."""
    one = (DEPLOY / "nginx-marks.conf").read_text()
    behind = (DEPLOY / "nginx-marks-behind-balancer.conf").read_text()
    for start in ("map $request_uri", "log_format marks", 'map "$status', "    location /static/"):
        assert nginx_block(behind, start) == nginx_block(one, start), start
    assert "server_tokens off;" in behind and "client_max_body_size 30m;" in behind
    assert "ssl" not in behind and "return 301" not in behind
    assert "proxy_set_header X-Forwarded-Proto $marks_forwarded_proto;" in behind
    balancer = (DEPLOY / "nginx-balancer.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Host"):
        assert f"proxy_set_header {header} " in balancer
    # A static file another release's server has not got: the next server is asked (section
    # 11, test_deploy_servers.py); a POST is never sent to a second one.
    static = nginx_block(balancer, "    location /static/")
    assert "proxy_next_upstream error timeout http_404;" in static
    retries = re.findall(r"^\s*proxy_next_upstream ([^;]*);", balancer, re.MULTILINE)
    assert retries == ["error timeout http_404"]


def test_nginx_sends_what_the_app_needs():
    site = (DEPLOY / "nginx-marks.conf").read_text()
    limit = re.search(r"client_max_body_size (\d+)m;", site).group(1)
    assert int(limit) * 1024 * 1024 == DEFAULTS["MAX_CONTENT_LENGTH"]
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Host"):
        assert f"proxy_set_header {header} " in site
    redacted = re.search(r"\(\?<marks_path>/\(([^)]*)\)/\)", site).group(1).split("|")
    app = create_app({"SECRET_KEY": "x", "RATELIMIT_STORAGE_URI": "memory://"})  # development
    with_tokens = {
        rule.rule.split("/<token>")[0].lstrip("/")
        for rule in app.url_map.iter_rules()
        if "token" in rule.arguments
    }
    assert set(redacted) == with_tokens


@pytest.mark.parametrize(
    ("database_url", "restored_into", "password"),
    [
        ("postgresql:///marks", "postgresql:///marks_restored", ""),
        (
            "postgresql://marks:a%24b%40c@db.internal/marks?sslmode=require",
            "postgresql://marks@db.internal/marks_restored?sslmode=require",
            "a$b@c",
        ),
        (
            "postgresql+psycopg://marks@10.0.0.5:5432/marks",
            "postgresql://marks@10.0.0.5:5432/marks_restored",
            "",
        ),
    ],
)
def test_restore_into_a_database_named_on_the_settings_server(
    tmp_path, database_url, restored_into, password
):
    """restore.sh ARCHIVE marks_restored: DATABASE_URL's server, user and options with that
    database, on the same server as the service's or another (section 11), its password in
    pg_restore's environment, not its command line."""
    stub = tmp_path / "pg_restore"
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$*" "${PGPASSWORD-}"\n')
    stub.chmod(0o755)
    result = subprocess.run(
        [str(DEPLOY / "restore.sh"), "marks.dump", "marks_restored"],
        env={"PATH": f"{tmp_path}:{SBIN_PATH}", "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    arguments, given_password = result.stdout.splitlines()[:2]
    assert f"--dbname={restored_into} marks.dump" in arguments
    assert given_password == password
    refused = subprocess.run(
        [str(DEPLOY / "restore.sh"), "marks.dump", "marks?host=elsewhere"],
        env={"PATH": f"{tmp_path}:{SBIN_PATH}", "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "a database's name" in refused.stderr
