"""Security headers and cookie flags, read off real responses of every kind (an HTML page, JSON,
a PDF, error pages), in development (plain HTTP) and as deployed (production settings behind
the TLS-terminating proxy: TRUSTED_PROXIES=1 and X-Forwarded-Proto: https)."""

from __future__ import annotations

import re

from flask_login import login_user
from werkzeug.http import parse_dict_header

from marks import create_app
from marks.extensions import close_connections, db
from marks.models import User
from tests.conftest import app_config
from tests.helpers.proxy import BEHIND_THE_PROXY, behind_the_proxy
from tests.pages import PageClient

ONE_YEAR = 365 * 24 * 3600


def responses(client: PageClient, number: str) -> dict[str, object]:
    """One response of each kind: an HTML page, the register, JSON, a PDF, error pages."""
    return {
        "page": client.get("/"),
        "register": client.get("/register"),
        "json": client.request("GET", "/healthz"),
        "pdf": client.request("GET", f"/certificates/{number}.pdf"),
        "404 page": client.get("/no-such-page"),
        "400 page": client.post("/sign-in", data={"email": "a@b.gov.uk", "csrf_token": "forged"}),
    }


def csp(headers) -> dict[str, list[str]]:
    policy = headers["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in (part.strip() for part in policy.split(";"))
        if directive
    }


def check_headers(kind: str, response) -> None:
    headers = response.headers
    policy = csp(headers)
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"], kind
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"], kind
    assert policy["default-src"] == ["'self'"], kind
    assert policy["object-src"] == ["'none'"], kind
    assert policy["frame-ancestors"] == ["'none'"], kind
    assert [s for s in policy["script-src"] if not s.startswith("'nonce-")] == ["'self'"], kind
    assert headers["X-Frame-Options"] == "DENY", kind
    assert headers["X-Content-Type-Options"] == "nosniff", kind
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", kind
    features = parse_dict_header(headers["Permissions-Policy"])
    for feature in ("camera", "microphone", "geolocation", "payment", "browsing-topics"):
        assert features.get(feature) == "()", (kind, feature)


def test_every_kind_of_response_carries_the_security_headers_in_development(client, award):
    seen = responses(client, award.certificate_number)
    assert seen["page"].status == 200
    assert seen["pdf"].mimetype == "application/pdf"
    assert seen["json"].json["status"] == "ok"
    assert seen["404 page"].h1 == "Page not found"
    assert seen["400 page"].status == 400
    for kind, response in seen.items():
        check_headers(kind, response)
        # Plain HTTP in development: no HSTS, which would pin 127.0.0.1 to HTTPS.
        assert "Strict-Transport-Security" not in response.headers, kind


def test_every_kind_of_response_carries_hsts_as_deployed(production, award):
    client = behind_the_proxy(production)
    for kind, response in responses(client, award.certificate_number).items():
        assert response.status_code in (200, 400, 404), kind  # served, not sent to https://
        check_headers(kind, response)
        hsts = response.headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= ONE_YEAR, kind
        assert "includeSubDomains" in hsts, kind


def test_plain_http_is_sent_to_https_without_hsts(production):
    # Straight to the app (no proxy header): HSTS over HTTP would be ignored, so it is a redirect.
    response = production.test_client().get("/register?page=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://localhost/register?page=2"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_follows_the_preferred_url_scheme(database_url):
    https = create_app(app_config(database_url, PREFERRED_URL_SCHEME="https"))
    response = https.test_client().get("/healthz", base_url="https://marks.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    http = create_app(app_config(database_url, PREFERRED_URL_SCHEME="http"))
    response = http.test_client().get("/healthz", base_url="https://marks.test")
    assert "Strict-Transport-Security" not in response.headers
    for each in (https, http):
        with each.app_context():
            close_connections()


def test_the_nonce_is_the_only_way_a_script_runs(client):
    page = client.get("/sign-in")
    [nonce] = [s for s in csp(page.headers)["script-src"] if s.startswith("'nonce-")]
    inline = [tag for tag in page.soup.find_all("script") if not tag.get("src")]
    assert inline, "the GOV.UK template's inline script"
    assert {f"'nonce-{tag.get('nonce')}'" for tag in inline} == {nonce}
    # Nothing that needs 'unsafe-inline': no event handler attributes, no style attributes.
    for tag in page.soup.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")], tag.name
        assert "style" not in tag.attrs, tag.name


def test_cookies_in_development_are_httponly_and_lax_but_not_secure(client, make):
    user = make.user()
    client.sign_in(user.email)
    cookie = client.http.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure  # http://127.0.0.1:5000 would never send it back


def test_cookies_as_deployed_are_secure_httponly_and_lax(production, make):
    user = make.user()
    client = behind_the_proxy(production)
    response = client.sign_in(user.email)
    [session] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    flags = [flag.strip().lower() for flag in session.split(";")]
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(flags)
    assert client.get("/account").h1 == "Your account"  # the cookie works as deployed
    # Signing in never sets a remember-me cookie ...
    assert not [c for c in response.headers.getlist("Set-Cookie") if "remember" in c]


def test_a_remember_me_cookie_would_be_secure_httponly_and_lax(production, make):
    """... and should one ever be set, Flask-Login's own cookie has the same flags."""
    user = make.user()
    with production.test_request_context("/", environ_base=BEHIND_THE_PROXY):
        login_user(db.session.get(User, user.id), remember=True)
        response = production.process_response(production.make_response("signed in"))
    [remember] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember")]
    flags = {flag.strip().lower() for flag in remember.split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= flags


def test_public_cacheable_responses_set_no_cookie(client, make, award):
    """What a shared cache may keep (Cache-Control: public) must carry no one's session."""
    number = award.certificate_number
    public = [
        "/register.json",
        "/register.atom",
        f"/badges/{number}.svg",
        f"/badges/{number}.png",
        f"/certificates/{number}.pdf",
    ]
    user = make.user()
    client.sign_in(user.email)  # a signed-in, permanent session: refreshed on every request
    for url in public:
        response = client.http.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.public, url
        assert "Set-Cookie" not in response.headers, url
    # The register's page shows a signed-in visitor in its menu: theirs, never kept publicly.
    assert not client.http.get("/register").cache_control.public
    # A private page still refreshes the session, so that it does not expire while in use.
    account = client.request("GET", "/account")
    assert not account.cache_control.public
    assert account.headers.getlist("Set-Cookie")[0].startswith("session=")
