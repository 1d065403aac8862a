"""The deployment guide (docs/deploy.md), exercised: the env file template names only settings
the app reads; the systemd units verify and run commands the app accepts; an install from
nothing (migrations, councils, the first administrator) with the guide's own `marks-flask`;
gunicorn started by the unit's own command line, with two workers, behind nginx with the site
file (TLS, proxy headers, body size) sharing one rate limit in Redis; the email worker and the
reminders run by their units; a backup restored into a fresh database, row for row; an upgrade
of a database with data from an older revision.

Everything runs on PostgreSQL and Redis (TEST_DATABASE_URL), as deployed: `.ci/run` does."""

# ruff: noqa: S603, S607 (the commands are the guide's own files and Debian's tools, by name)

from __future__ import annotations

import configparser
import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from alembic.script import ScriptDirectory

from marks import create_app
from marks.config import DEFAULTS
from marks.config import database_url as driver_url
from tests.conftest import separate_database
from tests.unit.test_mail import Inbox, free_port

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"
VENV = ROOT / ".venv"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Redis databases of this test's own (the suite's limits use 15, the benchmarks 13 and 14).
LIMITS_DB, CACHE_DB = 11, 10
ADMIN_EMAIL = "ada.admin@association.example"
ADMIN_PASSWORD = "first-administrator-password"
SIGN_IN_LIMIT = int(DEFAULTS["SIGN_IN_LIMIT"].split()[0])  # "10 per minute"
HEAD = ScriptDirectory(str(ROOT / "marks" / "migrations")).get_current_head()
ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="a deployment runs on PostgreSQL: set TEST_DATABASE_URL"
)


def settings_the_app_reads() -> set[str]:
    source = (ROOT / "marks" / "config.py").read_text()
    return set(re.findall(r'(?:environ\.get|_bool)\(\s*"([A-Z_]+)"', source))


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as systemd's EnvironmentFile= reads them (quotes removed)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value[1:-1] if value[:1] == value[-1:] == '"' else value
    return values


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
    for name, value in read_env_file(DEPLOY / "marks.env").items():
        monkeypatch.setenv(name, value)
    app = create_app()
    assert app.config["MARKS_ENV"] == "production"
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_PORT"] == 587
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg:///marks"


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


def make_home(base: Path, **overrides: str) -> Home:
    root = base / "srv-marks"
    root.mkdir()
    (root / "app").symlink_to(ROOT)
    (root / "venv").symlink_to(VENV)
    lines = []
    for line in (DEPLOY / "marks.env").read_text().splitlines():
        name = line.partition("=")[0]
        if name in overrides:
            line = f'{name}="{overrides.pop(name)}"'
        lines.append(line)
    lines += [f'{name}="{value}"' for name, value in overrides.items()]
    env_file = base / "marks.env"
    env_file.write_text("\n".join(lines) + "\n")
    return Home(root, env_file)


