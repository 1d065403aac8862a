"""The deployment guide's section 11 (docs/deploy.md), more than one server: two app servers,
each gunicorn as the web unit starts it behind its own nginx with
nginx-marks-behind-balancer.conf, behind one load balancer that ends TLS (nginx with the guide's
nginx-balancer.conf); one PostgreSQL and one Redis; the same marks.env on both, but for
TRUSTED_PROXIES=2 (the load balancer, then the app server's nginx).

Everything runs on PostgreSQL and Redis (TEST_DATABASE_URL), as deployed: `.ci/run` does."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from marks.config import DEFAULTS
from tests.helpers.servers import free_port
from tests.integration.deploy_served import (
    Served,
    cookie_and_token,
    nginx_config,
    post_form,
    start_gunicorn,
    start_nginx,
    wait_for,
)
from tests.integration.deploy_site import ROOT, Home, Site, install_code, needs_postgresql

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

SIGN_IN_LIMIT = int(DEFAULTS["SIGN_IN_LIMIT"].split()[0])  # "10 per minute"
COUNCIL_EMAIL = "bea.both@hartlepool.gov.uk"
COUNCIL_PASSWORD = "a-password-for-both-servers"
STYLESHEET = "css/marks.css"
NEXT_RELEASES_RULE = "\n/* The next release's. */\n.app-next-release {\n  color: #0b0c0c;\n}\n"


def from_the_balancer(client: str) -> dict[str, str]:
    """What the load balancer adds to a visitor's request, over TLS, for an app server."""
    return {
        "X-Forwarded-For": client,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "mark.example.org",
    }


@dataclass
class Servers:
    balancer: Served
    a: Served
    b: Served


def app_server(site: Site, name: str, env_file: Path) -> Served:
    """gunicorn as the web unit starts it, behind nginx-marks-behind-balancer.conf."""
    app_port, http_port = free_port(), free_port()
    gunicorn, log = start_gunicorn(site, name, app_port, 1, env_file)
    tmp = nginx_config(site, name, "nginx-marks-behind-balancer.conf", app=app_port, http=http_port)
    start_nginx(site, tmp)
    return Served(site, app_port, http_port, 0, None, log, tmp / "access.log", gunicorn)


def load_balancer(site: Site, name: str, app_servers: list[Served]) -> Served:
    """nginx with nginx-balancer.conf, in front of app_servers."""
    http_port, https_port = free_port(), free_port()
    tmp = nginx_config(
        site,
        name,
        "nginx-balancer.conf",
        http=http_port,
        https=https_port,
        app_servers=[server.http_port for server in app_servers],
    )
    start_nginx(site, tmp)
    balancer = Served(site, 0, http_port, https_port, tmp / "fullchain.pem", None, None, None)
    wait_for(lambda: balancer.request("GET", "/sign-in").status == 200, "the load balancer")
    return balancer


def balanced_env_file(site: Site) -> Path:
    """The same marks.env on every app server, but for TRUSTED_PROXIES=2."""
    env_file = site.tmp / "marks-behind-a-balancer.env"
    if not env_file.exists():
        settings = site.home.env_file.read_text()
        assert "\nTRUSTED_PROXIES=1\n" in settings
        env_file.write_text(settings.replace("\nTRUSTED_PROXIES=1\n", "\nTRUSTED_PROXIES=2\n"))
    return env_file


@pytest.fixture(scope="module")
def servers(site) -> Servers:
    env_file = balanced_env_file(site)
    app_servers = [app_server(site, name, env_file) for name in ("server-a", "server-b")]
    balancer = load_balancer(site, "balancer", app_servers)
    site.marks_flask(
        "create-user",
        "--role=council-user",
        "--council=E06000001",
        f"--email={COUNCIL_EMAIL}",
        "--name=Bea Both",
        f"--password={COUNCIL_PASSWORD}",
    )
    return Servers(balancer, *app_servers)


