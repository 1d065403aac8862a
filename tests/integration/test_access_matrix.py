"""Every route, every kind of person: who may see what. A route missing from the matrix fails.
The matrix, its people and their world are in tests/helpers/access.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Response, session

from marks.extensions import db
from marks.permissions import rule_for
from tests.helpers.access import MATRIX, OK, REDIRECT, ROLES, matrix_world

# Redirects of anonymous visitors that are not "sign in to see that page".
SIGN_IN_AGAIN = {"accounts.sign_out", "accounts.sign_in_code", "accounts.set_up_sign_in_code"}


def test_every_route_is_in_the_matrix_and_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - MATRIX.keys() == set(), "routes missing from the access matrix"
    assert MATRIX.keys() - endpoints == set(), "matrix rows for routes that do not exist"
    with app.app_context():
        missing = sorted(e for e in endpoints if rule_for(e) is None)
    assert missing == [], f"routes without an access rule: {missing}"


@pytest.fixture
def world(make):
    return matrix_world(make)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, world, role):
    people, ids = world
    if role != "anonymous":
        client.sign_in(people[role].email)
    for endpoint, (url, expected) in MATRIX.items():
        response = client.request("GET", url.format(**ids))
        want = expected.get(role, OK)
        assert response.status_code == want, f"{role} at {endpoint}: {response.status_code}"
        if want == REDIRECT and role == "anonymous" and endpoint not in SIGN_IN_AGAIN:
            assert "/sign-in?next=" in response.headers["Location"]


WRITES = ("INSERT", "UPDATE", "DELETE")
# The one GET that writes, and only to the audit log: exporting a person's data for a subject
# access request puts on the record who took a copy of whose data, as reading it is the point.
AUDITED_READS = {"admin.person_data": ("INSERT INTO audit_events",)}


@pytest.mark.parametrize("role", ROLES)
def test_a_get_never_writes(app, client, world, role):
    """Every page and download, by everyone: a GET reads, it never writes (the certificate is
    made when its award is issued, not on its first download)."""
    people, ids = world
    if role != "anonymous":
        client.sign_in(people[role].email)
    written: list[str] = []

    def note_writes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(WRITES):
            written.append(statement.split("\n")[0][:80])

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note_writes)
    try:
        for endpoint, (url, _) in MATRIX.items():
            client.request("GET", url.format(**ids))
            allowed = tuple(AUDITED_READS.get(endpoint, ()))
            unexpected = [w for w in written if not (allowed and w.startswith(allowed))]
            assert unexpected == [], f"{role} at {endpoint} wrote: {unexpected}"
            written.clear()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note_writes)


# The same for everyone, so caches may keep them (Cache-Control: public): what councils embed
# and anyone downloads. The register's and the library's pages too, for anonymous visitors
# only (a signed-in visitor's copy shows them in its menu).
KEPT_BY_CACHES = {
    "public.certificate",
    "public.badge",
    "public.card",
    "public.ob_badge_class_image",
    "public.ob_assertion",
    "public.ob_credential",
    "public.ob_status_list",
    "public.did_document",
    "register.register_csv",
    "register.register_json",
    "register.register_atom",
    "register.council_json",
    "public.verify_certificate_json",
    "public.openapi_description",
    "practice.feed",
    "practice.evidence_file",
}


@pytest.mark.parametrize("role", ROLES)
def test_nothing_private_is_kept_by_a_cache(client, world, role):
    """Every response, to everyone, says how it may be kept: public if it is the same for
    everyone, otherwise `no-store` (a signed-in page, and any page whose form carries the
    session's CSRF token or whose menu shows who is signed in), whatever its status."""
    people, ids = world
    if role != "anonymous":
        client.sign_in(people[role].email)
    html = {"register.register", "practice.library", "practice.example"}
    public = KEPT_BY_CACHES | (html if role == "anonymous" else set())
    for endpoint, (url, _) in MATRIX.items():
        response = client.request("GET", url.format(**ids))
        kept = response.cache_control
        where = f"{role} at {endpoint} ({response.status_code}): {kept}"
        if endpoint in public and response.status_code == OK:
            assert kept.public and not kept.no_store, where
            assert "Set-Cookie" not in response.headers, where
        else:
            assert kept.no_store and not kept.public, where


def test_a_response_that_sets_the_session_is_never_public(app, client):
    with app.test_request_context("/register"):
        session["check_email"] = "someone@council.gov.uk"
        response = Response("the register")
        response.cache_control.public = True
        response = app.process_response(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Set-Cookie"].startswith("session=")
    # The service's own assets are the same for everyone: kept, and checked each time.
    asset = client.http.get("/static/css/marks.css")
    asset.close()
    assert asset.headers["Cache-Control"] == "no-cache"


def test_a_view_without_a_rule_is_refused(app):
    from flask import Flask

    from marks import permissions
    from marks.extensions import login_manager

    bare = Flask("bare")
    bare.config["SECRET_KEY"] = "x"

    @bare.get("/forgotten")
    def forgotten():
        return "should never be served"

    permissions.register(bare)
    login_manager.init_app(bare)
    assert bare.test_client().get("/forgotten").status_code == 403
