"""After signing in, `next=` takes the person back to the page they asked for: a page of this
site, read as a browser reads an address (it drops tabs and line breaks, takes a backslash for
a slash), so never another site, and never an error."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

from tests.pages import CODE_PAGE, DEMO_PASSWORD, next_code

# Each is the value `next` has once the query string is decoded.
ELSEWHERE = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",  # /sign-in?next=/%09/evil.example: a browser drops the tab
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\r\n",  # /sign-in?next=/%0d%0a: was a 500
    "/\r\nSet-Cookie: session=stolen",
    "\t//evil.example",
    " //evil.example",
    " /account",
    "/account ",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "/\u200b/evil.example",  # zero width space
    "/\u2028/evil.example",  # line separator
    "/\u00a0/evil.example",  # no-break space
    "/\uff0f/evil.example",  # fullwidth solidus
    "\uff0f\uff0fevil.example",
    "/\u2215evil.example",  # division slash
    "/\u2044evil.example",  # fraction slash
    "%2f%2fevil.example",  # sent as %252f%252f: not a path at all
    "%2F%2Fevil.example",
    "/%2f/evil.example",  # a path of this site, but no page of it
    "https://evil.example",
    "https:/evil.example",  # a browser reads it as https://evil.example
    "https:evil.example",
    "HTTPS://evil.example/account",
    "//evil.example/account",
    "http://localhost.evil.example/",
    "ftp://evil.example",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "account",
    "./account",
    "../account",
    "?next=//evil.example",
    "#//evil.example",
    "/..//evil.example",
    "/no-such-page",
    "",
]

# Pages of this site, as flask-login writes them (the path and query of the page asked for).
HERE = {
    "/account": "/account",
    "/admin/": "/admin/",
    "/register?q=hartlepool&page=2": "/register?q=hartlepool&page=2",
    "/admin/audit?council=Ynys+M\u00f4n": "/admin/audit?council=Ynys+M%C3%B4n",
    "/apply/applications/42/criteria/MD1?x=%0d%0a": "/apply/applications/42/criteria/MD1?x=%0d%0a",
}


def sign_in_with_next(client, email: str, target: str):
    """The sign-in form posted as a browser posts it, to /sign-in?next=<target>; for staff,
    then their code, on the page the password leads to (which carries `next` on)."""
    data = {"email": email, "password": DEMO_PASSWORD, "csrf_token": client.csrf_token()}
    response = client.post("/sign-in?" + urlencode({"next": target}), data=data)
    return with_a_code(client, email, response)


def with_a_code(client, email: str, response):
    location = response.headers.get("Location", "")
    if not location.startswith(CODE_PAGE):
        return response
    with client.app.app_context():
        code = next_code(email)
    return client.submit(location, {"code": code})


@pytest.mark.parametrize("target", ELSEWHERE)
def test_next_never_leaves_the_site(client, make, target):
    user = make.user()
    response = sign_in_with_next(client, user.email, target)
    assert response.status_code == 302, target
    location = response.headers["Location"]
    assert location == "/apply/", f"{target!r} went to {location!r}"  # their own home
    assert client.get("/account").h1 == "Your account"  # signed in all the same


@pytest.mark.parametrize("target", HERE)
def test_next_goes_back_to_a_page_of_the_site(client, make, target):
    user = make.administrator()
    response = sign_in_with_next(client, user.email, target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == HERE[target]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("", "")


def test_the_page_asked_for_is_where_sign_in_goes(client, make):
    user = make.administrator()
    response = client.get("/admin/audit?council=Ynys M\u00f4n")
    location = response.headers["Location"]
    assert location.startswith("/sign-in?next=")
    page = client.get(location)
    response = client.submit(page.soup.form["action"], {"email": user.email, "password": "x"})
    assert response.error_summary() == ["Enter a correct email address and password"]
    form = response.soup.form["action"]
    response = client.submit(form, {"email": user.email, "password": DEMO_PASSWORD})
    response = with_a_code(client, user.email, response)
    assert response.headers["Location"] == "/admin/audit?council=Ynys%20M%C3%B4n"
    assert client.get(response.headers["Location"]).h1 == "Audit log"