@pytest.fixture(scope="module")
def rolling(site, servers) -> Servers:
    """Half way through a rolling upgrade: server A still on this release, and server C on the
    next, whose stylesheet has changed (a copy of the code of its own, installed from nothing
    as the guide says: the static files' copies compiled), behind a load balancer of their
    own."""
    root = site.tmp / "srv-marks-next-release"
    root.mkdir()
    install_code(root)
    stylesheet = root / "app" / "static" / STYLESHEET
    stylesheet.write_text(stylesheet.read_text() + NEXT_RELEASES_RULE)
    next_release = dataclasses.replace(site, home=Home(root, balanced_env_file(site)))
    next_release.compile_static()
    upgraded = app_server(next_release, "server-c", balanced_env_file(site))
    return Servers(
        load_balancer(site, "rolling-balancer", [servers.a, upgraded]), servers.a, upgraded
    )


def served_by(server: Served, marker: str) -> int:
    """How many lines of the server's gunicorn access log have marker."""
    return sum(marker in line for line in server.gunicorn_log.read_text().splitlines())


@needs_postgresql
def test_an_app_server_answers_only_its_load_balancer(servers):
    """Straight to an app server, a request could say it came from anyone, over HTTPS: only
    the load balancer's address is let in (here 127.0.0.1; anyone else, 127.0.0.2)."""
    forged = {"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "https"}
    for server in (servers.a, servers.b):
        refused = server.request("GET", "/sign-in", headers=forged, source="127.0.0.2", tls=False)
        assert refused.status == 403
        assert server.request("GET", "/healthz", tls=False).status == 200  # the balancer's check


@needs_postgresql
def test_a_form_and_a_sign_in_from_one_server_hold_on_the_other(servers):
    """The same SECRET_KEY and one database: a form's CSRF token from one app server is
    accepted by the other, and a sign-in on one is valid on the other."""
    a, b = servers.a, servers.b
    headers = from_the_balancer("203.0.113.7")
    cookie, token = cookie_and_token(a, tls=False, headers=headers)
    fields = {"email": COUNCIL_EMAIL, "password": COUNCIL_PASSWORD, "csrf_token": token}
    signed_in = post_form(b, "/sign-in", fields, cookie, tls=False, headers=headers)
    assert signed_in.status == 302, signed_in.body[:500]
    session = signed_in.getheader("Set-Cookie")
    assert "; Secure" in session  # the app saw HTTPS, through two proxies
    account = a.request(
        "GET", "/account", tls=False, headers={**headers, "Cookie": session.split(";")[0]}
    )
    assert account.status == 200
    assert b"Bea Both" in account.body and COUNCIL_EMAIL.encode() in account.body
    # Each gunicorn writes its line once the response has gone.
    wait_for(lambda: served_by(a, '"GET /account HTTP/1.0" 200') == 1, "server A's log", 10)
    wait_for(lambda: served_by(b, '"POST /sign-in HTTP/1.0" 302') == 1, "server B's log", 10)


@needs_postgresql
def test_the_app_servers_share_one_rate_limit_for_the_visitors_address(servers):
    """Failed sign-ins from one visitor, by turns on each app server: counted together in
    Redis, under the visitor's address as the load balancer passed it (TRUSTED_PROXIES=2)."""
    headers = from_the_balancer("203.0.113.8")
    statuses = []
    for attempt in range(SIGN_IN_LIMIT + 2):
        server = (servers.a, servers.b)[attempt % 2]
        cookie, token = cookie_and_token(server, tls=False, headers=headers)
        fields = {"email": f"nobody{attempt}@x.gov.uk", "password": "wrong", "csrf_token": token}
        response = post_form(server, "/sign-in", fields, cookie, tls=False, headers=headers)
        statuses.append(response.status)
    assert statuses == [200] * SIGN_IN_LIMIT + [429] * 2
    # Another visitor, through the same load balancer and app servers: a count of their own.
    headers = from_the_balancer("203.0.113.9")
    cookie, token = cookie_and_token(servers.b, tls=False, headers=headers)
    fields = {"email": "nobody@x.gov.uk", "password": "wrong", "csrf_token": token}
    assert (
        post_form(servers.b, "/sign-in", fields, cookie, tls=False, headers=headers).status == 200
    )


@needs_postgresql
def test_tls_ends_at_the_load_balancer_without_a_redirect_loop(servers):
    """The load balancer redirects plain HTTP to HTTPS; over HTTPS every page comes back from
    the app servers as HTTPS (secure cookie, HSTS), not redirected again; both take requests."""
    balancer = servers.balancer
    redirect = balancer.request("GET", "/register?page=1", tls=False)
    assert redirect.status == 301
    assert redirect.getheader("Location") == "https://mark.example.org/register?page=1"
    before = [served_by(server, '"GET /sign-in HTTP/1.0" 200') for server in (servers.a, servers.b)]
    for _ in range(4):
        page = balancer.request("GET", "/sign-in")
        assert page.status == 200
        assert page.getheader("Strict-Transport-Security").startswith("max-age=")
        assert "; Secure" in page.getheader("Set-Cookie")
        assert page.getheader("Server") == "nginx"

    def after() -> list[int]:
        return [
            served_by(server, '"GET /sign-in HTTP/1.0" 200') for server in (servers.a, servers.b)
        ]

    wait_for(lambda: sum(after()) == sum(before) + 4, "the access logs", 10)
    assert [later - earlier for earlier, later in zip(before, after(), strict=True)] == [2, 2]
    # The static files come from the app servers' nginx, as on one server.
    address = re.search(rb'<link rel="stylesheet" href="([^"]+)"', page.body).group(1)
    assert re.fullmatch(rb"/static/css/marks\.[0-9a-f]{12}\.css", address)
    stylesheet = balancer.request("GET", address.decode())
    assert stylesheet.status == 200
    assert stylesheet.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert all("/static/" not in s.gunicorn_log.read_text() for s in (servers.a, servers.b))


@needs_postgresql
def test_mid_upgrade_each_page_gets_its_own_releases_stylesheet(rolling):
    """Half way through a rolling upgrade, the load balancer sends a page's stylesheet to either
    app server, whichever sent the page. Through it, the address that the upgraded server's page
    links is always answered with the new stylesheet, never with the old one (which a browser
    would keep for a year under the new address); and the old server's page's with the old.
    Each server answers 404 for the other release's name, and the load balancer asks the next."""
    old = (ROOT / "static" / STYLESHEET).read_bytes()
    new = old + NEXT_RELEASES_RULE.encode()
    headers = from_the_balancer("203.0.113.10")
    for server, other, wanted in ((rolling.b, rolling.a, "new"), (rolling.a, rolling.b, "old")):
        page = server.request("GET", "/sign-in", tls=False, headers=headers)
        address = re.search(rb'<link rel="stylesheet" href="([^"]+)"', page.body).group(1)
        address = address.decode()
        answers = [rolling.balancer.request("GET", address) for _ in range(8)]
        got = [{old: "old", new: "new"}.get(a.body, a.status) for a in answers]
        assert got == [wanted] * 8, f"{address}, from the {wanted} release's page"
        for answer in answers:
            assert answer.getheader("Cache-Control") == "public, max-age=31536000, immutable"
        # The other server has not got it: a 404 that nobody keeps. The balancer asked it in
        # its turn (round robin), then the next server.
        missing = other.request("GET", address, tls=False)
        assert (missing.status, missing.getheader("Cache-Control")) == (404, "no-store")
        asked = f'"GET {address} HTTP/1.0" 404'
        log = other.nginx_log
        wait_for(lambda log=log, asked=asked: asked in log.read_text(), "the 404 in its log", 10)
