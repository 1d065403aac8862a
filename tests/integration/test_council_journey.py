"""The council's journey through HTTP: starting, the task list, check your answers, submit,
status, withdraw, more information and renewal. Joining a council is in test_council_members.py;
answers that are never lost, and evidence, in test_council_answers.py."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from marks.applying import applications
from marks.extensions import db
from marks.models import Application, AuditEvent, Award, Email, utcnow
from marks.states import ApplicationState, AwardState
from tests.integration import application_pages
from tests.integration.application_pages import answer_data, criterion_url, start

# The fixtures, defined once in application_pages.py: named here so that pytest finds them.
lead = application_pages.lead
signed_in = application_pages.signed_in


ABOUT = {
    "contact_name": "Lena Lead",
    "contact_email": "lena@testbury.gov.uk",
    "contact_phone": "01234 567890",
    "website": "https://www.testbury.gov.uk",
    "social_accounts": "https://x.com/testbury\nhttps://www.facebook.com/testbury",
    "save_and_continue": "Save and continue",
}


def complete(client, application: Application) -> None:
    assert client.submit(f"/apply/applications/{application.id}/about", ABOUT).status_code == 302
    for criterion in application.edition.criteria:
        response = client.submit(criterion_url(application, criterion.code), answer_data())
        assert response.status_code == 302, criterion.code


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


def reopened_application(client, make) -> Application:
    """Submitted, under review, and MD2 reopened with a request for more information."""
    from marks import workflow

    admin = make.administrator()
    application = submitted_application(client, make)
    workflow.transition(application, "start_review", actor=admin)
    md2 = applications.answer_for(application, "MD2").criterion
    applications.request_information(
        application, [md2], "Show us the firewall settings", actor=admin
    )
    db.session.flush()
    return application


def test_more_information_reopens_only_the_named_criteria(signed_in, lead, make):
    application = reopened_application(signed_in, make)

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


def test_reopened_criteria_say_changes_were_asked_for_and_counts_add_up(signed_in, lead, make):
    application = reopened_application(signed_in, make)
    page = signed_in.get(f"/apply/applications/{application.id}")
    [item] = page.soup.select(".govuk-task-list__item")
    assert item.select_one(".govuk-task-list__status").get_text(strip=True) == "Changes requested"
    assert "Show us the firewall settings" in item.select_one(".govuk-task-list__hint").text
    [heading] = [h.get_text(" ", strip=True) for h in page.soup.select("h2.govuk-heading-m")][:1]
    assert heading.endswith("0 of 1 criterion completed")


def test_resubmit_is_refused_until_each_reopened_criterion_is_saved_or_confirmed(
    signed_in, lead, make
):
    from marks import workflow

    application = reopened_application(signed_in, make)
    assert not workflow.may(application, "resubmit", lead)
    page = signed_in.submit(f"/apply/applications/{application.id}", {})
    assert page.headers["Location"] == f"/apply/applications/{application.id}"
    page = signed_in.get(page.headers["Location"])
    assert (
        "Change MD2: Social media sites open to staff, or confirm it needs no changes, "
        "before you resubmit"
    ) in page.soup.select_one(".govuk-notification-banner").text
    assert application.state == ApplicationState.INFO_REQUESTED

    # "No changes needed" on the criterion's page counts as answering it, unchanged.
    before = applications.answer_for(application, "MD2").narrative
    page = signed_in.get(criterion_url(application, "MD2"))
    assert "Show us the firewall settings" in page.text
    button = page.soup.find("button", string=lambda text: text and "No changes needed" in text)
    response = signed_in.post(
        button["formaction"], data={"csrf_token": signed_in.csrf_token(), "narrative": "Ignored"}
    )
    assert response.headers["Location"] == f"/apply/applications/{application.id}"
    answer = applications.answer_for(application, "MD2")
    assert answer.narrative == before
    assert answer.reopened_confirmed_at is not None
    page = signed_in.get(f"/apply/applications/{application.id}")
    assert page.soup.select_one(".govuk-task-list__status").get_text(strip=True) == "Completed"
    assert "1 of 1 criterion completed" in page.text
    assert workflow.may(application, "resubmit", lead)

    response = signed_in.submit(f"/apply/applications/{application.id}", {})
    assert response.headers["Location"] == f"/apply/applications/{application.id}/status"
    assert application.state == ApplicationState.UNDER_REVIEW
    assert answer.reopened_confirmed_at is None and not answer.reopened
    # The audit log says the council confirmed it unchanged.
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "application.resubmit")
    ).one()
    assert event.data == {"saved_again": [], "no_changes_needed": ["MD2"]}


# --- After submitting: a reference, and a copy of what was sent ------------------------------


def test_after_submitting_the_council_gets_a_reference_and_can_read_what_it_sent(
    signed_in, lead, make
):
    from tests.helpers.pdfs import text_of

    application = start(signed_in)
    complete(signed_in, application)
    signed_in.submit(
        criterion_url(application, "MD2"),
        answer_data(narrative="Our <b>open</b> policy & more\nSecond line"),
    )
    signed_in.submit(
        f"/apply/applications/{application.id}/check",
        {"declaration": "y", "declaration_name": "Lena Lead"},
    )
    reference = f"APP-{application.id:06d}"

    page = signed_in.get(f"/apply/applications/{application.id}/submitted")
    assert reference in page.soup.select_one(".govuk-panel").text
    email = db.session.scalar(sa.select(Email).where(Email.template == "application_submitted"))
    assert reference in email.body_text

    page = signed_in.get(f"/apply/applications/{application.id}/submission")
    assert page.h1 == "Your application as submitted"
    assert reference in page.text
    assert "Our <b>open</b> policy & more" in page.text  # shown as typed, never as markup
    assert page.soup.find("b", string="open") is None
    assert "https://www.testbury.gov.uk/social-media-policy" in page.text
    assert not [a for a in page.soup.select("a") if a.get_text(strip=True).startswith("Change")]
    assert page.soup.find("a", href=f"/apply/applications/{application.id}/submission.pdf")

    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    pdf = signed_in.get(f"/apply/applications/{application.id}/submission.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    text = text_of(pdf.data)
    assert reference in text and lead.membership.council.name in text
    assert "Our <b>open</b> policy & more" in text
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events  # GET: no write


def test_before_submitting_there_is_no_copy_to_read(signed_in, lead):
    application = start(signed_in)
    response = signed_in.get(f"/apply/applications/{application.id}/submission")
    assert response.headers["Location"] == f"/apply/applications/{application.id}"
    response = signed_in.get(f"/apply/applications/{application.id}/submission.pdf")
    assert response.headers["Location"] == f"/apply/applications/{application.id}"
