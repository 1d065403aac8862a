"""Forged forms: every id or reference a form posts (hidden fields, buttons, selects, radios,
checkboxes) and every pair of ids in a URL, changed by hand to another council's or another
application's. Each is refused (a 4xx or a form error) and nothing changes in the database.

Covered elsewhere, not repeated here: an assessor of the applicant's own council chosen in the
assign form (test_assessment_pages), a council or staff invitation opened by someone else
(test_council_members, test_admin_staff_invitations), another council's member removed
(test_council_members) or its answer posted (test_council_answers), merge and import forms
(test_admin_council_merges, test_admin_council_imports).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from marks.applying import applications, memberships
from marks.applying.evidence import CheckedFile
from marks.assessing import assessment
from marks.extensions import db
from marks.models import (
    Application,
    Assignment,
    Criterion,
    Decision,
    Email,
    EvidenceFile,
    Invitation,
    Membership,
    User,
)
from marks.people import staff
from marks.scheme import editions
from marks.states import (
    ApplicationState,
    AssignmentState,
    InvitationKind,
    MembershipRole,
    MembershipState,
    UserRole,
)
from tests.helpers.applications import complete_application, score_all
from tests.pages import form_fields

PDF = b"%PDF-1.4 "


@dataclass
class Side:
    """A council's lead, its draft application, and an evidence file on its answer to MD1."""

    lead: User
    application: Application
    file: EvidenceFile

    def url(self, path: str = "") -> str:
        return f"/apply/applications/{self.application.id}{path}"


def side(make, narrative: str) -> Side:
    lead = make.member(role=MembershipRole.LEAD)
    application = applications.start(lead.membership.council, actor=lead)
    for code in ("MD1", "MD2"):
        answer = applications.answer_for(application, code)
        applications.save_answer(
            answer,
            version=answer.version,
            actor=lead,
            self_score=2,
            narrative=f"{narrative} on {code}",
            links=[f"https://www.example.gov.uk/{code}"],
            new_file=CheckedFile(f"{code}.pdf", "application/pdf", len(PDF), "0" * 64, PDF),
        )
    return Side(lead, application, applications.answer_for(application, "MD1").files[0])


@pytest.fixture
def ours(make) -> Side:
    make.demo_edition()
    return side(make, "Ours")


@pytest.fixture
def theirs(make, ours) -> Side:
    return side(make, "Theirs")


def snapshot(application: Application) -> list:
    """Everything a council can change in its application, read afresh from the database."""
    db.session.expire_all()
    return [
        application.state,
        application.contact_name,
        application.website,
        *(
            (
                a.criterion.code,
                a.version,
                a.self_score,
                a.narrative,
                [link.url for link in a.links],
                sorted(f.id for f in a.files),
            )
            for a in application.answers
        ),
    ]


def hidden_fields(page) -> dict[str, str]:
    return {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}


# --- The council's answer form: version (hidden), remove_file (a button's value) -----------------


@pytest.mark.parametrize("whose", ["another council's", "another answer's"])
def test_a_file_cannot_be_removed_through_an_answer_it_does_not_belong_to(
    client, ours, theirs, whose
):
    target = theirs.file if whose == "another council's" else ours.application.answers[1].files[0]
    client.sign_in(ours.lead.email)
    url = ours.url("/criteria/MD1")
    before = snapshot(ours.application), snapshot(theirs.application)
    page = client.post(
        url,
        data={
            **hidden_fields(client.get(url)),
            "narrative": "Changed while removing",
            "remove_file": str(target.id),
        },
    )
    assert page.status in (200, 400)
    assert page.error_summary() == ["The file to remove is not part of this answer"]
    assert page.field_value("narrative") == "Changed while removing"  # kept, not saved
    assert (snapshot(ours.application), snapshot(theirs.application)) == before
    assert db.session.get(EvidenceFile, target.id) is not None


def test_the_answer_saved_is_the_one_in_the_url_whatever_else_the_form_carries(
    client, ours, theirs
):
    client.sign_in(ours.lead.email)
    url = ours.url("/criteria/MD1")
    theirs_before = snapshot(theirs.application)
    their_answer = applications.answer_for(theirs.application, "MD1")
    forged = {
        "answer_id": str(their_answer.id),
        "application_id": str(theirs.application.id),
        "council_id": str(theirs.application.council_id),
        "criterion_id": str(their_answer.criterion_id),
        "updated_by_id": str(theirs.lead.id),
    }
    fields = hidden_fields(client.get(url))
    response = client.post(
        url, data={**fields, **forged, "narrative": "Saved here", "save_as_draft": "Save"}
    )
    assert response.status_code == 302
    mine = applications.answer_for(ours.application, "MD1")
    assert (mine.narrative, mine.updated_by_id) == ("Saved here", ours.lead.id)
    assert snapshot(theirs.application) == theirs_before

    # A version that is not the answer's (stale, or copied from elsewhere): a conflict, no save.
    ours_before = snapshot(ours.application)
    for version in (fields["version"], str(their_answer.version + 7)):
        page = client.post(url, data={**fields, "version": version, "narrative": "Overwrite"})
        assert page.status == 409
        assert "Overwrite" in page.text  # what they typed is shown back to them
    assert snapshot(ours.application) == ours_before


