"""The council's journey in a real browser: start an application, fill in "About your
council" and every criterion (with an evidence file and a validation error on the way),
check your answers, submit and see the status; the first person of a council with no members
waiting for an administrator; then the same journey by keyboard alone. What the form shows,
and the keys that move through it, are in application_form.py.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marks.extensions import db
from marks.models import Council
from marks.people import users
from marks.states import MembershipRole
from tests.browser.application_form import (
    CRITERIA,
    SCALE,
    THEMES,
    criterion_link,
    expect_status_page,
    expect_task_list,
    expect_words_remaining,
    link_for,
    narrative_for,
    press_enter_on,
    tab_to,
    task_status,
    type_into,
    type_lines,
)
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import sign_in
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value

# The demo accounts of `flask seed-demo` (run by the live server's seeding).
DEMO_LEAD = "lead@hartlepool.gov.uk"
DEMO_LEAD_NAME = "Lena Lead"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class About:
    contact_name: str
    contact_email: str
    contact_phone: str
    website: str
    social_accounts: list[str]


# ---------------------------------------------------------------------------
# With a mouse
# ---------------------------------------------------------------------------


def answer(page: CheckedPage, code: str, score: int, links: str) -> None:
    """Fill in the criterion page now shown (without saving)."""
    page.get_by_role("radio", name=f"{score} – {SCALE[score]}", exact=True).check()
    narrative = page.get_by_label("Describe what your council does")
    narrative.fill(narrative_for(code))
    expect_words_remaining(page, narrative_for(code))
    page.get_by_label("Links to evidence (optional)").fill(links)


def test_the_lead_completes_and_submits_an_application(page: CheckedPage, live_server: LiveServer):
    council = "Hartlepool Borough Council"
    about = About(
        contact_name=DEMO_LEAD_NAME,
        contact_email=DEMO_LEAD,
        contact_phone="01429 266522",
        website="https://www.hartlepool.gov.uk",
        social_accounts=["https://x.com/hartlepoolcouncil", "https://www.facebook.com/hartlepool"],
    )
    sign_in(page, DEMO_LEAD)

    # Your council: no application yet.
    page.submit(navigation(page).get_by_role("link", name="Your council").click)
    expect(heading(page)).to_have_text(council)
    expect(page.get_by_role("heading", name="Apply for the Mark")).to_be_visible()
    expect(page.locator("main")).to_contain_text("you are the council's lead")
    page.submit(page.get_by_role("button", name="Start your application").click)

    # The task list: nothing started.
    expect_task_list(page, council, about="Not started", themes="Not started")
    # A task that cannot start yet is not a link (GOV.UK task list guidance).
    expect(page.get_by_role("link", name="Check your answers and submit")).to_have_count(0)
    expect(task_status(page, "Check your answers and submit")).to_have_text(
        "Complete the sections above first"
    )

    # About your council.
    page.submit(
        page.get_by_role("link", name="Contact details, website and social media accounts").click
    )
    expect(heading(page)).to_have_text("About your council")
    page.get_by_label("Contact name").fill(about.contact_name)
    page.get_by_label("Contact email address").fill(about.contact_email)
    page.get_by_label("Contact telephone number (optional)").fill(about.contact_phone)
    page.get_by_label("Your council's website").fill(about.website)
    page.get_by_label("Your council's social media accounts").fill("\n".join(about.social_accounts))
    page.submit(page.get_by_role("button", name="Save and continue").click)
    expect_task_list(page, council, about="Completed", themes="Not started")

    # Every criterion, theme by theme, from the task list.
    for theme, codes in THEMES.items():
        page.submit(criterion_link(page, codes[0]).click)
        for position, code in enumerate(codes):
            expect(heading(page)).to_contain_text(f"{code}: ")
            expect(page.locator("main .govuk-caption-l")).to_have_text(theme)
            expect(page.get_by_role("group", name="Your self-score")).to_be_visible()
            expect(page.get_by_text("No files uploaded yet.")).to_be_visible()
            score = 1 + position % 4
            link = link_for(code, "hartlepool")

            if code == "MD1":
                # An evidence file, uploaded with the rest of the answer saved as it is.
                answer(page, code, score, link)
                # GOV.UK Frontend's file upload: its button takes the label, the input stays.
                page.locator("input[type=file][name=evidence_file]").set_input_files(
                    {
                        "name": "social-media-policy.pdf",
                        "mimeType": "application/pdf",
                        "buffer": PDF,
                    }
                )
                page.submit(page.get_by_role("button", name="Upload file").click)
                expect(heading(page)).to_contain_text("MD1: ")
                expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
                    "social-media-policy.pdf has been uploaded."
                )
                files = page.locator(".govuk-summary-list__row")
                expect(files).to_have_count(1)
                expect(files.get_by_role("link")).to_have_text("social-media-policy.pdf")
                expect(files).to_contain_text(f"{len(PDF)} Bytes")
                expect(
                    page.get_by_role("button", name="Remove social-media-policy.pdf")
                ).to_be_visible()
                expect(
                    page.get_by_role("radio", name=f"{score} – {SCALE[score]}", exact=True)
                ).to_be_checked()
                expect(page.get_by_label("Describe what your council does")).to_have_value(
                    narrative_for(code)
                )
                expect(page.get_by_label("Links to evidence (optional)")).to_have_value(link)
            elif code == "MD2":
                # A link that is not a web address: an error, and nothing typed is lost.
                answer(page, code, score, "not a link")
                page.submit(page.get_by_role("button", name="Save and continue").click)
                expect(page.page).to_have_title(
                    re.compile(r"^Error: MD2: .* – Social Media Friendly Mark$")
                )
                expect(error_summary(page).get_by_role("heading")).to_have_text(
                    "There is a problem"
                )
                message = "“not a link” is not a web address: start it with https://"
                expect(error_summary(page).get_by_role("link")).to_have_text([message])
                expect(error_summary(page)).to_be_focused()
                expect(page.locator("#links-error")).to_contain_text(message)
                expect(page.get_by_label("Describe what your council does")).to_have_value(
                    narrative_for(code)
                )
                expect(page.get_by_label("Links to evidence (optional)")).to_have_value(
                    "not a link"
                )
                expect(
                    page.get_by_role("radio", name=f"{score} – {SCALE[score]}", exact=True)
                ).to_be_checked()
                error_summary(page).get_by_role("link").click()
                expect(page.get_by_label("Links to evidence (optional)")).to_be_focused()
                page.get_by_label("Links to evidence (optional)").fill(link)
            else:
                answer(page, code, score, link)

            page.submit(page.get_by_role("button", name="Save and continue").click)
            if position + 1 < len(codes):
                expect(heading(page)).to_contain_text(f"{codes[position + 1]}: ")
            else:
                expect(heading(page)).to_have_text("Your application")
                for done in codes:
                    expect(task_status(page, re.compile(f"^{done}: "))).to_have_text("Completed")

    expect_task_list(page, council, about="Completed", themes="Completed")
    expect(task_status(page, "Check your answers and submit")).to_have_text("Not started")

    # Check your answers.
    page.submit(page.get_by_role("link", name="Check your answers and submit").click)
    expect(heading(page)).to_have_text("Check your answers before you submit")
    for key, value in [
        ("Contact name", about.contact_name),
        ("Contact email address", about.contact_email),
        ("Contact telephone number", about.contact_phone),
        ("Website", about.website),
        ("Social media accounts", " ".join(about.social_accounts)),
    ]:
        expect(summary_value(page, key)).to_have_text(value)
    cards = page.locator(".govuk-summary-card")
    expect(cards).to_have_count(len(CRITERIA))
    for position, code in enumerate(CRITERIA):
        card = cards.filter(has_text=f"{code}: ")
        score = 1 + position % 4
        expect(summary_value(card, "Self-score")).to_have_text(f"{score} – {SCALE[score]}")
        expect(summary_value(card, "Description")).to_have_text(narrative_for(code))
        expect(summary_value(card, "Links")).to_have_text(link_for(code, "hartlepool"))
        files = "social-media-policy.pdf" if code == "MD1" else "None"
        expect(summary_value(card, "Files")).to_have_text(files)

    # Submit without the declaration: the error summary, and the name kept.
    page.get_by_label("Your full name").fill(DEMO_LEAD_NAME)
    page.submit(page.get_by_role("button", name="Submit application").click)
    expect(page.page).to_have_title(
        "Error: Check your answers before you submit – Social Media Friendly Mark"
    )
    expect(error_summary(page).get_by_role("heading")).to_have_text("There is a problem")
    expect(error_summary(page).get_by_role("link")).to_have_text(
        ["Confirm the declaration to submit your application"]
    )
    expect(error_summary(page)).to_be_focused()
    expect(page.locator("#declaration-error")).to_contain_text(
        "Confirm the declaration to submit your application"
    )
    expect(page.get_by_label("Your full name")).to_have_value(DEMO_LEAD_NAME)

    page.get_by_role("checkbox", name=re.compile("^I confirm that the information")).check()
    page.submit(page.get_by_role("button", name="Submit application").click)

    # Submitted.
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Application submitted")
    expect(panel).to_contain_text(re.compile(r"Your reference is\s*APP-\d{6}"))
    expect(page.locator("main")).to_contain_text(f"{council}, Social Media Friendly Mark 2026")
    # What was sent, to read again, with a PDF copy to keep.
    page.submit(page.get_by_role("link", name=re.compile("^Read what you submitted")).click)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application as submitted")
    expect(page.get_by_role("link", name=re.compile(r"\(PDF\)$"))).to_be_visible()
    page.submit(page.get_by_role("link", name="Back to the application's status").click)
    expect_status_page(page, council, DEMO_LEAD_NAME)

    # Locked now: "Your council" shows the submitted application, with nothing to continue.
    page.submit(navigation(page).get_by_role("link", name="Your council").click)
    expect(heading(page)).to_have_text(council)
    expect(page.locator(".govuk-summary-list")).to_contain_text("Submitted")
    expect(page.get_by_role("button", name="Continue your application")).to_have_count(0)


# ---------------------------------------------------------------------------
# Joining a council with no members yet
# ---------------------------------------------------------------------------

FIRST_PERSON = "fay.first@example.net"  # not at a domain recorded for the council
FIRST_PERSON_NAME = "Fay First"
# No members in the demo, and no email domain recorded.
EMPTY_COUNCIL = "Isle of Anglesey County Council"


def sign_out(page: CheckedPage) -> None:
    page.submit(navigation(page).get_by_role("button", name="Sign out").click)
    expect(heading(page)).to_have_text("Sign in")


def test_the_first_person_of_a_council_waits_for_an_administrator(
    page: CheckedPage, live_server: LiveServer
):
    with live_server.app.app_context():
        users.create_user(FIRST_PERSON, FIRST_PERSON_NAME, live_server.password, confirmed=True)
        db.session.commit()
        db.session.remove()

    # They find their council and ask to join: nobody vouches for them, so they wait.
    sign_in(page, FIRST_PERSON, live_server.password)
    page.submit(navigation(page).get_by_role("link", name="Your council").click)
    expect(heading(page)).to_have_text("Join your council")
    page.get_by_label("Council name").fill("anglesey")
    page.submit(page.get_by_role("button", name="Search").click)
    page.get_by_role("radio", name=EMPTY_COUNCIL).check()
    page.submit(page.get_by_role("button", name="Ask to join").click)
    expect(heading(page)).to_have_text("Waiting for approval")
    expect(page.locator("main")).to_contain_text(
        f"Nobody from {EMPTY_COUNCIL} has joined yet, and your email address is not at a domain "
        "we know the council uses, so an administrator will check that you work there."
    )
    sign_out(page)

    # An administrator sees why only they can answer, and approves.
    sign_in(page, live_server.admin_email, live_server.password)
    page.visit("/admin/membership-requests")
    expect(heading(page)).to_have_text("Requests to join a council")
    row = page.locator("tbody tr").filter(has_text=FIRST_PERSON)
    expect(row.get_by_role("link", name=EMPTY_COUNCIL)).to_be_visible()
    expect(row.locator(".govuk-tag")).to_have_text("No members yet")
    page.submit(row.get_by_role("button", name=f"Approve {FIRST_PERSON_NAME}").click)
    expect(banner(page)).to_contain_text(
        f"{FIRST_PERSON_NAME}'s request to join {EMPTY_COUNCIL} was approved."
    )
    sign_out(page)

    # They are the council's lead.
    sign_in(page, FIRST_PERSON, live_server.password)
    page.submit(navigation(page).get_by_role("link", name="Your council").click)
    expect(heading(page)).to_have_text(EMPTY_COUNCIL)
    expect(page.locator("main")).to_contain_text("you are the council's lead")
    welcome = live_server.emails_to(FIRST_PERSON)[-1]
    assert welcome.subject == f"You have joined {EMPTY_COUNCIL}"
    assert "You are the council's lead" in welcome.body_text


# ---------------------------------------------------------------------------
# By keyboard alone
# ---------------------------------------------------------------------------

KEYBOARD_COUNCIL_GSS = "E06000002"
KEYBOARD_COUNCIL = "Middlesbrough Borough Council"
KEYBOARD_LEAD = "kim.keyboard@middlesbrough.gov.uk"
KEYBOARD_LEAD_NAME = "Kim Keyboard"


@pytest.fixture
def keyboard_lead(live_server: LiveServer) -> str:
    """A confirmed lead of a council with no application (Hartlepool's is used above)."""
    with live_server.app.app_context():
        if users.find_user(KEYBOARD_LEAD) is None:
            council = db.session.scalar(
                sa.select(Council).where(Council.gss_code == KEYBOARD_COUNCIL_GSS)
            )
            assert council is not None and council.name == KEYBOARD_COUNCIL
            user = users.create_user(
                KEYBOARD_LEAD, KEYBOARD_LEAD_NAME, live_server.password, confirmed=True
            )
            users.add_to_council(user, council, MembershipRole.LEAD, actor=None)
            db.session.commit()
        db.session.remove()
    return KEYBOARD_LEAD


def test_the_same_journey_by_keyboard_only(
    page: CheckedPage, live_server: LiveServer, keyboard_lead: str
):
    council = KEYBOARD_COUNCIL
    main = page.locator("main")

    # Sign in.
    page.visit("/sign-in")
    type_into(page, page.get_by_label("Email address"), keyboard_lead)
    type_into(page, page.get_by_label("Password", exact=True), live_server.password)
    press_enter_on(page, page.get_by_role("button", name="Sign in"))
    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()

    # Your council, and start.
    press_enter_on(page, navigation(page).get_by_role("link", name="Your council"))
    expect(heading(page)).to_have_text(council)
    press_enter_on(page, page.get_by_role("button", name="Start your application"))
    expect_task_list(page, council, about="Not started", themes="Not started")

    # About your council: each field follows the last with one Tab.
    press_enter_on(
        page, page.get_by_role("link", name="Contact details, website and social media accounts")
    )
    expect(heading(page)).to_have_text("About your council")
    type_into(page, page.get_by_label("Contact name"), KEYBOARD_LEAD_NAME)
    for label, typed in [
        ("Contact email address", keyboard_lead),
        ("Contact telephone number (optional)", "01642 245432"),
        ("Your council's website", "https://www.middlesbrough.gov.uk"),
    ]:
        page.keyboard.press("Tab")
        expect(page.get_by_label(label)).to_be_focused()
        page.keyboard.type(typed)
    page.keyboard.press("Tab")
    social = page.get_by_label("Your council's social media accounts")
    expect(social).to_be_focused()
    type_lines(page, "https://x.com/middlesbroughcouncil", "https://www.facebook.com/mbro")
    expect(social).to_have_value(
        "https://x.com/middlesbroughcouncil\nhttps://www.facebook.com/mbro"
    )
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save and continue")).to_be_focused()
    page.submit(lambda: page.keyboard.press("Enter"))
    expect_task_list(page, council, about="Completed", themes="Not started")

    # Every criterion: the score by arrow keys, the words typed, then Save and continue.
    for theme, codes in THEMES.items():
        press_enter_on(page, criterion_link(page, codes[0]))
        for position, code in enumerate(codes):
            expect(heading(page)).to_contain_text(f"{code}: ")
            expect(page.locator("main .govuk-caption-l")).to_have_text(theme)
            score = (position + 2) % 5
            radios = page.get_by_role("group", name="Your self-score").get_by_role("radio")
            # Tab reaches the group's first radio; Space ticks it, arrows move the choice.
            tab_to(page, radios.first)
            page.keyboard.press("Space")
            for _ in range(score):
                page.keyboard.press("ArrowDown")
            chosen = page.get_by_role("radio", name=f"{score} – {SCALE[score]}", exact=True)
            expect(chosen).to_be_checked()
            expect(chosen).to_be_focused()

            page.keyboard.press("Tab")
            narrative = page.get_by_label("Describe what your council does")
            expect(narrative).to_be_focused()
            page.keyboard.type(narrative_for(code))
            expect_words_remaining(page, narrative_for(code))
            page.keyboard.press("Tab")
            links = page.get_by_label("Links to evidence (optional)")
            expect(links).to_be_focused()
            page.keyboard.type(link_for(code, "middlesbrough"))

            # Past the file upload and its button (Shift+Tab back shows the order too).
            tab_to(page, page.get_by_role("button", name="Save and continue"))
            page.keyboard.press("Shift+Tab")
            expect(page.get_by_role("button", name="Upload file")).to_be_focused()
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Save and continue")).to_be_focused()
            page.submit(lambda: page.keyboard.press("Enter"))

            if position + 1 < len(codes):
                expect(heading(page)).to_contain_text(f"{codes[position + 1]}: ")
            else:
                expect(heading(page)).to_have_text("Your application")

    expect_task_list(page, council, about="Completed", themes="Completed")

    # Check your answers; submit first without the declaration.
    press_enter_on(page, page.get_by_role("link", name="Check your answers and submit"))
    expect(heading(page)).to_have_text("Check your answers before you submit")
    cards = page.locator(".govuk-summary-card")
    expect(cards).to_have_count(len(CRITERIA))
    for position, code in enumerate(CRITERIA):
        card = cards.filter(has_text=f"{code}: ")
        score = (position % 4 + 2) % 5
        expect(summary_value(card, "Self-score")).to_have_text(f"{score} – {SCALE[score]}")
        expect(summary_value(card, "Description")).to_have_text(narrative_for(code))
        expect(summary_value(card, "Links")).to_have_text(link_for(code, "middlesbrough"))
        expect(summary_value(card, "Files")).to_have_text("None")

    declaration = page.get_by_role("checkbox", name=re.compile("^I confirm that the information"))
    name = page.get_by_label("Your full name")
    type_into(page, name, KEYBOARD_LEAD_NAME)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Submit application")).to_be_focused()
    page.submit(lambda: page.keyboard.press("Enter"))

    summary = error_summary(page)
    expect(summary.get_by_role("link")).to_have_text(
        ["Confirm the declaration to submit your application"]
    )
    expect(summary).to_be_focused()
    expect(name).to_have_value(KEYBOARD_LEAD_NAME)
    # The summary's link takes focus to the checkbox; Space ticks it.
    tab_to(page, summary.get_by_role("link"), limit=5)
    page.keyboard.press("Enter")
    expect(declaration).to_be_focused()
    page.keyboard.press("Space")
    expect(declaration).to_be_checked()
    page.keyboard.press("Tab")
    expect(name).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Submit application")).to_be_focused()
    page.submit(lambda: page.keyboard.press("Enter"))

    expect(page.locator(".govuk-panel--confirmation h1")).to_have_text("Application submitted")
    expect(main).to_contain_text(f"{council}, Social Media Friendly Mark 2026")
    press_enter_on(page, page.get_by_role("link", name="See the application's status"))
    expect_status_page(page, council, KEYBOARD_LEAD_NAME)
