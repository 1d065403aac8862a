"""Assessment and decision through HTTP, as each role sees it."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from marks import notifications
from marks.applying import applications
from marks.assessing import assessment, decisions
from marks.extensions import db
from marks.models import AuditEvent, Award, Decision, Email, EvidenceFile, EvidenceLink
from marks.states import ApplicationState, AssessmentState, AssignmentState, MembershipRole
from tests.helpers.applications import complete_application, score_all
from tests.pages import form_fields, signed_in


@pytest.fixture
def submitted(make):
    make.demo_edition()
    return complete_application(make)


def fill_scores(page, action, edition, value: int, **extra) -> dict:
    data = form_fields(page, action)
    for c in edition.criteria:
        data[f"score_{c.code}"] = str(value)
        data[f"feedback_{c.code}"] = f"Feedback {c.code} <b>bold</b>"
        data[f"note_{c.code}"] = f"Private note {c.code}"
    data.update(extra)
    return data


def test_the_assessor_scores_saves_and_submits(app, submitted, admin, make):
    assessor = make.assessor()
    assignment = assessment.assign(submitted, assessor, actor=admin)
    client = signed_in(app, assessor)
    page = client.get("/assess/")
    assert page.h1 == "Your assessments"
    assert "0 of 1 assessed" in page.text
    assert submitted.council.name in page.text

    url = f"/assess/{assignment.id}"
    page = client.get(url)
    assert page.h1 == f"Assess {submitted.council.name}"
    assert "What we do." in page.text  # the council's answer
    assert submitted.edition.criteria[0].descriptors[4].descriptor in page.text  # the rubric

    # A draft saves whatever is there.
    data = fill_scores(page, url, submitted.edition, 3, save="Save as draft")
    assert client.post(url, data=data).status_code == 302
    assert assignment.assessment.state == AssessmentState.IN_PROGRESS
    assert assessment.scores_by_code(assignment.assessment)["MD1"].score == 3

    # Submitting without a recommendation says what is missing, and keeps the scores.
    page = client.get(url)
    data = fill_scores(page, url, submitted.edition, 4, submit_assessment="Submit")
    page = client.post(url, data=data)
    assert page.status == 200
    assert page.error_summary() == ["Choose your recommendation"]
    assert page.soup.title.get_text().startswith("Error: ")
    assert "Choose your recommendation" in page.soup.select_one(".govuk-error-message").get_text()
    assert assessment.scores_by_code(assignment.assessment)["MD1"].score == 4

    data["recommendation"] = "award"
    data["version"] = str(assignment.assessment.version)
    assert client.post(url, data=data).status_code == 302
    assert assignment.assessment.state == AssessmentState.SUBMITTED
    page = client.get(url)
    assert "You submitted this assessment" in page.text
    assert page.soup.find("input", attrs={"name": "score_MD1"}) is None  # locked
    assert "Feedback MD1 <b>bold</b>" in page.text  # escaped, shown as typed


def test_submitting_an_empty_assessment_lists_every_problem_at_once(app, submitted, admin, make):
    assignment = assessment.assign(submitted, make.assessor(), actor=admin)
    client = signed_in(app, assignment.assessor)
    url = f"/assess/{assignment.id}"
    data = {**form_fields(client.get(url), url), "submit_assessment": "Submit"}
    page = client.post(url, data=data)
    criteria = submitted.edition.criteria
    assert page.error_summary() == [
        *(
            message
            for c in criteria
            for message in (f"Score {c.code}: {c.title}", f"Write feedback for {c.code}")
        ),
        "Choose your recommendation",
    ]
    beside = page.soup.select_one(f"#feedback_{criteria[0].code}-error")
    assert beside is not None and "Write feedback for" in beside.get_text()


def test_assessors_are_blind_until_they_submit(app, submitted, admin, make):
    first, second = (make.assessor(), make.assessor())
    a1 = assessment.assign(submitted, first, actor=admin)
    a2 = assessment.assign(submitted, second, actor=admin)
    score_all(a1, 4)  # the first submits, with "Feedback on MD1"
    client = signed_in(app, second)
    page = client.get(f"/assess/{a2.id}")
    assert "Feedback on MD1" not in page.text
    score_all(a2, 2)
    page = client.get(f"/assess/{a2.id}")
    assert "Feedback on MD1" in page.text
    assert "Assessor 2" in page.text
    assert "Note on MD1" in page.text  # the other assessors see the notes, once submitted


def test_declaring_a_conflict_hands_the_application_back(app, submitted, admin, make):
    assessor = make.assessor()
    assignment = assessment.assign(submitted, assessor, actor=admin)
    client = signed_in(app, assessor)
    url = f"/assess/{assignment.id}/conflict"
    page = client.submit(url, {"reason": ""})
    assert page.error_summary() == ["Say why you have a conflict of interest"]
    response = client.submit(url, {"reason": "I was their head of comms"})
    assert response.headers["Location"] == "/assess/"
    assert assignment.state == AssignmentState.CONFLICT_DECLARED
    assert "You have handed back" in client.get("/assess/").text
    assert client.get(f"/assess/{assignment.id}").status == 404


def test_administrators_assign_by_hand_and_automatically(app, submitted, admin, make):
    insider = make.member(council=submitted.council, role=MembershipRole.MEMBER)
    insider.role = "assessor"
    outsider = make.assessor(full_name="Olive Outsider")
    make.assessor(full_name="Ned Next")
    db.session.flush()
    client = signed_in(app, admin)
    page = client.get("/admin/applications")
    assert submitted.council.name in page.text
    url = f"/admin/applications/{submitted.id}"
    page = client.get(url)
    options = [o.get_text() for o in page.soup.select("select[name=assessor] option")]
    assert any("Olive Outsider" in o for o in options)
    assert not any(insider.full_name in o for o in options)  # never their own council

    # Even a forged form cannot assign someone to their own council.
    data = form_fields(page, f"{url}/assign")
    page = client.post(f"{url}/assign", data={**data, "assessor": str(insider.id)})
    assert page.status == 400
    assert "nobody assesses their own council" in page.error_summary()[0]

    response = client.post(f"{url}/assign", data={**data, "assessor": str(outsider.id)})
    assert response.status_code == 302
    assert submitted.state == ApplicationState.UNDER_REVIEW
    page = client.get("/admin/applications?state=under_review")
    response = client.post(
        "/admin/applications/auto-assign", data={"csrf_token": client.csrf_token()}
    )
    assert response.status_code == 302
    assigned = {a.assessor.full_name for a in assessment.active_assignments(submitted)}
    assert assigned == {"Olive Outsider", "Ned Next"}


def ready(submitted, admin, make, values=(3, 3)):
    for value in values:
        score_all(assessment.assign(submitted, make.assessor(), actor=admin), value)
    assert submitted.state == ApplicationState.READY_FOR_DECISION


def test_moderation_preview_then_approve(app, submitted, admin, make):
    ready(submitted, admin, make, values=(4, 2))
    client = signed_in(app, admin)
    page = client.get(f"/admin/applications/{submitted.id}")
    assert "The assessors differ by more than one point on MD1" in page.text
    assert "75.00%" in page.text
    assert "Private note: Note on MD1" in page.text  # administrators see the notes

    url = f"/admin/applications/{submitted.id}/decision"
    page = client.get(url)
    data = form_fields(page, url)
    assert data["level"] == str(submitted.edition.levels[0].id)  # the computed level
    data.update(outcome="approve", preview="Preview")
    page = client.post(url, data=data)
    assert page.h1 == "Check the email before it goes"
    assert "has been awarded the Social Media Friendly Mark" in page.text
    assert "Feedback on MD1" in page.text
    assert "Note on MD1" not in page.text
    assert "SMFM-2026-00001" in page.text  # the email as it will go, number and all
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0  # nothing yet
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Email.id)).where(Email.template == "application_approved")
        )
        == 0
    )

    confirm = form_fields(page, url)
    confirm["confirm"] = "Confirm"
    assert client.post(url, data=confirm).status_code == 302
    award = db.session.scalar(sa.select(Award))
    assert award.certificate_number == "SMFM-2026-00001"
    assert submitted.state == ApplicationState.APPROVED
    emails = db.session.scalars(sa.select(Email).where(Email.template == "application_approved"))
    assert [e.to_address for e in emails] == [submitted.started_by.email]
    page = client.get(f"/admin/applications/{submitted.id}")
    decided = page.soup.find("h2", string="Decision").find_next("p").get_text()
    assert decided.startswith(f"Approved, at the {award.level.name} level, by {admin.full_name} on")


def test_administrators_decide_with_the_council_s_answers_beside_the_scores(
    app, submitted, admin, make
):
    md1 = applications.answer_for(submitted, "MD1")
    md1.links.append(EvidenceLink(url="https://www.x.gov.uk/policy"))
    md1.files.append(
        EvidenceFile(
            filename="policy.pdf",
            content_type="application/pdf",
            size_bytes=9,
            sha256="0" * 64,
            content=b"%PDF-1.7\n",
            uploaded_by=submitted.started_by,
        )
    )
    ready(submitted, admin, make)
    client = signed_in(app, admin)
    for url in (
        f"/admin/applications/{submitted.id}",
        f"/admin/applications/{submitted.id}/decision",
    ):
        page = client.get(url)
        section = page.soup.find(id="criterion-MD1")
        assert section is not None, url
        text = section.get_text(" ", strip=True)
        assert "What we do." in text and "Feedback on MD1" in text  # the answer, the feedback
        assert section.find("a", href="https://www.x.gov.uk/policy") is not None
        download = section.find("a", string="policy.pdf")["href"]
        assert client.get(download).data == b"%PDF-1.7\n"  # through the access-checked route


def test_a_decision_needs_what_it_needs(app, submitted, admin, make):
    ready(submitted, admin, make, values=(3, 3))
    client = signed_in(app, admin)
    url = f"/admin/applications/{submitted.id}/decision"
    page = client.get(url)
    base = form_fields(page, url)
    page = client.post(url, data={**base, "outcome": "reject", "reasons": "", "preview": "P"})
    assert page.error_summary() == [  # the scores pass: every problem in one round
        "Give the reasons the council will read",
        "The scores pass: explain why you are not approving it (for the record)",
    ]
    page = client.post(
        url,
        data={
            **base,
            "outcome": "approve",
            "level": str(submitted.edition.levels[1].id),
            "confirm": "C",
        },
    )
    assert "Explain why you are approving at a level other than" in page.error_summary()[0]
    page = client.post(
        url, data={**base, "outcome": "request_information", "message": "", "preview": "P"}
    )
    assert set(page.error_summary()) == {
        "Choose at least one criterion to reopen",
        "Say what the council needs to send",
    }
    assert submitted.state == ApplicationState.READY_FOR_DECISION


def test_each_outcome_asks_its_own_questions_beneath_its_radio(app, submitted, admin, make):
    ready(submitted, admin, make, values=(4, 4))  # the scores pass: not approving needs a reason
    client = signed_in(app, admin)
    page = client.get(f"/admin/applications/{submitted.id}/decision")
    asked = {}
    for radio in page.soup.select("input[name=outcome]"):
        revealed = page.soup.find(id=radio["data-aria-controls"])
        assert "govuk-radios__conditional" in revealed["class"]
        asked[radio["value"]] = {field["name"] for field in revealed.select("[name]")}
    assert asked == {
        "approve": {"level", "override_reason"},
        "reject": {"reasons", "reject_override_reason"},
        "request_information": {"criteria", "message"},
    }


def test_approving_at_another_level_without_a_reason_is_refused_at_the_preview(
    app, submitted, admin, make
):
    ready(submitted, admin, make, values=(3, 3))
    client = signed_in(app, admin)
    url = f"/admin/applications/{submitted.id}/decision"
    base = form_fields(client.get(url), url)
    other = {"outcome": "approve", "level": str(submitted.edition.levels[1].id)}
    page = client.post(url, data={**base, **other, "preview": "P"})
    assert page.h1 == f"Decide on {submitted.council.name}"  # not the email's preview
    message = "Explain why you are approving at a level other than the one the scores earn"
    assert page.error_summary() == [message]
    assert page.soup.select_one(".govuk-error-summary a")["href"] == "#override_reason"
    assert message in page.soup.select_one("#override_reason-error").get_text()
    assert page.field_value("level") is not None
    page = client.post(url, data={**base, **other, "override_reason": "Exemplary", "preview": "P"})
    assert page.h1 == "Check the email before it goes"


def test_under_review_the_decision_page_shows_the_council_s_answers(app, submitted, admin, make):
    """Before every assessor has scored, only more information can be asked for: the
    administrator asking reads the council's answers there, and no scores."""
    applications.answer_for(submitted, "MD1").links.append(
        EvidenceLink(url="https://www.x.gov.uk/policy")
    )
    assessment.assign(submitted, make.assessor(), actor=admin)
    db.session.commit()
    assert submitted.state == ApplicationState.UNDER_REVIEW
    page = signed_in(app, admin).get(f"/admin/applications/{submitted.id}/decision")
    assert page.status_code == 200
    assert [o["value"] for o in page.soup.find_all("input", attrs={"name": "outcome"})] == [
        "request_information"
    ]
    for criterion in submitted.edition.criteria:
        assert page.soup.find(id=f"criterion-{criterion.code}") is not None, criterion.code
    section = page.soup.find(id="criterion-MD1")
    assert "What we do." in section.get_text(" ", strip=True)
    assert section.find("a", href="https://www.x.gov.uk/policy") is not None
    assert "Scores side by side" not in page.text


