"""The council's journey through HTTP: joining, the task list, answers that are never lost,
evidence, check your answers, submit, status, withdraw, more information and renewal."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marks import applications
from marks.extensions import db
from marks.models import Application, AuditEvent, Award, Email, utcnow
from marks.states import ApplicationState, AwardState, MembershipRole, MembershipState

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def edition(make):
    return make.demo_edition()


@pytest.fixture
def lead(make, edition):
    return make.member(role=MembershipRole.LEAD)


@pytest.fixture
def signed_in(client, lead):
    client.sign_in(lead.email)
    return client


def start(client) -> Application:
    response = client.submit("/apply/", {})
    assert response.status_code == 302, getattr(response, "text", "")
    return db.session.scalar(sa.select(Application).order_by(Application.id.desc()))


ABOUT = {
    "contact_name": "Lena Lead",
    "contact_email": "lena@testbury.gov.uk",
    "contact_phone": "01234 567890",
    "website": "https://www.testbury.gov.uk",
    "social_accounts": "https://x.com/testbury\nhttps://www.facebook.com/testbury",
    "save_and_continue": "Save and continue",
}


def answer_data(**overrides) -> dict:
    data = {
        "self_score": "3",
        "narrative": "We publish an enabling policy and review it every year.",
        "links": "https://www.testbury.gov.uk/social-media-policy",
        "save_and_continue": "Save and continue",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def criterion_url(application: Application, code: str) -> str:
    return f"/apply/applications/{application.id}/criteria/{code}"


def complete(client, application: Application) -> None:
    assert client.submit(f"/apply/applications/{application.id}/about", ABOUT).status_code == 302
    for criterion in application.edition.criteria:
        response = client.submit(criterion_url(application, criterion.code), answer_data())
        assert response.status_code == 302, criterion.code


# --- Joining a council ------------------------------------------------------------------------


def test_the_first_member_of_a_council_becomes_its_lead(client, make, edition):
    council = make.council(name="Ynys Môn")
    user = make.user()
    client.sign_in(user.email)
    assert client.get("/apply/").headers["Location"] == "/apply/join"
    page = client.get("/apply/join?q=ynys+mon")
    assert [label.get_text(strip=True) for label in page.soup.select(".govuk-radios__label")] == [
        "Ynys Môn"
    ]
    response = client.submit("/apply/join?q=ynys+mon", {"council": str(council.id)}, form=1)
    assert response.status_code == 302
    membership = user.membership
    assert (membership.council, membership.role, membership.state) == (
        council,
        MembershipRole.LEAD,
        MembershipState.ACTIVE,
    )
    assert "You are now the lead for Ynys Môn" in client.get("/apply/").text


def test_later_members_ask_and_the_lead_approves(client, app, make, lead):
    council = lead.membership.council
    newcomer = make.user()
    client.sign_in(newcomer.email)
    client.submit(f"/apply/join?q={council.name}", {"council": str(council.id)}, form=1)
    assert newcomer.membership.state == MembershipState.REQUESTED
    assert client.get("/apply/").h1 == "Waiting for approval"
    told = db.session.scalar(sa.select(Email).where(Email.to_address == lead.email))
    assert told.subject == f"{newcomer.full_name} has asked to join {council.name}"

    lead_client = type(client)(app)
    lead_client.sign_in(lead.email)
    page = lead_client.get("/apply/members")
    assert newcomer.email in page.text
    form = page.soup.find("form", action=f"/apply/members/{newcomer.membership.id}/approve")
    assert form is not None
    response = lead_client.post(form["action"], data={"csrf_token": form.find("input")["value"]})
    assert response.status_code == 302
    assert newcomer.membership.state == MembershipState.ACTIVE
    assert client.get("/apply/").h1 == council.name


def test_only_the_lead_manages_members(client, make, lead):
    member = make.member(council=lead.membership.council)
    client.sign_in(member.email)
    page = client.get("/apply/members")
    assert page.soup.find("form", action=lambda a: a and a.endswith("/remove")) is None
    assert client.get("/apply/members/invite").status == 404
    other = make.member(council=lead.membership.council)
    response = client.post(
        f"/apply/members/{other.membership.id}/remove", data={"csrf_token": client.csrf_token()}
    )
    assert response.status_code == 302
    assert other.membership.state == MembershipState.ACTIVE
    assert "Only the council" in client.get("/apply/members").text


def test_a_lead_cannot_manage_another_councils_members(signed_in, make):
    stranger = make.member()
    response = signed_in.post(
        f"/apply/members/{stranger.membership.id}/remove",
        data={"csrf_token": signed_in.csrf_token()},
    )
    assert response.status == 404
    assert stranger.membership.state == MembershipState.ACTIVE


def test_invitations_let_colleagues_join(client, app, make, lead):
    client.sign_in(lead.email)
    response = client.submit("/apply/members/invite", {"email": "Colleague@Testbury.gov.uk"})
    assert response.status_code == 302
    email = db.session.scalar(
        sa.select(Email).where(Email.to_address == "colleague@testbury.gov.uk")
    )
    link = email.body_text.split("http://marks.test", 1)[1].split()[0]

    colleague = make.user(email="colleague@testbury.gov.uk")
    other = make.user(email="someone.else@testbury.gov.uk")
    other_client = type(client)(app)
    other_client.sign_in(other.email)
    refused = other_client.submit(link, {})
    assert refused.status == 400
    assert "This invitation is for colleague@testbury.gov.uk" in refused.text

    colleague_client = type(client)(app)
    colleague_client.sign_in(colleague.email)
    assert colleague_client.get(link).h1 == f"Join {lead.membership.council.name}"
    assert colleague_client.submit(link, {}).status_code == 302
    assert colleague.membership.council == lead.membership.council
    assert colleague_client.get(link).status == 400  # used once


def test_the_lead_cannot_remove_the_last_lead(signed_in, lead):
    page = signed_in.get("/apply/members")
    assert page.soup.find("form", action=f"/apply/members/{lead.membership.id}/remove") is None


# --- Starting and the task list --------------------------------------------------------------


def test_start_an_application_and_see_the_task_list(signed_in, lead, edition):
    application = start(signed_in)
    assert application.state == ApplicationState.DRAFT
    assert application.edition == edition
    assert len(application.answers) == len(edition.criteria)
    page = signed_in.get(f"/apply/applications/{application.id}")
    assert page.h1 == "Your application"
    headings = [h.get_text(" ", strip=True) for h in page.soup.select("h2.govuk-heading-m")]
    assert headings[0] == "About your council"
    assert headings[1].startswith("Myths debunked 0 of 4 criteria completed")
    assert headings[-1] == "Check and submit"
    statuses = [s.get_text(strip=True) for s in page.soup.select(".govuk-task-list__status")]
    assert statuses.count("Not started") == 1 + len(edition.criteria)


def test_one_open_application_at_a_time(signed_in, lead, edition):
    start(signed_in)
    response = signed_in.post("/apply/start", data={"csrf_token": signed_in.csrf_token()})
    assert response.status_code == 302
    page = signed_in.get("/apply/")
    assert "Your council already has an application in progress" in page.text
    assert "Continue your application" in page.text
    count = db.session.scalar(sa.select(sa.func.count(Application.id)))
    assert count == 1


def test_the_submission_window_is_enforced(signed_in, lead, edition):
    edition.opens_at = utcnow() - timedelta(days=60)
    edition.closes_at = utcnow() - timedelta(days=1)
    db.session.flush()
    page = signed_in.get("/apply/")
    assert f"Applications for the {edition.title} closed on" in page.text
    assert "Start your application" not in page.text  # said, not offered and then refused
    # A form sent from a page shown before it closed is refused, and says why.
    signed_in.post("/apply/start", data={"csrf_token": signed_in.csrf_token()})
    page = signed_in.get("/apply/")
    assert page.soup.select_one(".govuk-notification-banner") is not None
    assert (
        f"Applications for the {edition.title} closed on"
        in page.soup.select_one(".govuk-notification-banner").text
    )
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_with_no_edition_open_the_council_is_told_instead_of_offered_a_start(
    signed_in, lead, edition
):
    edition.opens_at = utcnow() + timedelta(days=30)  # the only one published, not yet open
    db.session.flush()
    page = signed_in.get("/apply/")
    assert page.status == 200
    assert "There is no edition of the criteria open for applications yet" in page.text
    assert page.soup.find("form", action="/apply/start") is None


# --- Answers ----------------------------------------------------------------------------------


def test_save_and_continue_saves_and_moves_on(signed_in, lead):
    application = start(signed_in)
    response = signed_in.submit(criterion_url(application, "MD1"), answer_data())
    assert response.headers["Location"] == criterion_url(application, "MD2")
    answer = applications.answer_for(application, "MD1")
    assert answer.self_score == 3
    assert answer.narrative.startswith("We publish an enabling policy")
    assert [link.url for link in answer.links] == [
        "https://www.testbury.gov.uk/social-media-policy"
    ]
    # The last criterion of a theme goes back to the task list.
    response = signed_in.submit(criterion_url(application, "MD4"), answer_data())
    assert response.headers["Location"] == f"/apply/applications/{application.id}"


def test_a_failed_validation_keeps_every_answer(signed_in, lead):
    application = start(signed_in)
    typed = answer_data(self_score="2", narrative="Words I must not lose", links="not a link")
    page = signed_in.submit(criterion_url(application, "MD1"), typed)
    assert page.status == 200
    assert page.error_summary() == ["“not a link” is not a web address: start it with https://"]
    assert page.field_value("narrative") == "Words I must not lose"
    assert page.field_value("links") == "not a link"
    checked = page.soup.find("input", attrs={"name": "self_score", "checked": True})
    assert checked["value"] == "2"


def test_save_and_continue_with_gaps_saves_and_says_what_is_missing(signed_in, lead):
    application = start(signed_in)
    page = signed_in.submit(
        criterion_url(application, "MD1"), answer_data(self_score=None, narrative="Half done")
    )
    assert page.status == 200
    assert page.error_summary() == ["Select a self-score"]
    assert "Your answer has been saved, but it is not complete yet" in page.text
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative == "Half done"
    assert applications.answer_progress(answer) == applications.Progress.IN_PROGRESS


def test_save_as_draft_never_validates_completeness(signed_in, lead, edition):
    application = start(signed_in)
    limit = applications.word_limit(edition.criteria[0])
    too_long = " ".join(["word"] * (limit + 5))
    response = signed_in.submit(
        criterion_url(application, "MD1"),
        answer_data(
            self_score=None,
            narrative=too_long,
            save_and_continue=None,
            save_as_draft="Save as draft",
        ),
    )
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    assert applications.count_words(answer.narrative) == limit + 5
    page = signed_in.get(criterion_url(application, "MD1"))
    assert "Your answer has been saved as a draft" in page.text
    assert page.field_value("narrative") == too_long
    assert page.soup.select_one(".govuk-character-count")["data-maxwords"] == str(limit)


def test_two_members_editing_the_same_answer_get_a_conflict(client, app, make, lead):
    colleague = make.member(council=lead.membership.council)
    client.sign_in(lead.email)
    application = start(client)
    other = type(client)(app)
    other.sign_in(colleague.email)

    url = criterion_url(application, "MD1")
    mine = client.get(url)
    theirs = other.get(url)
    token = lambda page: page.soup.find("input", attrs={"name": "csrf_token"})["value"]  # noqa: E731
    version = mine.field_value("version")
    assert version == theirs.field_value("version")

    saved = other.post(
        url,
        data={
            "csrf_token": token(theirs),
            "version": version,
            **answer_data(narrative="Their words <script>alert(1)</script>"),
        },
    )
    assert saved.status_code == 302
    page = client.post(
        url,
        data={"csrf_token": token(mine), "version": version, **answer_data(narrative="My words")},
    )
    assert page.status == 409
    assert page.h1 == "Someone else has changed this answer"
    assert "Their words <script>alert(1)</script>" in page.text and "My words" in page.text
    assert "<script>alert(1)" not in page.response.get_data(as_text=True)
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative == "Their words <script>alert(1)</script>"

    # Keeping mine resends my words against the version now saved.
    form = page.soup.find("form", action=url)
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    assert client.post(url, data=fields).status_code == 302
    assert answer.narrative == "My words"


def test_evidence_files_are_uploaded_checked_and_served_safely(signed_in, lead, app, make):
    application = start(signed_in)
    url = criterion_url(application, "MD1")
    page = signed_in.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    response = signed_in.post(
        url,
        data={
            **fields,
            "upload": "Upload file",
            "evidence_file": (io.BytesIO(PDF), "../../Policy.exe"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    [stored] = answer.files
    assert (stored.filename, stored.content_type) == ("Policy.pdf", "application/pdf")
    assert stored.content == PDF

    download = signed_in.get(f"/apply/applications/{application.id}/files/{stored.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    # A program renamed as a PDF is refused, and what was typed survives.
    page = signed_in.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    page = signed_in.post(
        url,
        data={
            **fields,
            "narrative": "Keep me",
            "upload": "Upload file",
            "evidence_file": (io.BytesIO(b"MZ\x90\x00" + b"\0" * 200), "report.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert page.status == 200
    assert page.error_summary()[0].startswith("The selected file must be a")
    assert page.field_value("narrative") == "Keep me"
    assert len(answer.files) == 1

    # Another council's member cannot download it.
    stranger = make.member()
    other = type(signed_in)(app)
    other.sign_in(stranger.email)
    assert other.get(f"/apply/applications/{application.id}/files/{stored.id}").status_code == 404


def test_a_member_of_another_council_gets_404_everywhere(signed_in, app, make, lead):
    application = start(signed_in)
    stranger = make.member()
    other = type(signed_in)(app)
    other.sign_in(stranger.email)
    base = f"/apply/applications/{application.id}"
    for path in ("", "/about", "/criteria/MD1", "/check", "/status", "/withdraw", "/submitted"):
        assert other.get(base + path).status == 404, path
    token = other.csrf_token()
    response = other.post(base + "/criteria/MD1", data={"csrf_token": token, **answer_data()})
    assert response.status == 404
    assert applications.answer_for(application, "MD1").narrative == ""


# --- Check, submit, status, withdraw ---------------------------------------------------------


def test_submit_needs_every_section_and_the_declaration(signed_in, lead):
    application = start(signed_in)
    page = signed_in.submit(
        f"/apply/applications/{application.id}/check", {"declaration_name": "Lena Lead"}
    )
    assert page.status == 200
    errors = page.error_summary()
    assert "Confirm the declaration to submit your application" in errors
    assert "Complete the details about your council" in errors
    assert "Complete MD1: A social media policy that enables" in errors
    assert application.state == ApplicationState.DRAFT


def test_complete_check_and_submit(signed_in, lead, make):
    admin = make.administrator()
    application = start(signed_in)
    complete(signed_in, application)
    page = signed_in.get(f"/apply/applications/{application.id}/check")
    assert page.h1 == "Check your answers before you submit"
    changes = [a for a in page.soup.select("a") if a.get_text(strip=True).startswith("Change")]
    assert len(changes) >= len(application.edition.criteria)
    response = signed_in.submit(
        f"/apply/applications/{application.id}/check",
        {"declaration": "y", "declaration_name": "Lena Lead"},
    )
    assert response.headers["Location"] == f"/apply/applications/{application.id}/submitted"
    assert application.state == ApplicationState.SUBMITTED
    assert application.submitted_at is not None
    assert application.declaration_name == "Lena Lead"
    to = set(
        db.session.scalars(
            sa.select(Email.to_address).where(
                Email.template.in_(["application_submitted", "application_submitted_admin"])
            )
        )
    )
    assert to == {lead.email, admin.email}

    # Locked: answers can no longer be changed.
    response = signed_in.get(criterion_url(application, "MD1"))
    assert response.headers["Location"] == f"/apply/applications/{application.id}/status"
    page = signed_in.get(f"/apply/applications/{application.id}/status")
    assert [h.get_text(strip=True) for h in page.soup.select(".marks-history h3")] == [
        "Submitted",
        "Application started",
    ]


def test_withdraw_before_a_decision(signed_in, lead, make):
    make.administrator()
    application = start(signed_in)
    response = signed_in.submit(
        f"/apply/applications/{application.id}/withdraw", {"reason": "We will apply next year"}
    )
    assert response.status_code == 302
    assert application.state == ApplicationState.WITHDRAWN
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "application.withdraw")
    )
    assert (event.from_state, event.to_state, event.reason) == (
        "draft",
        "withdrawn",
        "We will apply next year",
    )
    page = signed_in.get(f"/apply/applications/{application.id}/status")
    assert "Withdrawn" in page.text
    assert "Withdraw this application" not in page.text
    # A new application can start again.
    assert start(signed_in).id != application.id


# --- More information, renewal ----------------------------------------------------------------


def submitted_application(client, make) -> Application:
    application = start(client)
    complete(client, application)
    client.submit(
        f"/apply/applications/{application.id}/check",
        {"declaration": "y", "declaration_name": "Lena Lead"},
    )
    return application


def test_more_information_reopens_only_the_named_criteria(signed_in, lead, make):
    admin = make.administrator()
    application = submitted_application(signed_in, make)
    from marks import workflow

    workflow.transition(application, "start_review", actor=admin)
    md2 = applications.answer_for(application, "MD2").criterion
    applications.request_information(
        application, [md2], "Show us the firewall settings", actor=admin
    )
    db.session.flush()

    page = signed_in.get(f"/apply/applications/{application.id}")
    assert "Show us the firewall settings" in page.text
    titles = [t.get_text(strip=True) for t in page.soup.select(".govuk-task-list__name-and-hint a")]
    assert titles == ["MD2: Social media sites open to staff"]
    # Not reopened: locked.
    assert signed_in.get(criterion_url(application, "MD1")).status_code == 302
    response = signed_in.submit(
        criterion_url(application, "MD2"),
        answer_data(narrative="We publish an enabling policy.\nFirewall screenshot attached."),
    )
    assert response.status_code == 302
    response = signed_in.submit(f"/apply/applications/{application.id}", {})
    assert response.headers["Location"] == f"/apply/applications/{application.id}/status"
    assert application.state == ApplicationState.UNDER_REVIEW

    request = applications.latest_request(application)
    assert request.responded_at is not None
    [change] = applications.changes(request)
    assert change.changed
    assert change.before.narrative == "We publish an enabling policy and review it every year."
    assert "+Firewall screenshot attached." in change.narrative_diff


def test_renewal_is_prefilled_from_the_last_application(signed_in, lead, make, edition):
    admin = make.administrator()
    application = submitted_application(signed_in, make)
    application.state = ApplicationState.APPROVED
    application.decided_at = utcnow()
    award = Award(
        application=application,
        council_id=application.council_id,
        edition_id=edition.id,
        level_id=edition.levels[0].id,
        certificate_number="SMFM-2026-00001",
        year=2026,
        sequence=1,
        awarded_on=date(2024, 1, 1),
        expires_on=date(2026, 1, 1),
        state=AwardState.CURRENT,
    )
    db.session.add(award)
    db.session.flush()
    assert admin

    page = signed_in.get("/apply/")
    assert "Renew the Mark" in page.text
    renewal = start(signed_in)
    assert renewal.id != application.id
    assert renewal.renews_award_id == award.id
    assert renewal.contact_email == ABOUT["contact_email"]
    answer = applications.answer_for(renewal, "MD1")
    assert answer.self_score == 3
    assert answer.narrative == "We publish an enabling policy and review it every year."
    assert [link.url for link in answer.links] == [
        "https://www.testbury.gov.uk/social-media-policy"
    ]


def test_an_expired_session_does_not_lose_the_post(signed_in, lead):
    application = start(signed_in)
    url = criterion_url(application, "MD1")
    page = signed_in.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    signed_in.http.delete_cookie("session")  # the session expires while the form is open

    typed = answer_data(narrative="Two hours of careful writing")
    page = signed_in.post(url, data={**fields, **typed})
    assert page.status == 200
    assert page.h1 == "Sign in"
    assert "Sign in again and we will save them" in page.text
    carried = {i["name"]: i["value"] for i in page.soup.select("input[name^=replay-]")}
    assert carried["replay-narrative"] == "Two hours of careful writing"
    assert "replay-csrf_token" not in carried
    assert applications.answer_for(application, "MD1").narrative == ""

    form = page.soup.find("form")
    hidden = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    page = signed_in.post(
        form["action"], data={**hidden, "email": lead.email, "password": "correct horse battery"}
    )
    assert page.h1 == "Save your answers"
    form = page.soup.find("form")
    assert form["action"] == url
    response = signed_in.post(
        url, data={i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    )
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative == "Two hours of careful writing"
    assert answer.self_score == 3


def upload(client, application, code, content, filename="evidence.pdf"):
    url = criterion_url(application, code)
    page = client.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    return client.post(
        url,
        data={**fields, "upload": "Upload file", "evidence_file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_evidence_size_limits_per_file_and_per_application(app, signed_in, lead):
    application = start(signed_in)
    padding = b"%" + b"x" * 1000 + b"\n"
    pdf = PDF[:-6] + padding * 2 + b"%%EOF\n"  # about 2KB
    limits = {"EVIDENCE_MAX_FILE_BYTES": 3 * 1024, "EVIDENCE_MAX_APPLICATION_BYTES": 5 * 1024}
    old = {k: app.config[k] for k in limits}
    app.config.update(limits)
    try:
        too_big = PDF[:-6] + padding * 4 + b"%%EOF\n"  # about 4KB
        page = upload(signed_in, application, "MD1", too_big)
        assert page.error_summary() == ["The selected file must be smaller than 3KB"]
        assert upload(signed_in, application, "MD1", pdf).status_code == 302
        assert upload(signed_in, application, "MD2", pdf).status_code == 302
        page = upload(signed_in, application, "MD3", pdf)
        assert page.error_summary()[0].startswith(
            "Adding this file would take your application's evidence over 5KB"
        )
    finally:
        app.config.update(old)
    assert applications.evidence_bytes(application) == 2 * len(pdf)


def test_removing_an_evidence_file_keeps_the_rest_of_the_answer(signed_in, lead):
    application = start(signed_in)
    upload(signed_in, application, "MD1", PDF, "policy.pdf")
    answer = applications.answer_for(application, "MD1")
    [stored] = answer.files
    page = signed_in.get(criterion_url(application, "MD1"))
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    response = signed_in.post(
        criterion_url(application, "MD1"),
        data={**fields, "narrative": "Typed before removing", "remove_file": str(stored.id)},
    )
    assert response.status_code == 302
    assert answer.files == []
    assert answer.narrative == "Typed before removing"
    assert "The file has been removed" in signed_in.get(criterion_url(application, "MD1")).text
