"""Malformed requests get a clear 4xx, never a 500: bad or missing CSRF tokens, methods a route
does not allow, hostile query strings, bodies over the limit, broken multipart, and path
parameters that are not what they look like. Each test walks every route in app.url_map and
reports every failing URL at once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from marks.extensions import db
from marks.models import Application, User
from tests.helpers.access import MATRIX, matrix_world
from tests.pages import PageClient, check_page

SIGNED_IN = ("council_member", "assigned_assessor", "administrator")
HOSTILE_QUERIES = (
    "page=-1",
    "page=0",
    "page=1000000000",
    "page=99999999999999999999",
    "page=abc",
    "q=" + "a" * 5000,
    "q=%00",
    "status=%3Cscript%3E",
    "year=99999999999999999999",
    "size=huge",
    "number=%27%3BDROP%20TABLE%20awards%3B--",
    "page=%00&q=%FF%FE&year=-1&sort=%3Cscript%3E&state=nonsense&download=1",
)
HUGE_INTEGERS = ("99999999999999999999", str(2**63), str(2**31))
ODD_STRINGS = (
    "%00",
    "..%2F..%2Fetc",
    "%C3%A9t%C3%A9-%E2%9C%93-%F0%9F%98%80",
    "%FF%FE",
    "%27%20OR%201%3D1--",
    "x" * 1000,
)


@pytest.fixture
def scene(make) -> tuple[dict, dict]:
    """The access matrix's people and ids."""
    return matrix_world(make)


def rules(app: Flask, method: str | None = None) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and (method is None or method in rule.methods):
            yield rule


def example_url(rule: Rule, ids: dict) -> str:
    return MATRIX[rule.endpoint][0].format(**ids)


def visible_to(endpoint: str, role: str) -> bool:
    return MATRIX[endpoint][1].get(role, 200) == 200


def signed_in(app: Flask, people: dict, role: str) -> PageClient:
    """A client of its own for each person: its own cookies, its own CSRF token."""
    client = PageClient(app)
    if role != "anonymous":
        client.sign_in(people[role].email)
    return client


def form_token(client: PageClient) -> str:
    """This session's CSRF token, read from a form a signed-in person can open."""
    page = client.get("/account/change-password")
    return page.soup.find("input", attrs={"name": "csrf_token"})["value"]


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def is_server_error(status: int) -> bool:
    return status >= 500


