"""The administrators' list of applications, assigning assessors and unassigning them, through
HTTP as an administrator meets them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.assessing import assessment
from marks.extensions import db
from marks.models import AuditEvent, Email
from marks.states import ApplicationState, AssignmentState, MembershipRole, ReasonAudience
from tests.helpers.applications import complete_application, score_all, submitted_by
from tests.pages import form_fields, signed_in


@pytest.fixture
def submitted(make):
    make.demo_edition()
    return complete_application(make)


def _of(make, name: str, gss_code: str):
    council = make.council(name=name, gss_code=gss_code)
    return submitted_by(make.member(council=council, role=MembershipRole.LEAD))


def _listed(page) -> list[str]:
    links = page.soup.select("main table tbody tr td:first-child a")
    return [a.get_text(strip=True) for a in links]


def test_the_list_shows_every_application_and_finds_one_by_council(app, admin, make):
    make.demo_edition()
    hull = _of(make, "Kingston upon Hull City Council", "E06000010")
    halton = _of(make, "Halton Borough Council", "E06000006")
    assessment.assign(halton, make.assessor(), actor=admin)  # now under review
    client = signed_in(app, admin)

    page = client.get("/admin/applications")
    # Every application whatever its state, so that one never moves out of sight.
    assert page.h1 == "Applications"
    assert sorted(_listed(page)) == [halton.council.name, hull.council.name]
    views = [a.get_text(" ", strip=True) for a in page.soup.select("main nav li")]
    assert views[0] == "All (2)"
    page = client.get("/admin/applications?state=under_review")
    assert _listed(page) == [halton.council.name]

    # By part of its name (any case), or by its GSS code; in every state or in one.
    page = client.get("/admin/applications?q=hull")
    assert _listed(page) == [hull.council.name]
    assert page.field_value("q") == "hull"
    assert _listed(client.get("/admin/applications?q=e06000006")) == [halton.council.name]
    assert _listed(client.get("/admin/applications?q=hull&state=under_review")) == []
    page = client.get("/admin/applications?q=no-such-council")
    assert _listed(page) == []
    assert "No application matches" in page.text

    # An application's page leads back to all of them, not to the state it was in.
    page = client.get(f"/admin/applications/{halton.id}")
    assert page.soup.select_one(".govuk-back-link")["href"] == "/admin/applications"


def test_the_assessor_select_names_each_one_and_must_be_chosen(app, submitted, admin, make):
    asha = make.assessor(full_name="Asha Assessor", email="asha@example.org")
    assessment.assign(complete_application(make), asha, actor=admin)  # one open assessment
    client = signed_in(app, admin)
    url = f"/admin/applications/{submitted.id}"
    page = client.get(url)
    options = page.soup.select("select[name=assessor] option")
    # `required` can only fail with an empty first option.
    assert (options[0].get("value"), options[0].get_text(strip=True)) == ("", "Choose an assessor")
    assert "Asha Assessor (asha@example.org): 1 open assessment" in [
        o.get_text(strip=True) for o in options
    ]

    page = client.post(f"{url}/assign", data={**form_fields(page, f"{url}/assign"), "assessor": ""})
    assert page.status == 400
    assert page.error_summary() == ["Choose an assessor"]
    assert page.soup.select_one(".govuk-error-summary a")["href"] == "#assessor"
    assert assessment.active_assignments(submitted) == []


def _unassign_link(page) -> str | None:
    links = [a for a in page.soup.select("main a") if a.get_text(strip=True).startswith("Unassign")]
    return links[0]["href"] if links else None


def test_an_administrator_unassigns_an_assessor_before_they_submit(app, submitted, admin, make):
    asha = make.assessor(full_name="Asha Assessor")
    assignment = assessment.assign(submitted, asha, actor=admin)
    client = signed_in(app, admin)
    page = client.get(f"/admin/applications/{submitted.id}")
    url = _unassign_link(page)
    assert url == f"/admin/applications/{submitted.id}/assessors/{assignment.id}/unassign"

    page = client.submit(url, {"reason": ""})
    assert page.status == 400
    assert page.error_summary() == ["Enter why you are unassigning Asha Assessor"]
    assert assignment.state == AssignmentState.ACTIVE

    last = db.session.scalar(sa.select(sa.func.max(Email.id))) or 0
    response = client.submit(url, {"reason": "On leave until the window closes"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/applications/{submitted.id}"
    assert assignment.state == AssignmentState.REMOVED
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "assignment.unassign")
    )
    assert (event.actor_id, event.reason, event.reason_audience) == (
        admin.id,
        "On leave until the window closes",
        ReasonAudience.RECORD,
    )
    told = db.session.scalars(sa.select(Email).where(Email.id > last)).all()
    assert [e.to_address for e in told] == [asha.email]
    assert "no longer need to assess" in told[0].body_text
    assert "On leave" not in told[0].body_text  # the reason is for the record
    page = client.get(f"/admin/applications/{submitted.id}")
    assert "Asha Assessor has been unassigned and emailed." in page.text
    assert "No assessors yet." in page.text
    assert client.get(url).headers["Location"] == f"/admin/applications/{submitted.id}"
    assert signed_in(app, asha).get(f"/assess/{assignment.id}").status == 404


def test_an_assessor_who_has_submitted_cannot_be_unassigned(app, submitted, admin, make):
    first = assessment.assign(submitted, make.assessor(), actor=admin)
    second = assessment.assign(submitted, make.assessor(), actor=admin)
    score_all(first, 3)
    client = signed_in(app, admin)
    page = client.get(f"/admin/applications/{submitted.id}")
    assert _unassign_link(page) == (
        f"/admin/applications/{submitted.id}/assessors/{second.id}/unassign"
    )
    score_all(second, 3)  # now ready for decision, on both submissions
    assert submitted.state == ApplicationState.READY_FOR_DECISION
    page = client.get(f"/admin/applications/{submitted.id}")
    assert _unassign_link(page) is None
    # Even sent by hand.
    url = f"/admin/applications/{submitted.id}/assessors/{first.id}/unassign"
    data = {"csrf_token": client.csrf_token(), "reason": "Late"}
    page = client.post(url, data=data)
    assert page.status == 400
    assert "has submitted" in page.error_summary()[0]
    assert first.state == AssignmentState.ACTIVE


def test_unassigning_can_leave_the_others_ready_for_decision(app, submitted, admin, make):
    """Three assigned where two are wanted: once the third, who has not submitted, is
    unassigned, the two submitted assessments are what the decision rests on."""
    done = [assessment.assign(submitted, make.assessor(), actor=admin) for _ in range(2)]
    slow = assessment.assign(submitted, make.assessor(), actor=admin)
    for assignment in done:
        score_all(assignment, 3)
    assert submitted.state == ApplicationState.UNDER_REVIEW
    client = signed_in(app, admin)
    url = f"/admin/applications/{submitted.id}/assessors/{slow.id}/unassign"
    assert client.submit(url, {"reason": "Not needed"}).status_code == 302
    assert submitted.state == ApplicationState.READY_FOR_DECISION