def test_request_more_information_from_the_decision_page(app, submitted, admin, make):
    ready(submitted, admin, make)
    client = signed_in(app, admin)
    url = f"/admin/applications/{submitted.id}/decision"
    base = form_fields(client.get(url), url)
    md2 = submitted.edition.criteria[1]
    data = {
        **base,
        "outcome": "request_information",
        "criteria": str(md2.id),
        "message": "Show the firewall settings",
        "confirm": "C",
    }
    assert client.post(url, data=data).status_code == 302
    assert submitted.state == ApplicationState.INFO_REQUESTED
    reopened = [a.criterion.code for a in submitted.answers if a.reopened]
    assert reopened == ["MD2"]


def test_the_council_sees_the_outcome_and_feedback_but_never_private_notes(
    app, submitted, admin, make
):
    ready(submitted, admin, make)
    decisions.approve(submitted, actor=admin, level=submitted.edition.levels[0])
    lead = submitted.started_by
    client = signed_in(app, lead)
    page = client.get(f"/apply/applications/{submitted.id}/status")
    assert "Status Current Started" in page.text
    assert "SMFM-2026-00001" in page.text
    assert "Feedback on MD1" in page.text
    assert "Note on MD1" not in page.text
    assert "Summary" not in page.text.split("What the assessors said", 1)[1].split("History")[0]


