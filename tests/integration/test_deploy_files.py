"""The deployment guide (docs/deploy.md), its files checked without a server: the env file
template names only settings the app reads, and the app starts with it; the systemd units
verify and run commands the app accepts; the nginx site file sends what the app needs.

The deployment served by gunicorn behind nginx is in test_deploy_served.py; its database
(install, backup, upgrade) in test_deploy_database.py."""

# ruff: noqa: S603, S607 (the commands are the guide's own files and Debian's tools, by name)

from __future__ import annotations

import configparser
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
from tests.integration.deploy_site import DEPLOY, ROOT, SBIN_PATH, make_home, read_env_file

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

GUIDE = ROOT / "docs" / "deploy.md"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def settings_the_app_reads() -> set[str]:
    source = (ROOT / "marks" / "config.py").read_text()
    return set(re.findall(r'(?:environ\.get|_bool)\(\s*"([A-Z_]+)"', source))


def read_env_file_as_the_shell_does(path: Path) -> dict[str, str]:
    """The same file as marks-flask and backup.sh read it: sourced by /bin/sh."""
    script = 'set -a; . "$1"; set +a; env -0'
    output = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(path)], capture_output=True, check=True, env={}
    ).stdout.decode()
    return dict(item.split("=", 1) for item in output.split("\0") if "=" in item)


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
    # systemd and /bin/sh read the file alike (quotes, spaces, angle brackets).
    shell = read_env_file_as_the_shell_does(DEPLOY / "marks.env")
    assert {name: shell[name] for name in template} == template
    assert template["MAIL_SENDER"] == "Social Media Friendly Mark <noreply@mark.example.org>"


def test_the_app_starts_with_the_env_file_template(monkeypatch, tmp_path):
    settings = read_env_file(DEPLOY / "marks.env")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    # As it is, the template's SECRET_KEY is a placeholder: refused.
    with pytest.raises(ConfigurationError, match="SECRET_KEY is the placeholder"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))  # the guide's command
    app = create_app()
    assert app.config["MARKS_ENV"] == "production"
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_PORT"] == 587
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg:///marks"


def test_the_systemd_units_verify(tmp_path):
    home = make_home(tmp_path)
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS:
        (units / path.name).write_text(home.substitute(path.read_text()))
    timers = {p.stem for p in UNITS if p.suffix == ".timer"}
    assert timers == {"marks-reminders", "marks-backup", "marks-retention"}
    assert timers <= {p.stem for p in UNITS if p.suffix == ".service"}
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


def test_the_units_run_commands_the_app_accepts(tmp_path):
    home = make_home(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3",
        SECRET_KEY=secrets.token_hex(32),
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


def test_the_units_refuse_to_start_with_the_placeholder_key(tmp_path):
    """The env file installed as it is, its SECRET_KEY not replaced: nothing starts."""
    home = make_home(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3")
    assert read_env_file(home.env_file)["SECRET_KEY"] == "replace-with-64-hex-characters"
    env = {"PATH": SBIN_PATH, **read_env_file(home.env_file)}
    for name, last in (("marks-web.service", "--check-config"), ("marks-mail.service", "--help")):
        result = subprocess.run(
            [*home.exec_start(name), last],
            env=env,
            capture_output=True,
            text=True,
            cwd=home.unit(name)["Service"]["WorkingDirectory"],
        )
        assert result.returncode != 0, name
        assert "SECRET_KEY is the placeholder" in result.stdout + result.stderr, name


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