# --- Another council's application in the URL, any form ------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/about", {"contact_name": "Mallory", "website": "https://evil.example"}),
        ("/check", {"declaration": "y", "declaration_name": "Mallory"}),
        ("/withdraw", {"reason": "Forged"}),
        ("/resubmit", {}),
        ("/criteria/MD2", {"remove_file": "{file_id}", "narrative": "Forged"}),
    ],
)
def test_no_form_of_another_councils_application_can_be_sent(client, ours, theirs, path, data):
    client.sign_in(ours.lead.email)
    before = snapshot(theirs.application)
    their_file = applications.answer_for(theirs.application, "MD2").files[0].id
    data = {k: v.format(file_id=their_file) for k, v in data.items()}
    response = client.post(theirs.url(path), data={"csrf_token": client.csrf_token(), **data})
    assert response.status_code == 404
    assert snapshot(theirs.application) == before


def test_an_evidence_file_is_found_only_under_its_own_application(client, make, ours, theirs):
    for person in (ours.lead, make.administrator()):
        client.sign_in(person.email)
        mixed = client.get(ours.url(f"/files/{theirs.file.id}"))
        assert mixed.status == 404 and mixed.h1 == "Page not found"
        assert client.get(ours.url(f"/files/{ours.file.id}")).status_code == 200
        client.sign_out()


def test_a_form_carried_through_sign_in_reaches_nothing_of_another_council(client, ours, theirs):
    """A form posted after the session expired is carried through the sign-in page; signing
    in there as someone of another council does not let them send it."""
    client.sign_in(ours.lead.email)
    url = ours.url("/criteria/MD1")
    fields = hidden_fields(client.get(url))
    client.http.delete_cookie("session")
    same_origin = {"Sec-Fetch-Site": "same-origin"}  # only this site's own forms are carried
    page = client.post(
        url, data={**fields, "narrative": "Carried", "save_as_draft": "Save"}, headers=same_origin
    )
    form = page.soup.find("form")
    carried = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    before = snapshot(ours.application)
    page = client.post(
        form["action"],
        data={**carried, "email": theirs.lead.email, "password": "correct horse battery"},
        headers=same_origin,
    )
    assert page.h1 == "Save your answers"
    replay = page.soup.find("form")
    response = client.post(
        replay["action"],
        data={i["name"]: i.get("value", "") for i in replay.select("input[type=hidden]")},
        headers=same_origin,
    )
    assert response.status_code == 404
    assert snapshot(ours.application) == before


# --- Joining, members, invitations ---------------------------------------------------------------


def test_joining_refuses_a_council_that_was_not_offered(client, make, ours, theirs):
    newcomer = make.user()
    merged = make.council(name="Oldtown Parish Council")
    merged.merged_into_id = theirs.application.council_id
    db.session.flush()
    client.sign_in(newcomer.email)
    token = client.csrf_token()
    for q, council in (("zzzz", ours.application.council), ("Oldtown", merged)):
        page = client.post(
            "/apply/join", data={"csrf_token": token, "q": q, "council": str(council.id)}
        )
        assert page.status == 200
        assert page.error_summary() == ["Not a valid choice."]
    db.session.expire_all()
    assert newcomer.membership is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Membership.id)).where(Membership.user_id == newcomer.id)
        )
        == 0
    )


