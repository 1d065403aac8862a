"""The administrators' records: the audit log (filters, pages, CSV), sending a failed email
again, the HTML preview of an email, and the slow commands' progress and summaries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marks import audit, mail
from marks.applying import applications
from marks.extensions import db
from marks.models import AuditEvent, Certificate, Council, Email, utcnow
from marks.people import council_imports, users
from marks.scheme import issuer
from marks.states import EmailState, MembershipRole
from tests.helpers.applications import complete_application
from tests.helpers.pdfs import text_of
from tests.pages import DEMO_PASSWORD, PageClient, signed_in


@pytest.fixture
def admin(make):
    return make.administrator(email="admin@scheme.org", full_name="Ada Admin")


@pytest.fixture
def history(app, make, admin):
    """Events made by real actions: a sign-up through the pages, an application started and
    submitted, a membership added by the service, an application withdrawn with a reason."""
    make.demo_edition()
    response = PageClient(app).submit(
        "/sign-up",
        {
            "full_name": "Nia Newcomer",
            "email": "nia@darlington.gov.uk",
            "password": DEMO_PASSWORD,
            "confirm": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 302
    submitted = complete_application(make)
    other = make.council(gss_code="W06000001", name="Isle of Anglesey")
    joiner = make.user(email="owain@anglesey.gov.wales")
    users.add_to_council(joiner, other, MembershipRole.LEAD, actor=None)
    withdrawn = applications.start(other, actor=joiner)
    applications.withdraw(withdrawn, actor=joiner, reason='=HYPERLINK("http://evil")')
    db.session.flush()
    return {"submitted": submitted, "withdrawn": withdrawn, "other": other, "joiner": joiner}


def rows(page) -> list[str]:
    return [tr.get_text(" ", strip=True) for tr in page.soup.select("ol.marks-history > li")]


def details(tr) -> dict[str, str]:
    """An event's details: the summary list in its expanding details component."""
    return {
        row.select_one(".govuk-summary-list__key").get_text(" ", strip=True): row.select_one(
            ".govuk-summary-list__value"
        ).get_text(" ", strip=True)
        for row in tr.select(".govuk-details .govuk-summary-list__row")
    }


def said(tr) -> str:
    """What a row says before its details are opened: the sentence and the states."""
    return tr.select_one(".marks-event").get_text(" ", strip=True)


def actions_in(page) -> set[str]:
    return {details(tr)["Code in the CSV"] for tr in page.soup.select("ol.marks-history > li")}


def test_the_audit_log_lists_what_happened_newest_first(app, history, admin):
    client = signed_in(app, admin)
    page = client.get("/admin/audit")
    assert page.status == 200
    assert page.h1 == "Audit log"
    # No table wider than the page: a list of events, each when and what happened in words.
    assert not page.soup.select("table")
    trs = page.soup.select("ol.marks-history > li")
    sentences = [said(tr) for tr in trs]
    assert " at " in trs[0].select_one("time").get_text()  # 6 December 2026 at 3:19pm
    # A valid HTML date and time: at most three digits of a second (the Nu HTML Checker).
    stamp = trs[0].select_one("time")["datetime"]
    assert datetime.fromisoformat(stamp).microsecond == 0, stamp
    # The last thing done comes first: the administrator signing in to look.
    assert sentences[0] == "Ada Admin signed in"
    assert {
        "user.created",
        "application.started",
        "application.submit",
        "membership.added",
        "application.withdraw",
    } <= actions_in(page)
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    assert page.soup.select_one("#results").get_text(strip=True) == f"{total} events"
    # No codes, arrows or JSON until the details are opened.
    for text in sentences:
        assert not any(mark in text for mark in ("application.", "user.", "→", "{", '"')), text

    submitted, withdrawn = history["submitted"], history["withdrawn"]
    assert "Nia Newcomer created an account" in sentences
    submitter = next(s for s in sentences if "submitted the application for" in s)
    assert submitter.endswith(
        f"submitted the application for {submitted.council.name} Draft to Submitted"
    )
    # Done by the service itself, not a person; its details as a summary list.
    added = next(tr for tr in trs if said(tr).startswith("The service added"))
    joiner = history["joiner"]
    assert said(added) == f"The service added {joiner.full_name} to Isle of Anglesey Now Active"
    assert details(added)["Who"] == "The service"
    assert details(added)["Role"] == "Lead"
    # States as GOV.UK tags; the reason, and who may read it, in the details.
    row = next(tr for tr in trs if details(tr)["Code in the CSV"] == "application.withdraw")
    assert said(row) == (
        f"{joiner.full_name} withdrew the application for Isle of Anglesey Draft to Withdrawn"
    )
    assert [t.get_text(strip=True) for t in row.select(".govuk-tag")] == ["Draft", "Withdrawn"]
    told = details(row)
    assert told["Reason"] == '=HYPERLINK("http://evil")'
    assert told["Who may read the reason"] == "The council’s members and the scheme’s staff"
    assert told["Who"] == f"{joiner.full_name} owain@anglesey.gov.wales"
    assert told["Application"] == f"Every event of application {withdrawn.id}"
    # Each council links to its public page; each application to its own events.
    assert row.find("a", string="Isle of Anglesey")["href"] == "/councils/W06000001"
    assert row.find("a", href=f"/admin/audit?application={withdrawn.id}")

    # The actions to filter by are those the log holds, by name; the CSV keeps the codes.
    options = {o["value"]: o.get_text(strip=True) for o in page.soup.select("#action option")}
    assert options["application.submit"] == "Application: submit"
    assert "award.revoked" not in options
    assert "keeps the codes the service records" in page.text


