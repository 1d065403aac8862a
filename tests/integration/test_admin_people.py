"""Administrators: people. Finding users, their councils and assignments, roles, deactivation,
and who may do it. Inviting assessors and administrators is in test_admin_staff_invitations.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.assessing import assessment
from marks.extensions import db
from marks.models import utcnow
from marks.people import staff
from marks.states import MembershipRole, MembershipState, UserRole
from tests.helpers.applications import complete_application, score_all
from tests.integration import admin_people_pages
from tests.integration.admin_people_pages import emails_to, events
from tests.pages import PageClient

# The fixtures, defined once in admin_people_pages.py: named here so that pytest finds them.
admin = admin_people_pages.admin
signed_in = admin_people_pages.signed_in


def names(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.soup.select("tbody tr td:first-child a")]


# --- The list -------------------------------------------------------------------------------


def test_the_list_searches_by_name_and_email_and_filters(signed_in, make, admin):
    make.user(full_name="Priya Patel", email="priya@leeds.gov.uk")
    make.assessor(full_name="Patrick O'Brien", email="pob@assessors.org.uk")
    gone = make.user(full_name="Gwen Jones", email="gwen@cardiff.gov.uk")
    gone.deactivated_at = utcnow()
    db.session.flush()

    page = signed_in.get("/admin/people")
    assert page.h1 == "People"
    assert names(page) == ["Ada Admin", "Gwen Jones", "Patrick O'Brien", "Priya Patel"]
    assert page.soup.select_one("#results").get_text(strip=True) == "4 people"

    page = signed_in.get("/admin/people?q=PAT")  # part of a name, any case
    assert names(page) == ["Patrick O'Brien", "Priya Patel"]
    assert "2 people" in page.text
    page = signed_in.get("/admin/people?q=leeds.gov")  # part of an email address
    assert names(page) == ["Priya Patel"]
    assert page.soup.select_one("#results").get_text(strip=True) == "1 person"
    assert page.field_value("q") == "leeds.gov"
    page = signed_in.get("/admin/people?q=pat+brien")  # every word must match
    assert names(page) == ["Patrick O'Brien"]
    page = signed_in.get("/admin/people?q=100%25")  # a wildcard is matched as itself
    assert names(page) == []
    assert "Nobody matches" in page.text

    assert names(signed_in.get("/admin/people?role=assessor")) == ["Patrick O'Brien"]
    assert names(signed_in.get("/admin/people?role=administrator")) == ["Ada Admin"]
    page = signed_in.get("/admin/people?status=deactivated")
    assert names(page) == ["Gwen Jones"]
    assert "Deactivated" in page.soup.select_one("tbody tr").get_text()
    assert "Gwen Jones" not in names(signed_in.get("/admin/people?status=active"))
    page = signed_in.get("/admin/people?role=user&status=active&q=p")
    assert names(page) == ["Priya Patel"]
    assert page.soup.select_one("#role option[selected]")["value"] == "user"
    assert page.soup.select_one("#status option[selected]")["value"] == "active"

    assert signed_in.get("/admin/people?role=superuser").status == 400
    assert signed_in.get("/admin/people?status=asleep").status == 400


def test_the_list_is_paginated_and_escapes_names(signed_in, make):
    for n in range(50):
        make.user(full_name=f"Person {n:02d}")
    make.user(full_name="<script>alert(1)</script>")

    page = signed_in.get("/admin/people")
    assert "52 people" in page.text
    assert len(names(page)) == 50
    assert "<script>alert" not in page.response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.response.get_data(as_text=True)
    next_link = page.soup.select_one(".govuk-pagination__next a")["href"]
    assert next_link == "/admin/people?page=2"

    page = signed_in.get("/admin/people?page=2")
    assert len(names(page)) == 2
    assert page.soup.select_one(".govuk-pagination__prev a")["href"] == "/admin/people"
    assert signed_in.get("/admin/people?page=3").status == 404
    assert signed_in.get("/admin/people?page=0").status == 404
    # The filters travel with the pages.
    page = signed_in.get("/admin/people?q=person&role=user")
    assert page.soup.select_one(".govuk-pagination__next a")["href"] == (
        "/admin/people?q=person&role=user&page=2"
    )


def test_a_page_of_people_takes_two_queries(app, make):
    for _ in range(5):
        make.user()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind()
    engine = getattr(engine, "engine", engine)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        found = staff.search_users("council", UserRole.USER, "active", 1)
        # What the list shows of each: no lazy loads.
        shown = [(u.full_name, u.email, u.role, u.is_active) for u in found.users]
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert found.total == len(shown) == 5
    assert len(statements) == 2


# --- One person -----------------------------------------------------------------------------


def test_a_person_shows_their_councils_and_assignments(signed_in, make, admin):
    make.demo_edition()
    member = make.member(full_name="Mo Member", role=MembershipRole.LEAD)
    council_name = member.membership.council.name
    page = signed_in.get(f"/admin/people/{member.id}")
    assert page.h1 == "Mo Member"
    summary = page.soup.select_one(".govuk-summary-list").get_text(" ")
    assert member.email in summary
    assert "Council user" in summary
    assert "Never" in summary  # never signed in
    assert "Active" in summary
    row = page.soup.select("table")[0].select_one("tbody tr").get_text(" ")
    assert council_name in row and "Lead" in row and "Active" in row
    assert "No applications assigned." in page.text

    assessor = make.assessor(full_name="Asha Assessor")
    application = complete_application(make)
    first = assessment.assign(application, assessor, actor=admin)
    score_all(first, 3)
    other = complete_application(make)
    assessment.assign(other, assessor, actor=admin)
    page = signed_in.get(f"/admin/people/{assessor.id}")
    assert "Not a member of any council." in page.text
    rows = [r.get_text(" ", strip=True) for r in page.soup.select("table tbody tr")]
    assert len(rows) == 2
    assert any(application.council.name in r and "Submitted" in r for r in rows)
    assert any(other.council.name in r and "In progress" in r for r in rows)
    link = page.soup.find("a", string=other.council.name)
    assert link["href"] == f"/admin/applications/{other.id}"
    assert "open assignment" in page.text

    assert signed_in.get("/admin/people/999999").status == 404


def test_an_administrator_changes_a_role(signed_in, make, admin):
    user = make.user(full_name="Rosa Role")
    page = signed_in.get(f"/admin/people/{user.id}")
    assert page.soup.select_one("input[name=role][checked]")["value"] == "user"

    response = signed_in.submit(f"/admin/people/{user.id}", {"role": "assessor"})
    assert response.status_code == 302
    assert user.role == UserRole.ASSESSOR
    [event] = events("user.role_changed", user)
    assert (event.actor_id, event.from_state, event.to_state) == (admin.id, "user", "assessor")
    page = signed_in.get(f"/admin/people/{user.id}")
    assert "Rosa Role is now an assessor." in page.text
    assert page.soup.select_one("input[name=role][checked]")["value"] == "assessor"

    # The same role again is refused, with the choice kept.
    page = signed_in.submit(f"/admin/people/{user.id}", {"role": "assessor"})
    assert page.status == 400
    assert page.error_summary() == ["Rosa Role is already an assessor"]
    assert len(events("user.role_changed", user)) == 1

    page = signed_in.submit(f"/admin/people/{user.id}", {"role": "sultan"})
    assert page.status == 400
    assert len(page.error_summary()) == 1
    assert user.role == UserRole.ASSESSOR

    signed_in.submit(f"/admin/people/{user.id}", {"role": "administrator"})
    assert user.role == UserRole.ADMINISTRATOR
    assert [e.to_state for e in events("user.role_changed", user)] == [
        "assessor",
        "administrator",
    ]


def test_an_administrator_cannot_change_their_own_role(signed_in, admin):
    page = signed_in.get(f"/admin/people/{admin.id}")
    assert "This is your own account" in page.text
    assert page.soup.main.find("form", attrs={"method": "post"}) is None
    page = signed_in.post(
        f"/admin/people/{admin.id}/role",
        data={"csrf_token": signed_in.csrf_token(), "role": "user"},
    )
    assert page.status == 400
    assert page.soup.title.get_text().startswith("Error: ")
    assert page.error_summary() == [
        "You cannot change the role of your own account: ask another administrator"
    ]
    assert admin.role == UserRole.ADMINISTRATOR
    assert events("user.role_changed") == []


def test_the_last_active_administrator_keeps_the_role(make, admin):
    other = make.administrator()
    other.deactivated_at = utcnow()  # a deactivated administrator does not count
    db.session.flush()
    with pytest.raises(staff.StaffRefused, match="only active administrator"):
        staff.change_role(admin, UserRole.ASSESSOR, actor=None)
    with pytest.raises(staff.StaffRefused, match="only active administrator"):
        staff.deactivate(admin, actor=None)
    assert admin.role == UserRole.ADMINISTRATOR and admin.is_active

    staff.reactivate(other, actor=None)
    staff.change_role(admin, UserRole.ASSESSOR, actor=other)
    assert admin.role == UserRole.ASSESSOR
    with pytest.raises(staff.StaffRefused, match="only active administrator"):
        staff.change_role(other, UserRole.USER, actor=None)


def test_only_an_active_administrator_may_change_roles(make, admin):
    assessor = make.assessor()
    user = make.user()
    with pytest.raises(staff.StaffRefused, match="Only an administrator"):
        staff.change_role(user, UserRole.ADMINISTRATOR, actor=assessor)
    with pytest.raises(staff.StaffRefused, match="Only an administrator"):
        staff.deactivate(user, actor=assessor)
    assert user.role == UserRole.USER and user.is_active


def test_a_deactivated_account_cannot_sign_in_and_keeps_its_history(app, signed_in, make, admin):
    user = make.member(full_name="Dee Activated")
    elsewhere = PageClient(app)
    elsewhere.sign_in(user.email)  # leaves a record, and a session
    history = len(events("user.signed_in", user))
    assert history == 1

    page = signed_in.get(f"/admin/people/{user.id}")
    form = page.soup.find("form", action=f"/admin/people/{user.id}/deactivate")
    assert form.find("button").get_text(strip=True) == "Deactivate account"
    response = signed_in.submit(f"/admin/people/{user.id}", {}, form=1)
    assert response.status_code == 302
    assert user.deactivated_at is not None
    [event] = events("user.deactivated", user)
    assert event.actor_id == admin.id
    page = signed_in.get(f"/admin/people/{user.id}")
    assert "Dee Activated's account is deactivated. They can no longer sign in." in page.text
    assert "Reactivate account" in page.text

    # Their session has ended, and the sign-in form refuses them.
    assert elsewhere.get("/account").status_code == 302
    page = elsewhere.submit("/sign-in", {"email": user.email, "password": "correct horse battery"})
    assert page.status == 200
    assert page.error_summary() == ["Enter a correct email address and password"]
    # What they did stays, and so does their membership.
    assert len(events("user.signed_in", user)) == history
    assert user.membership.state == MembershipState.ACTIVE
    assert "Dee Activated" in signed_in.get("/admin/people?status=deactivated").text

    # Reactivated, they can sign in again.
    response = signed_in.submit(f"/admin/people/{user.id}", {}, form=1)
    assert response.status_code == 302
    assert user.deactivated_at is None
    [event] = events("user.reactivated", user)
    assert event.actor_id == admin.id
    assert (
        "Dee Activated's account is active again." in signed_in.get(f"/admin/people/{user.id}").text
    )
    assert elsewhere.sign_in(user.email).status_code == 302


def test_refusals_to_deactivate_and_reactivate_are_shown(signed_in, make, admin):
    token = signed_in.csrf_token()
    page = signed_in.post(f"/admin/people/{admin.id}/deactivate", data={"csrf_token": token})
    assert page.status == 400
    assert page.error_summary() == [
        "You cannot deactivate your own account: ask another administrator"
    ]
    assert admin.is_active
    user = make.user(full_name="Al Ready")
    page = signed_in.post(f"/admin/people/{user.id}/reactivate", data={"csrf_token": token})
    assert page.status == 400
    assert page.error_summary() == ["Al Ready's account is already active"]
    assert page.soup.select_one(".govuk-error-summary a")["href"] == "#account"
    assert page.soup.select_one("#account") is not None
    # Without the form's token nothing happens.
    assert signed_in.post(f"/admin/people/{user.id}/deactivate").status == 400
    assert user.is_active
    assert events("user.deactivated") == [] and events("user.reactivated") == []


# --- Who may do it --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["council_member", "assessor"])
def test_only_administrators_see_people(client, make, who):
    person = make.member() if who == "council_member" else make.assessor()
    target = make.user()
    admin = make.administrator()
    client.sign_in(person.email)
    token = client.csrf_token()
    for url in (
        "/admin/people",
        "/admin/people?q=x",
        f"/admin/people/{target.id}",
        f"/admin/people/{admin.id}",
        "/admin/people/invite",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/admin/people/{target.id}/role", {"role": "administrator"}),
        (f"/admin/people/{person.id}/role", {"role": "administrator"}),
        (f"/admin/people/{admin.id}/deactivate", {}),
        (f"/admin/people/{target.id}/reactivate", {}),
        ("/admin/people/invite", {"email": "me@x.gov.uk", "kind": "administrator"}),
    ):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 404, url
    assert person.role != UserRole.ADMINISTRATOR and admin.is_active
    assert events("user.role_changed") == [] and events("user.deactivated") == []
    assert emails_to("me@x.gov.uk") == []


def test_anonymous_people_are_sent_to_sign_in(client, make):
    user = make.user()
    for url in ("/admin/people", f"/admin/people/{user.id}", "/admin/people/invite"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in?next=" in response.headers["Location"]
    # A post without a session is sent to sign in, carrying nothing; nothing changes.
    response = client.request("POST", f"/admin/people/{user.id}/deactivate", data={})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert user.is_active