def send(client: PageClient, method: str, url: str, **kwargs) -> Response:
    """One request, read to the end (streamed downloads close in their own context). An
    exception that escapes the app (tests propagate them) counts as the 500 it would be."""
    try:
        response = client.request(method, url, **kwargs)
        response.get_data()
        response.close()
    except Exception as error:  # reported with its URL
        response = Response(repr(error), 500)
    return response


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_posts_without_a_valid_csrf_token_are_refused_and_change_nothing(app, scene):
    people, ids = scene
    other_session_token = form_token(signed_in(app, people, "other_council"))
    clients = {role: signed_in(app, people, role) for role in ("anonymous", *SIGNED_IN)}
    before = row_counts()
    lead_role = db.session.get(User, ids["user_id"]).role
    draft_state = db.session.get(Application, ids["application_id"]).state
    failures = []
    forgeries = {
        "no token": {},
        "forged token": {"csrf_token": "forged"},
        "another session's token": {"csrf_token": other_session_token},
    }
    for role, client in clients.items():
        for rule in rules(app, "POST"):
            url = example_url(rule, ids)
            for forgery, data in forgeries.items():
                response = send(client, "POST", url, data={"confirm": "yes", **data})
                status = response.status_code
                public = app.view_functions[rule.endpoint].access_rule.name == "public"
                if role == "anonymous" and not public:
                    # A session that expired with the form open, or another site's post: sent
                    # to sign in, carrying nothing (nothing says this site sent it).
                    if not sent_to_sign_in(response):
                        failures.append(f"{role} {forgery} POST {url}: {status}")
                elif status != 400:
                    failures.append(f"{role} {forgery} POST {url}: {status}")
            response = send(
                client,
                "POST",
                url,
                data={"csrf_token": "forged"},
                headers={"X-CSRFToken": "forged"},
            )
            if not (response.status_code in (200, 400) or sent_to_sign_in(response)):
                failures.append(f"{role} forged header POST {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert row_counts() == before
    assert db.session.get(User, ids["user_id"]).role == lead_role
    assert db.session.get(User, ids["user_id"]).deactivated_at is None
    assert db.session.get(Application, ids["application_id"]).state == draft_state


def test_methods_a_route_does_not_allow_are_405(app, scene):
    people, ids = scene
    failures = []
    for role in ("anonymous", "administrator"):
        client = signed_in(app, people, role)
        for rule in rules(app):
            url = example_url(rule, ids)
            for method in ("PUT", "DELETE", "PATCH"):
                if method in rule.methods:
                    continue
                response = send(client, method, url, data={"x": "y"})
                if response.status_code != 405 or (
                    "POST" in rule.methods and "POST" not in response.headers.get("Allow", "")
                ):
                    failures.append(f"{role} {method} {url}: {response.status_code}")
                elif response.mimetype == "text/html":
                    check_page(response)  # the GOV.UK page: one h1, a title that starts with it
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["anonymous", *SIGNED_IN])
def test_hostile_query_strings_never_cause_a_server_error(app, scene, role):
    people, ids = scene
    client = signed_in(app, people, role)
    failures = []
    for rule in sorted(rules(app, "GET"), key=lambda r: r.endpoint == "accounts.sign_out"):
        if not visible_to(rule.endpoint, role) and role != "anonymous":
            continue  # refused before the query string is read: the access matrix covers it
        url = example_url(rule, ids)
        for query in HOSTILE_QUERIES:
            response = send(client, "GET", f"{url}?{query}")
            if is_server_error(response.status_code):
                failures.append(f"{role} GET {url}?{query[:60]}: {response.status_code}")
            if rule.endpoint == "accounts.sign_out":
                break
    assert not failures, "\n".join(failures)


def test_bodies_over_the_limit_are_413_with_the_govuk_page(app, scene):
    people, ids = scene
    client = signed_in(app, people, "administrator")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 30 * 1024 * 1024
    body = b"a" * (limit + 1024 * 1024)
    failures = []
    for rule in rules(app, "POST"):
        url = example_url(rule, ids)
        for content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
        ):
            response = send(client, "POST", url, data=body, content_type=content_type)
            if response.status_code != 413:
                failures.append(f"POST {url} ({content_type}): {response.status_code}")
                continue
            page = check_page(response)
            if page.h1 != "The file or form you sent is too large" or "govuk-template" not in (
                response.get_data(as_text=True)
            ):
                failures.append(f"POST {url}: not the GOV.UK 413 page")
    assert not failures, "\n".join(failures)


BROKEN_MULTIPART = {
    "no boundary": ("multipart/form-data", b"--xyz\r\nContent-Disposition: form-data"),
    "wrong boundary": (
        "multipart/form-data; boundary=abc",
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--xyz--\r\n',
    ),
    "empty boundary": ("multipart/form-data; boundary=", b"--\r\n\r\n"),
    "truncated": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 trunc",
    ),
    "garbage": ("multipart/form-data; boundary=xyz", b"\x00\xff" * 500),
}


def truncated_with_token(token: str) -> bytes:
    """A form whose token arrives whole but whose file part is cut off: the view runs."""
    return (
        b'--xyz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 cut off here"
    )