def test_each_filter_narrows_the_log(app, history, admin):
    client = signed_in(app, admin)
    submitted, withdrawn = history["submitted"], history["withdrawn"]

    page = client.get(f"/admin/audit?application={submitted.id}")
    assert actions_in(page) == {"application.started", "application.submit"}
    assert all(f"{submitted.council.name}" in r for r in rows(page))
    assert page.field_value("application") == str(submitted.id)

    by_code = client.get("/admin/audit?council=w06000001")
    by_name = client.get("/admin/audit?council=anglesey")
    assert rows(by_code) == rows(by_name)
    assert actions_in(by_code) == {
        "membership.added",
        "application.started",
        "application.withdraw",
    }

    page = client.get("/admin/audit?user=DARLINGTON")
    assert actions_in(page) == {"user.created"}
    assert all("nia@darlington.gov.uk" in r for r in rows(page))

    page = client.get("/admin/audit?action=application.withdraw")
    assert len(rows(page)) == 1
    assert page.soup.select_one("#action option[selected]")["value"] == "application.withdraw"

    # Filters combine, and are kept in the link to the CSV.
    page = client.get("/admin/audit?council=anglesey&action=application.started")
    [only] = rows(page)
    assert f"Application {withdrawn.id}" in only
    link = page.soup.find("a", string="Download these events as CSV")["href"]
    assert link == "/admin/audit.csv?council=anglesey&action=application.started"

    page = client.get("/admin/audit?user=nobody-at-all")
    assert rows(page) == [] and "No event matches these filters." in page.text


def test_the_date_filters_follow_uk_days(app, history, admin):
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    winter, summer_night, later = events[0], events[1], events[2]
    winter.occurred_at = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    # 00:30 on 1 July in London (British Summer Time), still 30 June in UTC.
    summer_night.occurred_at = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
    later.occurred_at = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
    db.session.flush()
    client = signed_in(app, admin)

    page = client.get("/admin/audit?date_from=2025-01-01&date_to=2025-01-31")
    assert len(rows(page)) == 1 and "10 January 2025 at 12:00pm" in rows(page)[0]
    page = client.get("/admin/audit?date_from=2025-07-01&date_to=2025-07-01")
    assert len(rows(page)) == 1 and "1 July 2025 at 12:30am" in rows(page)[0]
    page = client.get("/admin/audit?date_to=2025-06-30")
    assert len(rows(page)) == 1
    page = client.get("/admin/audit?date_from=2025-07-01&date_to=2025-12-31")
    assert len(rows(page)) == 2


