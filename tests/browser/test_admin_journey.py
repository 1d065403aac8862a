"""The administrators' areas in a real browser: how the scheme is doing (charts with tables),
councils (search, add, edit and record email domains, import a CSV with a preview), people
(search, a person's assignments, inviting an assessor, downloading a person's data and erasing
it), the audit log (filters, errors, CSV) and the outbox.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from playwright.sync_api import Locator, expect

from marks import mail
from marks.extensions import db
from marks.models import Application, AuditEvent, Email, User
from marks.people import staff, users
from marks.states import ApplicationState
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import ADMIN, sign_in
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value

# The demo data of `flask seed-demo` (marks/seed/demo.py).
ASSESSOR = "assessor1@example.org"
ASSESSOR_NAME = "Asha Assessor"
HARTLEPOOL = "E06000001"

# A Scottish council the test adds, and one the CSV file adds.
NEW_GSS = "S12000099"
NEW_NAME = "Glen Test Council"
RENAMED = "Glen and Loch Test Council"
NEW_DOMAIN = "glentest.gov.scot"
IMPORTED_GSS = "S12000098"
IMPORTED_NAME = "Strath Test Council"
IMPORTED_AGAIN = "Glen, Loch and Brae Test Council"
INVITED = "new.assessor@example.org"

FIGURES = [
    "Applications by state",
    "Councils holding the Mark, by level",
    "Councils holding the Mark, by nation",
    "Decisions in the last 12 months",
    "Average time from submission to decision",
    "Assessors' workload",
    "Overdue assessments",
    "Awards expiring in the next 90 days",
]
CHARTS = {
    "Applications by state": "Applications by state",
    "Councils holding the Mark, by level": "Councils holding the Mark, by level",
    "Councils holding the Mark, by nation": "Councils holding the Mark, by nation",
    "Decisions in the last 12 months": "Decisions in the last 12 months",
    "Assessors' workload": "Unfinished assessments by assessor",
}


# ---------------------------------------------------------------------------
# What a person sees
# ---------------------------------------------------------------------------


def results(page: CheckedPage) -> Locator:
    """The count above a list's table ("3 councils", "120 events")."""
    return page.locator("#results")


def count_of(page: CheckedPage) -> int:
    return int(results(page).inner_text().split()[0].replace(",", ""))


def sign_in_to_administration(page: CheckedPage, section: str | None = None) -> None:
    """Sign in as the demo administrator through the form, and open Administration (and one
    of its sections)."""
    sign_in(page, ADMIN)
    page.submit(navigation(page).get_by_role("link", name="Administration").click)
    expect(heading(page)).to_have_text("Administration")
    if section is not None:
        page.submit(page.get_by_role("link", name=section, exact=True).click)
        expect(heading(page)).to_have_text(section)


def expect_errors(page: CheckedPage, title: str, messages: list[str]) -> None:
    """The GOV.UK error summary: the title says so, the summary links to each problem."""
    expect(page.page).to_have_title(f"Error: {title} – Social Media Friendly Mark")
    summary = error_summary(page)
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(messages)
    expect(summary).to_be_focused()


# ---------------------------------------------------------------------------
# The journeys
# ---------------------------------------------------------------------------