# Werkzeug (3.1) drops, unclosed, the temporary file of a part that a truncated body cuts off
# (MultiPartParser.parse raises, FormDataParser swallows it): the garbage collector closes it.
@pytest.mark.filterwarnings("ignore:unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning")
def test_broken_multipart_bodies_are_4xx(app, scene):
    people, ids = scene
    failures = []
    for role in ("anonymous", *SIGNED_IN):
        client = signed_in(app, people, role)
        token = form_token(client) if role != "anonymous" else None
        for rule in rules(app, "POST"):
            url = example_url(rule, ids)
            bodies = dict(BROKEN_MULTIPART)
            if token:
                bodies["truncated, valid token"] = (
                    "multipart/form-data; boundary=xyz",
                    truncated_with_token(token),
                )
            for name, (content_type, body) in bodies.items():
                response = send(client, "POST", url, data=body, content_type=content_type)
                status = response.status_code
                # A valid token lets the view run: it may show the form again (200) or move on.
                acceptable = status < 500 if name.endswith("valid token") else 200 <= status < 500
                if not acceptable:
                    failures.append(f"{role} {name} POST {url}: {status}")
    assert not failures, "\n".join(failures)


PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def odd_urls(rule: Rule, ids: dict) -> Iterator[str]:
    """The rule's URL with one parameter at a time replaced by something it does not expect;
    the others keep the world's real values."""
    parameters = PARAMETER.findall(rule.rule)
    for converter, name in parameters:
        if converter == "any":
            continue
        odd_values = HUGE_INTEGERS if converter == "int" else ODD_STRINGS
        for odd in odd_values:

            def fill(match: re.Match, odd: str = odd, name: str = name) -> str:
                this = match.group(2)
                return odd if this == name else _value_for(rule, this, ids)

            yield PARAMETER.sub(fill, rule.rule)


def _value_for(rule: Rule, name: str, ids: dict) -> str:
    """The world's value for a parameter: read back from the matrix's example URL."""
    example = MATRIX[rule.endpoint][0].format(**ids)
    pattern, last = "", 0
    for match in PARAMETER.finditer(rule.rule):
        pattern += re.escape(rule.rule[last : match.start()]) + f"(?P<{match.group(2)}>[^/]+?)"
        last = match.end()
    found = re.fullmatch(pattern + re.escape(rule.rule[last:]), example)
    assert found, f"{example} does not match {rule.rule}"
    return found.group(name)


def test_path_parameters_that_are_not_what_they_look_like(app, scene):
    people, ids = scene
    failures = []
    samples = [
        "/apply/applications/99999999999999999999",
        "/verify/%00",
        "/badges/..%2F..%2Fetc.svg",
        "/certificates/%C3%A9.pdf",
        "/councils/%00",
        "/verify/" + "9" * 5000,
    ]
    for role in ("anonymous", *SIGNED_IN):
        client = signed_in(app, people, role)
        token = form_token(client) if role != "anonymous" else "none"
        for url in samples:
            response = send(client, "GET", url)
            status = response.status_code
            # Anonymous people are sent to sign in first for the council's pages.
            sent_to_sign_in = status == 302 and "/sign-in" in response.headers["Location"]
            if not (400 <= status < 500 or (role == "anonymous" and sent_to_sign_in)):
                failures.append(f"{role} GET {url}: {status}")
        for rule in rules(app):
            if not PARAMETER.search(rule.rule):
                continue
            for url in odd_urls(rule, ids):
                if "GET" in rule.methods:
                    status = send(client, "GET", url).status_code
                    if is_server_error(status):
                        failures.append(f"{role} GET {url[:120]}: {status}")
                if "POST" in rule.methods:
                    status = send(client, "POST", url, data={"csrf_token": token}).status_code
                    if is_server_error(status):
                        failures.append(f"{role} POST {url[:120]}: {status}")
    assert not failures, "\n".join(failures)


def test_a_nul_character_in_a_form_field_is_a_clear_400(client, make):
    """PostgreSQL refuses NUL in any string: it must never reach the database."""
    user = make.user()
    response = client.post(
        "/sign-in",
        data={"csrf_token": client.csrf_token(), "email": user.email, "password": "x\x00y"},
    )
    assert response.status_code == 400
    response = client.post(
        "/sign-up",
        data={
            "csrf_token": client.csrf_token(),
            "full_name": "A\x00B",
            "email": "a@b.gov.uk",
            "password": "long enough pass",
            "confirm": "long enough pass",
        },
    )
    assert response.status_code == 400