def test_scores_export_is_one_row_per_application_criterion_and_assessor(
    app, submitted, admin, make
):
    first = assessment.assign(submitted, make.assessor(), actor=admin)
    second = assessment.assign(submitted, make.assessor(), actor=admin)
    score_all(first, 3)
    mine = second.assessment
    assessment.save(
        mine,
        version=mine.version,
        actor=second.assessor,
        scores={"MD1": assessment.CriterionScore(2, '=HYPERLINK("http://evil")', "@SUM(A1)")},
        recommendation=None,
        summary="",
    )
    client = signed_in(app, admin)
    response = client.get(f"/admin/editions/{submitted.edition_id}/scores.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="scores-2026.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 12 + 1
    injected = next(r for r in rows if r["assessor"] == second.assessor.email)
    assert injected["feedback"] == '\'=HYPERLINK("http://evil")'
    assert injected["private_note"] == "'@SUM(A1)"
    assert {r["gss_code"] for r in rows} == {submitted.council.gss_code}


def test_the_scoring_and_moderation_pages_ask_the_database_a_fixed_number_of_times(
    app, submitted, admin, make
):
    """No N+1: the number of queries does not grow with the criteria (12 here)."""
    first = assessment.assign(submitted, make.assessor(), actor=admin)
    second = assessment.assign(submitted, make.assessor(), actor=admin)
    score_all(second, 3)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    assessor = signed_in(app, first.assessor)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert assessor.get(f"/assess/{first.id}").status == 200
        scoring = len(statements)
        score_all(first, 3)
        administrator = signed_in(app, admin)
        statements.clear()
        assert administrator.get(f"/admin/applications/{submitted.id}").status == 200
        moderation = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert scoring <= 20, scoring
    # A few per assessor, none per criterion; one for the footer's issuer.
    assert moderation <= 31, moderation


# --- Who may assess, on every request; and until when --------------------------------------


def join(app, person, council, *, approved_by=None) -> None:
    """The person asks to join the council through its page (POST /apply/join), and, if a lead
    is given, the lead approves them through the members page."""
    client = signed_in(app, person)
    client.submit(f"/apply/join?q={council.name}", {"council": str(council.id)}, form=1)
    assert person.membership is not None and person.membership.council_id == council.id
    if approved_by is None:
        return
    lead = signed_in(app, approved_by)
    action = f"/apply/members/{person.membership.id}/approve"
    assert lead.post(action, data={"csrf_token": lead.csrf_token()}).status_code == 302
    assert person.membership.state == "active"


def test_an_assessor_who_joins_the_council_can_no_longer_assess_it(app, submitted, admin, make):
    assessor = make.assessor(full_name="Ivy Insider")
    assignment = assessment.assign(submitted, assessor, actor=admin)
    client = signed_in(app, assessor)
    url = f"/assess/{assignment.id}"
    page = client.get(url)
    assert page.status == 200
    scores = fill_scores(page, url, submitted.edition, 4, recommendation="award")

    join(app, assessor, submitted.council, approved_by=submitted.started_by)

    assert client.get(url).status == 404
    assert client.get(f"{url}/conflict").status == 404
    assert client.post(url, data={**scores, "save": "Save as draft"}).status_code == 404
    assert client.post(url, data={**scores, "submit_assessment": "Submit"}).status_code == 404
    mine = assignment.assessment
    assert mine.state == AssessmentState.IN_PROGRESS, "a member submitted their council's"
    assert mine.scores == [] and mine.recommendation is None
    assert submitted.council.name not in client.get("/assess/").text  # not in their queue

    # Unassigned as soon as they asked to join, and the administrators told, so that they
    # assign someone else.
    assert assignment.state == AssignmentState.REMOVED
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "assignment.end_for_conflict")
    ).all()
    assert (event.subject_id, event.reason) == (
        assignment.id,
        "Ivy Insider now works for this council",
    )
    (told,) = db.session.scalars(
        sa.select(Email).where(
            Email.template == "assignment_ended", Email.to_address == admin.email
        )
    ).all()
    assert "Ivy Insider can no longer assess" in told.body_text
    administrator = signed_in(app, admin)
    page = administrator.get(f"/admin/applications/{submitted.id}")
    assert "Ivy Insider" not in page.soup.find("h2", string="Assessors").find_next().get_text()
    # And assigning still refuses them, as before.
    options = [o.get_text() for o in page.soup.select("select[name=assessor] option")]
    assert not any("Ivy Insider" in o for o in options)
    forged = {"csrf_token": administrator.csrf_token(), "assessor": str(assessor.id)}
    page = administrator.post(f"/admin/applications/{submitted.id}/assign", data=forged)
    assert page.status == 400
    assert "nobody assesses their own council" in page.error_summary()[0]


