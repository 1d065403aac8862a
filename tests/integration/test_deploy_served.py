"""The deployment guide (docs/deploy.md), served: gunicorn started by the unit's own command
line, with two workers, behind nginx with the site file (TLS, proxy headers, body size)
sharing one rate limit in Redis; tokens in links kept out of both request logs; the email
worker and the reminders run by their units.

Everything runs on PostgreSQL and Redis (TEST_DATABASE_URL), as deployed: `.ci/run` does."""

# ruff: noqa: S603 (the commands are the guide's own files and Debian's tools, by name)

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
import secrets
import shlex
import signal
import socket
import subprocess
import threading
import time
from urllib.parse import quote

import pytest
import redis

from marks.config import DEFAULTS
from tests.integration.deploy_served import Served, cookie_and_token, post_form, serve, wait_for
from tests.integration.deploy_site import (
    ADMIN_EMAIL,
    CACHE_DB,
    LIMITS_DB,
    OWN_ADDRESS,
    OWN_SETTINGS,
    REDIS_PASSWORD,
    ROOT,
    needs_postgresql,
    quoted,
    read_env_file,
)

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

SIGN_IN_LIMIT = int(DEFAULTS["SIGN_IN_LIMIT"].split()[0])  # "10 per minute"
SIGN_IN_EMAIL_LIMIT = int(DEFAULTS["SIGN_IN_EMAIL_LIMIT"].split()[0])  # "5 per 15 minutes"


# --- A deployment of its own: PostgreSQL, Redis, gunicorn, nginx --------------------------


@pytest.fixture(scope="module")
def served(site) -> Served:
    """Two workers, so that a test can keep one busy and know which takes a request."""
    return serve(site, 2, "two-workers")


