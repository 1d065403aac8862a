"""A form posted without a session goes through sign-in and is saved afterwards only when this
site sent it and it is one where typing would be lost (answers, scores, feedback). The page
after sign-in shows what will be saved and lets the person decline. Anything else gets the
plain sign-in page and carries nothing (issue 13: CSRF through the sign-in replay)."""

from __future__ import annotations

import pytest
from flask import Flask

from marks import permissions
from marks.applying import applications
from marks.assessing import assessment
from marks.states import UserRole
from tests.helpers.applications import submitted_by
from tests.integration import application_pages
from tests.integration.application_pages import answer_data, criterion_url, start
from tests.pages import DEMO_PASSWORD, Page, PageClient, next_code

lead = application_pages.lead

# What a browser sends with a form of this site's own (the test client's host is localhost).
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}

NOT_FROM_THIS_SITE = [
    pytest.param(
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://attacker.example"}, id="cross"
    ),
    # Another port of the same host is the same site, but not the same origin.
    pytest.param({"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:8001"}, id="port"),
    pytest.param({"Origin": "https://attacker.example"}, id="origin-only"),
    pytest.param({"Origin": "null"}, id="opaque-origin"),
    pytest.param({}, id="no-headers"),
]


def followed(client: PageClient, response) -> Page:
    while 300 <= response.status_code < 400:
        response = client.get(response.headers["Location"])
    return response


def hidden_fields(form) -> dict:
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def sign_in_on(client: PageClient, page: Page, email: str, headers=SAME_ORIGIN):
    """Fill in the sign-in form the page shows, keeping whatever it carries."""
    form = page.soup.find("form", attrs={"method": "post"})
    data = {**hidden_fields(form), "email": email, "password": DEMO_PASSWORD}
    return client.post(form["action"], data=data, headers=headers)


def with_a_code(client: PageClient, page: Page, email: str, headers=SAME_ORIGIN):
    """Staff: the code from their authenticator app, on the code page (keeping what it carries)."""
    form = page.soup.find("form", attrs={"method": "post"})
    with client.app.app_context():
        code = next_code(email)
    data = {**hidden_fields(form), "code": code}
    return client.post(form["action"], data=data, headers=headers)


@pytest.mark.parametrize(
    "headers", [*NOT_FROM_THIS_SITE, pytest.param(SAME_ORIGIN, id="this-site-admin-action")]
)
def test_a_signed_out_post_to_an_administrative_action_carries_nothing(
    client, admin, make, headers
):
    """The attack: another site's page auto-posts role=administrator for the attacker to the
    administrator's browser, which has no session for this site. Even from this site's own
    pages, an administrative action is never carried through sign-in."""
    attacker = make.user(full_name="Mallory Attacker")
    response = client.post(
        f"/admin/people/{attacker.id}/role", data={"role": "administrator"}, headers=headers
    )
    page = followed(client, response)
    assert page.h1 == "Sign in"
    assert page.soup.select("input[name^=replay-]") == []
    assert "You were not signed in, so nothing was saved." in page.text
    assert "we will save them" not in page.text

    response = sign_in_on(client, page, admin.email)
    assert response.status_code == 302  # signed in, and straight on: no "Save your answers"
    page = followed(client, response)
    assert page.h1 != "Save your answers"
    assert attacker.role == UserRole.USER


def test_an_administrator_whose_session_ended_goes_back_to_their_page(client, admin, make):
    """Not carried, but not lost either: from this site's own page, sign-in leads back to it."""
    person = make.user(full_name="Rosa Role")
    page_url = f"/admin/people/{person.id}"
    response = client.post(
        f"/admin/people/{person.id}/role",
        data={"role": "assessor"},
        headers={**SAME_ORIGIN, "Referer": "http://localhost" + page_url},
    )
    page = followed(client, response)
    assert "You were not signed in, so nothing was saved." in page.text
    response = sign_in_on(client, page, admin.email)
    assert response.headers["Location"] == f"/sign-in/code?next={page_url}"
    response = with_a_code(client, client.get(response.headers["Location"]), admin.email)
    assert response.headers["Location"] == page_url
    assert person.role == UserRole.USER


@pytest.mark.parametrize("headers", NOT_FROM_THIS_SITE)
def test_an_answer_posted_from_another_site_is_not_carried(client, lead, headers):
    client.sign_in(lead.email)
    application = start(client)
    url = criterion_url(application, "MD1")
    fields = hidden_fields(client.get(url).soup.find("form"))
    client.http.delete_cookie("session")

    response = client.post(
        url, data={**fields, **answer_data(narrative="Planted by another site")}, headers=headers
    )
    page = followed(client, response)
    assert page.h1 == "Sign in"
    assert page.soup.select("input[name^=replay-]") == []
    page = followed(client, sign_in_on(client, page, lead.email))
    assert page.h1 != "Save your answers"
    assert applications.answer_for(application, "MD1").narrative == ""


def expired_answer_on_sign_in(client: PageClient, lead, narrative: str):
    """The lead's session expires with an answer open; they send it from the page."""
    client.sign_in(lead.email)
    application = start(client)
    url = criterion_url(application, "MD1")
    fields = hidden_fields(client.get(url).soup.find("form"))
    client.http.delete_cookie("session")
    typed = answer_data(narrative=narrative, save_as_draft="Save as draft")
    del typed["save_and_continue"]
    page = client.post(url, data={**fields, **typed}, headers=SAME_ORIGIN)
    assert page.h1 == "Sign in"
    assert "You have been signed out, so your answers have not been saved yet." in page.text
    carried = {i["name"]: i["value"] for i in page.soup.select("input[name^=replay-]")}
    assert carried["replay-narrative"] == narrative
    return application, url, page