def test_the_dashboard_shows_how_the_scheme_is_doing(page: CheckedPage, live_server: LiveServer):
    with live_server.app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(Application.state, sa.func.count()).group_by(Application.state)
            ).all()
        )
        db.session.remove()
    assert counts, "the demo data has no applications"

    sign_in_to_administration(page, None)
    page.submit(page.get_by_role("link", name="How the scheme is doing").click)
    expect(heading(page)).to_have_text("How the scheme is doing")
    main = page.locator("main")
    expect(main.get_by_role("heading", level=2)).to_have_text(FIGURES)

    # Every chart is an image with a name, and has a table of the same figures beside it.
    charts = main.locator("svg[role=img]")
    expect(charts).to_have_count(len(CHARTS))
    for section_heading, title in CHARTS.items():
        section = main.get_by_role("region", name=section_heading)
        chart = section.get_by_role("img")
        expect(chart).to_have_count(1)
        # Named by its title, then what it shows (its description).
        expect(chart).to_have_accessible_name(re.compile(rf"^{re.escape(title)} \S"))
        expect(section.get_by_role("table", name=title)).to_have_count(1)

    # The applications' table says what the database holds, every state listed.
    table = main.get_by_role("table", name="Applications by state")
    expect(table.get_by_role("columnheader")).to_have_text(["State", "Applications"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(ApplicationState))
    for row, state in zip(rows.all(), ApplicationState, strict=True):
        expect(row.get_by_role("rowheader")).to_have_text(state.label)
        expect(row.get_by_role("cell")).to_have_text(str(counts.get(state, 0)))


def test_councils_search_add_edit_and_import(page: CheckedPage, live_server: LiveServer):
    sign_in_to_administration(page, "Councils")

    # Search, and open a council.
    page.get_by_label("Name or GSS code").fill("hartle")
    page.submit(page.get_by_role("button", name="Search").click)
    expect(results(page)).to_have_text("1 council")
    table = page.get_by_role("table", name=re.compile(r"^Councils, by name"))
    row = table.locator("tbody tr")
    expect(row.get_by_role("cell")).to_have_text(
        ["Hartlepool Borough Council", HARTLEPOOL, "Unitary authority", "England", "In use"]
    )
    page.submit(row.get_by_role("link", name="Hartlepool Borough Council").click)
    expect(heading(page)).to_have_text("Hartlepool Borough Council")
    expect(summary_value(page, "GSS code")).to_have_text(HARTLEPOOL)
    expect(summary_value(page, "Nation")).to_have_text("England")
    page.submit(page.get_by_role("link", name="Back to councils").click)

    # Add a Scottish council: first with nothing filled in.
    page.submit(page.get_by_role("button", name="Add a council").click)
    expect(heading(page)).to_have_text("Add a council")
    page.submit(page.get_by_role("button", name="Add council").click)
    expect_errors(
        page,
        "Add a council",
        [
            "Enter the council's GSS code",
            "Enter the council's official name",
            "Choose the kind of council",
            "Choose the nation the council is in",
        ],
    )
    error_summary(page).get_by_role("link", name="Enter the council's official name").click()
    expect(page.get_by_label("Official name", exact=True)).to_be_focused()

    page.get_by_label("GSS code", exact=True).fill(NEW_GSS.lower())
    page.get_by_label("Official name", exact=True).fill(NEW_NAME)
    page.get_by_label("Kind of council").select_option("Scottish council")
    page.get_by_label("Scotland").check()
    page.submit(page.get_by_role("button", name="Add council").click)
    expect(heading(page)).to_have_text(NEW_NAME)
    expect(banner(page)).to_contain_text(f"{NEW_NAME} ({NEW_GSS}) has been added.")
    expect(summary_value(page, "GSS code")).to_have_text(NEW_GSS)
    expect(summary_value(page, "Kind")).to_have_text("Scottish council")
    expect(summary_value(page, "Nation")).to_have_text("Scotland")

    # It is in the list.
    page.submit(page.get_by_role("link", name="Back to councils").click)
    page.get_by_label("Name or GSS code").fill(NEW_GSS)
    page.get_by_label("Nation", exact=True).select_option("Scotland")
    page.submit(page.get_by_role("button", name="Search").click)
    expect(results(page)).to_have_text("1 council")
    expect(page.locator("tbody tr").get_by_role("cell")).to_have_text(
        [NEW_NAME, NEW_GSS, "Scottish council", "Scotland", "In use"]
    )

    # Change its name, and record its staff's email domain: first typed as an address.
    page.submit(page.get_by_role("link", name=NEW_NAME).click)
    expect(summary_value(page, "Email domains")).to_have_text(
        "None recorded: the first person to join it waits for an administrator to approve them"
    )
    page.submit(page.get_by_role("button", name="Change details").click)
    expect(heading(page)).to_have_text(f"Change {NEW_NAME}'s details")
    name = page.get_by_label("Official name", exact=True)
    expect(name).to_have_value(NEW_NAME)
    name.fill(RENAMED)
    domains = page.get_by_label("Email domains of the council's staff (optional)")
    domains.fill(f"staff@{NEW_DOMAIN}")
    page.submit(page.get_by_role("button", name="Save changes").click)
    expect_errors(
        page,
        f"Change {NEW_NAME}'s details",
        [
            f"Enter “staff@{NEW_DOMAIN}” without the @ and the name before it, like "
            "hartlepool.gov.uk"
        ],
    )
    expect(name).to_have_value(RENAMED)
    expect(domains).to_have_value(f"staff@{NEW_DOMAIN}")
    domains.fill(NEW_DOMAIN.upper())
    page.submit(page.get_by_role("button", name="Save changes").click)
    expect(heading(page)).to_have_text(RENAMED)
    expect(banner(page)).to_contain_text(f"{RENAMED}'s details have been saved.")
    expect(summary_value(page, "Email domains")).to_have_text(NEW_DOMAIN)

    # Import a CSV file: one council to add, one to change. Nothing changes until applied.
    page.submit(page.get_by_role("link", name="Back to councils").click)
    page.submit(page.get_by_role("button", name="Import councils from a CSV file").click)
    expect(heading(page)).to_have_text("Import councils from a CSV file")
    csv_text = (
        "gss_code,name,kind,nation,parent_gss_code,parent_name\r\n"
        f"{IMPORTED_GSS},{IMPORTED_NAME},Scottish council,Scotland,,\r\n"
        f'{NEW_GSS},"{IMPORTED_AGAIN}",Scottish council,Scotland,,\r\n'
    )
    page.get_by_label("Upload a CSV file").set_input_files(
        {"name": "councils.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
    )
    page.submit(page.get_by_role("button", name="Check the file").click)
    expect(heading(page)).to_have_text("Check the changes before they are made")
    expect(page.locator("#import-counts li")).to_have_text(
        ["add 1 council", "update 1 council", "leave 0 councils unchanged"]
    )
    added = page.get_by_role("table", name="Councils to add")
    expect(added.locator("tbody tr").get_by_role("cell")).to_have_text(
        [IMPORTED_GSS, IMPORTED_NAME, "Scottish council", "Scotland", "None"]
    )
    updated = page.get_by_role("table", name="Councils to update")
    expect(updated.locator("tbody tr").get_by_role("cell")).to_have_text(
        [
            NEW_GSS,
            RENAMED,
            "Name",
            f"{RENAMED} → becomes {IMPORTED_AGAIN}",
            # Added by hand, it had no ONS name: the file's names are ONS names.
            "",
            "",
            "ONS name",
            f"None → becomes {IMPORTED_AGAIN}",
        ]
    )
    page.submit(page.get_by_role("button", name="Apply these changes").click)
    expect(heading(page)).to_have_text("Councils")
    expect(banner(page)).to_contain_text("Councils imported: 1 added, 1 updated, 0 unchanged.")

    page.get_by_label("Name or GSS code").fill("test council")
    page.submit(page.get_by_role("button", name="Search").click)
    # Test Valley Borough Council too, by its official name; by short name, it comes last.
    expect(results(page)).to_have_text("3 councils")
    expect(page.locator("tbody tr td:first-child")).to_have_text(
        [IMPORTED_AGAIN, IMPORTED_NAME, "Test Valley Borough Council"]
    )


def test_people_search_a_person_and_invite_an_assessor(page: CheckedPage, live_server: LiveServer):
    with live_server.app.app_context():
        asha = db.session.scalar(sa.select(User).where(User.email == ASSESSOR))
        assert asha is not None
        assigned = [a.application.council.name for a in staff.assignments_of(asha)]
        db.session.remove()
    assert assigned, "the demo assessor has no assignments"

    sign_in_to_administration(page, "People")
    page.get_by_label("Name or email address").fill("assessor1")
    page.submit(page.get_by_role("button", name="Search").click)
    expect(results(page)).to_have_text("1 person")
    row = page.get_by_role("table", name=re.compile(r"^People, by name")).locator("tbody tr")
    expect(row.get_by_role("cell").nth(0)).to_have_text(ASSESSOR_NAME)
    expect(row.get_by_role("cell").nth(1)).to_have_text(ASSESSOR)
    expect(row.get_by_role("cell").nth(2)).to_have_text("Assessor")

    page.submit(row.get_by_role("link", name=ASSESSOR_NAME).click)
    expect(heading(page)).to_have_text(ASSESSOR_NAME)
    expect(summary_value(page, "Email address")).to_have_text(ASSESSOR)
    expect(summary_value(page, "Role")).to_have_text("Assessor")
    expect(page.get_by_role("heading", name="Assignments")).to_be_visible()
    assignments = page.get_by_role("table", name=f"Applications assigned to {ASSESSOR_NAME}")
    expect(assignments.locator("tbody tr td:first-child")).to_have_text(assigned)
    page.submit(page.get_by_role("link", name="Back to people").click)

    # Invite an assessor: first with an address that is not one.
    page.submit(page.get_by_role("button", name="Invite an assessor or administrator").click)
    expect(heading(page)).to_have_text("Invite an assessor or administrator")
    invite_url = f"{live_server.url}/admin/people/invite"
    page.expected_errors.add(invite_url)  # the form with errors answers 400
    page.get_by_label("Email address").fill("new.assessor.example.org")
    page.get_by_label("Assessor", exact=True).check()
    page.submit(page.get_by_role("button", name="Send invitation").click)
    expect_errors(
        page,
        "Invite an assessor or administrator",
        ["Enter an email address in the correct format, like name@example.gov.uk"],
    )
    expect(page.locator(".govuk-error-message")).to_have_text(
        "Error: Enter an email address in the correct format, like name@example.gov.uk"
    )

    page.get_by_label("Email address").fill(INVITED)
    page.get_by_label("Assessor", exact=True).check()
    page.submit(page.get_by_role("button", name="Send invitation").click)
    expect(heading(page)).to_have_text("Invite an assessor or administrator")
    expect(banner(page)).to_contain_text(
        f"We have emailed an invitation to {INVITED} to become an assessor."
    )
    waiting = page.get_by_role("table", name="Invitations not yet accepted")
    row = waiting.get_by_role("row").filter(has_text=INVITED)
    expect(row.get_by_role("cell").nth(0)).to_have_text(INVITED)
    expect(row.get_by_role("cell").nth(1)).to_have_text("Assessor")
    [invitation] = live_server.emails_to(INVITED)
    assert "/invitations/" in live_server.link_in(invitation)


def test_a_persons_data_downloaded_then_erased(page: CheckedPage, live_server: LiveServer):
    """A subject access request, then a request to be forgotten, for someone the test adds
    (the demo people stay as the other journeys expect them)."""
    name, email = "Erin Erasmus", "erin.erasmus@example.org"
    with live_server.app.app_context():
        erin = users.create_user(email, name, "a-long-password-1", confirmed=True)
        mail.queue(email, "password_changed", user=erin)
        db.session.commit()
        erin_id = erin.id
        db.session.remove()

    sign_in_to_administration(page, "People")
    page.get_by_label("Name or email address").fill("erasmus")
    page.submit(page.get_by_role("button", name="Search").click)
    page.submit(page.get_by_role("link", name=name).click)
    expect(heading(page)).to_have_text(name)
    expect(page.get_by_role("heading", name="Personal data")).to_be_visible()

    # The download: one JSON file, an attachment no cache keeps.
    link = page.get_by_role("link", name=f"Download {name}’s personal data (JSON)")
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == f"personal-data-{erin_id}.json"
    data = json.loads(Path(download.path()).read_text())
    assert (data["account"]["name"], data["account"]["email"]) == (name, email)
    assert [e["to"] for e in data["emails"]] == [email]
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="personal-data-{erin_id}.json"'
    )
    assert "no-store" in response.headers["cache-control"]

    # Erasure: the page says what happens; sent without a reason, the error summary.
    page.submit(page.get_by_role("link", name="erase their personal data").click)
    expect(heading(page)).to_have_text(f"Erase {name}’s personal data")
    expect(page.locator("main")).to_contain_text(f"erased-{erin_id}@invalid")
    erase_url = f"{live_server.url}/admin/people/{erin_id}/erase"
    page.expected_errors.add(erase_url)  # the form with errors answers 400
    page.submit(page.get_by_role("button", name="Erase their personal data").click)
    expect_errors(
        page, f"Erase {name}’s personal data", ["Say why you are erasing their personal data"]
    )
    page.get_by_label("Why are you erasing their personal data?").fill(
        "They asked by email on 3 March 2026."
    )
    page.submit(page.get_by_role("button", name="Erase their personal data").click)
    erased = f"Erased person #{erin_id}"
    expect(heading(page)).to_have_text(erased)
    expect(banner(page)).to_contain_text(f"The service now shows them as {erased}.")
    expect(summary_value(page, "Email address")).to_have_text(f"erased-{erin_id}@invalid")
    expect(page.get_by_role("button", name="Reactivate account")).to_have_count(0)

    # The audit log and the list show the erased person, never their name.
    page.visit(f"/admin/audit?user=erased-{erin_id}")
    expect(page.get_by_role("list", name=re.compile(r"^[\d,]+ events?$"))).to_contain_text(erased)
    expect(page.locator("main")).not_to_contain_text(name)
    page.visit("/admin/people?q=erased")
    expect(page.locator("tbody")).to_contain_text(erased)
    expect(page.locator("tbody")).to_contain_text("Erased")
    with live_server.app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.subject_type == "User", AuditEvent.subject_id == erin_id
            )
        ).all()
        emails = live_server.emails_to(f"erased-{erin_id}@invalid")
        db.session.remove()
    assert {"user.data_exported", "user.erased"} <= set(actions)
    assert [e.body_text for e in emails] == []  # queued, never sent: deleted