def test_filters_that_make_no_sense_are_shown_with_errors(app, history, admin):
    client = signed_in(app, admin)
    page = client.get(
        "/admin/audit?date_from=2025-02-30&date_to=yesterday&application=abc&council=hull"
    )
    assert page.status == 400
    assert page.soup.title.get_text().startswith("Error: Audit log")
    assert page.error_summary() == [
        "Application ID must be a number, like 42",
        "Date from must be a real date, like 2026-03-27",
        "Date to must be a real date, like 2026-03-27",
    ]
    # What was typed stays, to be corrected.
    assert page.field_value("date_from") == "2025-02-30"
    assert page.field_value("application") == "abc"
    assert page.field_value("council") == "hull"
    assert not page.soup.select("ol.marks-history > li")

    page = client.get("/admin/audit?date_from=2025-03-01&date_to=2025-02-01")
    assert page.status == 400
    assert page.error_summary() == ["Date to must be the same as or after date from"]
    page = client.get("/admin/audit?action=user.deleted_everything")
    assert page.error_summary() == ["Choose an action from the list"]
    page = client.get("/admin/audit?application=99999999999999")
    assert page.error_summary() == ["Application ID must be a number, like 42"]
    assert client.get("/admin/audit.csv?date_from=tomorrow").status_code == 400


def test_pages_of_fifty(app, make, admin):
    council = make.council()
    for i in range(60):
        audit.record("council.checked", council, actor=None, council_id=council.id, n=i)
    client = signed_in(app, admin)
    first = client.get("/admin/audit?action=council.checked")
    assert len(rows(first)) == 50
    assert details(first.soup.select("ol.marks-history > li")[0])["N"] == "59"  # newest first
    assert first.soup.select_one(".govuk-pagination__next a")["href"] == (
        "/admin/audit?action=council.checked&page=2"
    )
    second = client.get("/admin/audit?action=council.checked&page=2")
    assert len(rows(second)) == 10
    assert details(second.soup.select("ol.marks-history > li")[-1])["N"] == "0"
    assert second.soup.select_one(".govuk-pagination__prev a")["href"] == (
        "/admin/audit?action=council.checked"
    )
    for bad in ("0", "3", "two", "-1", "99999999999"):
        assert client.get(f"/admin/audit?action=council.checked&page={bad}").status == 404


def test_the_csv_has_the_filtered_events_and_no_formulas(app, history, admin):
    client = signed_in(app, admin)
    response = client.get("/admin/audit.csv?council=anglesey")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    records = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in records] == [
        "application.withdraw",
        "application.started",
        "membership.added",
    ]
    withdrawn = records[0]
    assert withdrawn["reason"] == '\'=HYPERLINK("http://evil")'  # shown, never run
    assert withdrawn["council_gss_code"] == "W06000001"
    assert withdrawn["council"] == "Isle of Anglesey"
    assert withdrawn["application_id"] == str(history["withdrawn"].id)
    assert withdrawn["actor_email"] == "owain@anglesey.gov.wales"
    assert (withdrawn["from_state"], withdrawn["to_state"]) == ("draft", "withdrawn")
    assert records[2]["actor_name"] == "The service" and records[2]["actor_email"] == ""
    assert datetime.fromisoformat(withdrawn["occurred_at"]).tzinfo is not None

    everything = client.get("/admin/audit.csv").get_data(as_text=True)
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    assert len(list(csv.DictReader(io.StringIO(everything)))) == total


def test_the_log_asks_the_database_the_same_number_of_times_for_any_number_of_rows(
    app, make, admin
):
    client = signed_in(app, admin)

    def add_events(n: int) -> None:
        for _ in range(n):
            person = make.member()  # each event with its own actor and council
            audit.record(
                "membership.checked",
                person.membership,
                actor=person,
                council_id=person.membership.council_id,
                application_id=None,
            )
        db.session.flush()

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries_for(url: str) -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    add_events(2)
    few = queries_for("/admin/audit")
    add_events(45)
    many = queries_for("/admin/audit")
    assert few == many, (few, many)
    # 8: each page for someone signed in also asks whether "Your council" is theirs, and
    # every page reads the scheme's issuer for its footer.
    assert many <= 8, statements
    assert queries_for("/admin/audit?council=testbury&user=council") == many