LONG_NARRATIVE = (
    "Our policy <b>enables</b> staff to post.\n" + "We review it every year with staff. " * 40
)


def test_an_answer_from_this_site_is_shown_then_saved_after_sign_in(client, lead):
    application, url, page = expired_answer_on_sign_in(client, lead, LONG_NARRATIVE)

    page = sign_in_on(client, page, lead.email)
    assert page.h1 == "Save your answers"
    summary = page.soup.select_one(".govuk-summary-list")
    rows = {
        " ".join(row.select_one(".govuk-summary-list__key").get_text().split()): row.select_one(
            ".govuk-summary-list__value"
        )
        for row in summary.select(".govuk-summary-list__row")
    }
    assert set(rows) == {"Self score", "Narrative", "Links"}
    # In full, line by line (the macro indents the lines; the page shows them as typed).
    shown = rows["Narrative"].get_text().strip().splitlines()
    assert [line.strip() for line in shown] == LONG_NARRATIVE.strip().splitlines()
    assert "marks-preserve-lines" in rows["Narrative"].span["class"]
    assert rows["Narrative"].find("b") is None  # escaped, not markup
    assert rows["Self score"].get_text().strip() == "3"
    decline = page.soup.find("a", string=lambda s: s and "Do not save" in s)
    assert decline["href"] == url
    assert applications.answer_for(application, "MD1").narrative == ""

    form = page.soup.find("form", attrs={"action": url})
    response = client.post(url, data=hidden_fields(form), headers=SAME_ORIGIN)
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative.splitlines() == LONG_NARRATIVE.splitlines()
    assert answer.self_score == 3


def test_an_assessors_feedback_from_this_site_is_carried_and_saved(client, lead, admin, make):
    application = submitted_by(lead)
    assessor = make.assessor()
    assignment = assessment.assign(application, assessor, actor=admin)
    client.sign_in(assessor.email)
    url = f"/assess/{assignment.id}"
    fields = hidden_fields(client.get(url).soup.find("form", attrs={"action": url}))
    client.http.delete_cookie("session")

    typed = {"score_MD1": "2", "feedback_MD1": "Say how staff are trained.", "save": "Save"}
    page = client.post(url, data={**fields, **typed}, headers=SAME_ORIGIN)
    assert page.h1 == "Sign in"
    page = sign_in_on(client, page, assessor.email)
    assert page.h1 == "Enter the code from your authenticator app"
    page = with_a_code(client, page, assessor.email)
    assert page.h1 == "Save your answers"
    assert "Feedback MD1 Say how staff are trained." in page.text
    form = page.soup.find("form", attrs={"action": url})
    assert client.post(url, data=hidden_fields(form), headers=SAME_ORIGIN).status_code == 302
    saved = assessment.scores_by_code(assignment.assessment)["MD1"]
    assert (saved.score, saved.feedback) == (2, "Say how staff are trained.")


def test_declining_to_save_saves_nothing(client, lead):
    application, url, page = expired_answer_on_sign_in(client, lead, "Not to be kept")
    page = sign_in_on(client, page, lead.email)
    assert page.h1 == "Save your answers"
    decline = page.soup.find("a", string=lambda s: s and "Do not save" in s)
    assert decline["href"] == url  # back to the form, as it was saved
    page = client.get(decline["href"])
    assert page.status == 200
    assert page.field_value("narrative") == ""
    assert applications.answer_for(application, "MD1").narrative == ""


def test_carried_fields_signed_in_from_another_site_are_dropped(client, lead):
    """The sign-in page's own post must come from this site too, to carry anything."""
    application, _url, page = expired_answer_on_sign_in(client, lead, "Carried")
    response = sign_in_on(client, page, lead.email, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 302
    assert applications.answer_for(application, "MD1").narrative == ""


@pytest.mark.parametrize("target", ["/admin/people/{id}/role", "/apply/members/{id}/remove"])
def test_a_forged_next_with_carried_fields_reaches_no_other_form(client, admin, make, target):
    """Carried fields typed into the sign-in page by hand, with `next` pointing at a form that
    may not be carried, are dropped: the target must itself be one that may be carried."""
    attacker = make.user(full_name="Mallory Attacker")
    token = client.csrf_token()
    response = client.post(
        "/sign-in?next=" + target.format(id=attacker.id),
        data={
            "csrf_token": token,
            "email": admin.email,
            "password": DEMO_PASSWORD,
            "replay-role": "administrator",
        },
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 302
    assert attacker.role == UserRole.USER


def test_only_forms_where_typing_is_lost_may_be_carried(app: Flask):
    """The list of views whose forms may be carried through sign-in: answers, scores and
    feedback. An administrative action must never join it."""
    replayable = {e for e in app.view_functions if permissions.is_replayable(e)}
    assert replayable == {"council.criterion", "council.about", "assess.score"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Origin": "https://marks.example"}, True),
        ({"Sec-Fetch-Site": "same-site", "Origin": "https://marks.example"}, False),
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "none"}, False),
        ({"Origin": "http://marks.example"}, False),  # another scheme
        ({"Origin": "https://marks.example:8443"}, False),  # another port
        ({"Origin": "https://marks.example.attacker.test"}, False),
        ({"Origin": "null"}, False),
        ({}, False),
    ],
)
def test_a_post_is_from_this_site_only_when_the_browser_says_so(app, headers, expected):
    with app.test_request_context(
        "/apply/", method="POST", base_url="https://marks.example", headers=headers
    ):
        assert permissions.from_this_site() is expected