def test_the_audit_log_filters_and_downloads(page: CheckedPage, live_server: LiveServer):
    sign_in_to_administration(page, "Audit log")
    # A list of events in words, each with its details (and its code) to open.
    events = page.get_by_role("list", name=re.compile(r"^[\d,]+ events?$"))
    total = count_of(page)
    assert total > 0
    expect(events.locator("xpath=./li")).to_have_count(min(total, 50))
    first = events.locator("xpath=./li").first
    expect(first.locator(".govuk-summary-list")).to_be_hidden()
    first.get_by_text("Details").click()
    expect(first.locator(".govuk-summary-list")).to_be_visible()
    # Each state reads on one line ("Ready for decision" is not broken in two).
    tags = events.locator(".marks-event .govuk-tag").evaluate_all(
        "tags => tags.map(t => [t.textContent.trim(), t.getBoundingClientRect().height])"
    )
    assert max(len(text) for text, _ in tags) >= len("Ready for decision")
    one_line = min(height for _, height in tags)
    assert [text for text, height in tags if height > one_line * 1.5] == []

    # Filter by one action: only its events.
    action = page.get_by_label("Action")
    assert action.locator("option").first.inner_text() == "Any action"
    options = action.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert len(options) > 2
    chosen = "award.revoked" if "award.revoked" in options else options[1]
    with live_server.app.app_context():
        expected = db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == chosen)
        )
        db.session.remove()
    assert 0 < expected < total
    action.select_option(chosen)
    page.submit(page.get_by_role("button", name="Filter the log").click)
    expect(action).to_have_value(chosen)
    expect(results(page)).to_have_text(f"{expected} {'event' if expected == 1 else 'events'}")
    rows = events.locator("xpath=./li")
    expect(rows).to_have_count(min(expected, 50))
    expect(rows.locator("code")).to_have_text([chosen] * min(expected, 50))

    # The CSV of these events.
    link = page.get_by_role("link", name="Download these events as CSV")
    href = link.get_attribute("href")
    assert href is not None and f"action={chosen}" in href
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text().splitlines()
    assert lines[0].startswith("occurred_at,actor_name,actor_email,action,")
    assert len(lines) == expected + 1
    assert all(f",{chosen}," in line for line in lines[1:])

    # A date that does not exist: the GOV.UK error, and no events.
    page.submit(page.get_by_role("link", name="Clear the filters").click)
    expect(results(page)).to_have_text(re.compile(r"^[\d,]+ events$"))
    query = urlencode(
        {
            "application": "",
            "council": "",
            "user": "",
            "action": "",
            "date_from": "2026-02-30",
            "date_to": "",
        }
    )
    page.expected_errors.add(f"{live_server.url}/admin/audit?{query}")  # answered with a 400
    page.get_by_label("Date from").fill("2026-02-30")
    page.submit(page.get_by_role("button", name="Filter the log").click)
    expect_errors(page, "Audit log", ["Date from must be a real date, like 2026-03-27"])
    expect(page.locator(".govuk-error-message")).to_have_text(
        "Error: Date from must be a real date, like 2026-03-27"
    )
    expect(page.locator("main")).to_contain_text("Correct the filters to see the events.")
    expect(page.get_by_role("table")).to_have_count(0)


