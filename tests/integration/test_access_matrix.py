"""Every route, every kind of person: who may see what. A route missing from the matrix fails.

Object-level rows (member of this council / of another, assessor assigned / not assigned)
join as the journeys add routes with objects in them.
"""

from __future__ import annotations

import pytest

from marks.permissions import rule_for

ROLES = ("anonymous", "council_member", "assessor", "administrator")

OK, REDIRECT, BAD_LINK, HIDDEN = 200, 302, 400, 404
SIGN_IN_FIRST = {"anonymous": REDIRECT}

# endpoint -> (url, expected status per role; roles not named expect 200)
MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "public.index": ("/", {}),
    "public.information": ("/about-the-data", {}),
    "public.healthz": ("/healthz", {}),
    "accounts.sign_up": ("/sign-up", {}),
    "accounts.check_email": ("/sign-up/check-your-email", {}),
    "accounts.confirm_email": ("/confirm-email/not-a-token", dict.fromkeys(ROLES, BAD_LINK)),
    "accounts.sign_in": ("/sign-in", {}),
    "accounts.forgotten_password": ("/forgotten-password", {}),
    "accounts.reset_sent": ("/forgotten-password/check-your-email", {}),
    "accounts.reset_password": ("/reset-password/not-a-token", dict.fromkeys(ROLES, BAD_LINK)),
    "accounts.account": ("/account", SIGN_IN_FIRST),
    "accounts.change_password": ("/account/change-password", SIGN_IN_FIRST),
    "admin.index": (
        "/admin/",
        {"anonymous": REDIRECT, "council_member": HIDDEN, "assessor": HIDDEN},
    ),
    "admin.outbox": (
        "/admin/outbox",
        {"anonymous": REDIRECT, "council_member": HIDDEN, "assessor": HIDDEN},
    ),
    "admin.email": (
        "/admin/outbox/{email_id}",
        {"anonymous": REDIRECT, "council_member": HIDDEN, "assessor": HIDDEN},
    ),
    # Last: it signs the person out.
    "accounts.sign_out": ("/sign-out", dict.fromkeys(ROLES, REDIRECT)),
}


def test_every_route_is_in_the_matrix_and_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - MATRIX.keys() == set(), "routes missing from the access matrix"
    assert MATRIX.keys() - endpoints == set(), "matrix rows for routes that do not exist"
    with app.app_context():
        missing = sorted(e for e in endpoints if rule_for(e) is None)
    assert missing == [], f"routes without an access rule: {missing}"


@pytest.fixture
def people_by_role(make):
    return {
        "council_member": make.member(),
        "assessor": make.assessor(),
        "administrator": make.administrator(),
    }


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, people_by_role, role):
    from marks import mail

    email = mail.queue("someone@example.org", "password_changed", user=people_by_role["assessor"])
    if role != "anonymous":
        client.sign_in(people_by_role[role].email)
    for endpoint, (url, expected) in MATRIX.items():
        response = client.get(url.format(email_id=email.id))
        want = expected.get(role, OK)
        assert response.status_code == want, f"{role} at {endpoint}: {response.status_code}"
        if want == REDIRECT and role == "anonymous" and endpoint != "accounts.sign_out":
            assert "/sign-in?next=" in response.headers["Location"]


def test_a_view_without_a_rule_is_refused(app):
    from flask import Flask

    from marks import permissions

    bare = Flask("bare")
    bare.config["SECRET_KEY"] = "x"

    @bare.get("/forgotten")
    def forgotten():
        return "should never be served"

    permissions.register(bare)
    from marks.extensions import login_manager

    login_manager.init_app(bare)
    assert bare.test_client().get("/forgotten").status_code == 403
