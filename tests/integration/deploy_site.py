"""The deployment guide's files (docs/deploy/) put in place here, shared by test_deploy_files.py,
test_deploy_served.py and test_deploy_database.py: where they are, the env file as systemd
reads it, a home of their own (/srv/marks and /etc/marks/marks.env in a temporary directory),
and a site: a deployment's database, its settings and `marks-flask`. The `site` fixture,
installed from nothing once per test module, is in conftest.py."""

from __future__ import annotations

import configparser
import importlib.machinery
import importlib.util
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from marks.config import database_url as driver_url
from tests.helpers.servers import Inbox, RedisServer
from tests.helpers.signing import authority_in_use
from tests.helpers.signing_keys import credential_signing_key

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
VENV = ROOT / ".venv"
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The guide's Redis databases: the rate limits' counts, and the register's cache, in a Redis
# of the site's own, with a password (`requirepass`) that its URLs hold URL-encoded.
LIMITS_DB, CACHE_DB = 0, 1
REDIS_PASSWORD = "redis pa$$word/with:@%"
ADMIN_EMAIL = "ada.admin@association.example"
ADMIN_PASSWORD = "first-administrator-password"
# A relay password as councils' relays issue them: the shell would expand `$HOME` and `$$`.
RELAY_PASSWORD = "pa$$word $HOME 'single' \\ \"double\" ${x"
# The template's examples, made a council's own as the guide says (the app refuses them as
# they are: marks/config.py, TEMPLATE_EXAMPLES), in the order the app checks them. The nginx
# site keeps mark.example.org. (The site's Redis URLs name its own Redis: conftest.py.)
OWN_ADDRESS = "https://mark.council.example"
OWN_SETTINGS = {
    "MARKS_BASE_URL": OWN_ADDRESS,
    "MAIL_SERVER": "smtp.council.example",
    "MAIL_PASSWORD": RELAY_PASSWORD,
    "MAIL_SENDER": "Social Media Friendly Mark <noreply@mark.council.example>",
    "RATELIMIT_STORAGE_URI": "redis://:an%24own-password@127.0.0.1:6379/0",
    "CACHE_REDIS_URL": "redis://:an%24own-password@127.0.0.1:6379/1",
}
ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="a deployment runs on PostgreSQL: set TEST_DATABASE_URL"
)


def _load_marks_env() -> ModuleType:
    """docs/deploy/marks-env, the guide's reader of the env file, as a module."""
    loader = importlib.machinery.SourceFileLoader("marks_env", str(DEPLOY / "marks-env"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


marks_env = _load_marks_env()


def read_env_file(path: Path) -> dict[str, str]:
    """The env file as systemd's EnvironmentFile= reads it, and marks-env for the scripts."""
    return marks_env.parse(path.read_text())


def quoted(value: str) -> str:
    """A value in double quotes as systemd reads them: `\\` and `"` escaped, `$` as it is."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Home:
    """/srv/marks (app/ and venv/ beside each other) and /etc/marks/marks.env, here."""

    root: Path
    env_file: Path

    def substitute(self, text: str) -> str:
        return text.replace("/etc/marks/marks.env", str(self.env_file)).replace(
            "/srv/marks", str(self.root)
        )

    def unit(self, name: str) -> configparser.ConfigParser:
        unit = configparser.ConfigParser(interpolation=None, strict=False)
        unit.optionxform = str
        unit.read_string(self.substitute((DEPLOY / name).read_text()))
        return unit

    def exec_start(self, name: str) -> list[str]:
        return shlex.split(self.unit(name)["Service"]["ExecStart"])


# What the app reads of its code, copied as a clone or an unpacked release puts it: the install
# writes into it (static/), and must not write into this checkout. The rest is linked.
RELEASE = ("app.py", "marks", "templates", "static")


def install_code(root: Path) -> None:
    """/srv/marks/app and /srv/marks/venv at `root`: a copy of this release, and the venv."""
    app = root / "app"
    app.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in RELEASE and entry.is_dir():
            # Installed from nothing: none of the install's own files (static/fingerprints.json and
            # the copies) that this checkout may hold. Its compiled code is kept, as compileall's.
            ignored = shutil.ignore_patterns(
                "node_modules", "fingerprints.json", "*.????????????.*"
            )
            shutil.copytree(entry, app / entry.name, ignore=ignored)
        elif entry.name in RELEASE:
            shutil.copy2(entry, app / entry.name)
        else:
            (app / entry.name).symlink_to(entry)
    (root / "venv").symlink_to(VENV)


def make_home(base: Path, **overrides: str) -> Home:
    # The template leaves the signing key to each server (production refuses to start without
    # one: test_signing.py): the tests' own, unless the test says otherwise.
    overrides = {
        **authority_in_use().settings(),
        "CREDENTIAL_SIGNING_KEY": credential_signing_key(),
        **overrides,
    }
    root = base / "srv-marks"
    root.mkdir()
    install_code(root)
    lines = []
    for line in (DEPLOY / "marks.env").read_text().splitlines():
        name = line.partition("=")[0]
        if name in overrides:
            line = f"{name}={quoted(overrides.pop(name))}"
        lines.append(line)
    lines += [f"{name}={quoted(value)}" for name, value in overrides.items()]
    env_file = base / "marks.env"
    env_file.write_text("\n".join(lines) + "\n")
    return Home(root, env_file)


@dataclass
class Site:
    home: Home
    url: str  # the database, as the env file names it
    smtp: Inbox
    tmp: Path
    redis: RedisServer | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": SBIN_PATH,
            "HOME": str(self.tmp),
            "MARKS_HOME": str(self.home.root),
            "MARKS_ENV_FILE": str(self.home.env_file),
        }

    def marks_flask(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess:
        """The guide's `runuser -u marks -- marks-flask ...`."""
        result = subprocess.run(  # noqa: S603 (the guide's own marks-flask)
            [str(DEPLOY / "marks-flask"), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert not check or result.returncode == 0, result.stderr[-3000:]
        return result

    def compile_static(self) -> str:
        """The guide's `/srv/marks/venv/bin/python -m marks.operations.static_files`, as root
        (sections 2 and 9), from the code's folder as in section 9: here the venv's own install
        of marks is another checkout's."""
        result = subprocess.run(  # noqa: S603 (the guide's own command)
            [
                str(self.home.root / "venv" / "bin" / "python"),
                "-m",
                "marks.operations.static_files",
            ],
            cwd=self.home.root / "app",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def engine(self) -> sa.Engine:
        return sa.create_engine(driver_url(self.url))

    def scalar(self, sql: str, **params) -> object:
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()


def libpq_url(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