def test_the_outbox_shows_an_email(page: CheckedPage, live_server: LiveServer):
    # The newest email: the first on the outbox's first page, whatever the other tests sent.
    with live_server.app.app_context():
        newest = db.session.scalars(sa.select(Email).order_by(Email.id.desc())).first()
        assert newest is not None
        email = mail.shown(newest)  # as administrators see it: any link's token redacted
        db.session.remove()
    state = str(email.state).capitalize()
    assert email.state != "failed"

    sign_in_to_administration(page, "Outbox")
    table = page.get_by_role("table", name=re.compile(r"^\d+ emails, newest first$"))
    expect(table.get_by_role("columnheader")).to_have_text(["Subject", "To", "State", "Written"])
    row = table.locator("tbody tr").first
    expect(row.get_by_role("cell").nth(0)).to_have_text(email.subject)
    expect(row.get_by_role("cell").nth(1)).to_have_text(email.to_address)
    expect(row.get_by_role("cell").nth(2)).to_have_text(state)

    page.submit(row.get_by_role("link", name=email.subject).click)
    expect(heading(page)).to_have_text(f"Email: {email.subject}")
    expect(summary_value(page, "To")).to_have_text(email.to_address)
    expect(summary_value(page, "State")).to_have_text(state)
    expect(summary_value(page, "Attempts")).to_have_text(str(email.attempts))
    expect(summary_value(page, "Last error")).to_have_text(email.last_error or "None")
    expect(page.get_by_role("heading", name="Message", exact=True)).to_be_visible()
    expect(page.locator("pre")).to_have_text(email.body_text)
    # Only an email that could not be sent can be sent again.
    expect(page.get_by_role("button", name="Resend the email")).to_have_count(0)
    page.submit(page.get_by_role("link", name="Back to the outbox").click)
    expect(heading(page)).to_have_text("Outbox")