@pytest.mark.parametrize("who", ["member", "assessor"])
def test_nobody_else_sees_the_records(app, make, who):
    user = make.member() if who == "member" else make.assessor()
    sender = make.user()
    email = mail.queue(sender.email, "password_changed", user=sender)
    email.state, email.attempts, email.last_error = EmailState.FAILED, 6, "Refused"
    db.session.flush()
    client = signed_in(app, user)
    for url in ("/admin/audit", "/admin/audit.csv", f"/admin/outbox/{email.id}/preview.html"):
        assert client.get(url).status_code == 404, url
    token = client.csrf_token()
    response = client.post(f"/admin/outbox/{email.id}/resend", data={"csrf_token": token})
    assert response.status_code == 404
    assert email.state == EmailState.FAILED


def failed_email(make) -> Email:
    user = make.user(email="bounced@council.gov.uk")
    email = mail.queue(user.email, "password_changed", user=user)
    email.state = EmailState.FAILED
    email.attempts = mail.MAX_ATTEMPTS
    email.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    db.session.flush()
    return email


def test_a_failed_email_can_be_sent_again(app, make, admin):
    email = failed_email(make)
    client = signed_in(app, admin)
    page = client.get("/admin/outbox")
    assert "ConnectionRefusedError" in page.soup.select_one("tbody tr").get_text(" ", strip=True)

    page = client.get(f"/admin/outbox/{email.id}")
    assert "This email could not be sent after 6 attempts" in page.text
    action = f"/admin/outbox/{email.id}/resend"
    form = page.soup.find("form", action=action)
    response = client.post(action, data={"csrf_token": form.find("input")["value"]})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/outbox/{email.id}"
    assert (email.state, email.attempts, email.next_attempt_at) == (EmailState.QUEUED, 0, None)
    assert "ConnectionRefusedError" in email.last_error  # kept until it is sent
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "email.resent"))
    assert (event.actor_id, event.subject_type, event.subject_id) == (admin.id, "Email", email.id)
    assert (event.from_state, event.to_state) == ("failed", "queued")
    assert "ConnectionRefusedError" in event.data["last_error"]

    page = client.get(f"/admin/outbox/{email.id}")
    assert "The email to bounced@council.gov.uk will be sent again." in page.text
    assert page.soup.find("form", action=action) is None  # queued: nothing to resend

    assert mail.send_queued() == (1, 0)
    db.session.refresh(email)
    assert email.state == EmailState.SENT and email.last_error is None

    # Once sent (or while queued), it cannot be "sent again".
    response = client.post(action, data={"csrf_token": client.csrf_token()})
    assert response.status_code == 302
    page = client.get(f"/admin/outbox/{email.id}")
    assert "Only an email that could not be sent can be sent again: this one is sent." in (
        page.text
    )
    assert email.state == EmailState.SENT
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "email.resent")
        )
        == 1
    )


def test_resending_needs_the_csrf_token(app, make, admin):
    email = failed_email(make)
    client = signed_in(app, admin)
    assert client.post(f"/admin/outbox/{email.id}/resend").status_code == 400
    assert email.state == EmailState.FAILED
    response = client.post("/admin/outbox/98765/resend", data={"csrf_token": client.csrf_token()})
    assert response.status_code == 404


