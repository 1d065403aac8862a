"""The public pages, the health check, security headers and error pages."""

from __future__ import annotations

import pytest

from marks import create_app
from tests.conftest import app_config


@pytest.mark.parametrize(
    ("path", "heading", "says"),
    [
        ("/", "Social Media Friendly Mark", "recognises UK councils that use social media well"),
        ("/about-the-data", "About the data", "Open Government Licence v3.0"),
        ("/accessibility", "Accessibility statement", "WCAG"),
        ("/privacy", "Privacy notice", "What we collect"),
        ("/cookies", "Cookies", "Essential cookies"),
    ],
)
def test_public_pages(client, path, heading, says):
    page = client.get(path)
    assert page.status == 200
    assert page.h1 == heading
    assert says in page.text
    footer = page.soup.select_one("footer").get_text(" ")
    for link in ("Accessibility statement", "Privacy notice", "Cookies", "About the data"):
        assert link in footer


def test_about_the_data_keeps_the_ons_attribution(client):
    page = client.get("/about-the-data")
    assert "Source: Office for National Statistics licensed under the Open Government" in page.text
    assert "Contains public sector information licensed under the Open Government" in page.text


def test_header_shows_who_is_signed_in(client, make):
    assert "Sign in" in client.get("/").soup.select_one(".govuk-service-navigation").get_text()
    admin = make.administrator()
    client.sign_in(admin.email)
    nav = client.get("/").soup.select_one(".govuk-service-navigation").get_text(" ")
    assert "Administration" in nav
    assert "Sign out" in nav


def test_no_crown_and_no_asset_from_another_site(client):
    page = client.get("/")
    assert page.soup.select(".govuk-header__crown, .govuk-footer__crown, .govuk-logo") == []
    assert "Crown copyright" not in page.text
    for tag in page.soup.find_all(["script", "link", "img"]):
        url = tag.get("src") or tag.get("href")
        if url is not None:
            assert url.startswith("/"), url


def test_content_security_policy_has_no_unsafe_inline(client):
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "default-src 'self'" in csp
    # The template's one inline script carries this response's nonce.
    nonce = csp.split("'nonce-")[1].split("'")[0]
    inline = [s for s in page.soup.find_all("script") if not s.get("src")]
    assert inline and all(s["nonce"] == nonce for s in inline)
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_unknown_pages_get_the_govuk_404(client):
    page = client.get("/no-such-page")
    assert page.status == 404
    assert page.h1 == "Page not found"


def test_wrong_method_is_a_clear_4xx(client):
    response = client.request("DELETE", "/sign-in")
    assert response.status_code == 405


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "app": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable():
    app = create_app(app_config("postgresql+psycopg://nobody@127.0.0.1:9/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