@pytest.mark.parametrize("action", ["approve", "reject", "remove"])
def test_a_lead_cannot_answer_another_councils_request_to_join(client, make, ours, theirs, action):
    asking = memberships.ask_to_join(make.user(), theirs.application.council)
    assert asking.state == MembershipState.REQUESTED
    client.sign_in(ours.lead.email)
    response = client.post(
        f"/apply/members/{asking.id}/{action}", data={"csrf_token": client.csrf_token()}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert (asking.state, asking.decided_by_id) == (MembershipState.REQUESTED, None)


def token_in_email(to: str, template: str) -> str:
    body = db.session.scalar(
        sa.select(Email.body_text).where(Email.to_address == to, Email.template == template)
    )
    return next(word for word in body.split() if "/invitations/" in word).rsplit("/", 1)[1]


def test_an_invitation_token_opens_only_its_own_kind_of_invitation(client, make, ours):
    """Council and staff invitations are signed apart: neither link opens the other door."""
    invitee = make.user(email="invitee@example.gov.uk")
    memberships.invite(ours.application.council, invitee.email, actor=ours.lead)
    staff.invite(invitee.email, InvitationKind.ADMINISTRATOR, make.administrator())
    council_token = token_in_email(invitee.email, "council_invitation")
    staff_token = token_in_email(invitee.email, "staff_invitation")
    client.sign_in(invitee.email)
    token = client.csrf_token()
    for url in (f"/apply/invitations/{staff_token}", f"/account/invitations/{council_token}"):
        assert client.get(url).status == 400
        page = client.post(url, data={"csrf_token": token})
        assert page.status == 400 and "This invitation link does not work" in page.text
    db.session.expire_all()
    assert (invitee.role, invitee.membership) == (UserRole.USER, None)
    assert db.session.scalars(
        sa.select(Invitation.accepted_at).where(Invitation.email == invitee.email)
    ).all() == [None, None]


# --- Assessors: the assignment in the URL, the version in the form ----------------------------


@pytest.fixture
def two_assessors(make):
    make.demo_edition()
    administrator = make.administrator()
    application = complete_application(make)
    return administrator, [
        assessment.assign(application, make.assessor(), actor=administrator) for _ in range(2)
    ]


def assessment_snapshot(assignment: Assignment) -> list:
    db.session.expire_all()
    mine = assignment.assessment
    scores = assessment.scores_by_code(mine)
    return [
        assignment.state,
        mine.state,
        mine.version,
        mine.recommendation,
        sorted((code, s.score, s.feedback, s.private_note) for code, s in scores.items()),
    ]


def test_an_assessor_cannot_score_or_hand_back_another_assessors_assignment(
    app, client, two_assessors
):
    _, (mine, other) = two_assessors
    client.sign_in(mine.assessor.email)
    page = client.get(f"/assess/{mine.id}")
    data = form_fields(page, f"/assess/{mine.id}")
    data |= {"score_MD1": "4", "feedback_MD1": "Forged", "submit_assessment": "Submit"}
    before = assessment_snapshot(other)
    assert client.post(f"/assess/{other.id}", data=data).status_code == 404
    conflict = {"csrf_token": data["csrf_token"], "reason": "Forged"}
    assert client.post(f"/assess/{other.id}/conflict", data=conflict).status_code == 404
    assert assessment_snapshot(other) == before
    assert other.state == AssignmentState.ACTIVE


def test_a_scoring_form_with_a_version_not_its_own_saves_nothing(client, two_assessors):
    _, (mine, other) = two_assessors
    score_all(other, 3, submit=False)  # the other assessment's version moves on
    client.sign_in(mine.assessor.email)
    url = f"/assess/{mine.id}"
    data = form_fields(client.get(url), url)
    before = assessment_snapshot(mine)
    for version in (str(other.assessment.version), str(int(data["version"]) + 1)):
        response = client.post(
            url, data={**data, "version": version, "score_MD1": "4", "save": "Save"}
        )
        assert response.status_code == 302
        assert "saved in another window" in client.get(url).text
        assert assessment_snapshot(mine) == before


# --- Administrators: the assessor select, the level radios, the criteria checkboxes ------------


@pytest.fixture
def admin_client(client, two_assessors):
    administrator, _ = two_assessors
    client.sign_in(administrator.email)
    return client


def test_the_assessor_select_forged_to_someone_not_an_assessor_assigns_nobody(
    make, admin_client, two_assessors
):
    administrator, (mine, _) = two_assessors
    application = mine.application
    waiting = complete_application(make)  # submitted, nobody assigned yet
    url = f"/admin/applications/{waiting.id}"
    data = form_fields(admin_client.get(url), f"{url}/assign")
    for forged in (make.member().id, administrator.id, application.started_by_id, 2**31 - 1):
        page = admin_client.post(f"{url}/assign", data={**data, "assessor": str(forged)})
        assert page.status == 400
        assert page.error_summary() == ["Not a valid choice."]
    assert assessment.active_assignments(waiting) == []
    assert waiting.state == ApplicationState.SUBMITTED


def test_a_decision_forged_with_another_editions_level_or_criterion_decides_nothing(
    admin_client, two_assessors
):
    administrator, assignments = two_assessors
    for assignment in assignments:
        score_all(assignment, 3)
    application = assignments[0].application
    assert application.state == ApplicationState.READY_FOR_DECISION
    draft = editions.clone(application.edition, "2027", 2027, administrator)
    url = f"/admin/applications/{application.id}/decision"
    base = form_fields(admin_client.get(url), url)
    forged = [
        {"outcome": "approve", "level": str(draft.levels[0].id), "override_reason": "Forged"},
        {
            "outcome": "request_information",
            "criteria": str(draft.criteria[0].id),
            "message": "Send more",
        },
    ]
    for data in forged:
        for button in ("preview", "confirm"):  # the preview's hidden fields post the same
            page = admin_client.post(url, data={**base, **data, button: "Go"})
            assert page.status == 200
            [error] = page.error_summary()
            assert "not a valid choice" in error.lower()
    db.session.expire_all()
    assert application.state == ApplicationState.READY_FOR_DECISION
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0
    assert not any(answer.reopened for answer in application.answers)


def test_a_published_editions_criterion_cannot_be_edited_through_a_drafts_url(
    admin_client, two_assessors
):
    administrator, (mine, _) = two_assessors
    published = mine.application.edition
    draft = editions.clone(published, "2027", 2027, administrator)
    criterion = published.criteria[0]
    url = f"/admin/editions/{draft.id}/criteria/{criterion.id}"
    data = {"csrf_token": admin_client.csrf_token(), "title": "Forged", "weight": "1"}
    assert admin_client.post(url, data=data).status_code == 404
    db.session.expire_all()
    assert db.session.get(Criterion, criterion.id).title != "Forged"