def test_the_html_preview_runs_nothing(app, make, admin):
    html = (
        '<!DOCTYPE html><html><body style="color:#0b0c0c"><p>Hello</p>'
        "<script>alert(1)</script></body></html>"
    )
    email = Email(
        to_address="someone@council.gov.uk",
        subject="Your council's application",
        body_text="Hello",
        body_html=html,
        template="application_approved",
    )
    plain = mail.queue("x@council.gov.uk", "password_changed", user=make.user())
    db.session.add(email)
    db.session.flush()
    client = signed_in(app, admin)
    page = client.get(f"/admin/outbox/{email.id}")
    link = page.soup.find("a", string="See the HTML version of the email")
    assert link["href"] == f"/admin/outbox/{email.id}/preview.html"

    response = client.request("GET", link["href"])  # the email itself: not one of our pages
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == html
    # Talisman sets the policy after the view; the view's own options are what arrive.
    policy = response.headers["Content-Security-Policy"]
    directives = dict((d.strip() + " ").split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"].strip() == "'none'"
    assert directives["style-src"].strip() == "'unsafe-inline'"
    assert directives["img-src"].strip() == "'self' data:"
    assert "script-src" not in directives and "nonce" not in policy
    assert "sandbox" in directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    # The service's other pages keep the service's own policy.
    assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]

    assert "See the HTML version" not in client.get(f"/admin/outbox/{plain.id}").text
    assert client.get(f"/admin/outbox/{plain.id}/preview.html").status == 404
    assert client.get("/admin/outbox/98765/preview.html").status == 404


# --- The commands ---------------------------------------------------------------------------


def test_regenerate_certificates_renders_only_what_changed(runner, award, app, monkeypatch):
    stored = db.session.scalar(sa.select(Certificate))  # made when the award was issued
    first = stored.sha256
    unchanged = runner.invoke(args=["regenerate-certificates"])
    assert unchanged.exit_code == 0, unchanged.output
    assert "Certificates" in unchanged.output  # the progress bar's label
    assert "0 certificates rendered, 1 unchanged" in unchanged.output

    # What every certificate prints changes: a new signatory, in the scheme's settings.
    issuer.update(actor=None, signatory_name="Robin Example")
    db.session.commit()
    result = runner.invoke(args=["regenerate-certificates"])
    assert "1 certificates rendered, 0 unchanged" in result.output
    db.session.refresh(stored)
    assert stored.sha256 != first
    assert "Robin Example" in text_of(stored.pdf)

    # An award with no certificate yet (issued before they were made at issue) gets one.
    db.session.delete(stored)
    db.session.commit()
    assert "1 certificates rendered" in runner.invoke(args=["regenerate-certificates"]).output
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1

    award.expires_on = utcnow().date() - timedelta(days=1)  # expired: left as it is
    award.awarded_on = award.expires_on - timedelta(days=700)
    award.council.name = "Renamed Again"
    db.session.flush()
    assert (
        "0 certificates rendered, 0 unchanged"
        in runner.invoke(args=["regenerate-certificates"]).output
    )


def test_import_councils_shows_progress_and_links_parents_listed_after_children(runner):
    with council_imports.ENGLAND_AND_WALES.open(newline="", encoding="utf-8-sig") as stream:
        ons_rows = list(csv.DictReader(stream))
    result = runner.invoke(args=["import-councils", str(council_imports.ENGLAND_AND_WALES)])
    assert result.exit_code == 0, result.output
    assert "Councils" in result.output
    assert "355 added, 0 updated, 0 unchanged" in result.output
    # Districts come before their counties in the ONS file, across chunks of 100.
    district = db.session.scalar(sa.select(Council).where(Council.parent_id.is_not(None)))
    assert district is not None
    assert db.session.scalar(
        sa.select(sa.func.count(Council.id)).where(Council.parent_id.is_not(None))
    ) == sum(1 for row in ons_rows if row["parent_gss_code"])

    # Linking a parent in its own chunk is not an edit of the council.
    assert "council.edited" not in db.session.scalars(sa.select(AuditEvent.action)).all()

    again = runner.invoke(args=["import-councils", str(council_imports.ENGLAND_AND_WALES)])
    assert "0 added, 0 updated, 355 unchanged" in again.output


def test_import_councils_with_an_unknown_parent_imports_nothing(runner, tmp_path):
    bad = tmp_path / "orphans.csv"
    bad.write_text(
        "gss_code,name,kind,nation,parent_gss_code,parent_name\n"
        "E07000999,Nowhere District,District council,England,E10009999,Nowhere County\n"
    )
    result = runner.invoke(args=["import-councils", str(bad)])
    assert result.exit_code != 0
    assert "parent E10009999 is not a known council" in result.output
    assert "Nothing was imported" in result.output
    assert db.session.scalar(sa.select(Council).where(Council.gss_code == "E07000999")) is None