def test_the_systemd_units_verify(tmp_path):
    home = make_home(tmp_path)
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS:
        (units / path.name).write_text(home.substitute(path.read_text()))
    timers = {p.stem for p in UNITS if p.suffix == ".timer"}
    assert timers == {"marks-reminders", "marks-backup"}
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
    home = make_home(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3")
    env = {"PATH": SBIN_PATH, **read_env_file(home.env_file)}
    for name in ("marks-mail.service", "marks-reminders.service"):
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


def test_nginx_sends_what_the_app_needs():
    site = (DEPLOY / "nginx-marks.conf").read_text()
    limit = re.search(r"client_max_body_size (\d+)m;", site).group(1)
    assert int(limit) * 1024 * 1024 == DEFAULTS["MAX_CONTENT_LENGTH"]
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Host"):
        assert f"proxy_set_header {header} " in site
    redacted = re.search(r"\(\?<marks_path>/\(([^)]*)\)/\)", site).group(1).split("|")
    app = create_app({"SECRET_KEY": "x", "RATELIMIT_STORAGE_URI": "memory://"})
    with_tokens = {
        rule.rule.split("/<token>")[0].lstrip("/")
        for rule in app.url_map.iter_rules()
        if "token" in rule.arguments
    }
    assert set(redacted) == with_tokens


# --- A deployment of its own: PostgreSQL, Redis, gunicorn, nginx --------------------------


@dataclass
class Site:
    home: Home
    url: str  # the database, as the env file names it
    smtp: Inbox
    tmp: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": SBIN_PATH,
            "HOME": str(self.tmp),
            "MARKS_HOME": str(self.home.root),
            "MARKS_ENV_FILE": str(self.home.env_file),
        }

    def marks_flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """The guide's `sudo -u marks marks-flask ...`."""
        result = subprocess.run(
            [str(DEPLOY / "marks-flask"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert not check or result.returncode == 0, result.stderr[-3000:]
        return result

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


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """Installed as the guide says, from nothing: the env file, `db upgrade`, the councils,
    the first administrator."""
    if not ON_POSTGRESQL:
        pytest.skip("a deployment runs on PostgreSQL: set TEST_DATABASE_URL")
    database = separate_database(tmp_path_factory, "deploy")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    for db_number in (LIMITS_DB, CACHE_DB):
        redis.Redis(db=db_number).flushdb()
    tmp = tmp_path_factory.mktemp("deploy")
    url = libpq_url(database.url)
    home = make_home(
        tmp,
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=url,
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:6379/{LIMITS_DB}",
        CACHE_REDIS_URL=f"redis://127.0.0.1:6379/{CACHE_DB}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(controller.port),
        MAIL_USE_TLS="0",  # aiosmtpd here speaks plain SMTP, with no login
        MAIL_USERNAME="",
    )
    site = Site(home, url, inbox, tmp)
    site.marks_flask("db", "upgrade")
    councils = ROOT / "marks" / "data" / "councils-england-wales-2021.csv"
    site.marks_flask("import-councils", str(councils))
    site.marks_flask(
        "create-user",
        "--role=administrator",
        f"--email={ADMIN_EMAIL}",
        "--name=Ada Admin",
        f"--password={ADMIN_PASSWORD}",
    )
    try:
        yield site
    finally:
        for process in site.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        controller.stop()
        database.drop()


@needs_postgresql
def test_an_install_from_nothing(site):
    rows = len((ROOT / "marks/data/councils-england-wales-2021.csv").read_text().splitlines()) - 1
    assert site.scalar("SELECT count(*) FROM councils") == rows
    assert site.scalar("SELECT role FROM users WHERE email = :e", e=ADMIN_EMAIL) == "administrator"
    assert site.scalar("SELECT version_num FROM alembic_version") == HEAD
    assert "No new upgrade operations detected" in site.marks_flask("db", "check").stdout


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up in {seconds} s")


@dataclass
class Served:
    site: Site
    app_port: int
    http_port: int
    https_port: int
    cafile: Path
    gunicorn_log: Path
    nginx_log: Path

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
        tls: bool = True,
    ) -> http.client.HTTPResponse:
        """One request through nginx, on a connection of its own (so any worker may take it)."""
        if tls:
            context = ssl.create_default_context(cafile=str(self.cafile))
            connection = http.client.HTTPSConnection(
                "127.0.0.1",
                self.https_port,
                context=context,
                source_address=(source, 0),
                timeout=60,
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.http_port, source_address=(source, 0), timeout=60
            )
        connection.request(
            method, path, body=body, headers={"Host": "mark.example.org", **(headers or {})}
        )
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response


def nginx_config(site: Site, app_port: int, http_port: int, https_port: int) -> Path:
    """The guide's site file, with this machine's ports, certificate and log paths."""
    tmp = site.tmp / "nginx"
    (tmp / "temp").mkdir(parents=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mark.example.org",
            "-addext",
            "subjectAltName=DNS:mark.example.org,IP:127.0.0.1",
            "-keyout",
            str(tmp / "privkey.pem"),
            "-out",
            str(tmp / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    text = (DEPLOY / "nginx-marks.conf").read_text()
    for old, new in (
        ("/etc/ssl/marks/", f"{tmp}/"),
        ("/var/log/nginx/marks.access.log", f"{tmp}/access.log"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{app_port};"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    (tmp / "site.conf").write_text(text)
    temp = tmp / "temp"
    main = f"""
daemon off;
master_process on;
worker_processes 1;
user root root;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp}/site.conf;
}}
"""
    (tmp / "nginx.conf").write_text(main)
    return tmp


@pytest.fixture(scope="module")
def served(site) -> Served:
    """gunicorn as marks-web.service starts it (its ExecStart, WorkingDirectory and env file),
    with two workers, behind nginx with the guide's site file."""
    nginx = shutil.which("nginx", path=SBIN_PATH)
    if nginx is None:
        pytest.skip("nginx is not installed (make system-packages installs it)")
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    unit = site.home.unit("marks-web.service")["Service"]
    env = {
        **site.env,
        **read_env_file(site.home.env_file),
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{app_port} --workers 2",
    }
    gunicorn_log = site.tmp / "gunicorn.log"
    with gunicorn_log.open("w") as output:
        site.processes.append(
            subprocess.Popen(
                shlex.split(unit["ExecStart"]),
                cwd=unit["WorkingDirectory"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        )
    wait_for(lambda: socket.create_connection(("127.0.0.1", app_port)).close() is None, "app")
    tmp = nginx_config(site, app_port, http_port, https_port)
    check = subprocess.run(
        [nginx, "-t", "-c", str(tmp / "nginx.conf")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    site.processes.append(
        subprocess.Popen(
            [nginx, "-c", str(tmp / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    served = Served(
        site,
        app_port,
        http_port,
        https_port,
        tmp / "fullchain.pem",
        gunicorn_log,
        tmp / "access.log",
    )
    wait_for(lambda: served.request("GET", "/healthz").status == 200, "nginx and gunicorn")
    return served


def cookie_and_token(served: Served, source: str = "127.0.0.1") -> tuple[str, str]:
    """A session cookie and its CSRF token, from the sign-in page, as a browser has them."""
    page = served.request("GET", "/sign-in", source=source)
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.body).group(1)
    return cookie, token.decode()


def post_form(served: Served, path: str, fields: dict, cookie: str, **kwargs):
    headers = {
        "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"https://mark.example.org{path}",  # Flask-WTF checks it over HTTPS
        **kwargs.pop("headers", {}),
    }
    return served.request("POST", path, body=urlencode(fields).encode(), headers=headers, **kwargs)


def worker_lines(served: Served, marker: str) -> list[tuple[int, int]]:
    """(status, worker pid) of each request in gunicorn's access log whose line has marker."""
    lines = served.gunicorn_log.read_text().splitlines()
    found = []
    for line in lines:
        if marker in line:
            match = re.search(r'" (\d{3}) .* pid=<?(\d+)', line)
            found.append((int(match.group(1)), int(match.group(2))))
    return found


class Held:
    """One gunicorn worker kept busy: a connection straight to gunicorn with a request half
    sent, which the (sync) worker that takes it waits on, so that every other request goes to
    the other worker. Which of the two workers takes it is the kernel's choice."""

    def __init__(self, served: Served) -> None:
        self.connection = socket.create_connection(("127.0.0.1", served.app_port), timeout=30)
        self.connection.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: mark.example.org\r\n"
            b"X-Forwarded-Proto: https\r\n"  # as from nginx: not redirected to HTTPS
        )
        time.sleep(0.5)  # taken by an idle worker (gunicorn accepts at once)

    def release(self) -> None:
        """The request's end: the worker answers it and is free again."""
        answer = b""
        with self.connection:
            self.connection.sendall(b"\r\n")
            while chunk := self.connection.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:100]


@needs_postgresql
def test_two_workers_share_one_rate_limit(served):
    """Failed sign-ins from one address, the first half to one worker and the rest to the
    other: the 11th is refused by a worker that has seen only five, because the count is in
    Redis. (Each worker is kept busy in turn, so that the other must take the requests.)"""
    cookie, token = cookie_and_token(served)
    statuses = []

    def sign_in_wrongly(attempts: range) -> None:
        for attempt in attempts:
            fields = {"email": f"nobody{attempt}@x.gov.uk", "password": "wrong-password"}
            response = post_form(served, "/sign-in", {**fields, "csrf_token": token}, cookie)
            statuses.append(response.status)
            if response.status == 200:
                assert b"Enter a correct email address and password" in response.body

    half = SIGN_IN_LIMIT // 2
    first = Held(served)  # worker A
    try:
        sign_in_wrongly(range(half))  # worker B
        second = Held(served)  # worker B, the only idle one
    finally:
        first.release()  # worker A, free again: it takes all the rest
    try:
        sign_in_wrongly(range(half, SIGN_IN_LIMIT + 5))
    finally:
        second.release()

    assert statuses == [200] * SIGN_IN_LIMIT + [429] * 5
    served_by = [pid for _, pid in worker_lines(served, '"POST /sign-in HTTP/1.0" 200')]
    assert len(served_by) == SIGN_IN_LIMIT
    worker_b, worker_a = served_by[0], served_by[-1]
    assert worker_a != worker_b
    assert served_by == [worker_b] * half + [worker_a] * (SIGN_IN_LIMIT - half)
    refused_by = {pid for _, pid in worker_lines(served, '"POST /sign-in HTTP/1.0" 429')}
    assert refused_by == {worker_a}  # which had counted only its own five, not ten

    # A client cannot escape by claiming another address: nginx appends the real one, and the
    # app (TRUSTED_PROXIES=1) takes the last.
    spoofed = {"X-Forwarded-For": "198.51.100.23"}
    fields = {"email": "nobody@x.gov.uk", "password": "wrong", "csrf_token": token}
    assert post_form(served, "/sign-in", fields, cookie, headers=spoofed).status == 429
    # Another address has a count of its own.
    cookie, token = cookie_and_token(served, source="127.0.0.2")
    fields["csrf_token"] = token
    assert post_form(served, "/sign-in", fields, cookie, source="127.0.0.2").status == 200


@needs_postgresql
def test_nginx_and_the_app_agree_on_https_cookies_and_sizes(served):
    redirect = served.request("GET", "/register?page=1", tls=False)
    assert redirect.status == 301
    assert redirect.getheader("Location") == "https://mark.example.org/register?page=1"

    page = served.request("GET", "/sign-in")
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security").startswith("max-age=")
    cookie = page.getheader("Set-Cookie")
    assert {"secure", "httponly", "samesite=lax"} <= {f.strip().lower() for f in cookie.split(";")}

    too_big = served.request("POST", "/sign-in", body=b"x" * (DEFAULTS["MAX_CONTENT_LENGTH"] + 1))
    assert too_big.status == 413  # nginx refuses it before gunicorn reads a byte
    assert b"nginx" in too_big.body


@needs_postgresql
def test_tokens_in_links_are_kept_out_of_both_request_logs(served):
    cookie, token = cookie_and_token(served, source="127.0.0.3")
    fields = {"email": ADMIN_EMAIL, "csrf_token": token}
    response = post_form(served, "/forgotten-password", fields, cookie, source="127.0.0.3")
    assert response.status == 302
    body = served.site.scalar(
        "SELECT body_text FROM emails WHERE to_address = :a ORDER BY id DESC LIMIT 1",
        a=ADMIN_EMAIL,
    )
    path = re.search(r"https://mark\.example\.org(/reset-password/\S+)", body).group(1)
    secret = path.rsplit("/", 1)[1]
    link = served.request("GET", path, headers={"Referer": f"https://mark.example.org{path}"})
    assert link.status == 200
    assert b"Create a new password" in link.body or b"password" in link.body
    # Each server writes its line once the response has gone.
    for log in (served.gunicorn_log, served.nginx_log):
        wait_for(lambda log=log: "GET /reset-password/" in log.read_text(), f"{log.name}", 10)
    gunicorn_log = served.gunicorn_log.read_text()
    nginx_log = served.nginx_log.read_text()
    assert '"GET /reset-password/[redacted] HTTP/1.0" 200' in gunicorn_log
    assert '"GET /reset-password/[redacted] HTTP/1.1" 200' in nginx_log
    assert secret not in gunicorn_log
    assert secret not in nginx_log


@needs_postgresql
def test_the_email_worker_and_the_reminders_run_from_their_units(site):
    queued = site.scalar("SELECT count(*) FROM emails WHERE state = 'queued'")
    assert queued >= 1  # the password reset, at least
    unit = site.home.unit("marks-mail.service")["Service"]
    env = {**site.env, **read_env_file(site.home.env_file)}
    worker = subprocess.Popen(
        shlex.split(unit["ExecStart"]),
        cwd=unit["WorkingDirectory"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    site.processes.append(worker)
    wait_for(
        lambda: site.scalar("SELECT count(*) FROM emails WHERE state = 'queued'") == 0,
        "the email worker",
    )
    assert worker.poll() is None  # a loop: it goes on until stopped
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)
    assert re.search(r"^\d+ sent, 0 failed$", output, re.MULTILINE), output
    assert len(site.smtp.messages) >= queued
    assert b"Subject: Reset your password" in site.smtp.messages[-1].content

    unit = site.home.unit("marks-reminders.service")["Service"]
    result = subprocess.run(
        shlex.split(unit["ExecStart"]),
        cwd=unit["WorkingDirectory"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("reminders queued")


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
    site.marks_flask("seed-scale", "--councils", "450")  # awards and certificate numbers
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
        RATELIMIT_STORAGE_URI="memory://",
        CACHE_TYPE="NullCache",
    )
    site = Site(home, libpq_url(database.url), Inbox(), tmp)
    try:
        site.marks_flask("db", "upgrade")
        site.marks_flask("seed-demo")
        site.marks_flask("seed-scale", "--councils", "450")
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
            # Old columns come first (new ones are added at the end): each row kept as it was.
            assert [row[:columns] for row in after[table]] == rows, table
        assert site.scalar("SELECT count(*) FROM awards WHERE updated_at <> created_at") == 0
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