@pytest.fixture(scope="module")
def served_as_configured(site) -> Served:
    """The workers gunicorn.conf.py asks for (four), on the same database and Redis."""
    return serve(site, None, "as-configured")


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
def test_simultaneous_wrong_passwords_on_every_worker_are_counted_first(served_as_configured):
    """Wrong passwords for one account, all at once, from one place, through nginx to the
    configured workers sharing Redis: no more are checked than the limit for an address
    allows, whichever worker takes each. An answer of 200 is a password checked and found
    wrong; 429 is refused before any check."""
    served = served_as_configured
    source = "127.0.0.4"  # a client address of its own: no other test has counted for it
    attempts = 10  # within the limit for a client address: only the one for an account bites
    assert attempts <= SIGN_IN_LIMIT
    forms = [cookie_and_token(served, source=source) for _ in range(attempts)]
    barrier = threading.Barrier(attempts)
    answers = []

    def sign_in_wrongly(cookie: str, token: str) -> None:
        fields = {"email": ADMIN_EMAIL, "password": "a wrong password", "csrf_token": token}
        barrier.wait(timeout=30)
        answers.append(post_form(served, "/sign-in", fields, cookie, source=source))

    threads = [threading.Thread(target=sign_in_wrongly, args=form) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(answer.status for answer in answers)
    checked = statuses.count(200)
    assert checked == SIGN_IN_EMAIL_LIMIT, f"{checked} of {attempts} checked"
    assert statuses == [200] * SIGN_IN_EMAIL_LIMIT + [429] * (attempts - SIGN_IN_EMAIL_LIMIT)
    for answer in answers:
        wanted = b"Enter a correct email" if answer.status == 200 else b"Too many attempts"
        assert wanted in answer.body
    marker = f'{source} "POST /sign-in HTTP/1.0"'
    wait_for(lambda: len(worker_lines(served, marker)) == attempts, "the access log", 10)
    assert len({pid for _, pid in worker_lines(served, marker)}) > 1  # spread over workers


@needs_postgresql
def test_nginx_and_the_app_agree_on_https_cookies_and_sizes(served):
    redirect = served.request("GET", "/register?page=1", tls=False)
    assert redirect.status == 301
    assert redirect.getheader("Location") == "https://mark.example.org/register?page=1"
    # But Let's Encrypt's check, over plain HTTP, is answered (certbot --webroot: the guide).
    challenges = served.nginx_log.parent / "letsencrypt/.well-known/acme-challenge"
    challenges.mkdir(parents=True, exist_ok=True)
    (challenges / "t0ken").write_text("t0ken.thumbprint")
    answer = served.request("GET", "/.well-known/acme-challenge/t0ken", tls=False)
    assert (answer.status, answer.body) == (200, b"t0ken.thumbprint")

    page = served.request("GET", "/sign-in")
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security").startswith("max-age=")
    cookie = page.getheader("Set-Cookie")
    assert {"secure", "httponly", "samesite=lax"} <= {f.strip().lower() for f in cookie.split(";")}

    too_big = served.request("POST", "/sign-in", body=b"x" * (DEFAULTS["MAX_CONTENT_LENGTH"] + 1))
    assert too_big.status == 413  # nginx refuses it before gunicorn reads a byte
    assert b"nginx" in too_big.body


@needs_postgresql
def test_static_files_come_from_nginx_compressed_and_kept_for_a_year(served):
    """The stylesheet (136 KB), the script and the icon, linked by their copies named by a
    fingerprint of their content (made at install): served by nginx from the checkout, not by
    gunicorn; compressed when the browser asks; kept for a year, since a changed file gets a
    new name. A name nginx has not got (another release's) is a 404 that nobody keeps, never
    some other file. nginx names no version."""
    page = served.request("GET", "/sign-in")
    links = re.findall(rb'(?:href|src)="(/static/[^"]+)"', page.body)
    named = [re.fullmatch(rb"(/static/[^.]+)\.([0-9a-f]{12})(\.\w+)", link) for link in links]
    assert all(named), links
    assert {name.group(1) + name.group(3) for name in named} == {
        b"/static/css/marks.css",
        b"/static/images/favicon.svg",
        b"/static/js/init.js",
    }
    for name in named:
        address = name.group(0).decode()
        content = (ROOT / (name.group(1) + name.group(3)).decode().lstrip("/")).read_bytes()
        assert hashlib.sha256(content).hexdigest()[:12] == name.group(2).decode()
        plain = served.request("GET", address)
        assert plain.status == 200 and plain.body == content
        assert plain.getheader("Cache-Control") == "public, max-age=31536000, immutable"
        assert plain.getheader("X-Content-Type-Options") == "nosniff"
        packed = served.request("GET", address, headers={"Accept-Encoding": "gzip"})
        assert packed.getheader("Content-Encoding") == "gzip", address
        assert gzip.decompress(packed.body) == content
        assert len(packed.body) < len(content) / (5 if address.endswith(".css") else 1)
        assert packed.getheader("Vary") == "Accept-Encoding"
    css = next(link for link in links if link.endswith(b".css")).decode()
    stylesheet = served.request("GET", css, headers={"Accept-Encoding": "gzip"})
    assert stylesheet.getheader("Content-Type") == "text/css"
    # A made-up fingerprint: a 404, kept by nobody (a browser would ask again), not the file.
    made_up = served.request("GET", "/static/css/marks.0123456789ab.css")
    assert (made_up.status, made_up.getheader("Cache-Control")) == (404, "no-store")
    # The file itself, as development links it (?v=): checked each time.
    for address in ("/static/css/marks.css", "/static/css/marks.css?v=0123456789ab"):
        itself = served.request("GET", address)
        assert itself.status == 200 and itself.getheader("Cache-Control") == "no-cache"
    # Without a fingerprint (init.js's import of GOV.UK Frontend): checked each time.
    imported = served.request("GET", "/static/js/govuk-frontend.min.js")
    assert imported.status == 200
    assert imported.getheader("Content-Type") == "application/javascript"
    assert imported.getheader("Cache-Control") == "no-cache"
    assert imported.getheader("Last-Modified") and imported.getheader("ETag")
    # None of them reached gunicorn.
    assert "/static/" not in served.gunicorn_log.read_text()
    # nginx names itself without its version, on its own pages and the app's; the app's pages
    # are not compressed (BREACH: a page with a CSRF token and what someone typed).
    for response in (
        served.request("GET", "/sign-in", headers={"Accept-Encoding": "gzip"}),
        served.request("GET", "/static/nothing-here.css"),
        served.request("GET", "/", tls=False),
    ):
        assert response.getheader("Server") == "nginx"
    assert (
        served.request("GET", "/sign-in", headers={"Accept-Encoding": "gzip"}).getheader(
            "Content-Encoding"
        )
        is None
    )


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
    path = re.search(rf"{re.escape(OWN_ADDRESS)}(/reset-password/\S+)", body).group(1)
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
def test_a_reload_puts_the_env_files_changes_in_force(site):
    """`systemctl reload marks-web` (the unit's ExecReload: a HUP to gunicorn) starts new
    workers, which have the env file read again: a changed setting and one taken out."""
    served = serve(site, 1, "reload")
    unit = site.home.unit("marks-web.service")["Service"]
    assert unit["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    env_file = site.home.env_file
    template = env_file.read_text()
    own = f"MARKS_BASE_URL={quoted(OWN_SETTINGS['MARKS_BASE_URL'])}\n"
    assert own in template
    assert "FORCE_HTTPS=1\n" in template

    def address_shown() -> bytes:
        """The service's address as the Open Badges issuer profile gives it."""
        profile = served.request("GET", "/ob/issuer.json").body
        return re.search(rb'"id": ?"([^"]+)/ob/issuer.json"', profile).group(1)

    def plain_http_status() -> int:
        """A plain-HTTP request straight to gunicorn: FORCE_HTTPS sends it to HTTPS."""
        connection = http.client.HTTPConnection("127.0.0.1", served.app_port, timeout=60)
        connection.request("GET", "/accessibility")
        status = connection.getresponse().status
        connection.close()
        return status

    def reload_and_wait_for(wanted: bytes, status: int) -> None:
        served.gunicorn.send_signal(signal.SIGHUP)
        wait_for(
            lambda: address_shown() == wanted and plain_http_status() == status,
            f"a reload showing {wanted!r}, {status}",
            30,
        )

    shown = OWN_SETTINGS["MARKS_BASE_URL"].encode()
    assert address_shown() == shown
    assert plain_http_status() == 302
    try:
        changed = "MARKS_BASE_URL='https://mark.council.example/web$team'\n"
        env_file.write_text(
            template.replace(own, changed).replace("FORCE_HTTPS=1\n", "FORCE_HTTPS=0\n")
        )
        assert address_shown() == shown  # nothing read until the reload
        reload_and_wait_for(b"https://mark.council.example/web$team", 200)
        # FORCE_HTTPS taken out: the app's default (on, in production), as after a restart.
        env_file.write_text(template.replace(own, changed).replace("FORCE_HTTPS=1\n", ""))
        reload_and_wait_for(b"https://mark.council.example/web$team", 302)
        # A mistake in the file refuses the reload, and the site goes on as it was.
        env_file.write_text(template + "A LINE WITHOUT EQUALS\n")
        served.gunicorn.send_signal(signal.SIGHUP)
        refused = f"{env_file} not read again: line "
        wait_for(lambda: refused in served.gunicorn_log.read_text(), "the refusal", 30)
        assert served.gunicorn.poll() is None
        assert address_shown() == b"https://mark.council.example/web$team"
    finally:
        env_file.write_text(template)


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

    # With nothing to send, the worker says nothing: the journal keeps what it did.
    idle = subprocess.Popen(
        [*shlex.split(unit["ExecStart"]), "--interval", "1"],
        cwd=unit["WorkingDirectory"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    site.processes.append(idle)
    time.sleep(4)
    idle.send_signal(signal.SIGTERM)
    assert idle.communicate(timeout=30)[0] == ""

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


@needs_postgresql
def test_a_plain_http_health_check_straight_to_gunicorn(served):
    """As a load balancer or monitor calls it: over HTTP, with no proxy header. FORCE_HTTPS=1
    (the template's) still sends pages to HTTPS, but not this."""
    connection = http.client.HTTPConnection("127.0.0.1", served.app_port, timeout=30)
    try:
        connection.request("GET", "/healthz", headers={"Host": "10.0.0.5:8000"})
        health = connection.getresponse()
        body = json.loads(health.read())
        connection.request("GET", "/register", headers={"Host": "mark.example.org"})
        page = connection.getresponse()
        page.read()
    finally:
        connection.close()
    assert (health.status, body) == (
        200,
        {"status": "ok", "app": "ok", "database": "ok", "redis": "ok"},
    )
    assert health.getheader("Strict-Transport-Security") is None
    assert page.status == 302
    assert page.getheader("Location") == "https://mark.example.org/register"


@needs_postgresql
def test_redis_is_reached_with_the_password_in_the_env_files_urls(served):
    """The guide's Redis has a password (requirepass), without which it refuses everyone; the
    env file's URLs hold it URL-encoded, and through them the workers count and cache there."""
    site = served.site
    settings = read_env_file(site.home.env_file)
    for name in ("RATELIMIT_STORAGE_URI", "CACHE_REDIS_URL"):
        assert settings[name].startswith(f"redis://:{quote(REDIS_PASSWORD, safe='')}@")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=site.redis.port).ping()
    assert json.loads(served.request("GET", "/healthz").body)["redis"] == "ok"
    assert served.request("GET", "/register?status=all").status == 200
    assert site.redis.client(CACHE_DB).keys("marks-register-*")
    source = "127.0.0.5"
    cookie, token = cookie_and_token(served, source=source)
    fields = {"email": "nobody@x.gov.uk", "password": "wrong", "csrf_token": token}
    assert post_form(served, "/sign-in", fields, cookie, source=source).status == 200
    assert [key for key in site.redis.client(LIMITS_DB).scan_iter() if source.encode() in key]


@needs_postgresql
def test_made_up_query_strings_add_nothing_to_the_cache(served):
    """Each distinct query string of the register was kept in Redis for a day."""
    cached = served.site.redis.client(CACHE_DB)

    def entries() -> int:
        return len(cached.keys("marks-register-*"))

    for query in ("", "?status=all", "?status=all&sort=newest"):
        assert served.request("GET", f"/register{query}").status == 200
    before = entries()
    assert before >= 1  # the figures, at least (no council holds the Mark here)
    for n in range(30):
        junk = f"{secrets.token_hex(4)}={secrets.token_hex(8)}"
        for query in (f"?{junk}", f"?STATUS=All&{junk}", f"?sort=Newest&status=ALL&n={n}"):
            assert served.request("GET", f"/register{query}").status == 200
    assert entries() == before


@needs_postgresql
def test_the_register_revalidates_to_a_304_through_nginx(served):
    """A browser revisiting the register gets a 304 through nginx, whether it sends the ETag
    as given or made weak (as a proxy that compresses pages makes it: RFC 9110 13.1.2, weak
    comparison), or only the date; the 304 keeps the 200's caching headers."""
    for path in ("/register", "/register.csv", "/register.json", "/register.atom"):
        first = served.request("GET", path, headers={"Accept-Encoding": "gzip"})
        assert first.status == 200, path
        etag = first.getheader("ETag")
        assert etag and not etag.startswith("W/"), path
        for asked in (
            {"If-None-Match": etag},
            {"If-None-Match": f"W/{etag}"},
            {"If-Modified-Since": first.getheader("Last-Modified")},
        ):
            again = served.request("GET", path, headers={"Accept-Encoding": "gzip", **asked})
            assert (again.status, again.body) == (304, b""), (path, asked)
            assert again.getheader("ETag") == etag, (path, asked)
            assert again.getheader("Cache-Control") == first.getheader("Cache-Control"), path