def test_asking_to_join_the_council_is_already_a_conflict(app, submitted, admin, make):
    assessor = make.assessor()
    assignment = assessment.assign(submitted, assessor, actor=admin)
    join(app, assessor, submitted.council)  # asked, not yet approved
    assert assessor.membership.state == "requested"
    assert signed_in(app, assessor).get(f"/assess/{assignment.id}").status == 404


DECIDED = {
    "approved": (3, 3),
    "rejected": (1, 1),
    "ready_for_decision": (3, 3),
}


def decided(submitted, admin, make, state):
    """The application scored by two assessors, then approved or rejected (or left ready)."""
    values = DECIDED[state]
    made = [assessment.assign(submitted, make.assessor(), actor=admin) for _ in values]
    for assignment, value in zip(made, values, strict=True):
        score_all(assignment, value)
    if state == "approved":
        decisions.approve(submitted, actor=admin, level=submitted.edition.levels[0])
    elif state == "rejected":
        decisions.reject(submitted, actor=admin, reasons="Not yet")
    assert submitted.state == state
    return made


@pytest.mark.parametrize("state", list(DECIDED))
def test_an_assessor_cannot_hand_back_an_application_once_assessed(
    app, submitted, admin, make, state
):
    first, _ = decided(submitted, admin, make, state)

    def record():
        feedback = sum(len(items) for _, items in notifications.feedback(submitted))
        moderated = [s.score for row in decisions.moderation(submitted).rows for s in row.scores]
        return feedback, moderated, len(assessment.active_assignments(submitted))

    before = record()
    assert before[0] == 24
    client = signed_in(app, first.assessor)
    url = f"/assess/{first.id}"
    page = client.get(url)
    assert page.status == 200  # theirs to read
    assert page.soup.find("a", href=f"{url}/conflict") is None
    assert page.soup.find("input", attrs={"name": "score_MD1"}) is None

    response = client.post(
        f"{url}/conflict",
        data={"csrf_token": client.csrf_token(), "reason": "I used to work there"},
    )
    assert response.headers.get("Location") == url, "the conflict was accepted"
    assert first.state == AssignmentState.ACTIVE
    assert record() == before
    assert "its assessments can no longer change" in client.get(url).text
    page = client.get(f"{url}/conflict")
    assert page.headers.get("Location") == url  # no form that cannot succeed
