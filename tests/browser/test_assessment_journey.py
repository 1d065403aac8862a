"""Assessment and decision in a real browser, as each role sees it: the administrator assigns
two assessors to the demo council's submitted application; each assessor scores every criterion
(the first after trying to submit an empty assessment), the second scoring one criterion two
points apart from the first; the administrator sees the disagreement and the computed outcome,
previews the email and approves; the council sees the award and the feedback, and never the
assessors' private notes.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import ADMIN, sign_in
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value

# The demo data of `flask seed-demo` (marks/seed/demo.py): Stockton-on-Tees has a submitted
# application with no assessors.
ADMIN_NAME = "Ada Admin"
COUNCIL = "Stockton-on-Tees Borough Council"
LEAD = "lead@stockton.gov.uk"
ASSESSORS = {
    "assessor1@example.org": "Asha Assessor",
    "assessor2@example.org": "Ben Assessor",
}
ASHA, BEN = ASSESSORS

# The demo edition (marks/data/editions/demo-2026.toml): three themes of four criteria.
CRITERIA = ["MD1", "MD2", "MD3", "MD4", "EN1", "EN2", "EN3", "EN4", "SE1", "SE2", "SE3", "SE4"]
MD1_TITLE = "A social media policy that enables"
SCALE = ["Not in place", "Emerging", "Developing", "Established", "Exemplary"]

# Asha gives 3 everywhere; Ben 4 everywhere but MD1, where he gives 1: two points apart, and
# the mean still passes.
SCORES = {
    ASHA: dict.fromkeys(CRITERIA, 3),
    BEN: {code: 1 if code == "MD1" else 4 for code in CRITERIA},
}
# The demo edition weighs its criteria (MD1 2.0, of 6 in its theme and 18 in all); every mean
# but MD1's is 3.5 of 4 and MD1's is 2: (16 * 3.5 + 2 * 2) / (18 * 4) overall.
OVERALL = "83.33% (pass mark 60%)"
THEMES = {"Myths debunked": "75.00%", "Engagement": "87.50%", "Staff empowerment": "87.50%"}

PRIVATE = "Private to the panel"


def feedback_for(assessor: str, code: str) -> str:
    return f"{ASSESSORS[assessor]} on {code}: the evidence is clear; show us its impact next."


def note_for(assessor: str, code: str) -> str:
    return f"{PRIVATE}: {ASSESSORS[assessor]} checked the {code} links by phone."


# ---------------------------------------------------------------------------
# What a person sees
# ---------------------------------------------------------------------------


def criterion_section(page: CheckedPage, code: str) -> Locator:
    return page.get_by_role("region", name=re.compile(f"^{code}: "))


def score_radio(page: CheckedPage, code: str, score: int) -> Locator:
    group = page.get_by_role("group", name=f"Your score for {code}")
    return group.get_by_role("radio", name=f"{score} – {SCALE[score]}", exact=True)


def sign_out(page: CheckedPage) -> None:
    page.submit(navigation(page).get_by_role("button", name="Sign out").click)
    expect(heading(page)).to_have_text("Sign in")
    expect(banner(page)).to_contain_text("You have signed out.")


def open_application(page: CheckedPage, tab: str) -> None:
    """Administration → Applications → the tab of a state → the council's application."""
    page.submit(navigation(page).get_by_role("link", name="Administration").click)
    expect(heading(page)).to_have_text("Administration")
    page.submit(page.get_by_role("link", name="Applications", exact=True).click)
    expect(heading(page)).to_have_text("Applications")
    expect(page.page).to_have_title(re.compile(r"^Applications –"))  # all of them, first
    tabs = page.get_by_role("navigation", name="Applications by state")
    page.submit(tabs.get_by_role("link", name=re.compile(rf"^{tab} \(\d+\)$")).click)
    expect(page.page).to_have_title(re.compile(rf"^Applications: {tab.lower()} –"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=COUNCIL, exact=True))
    expect(row).to_contain_text(tab)
    page.submit(row.get_by_role("link", name=COUNCIL, exact=True).click)
    expect(heading(page)).to_have_text(COUNCIL)


def assign(page: CheckedPage, name: str) -> None:
    select = page.get_by_label("Assign an assessor")
    option = select.locator("option").filter(
        has_text=re.compile(rf"^{name} \(\S+@\S+\): \d+ open assessments?$")
    )
    expect(option).to_have_count(1)
    select.select_option(option.get_attribute("value"))
    page.submit(page.get_by_role("button", name="Assign", exact=True).click)
    expect(banner(page)).to_contain_text(f"{name} has been assigned and emailed.")


def open_assessment(page: CheckedPage) -> None:
    """The assessor's queue (no menu item leads there: the assignment email links to it), then
    the council's application, not started."""
    page.visit("/assess/")
    expect(heading(page)).to_have_text("Your assessments")
    # The count agrees with the table (the demo gives each assessor others besides).
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    done = rows.filter(has=page.locator(".govuk-tag", has_text="Submitted")).count()
    expect(page.locator("main")).to_contain_text(f"{done} of {rows.count()} assessed")
    row = rows.filter(has=page.get_by_role("link", name=COUNCIL, exact=True))
    expect(row).to_contain_text("Not started")
    page.submit(row.get_by_role("link", name=COUNCIL, exact=True).click)
    expect(heading(page)).to_have_text(f"Assess {COUNCIL}")
    # The council's answer and the rubric, beside the fields to fill in.
    md1 = criterion_section(page, "MD1")
    expect(md1.get_by_role("heading", level=3)).to_have_text(f"MD1: {MD1_TITLE}")
    expect(summary_value(md1, "Self-score")).to_have_text("2 – Developing")
    expect(summary_value(md1, "Description")).to_contain_text("Stockton-on-Tees Council:")
    expect(md1.locator(".marks-rubric dt")).to_have_text([f"{s} – {SCALE[s]}" for s in range(5)])
    expect(score_radio(page, "MD1", 0)).not_to_be_checked()


def score_everything(page: CheckedPage, assessor: str) -> None:
    for code in CRITERIA:
        score_radio(page, code, SCORES[assessor][code]).check()
        page.get_by_label(f"Feedback for the council on {code}").fill(feedback_for(assessor, code))
        page.get_by_label(f"Private note on {code} (optional)").fill(note_for(assessor, code))
    page.get_by_role("radio", name="Award the Mark", exact=True).check()
    page.submit(page.get_by_role("button", name="Submit your assessment").click)
    expect(banner(page)).to_contain_text(
        "Your assessment has been submitted. You can now see the other scores."
    )
    expect(heading(page)).to_have_text(f"Assess {COUNCIL}")
    expect(page.locator("main .govuk-tag")).to_have_text("Submitted")
    # Locked now: no fields, and the recommendation as chosen.
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit your assessment")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Award the Mark")


def expect_moderation(page: CheckedPage) -> None:
    """The scores side by side, the disagreement on MD1 and the computed outcome."""
    main = page.locator("main")
    expect(page.get_by_role("heading", name="Scores side by side")).to_be_visible()
    warning = page.locator(".govuk-warning-text__text")
    expect(warning).to_have_count(1)
    expect(warning).to_have_text("WarningThe assessors differ by more than one point on MD1.")
    table = page.locator("table.marks-moderation")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Criterion", "Self-score", "Asha Assessor", "Ben Assessor", "Mean"]
    )
    md1 = table.get_by_role("row").filter(has_text=f"MD1: {MD1_TITLE}")
    expect(md1.get_by_role("rowheader")).to_have_text(f"MD1: {MD1_TITLE} Differ by 2")
    expect(md1.get_by_role("cell")).to_have_text(["2", "3", "1", "2.00"])
    md2 = table.get_by_role("row").filter(has_text="MD2: ")
    expect(md2.get_by_role("cell")).to_have_text(["3", "3", "4", "3.50"])
    expect(md2.locator(".govuk-tag")).to_have_count(0)
    expect(table.locator(".govuk-tag")).to_have_count(1)  # only MD1 disagrees
    expect(summary_value(main, "Overall")).to_have_text(OVERALL)
    for theme, percent in THEMES.items():
        expect(summary_value(main, theme)).to_have_text(percent)
    expect(summary_value(main, "Result")).to_have_text("Passes: Accredited")
    recommendations = main.locator("h2:has-text('Recommendations') + ul > li")
    expect(recommendations).to_have_text(
        ["Asha Assessor: award the Mark", "Ben Assessor: award the Mark"]
    )


# ---------------------------------------------------------------------------
# The journey
# ---------------------------------------------------------------------------


def test_assign_assess_moderate_decide_and_the_council_sees_it(
    page: CheckedPage, live_server: LiveServer
):
    main = page.locator("main")

    # 1. The administrator assigns two assessors.
    sign_in(page, ADMIN)
    open_application(page, "Submitted")
    expect(summary_value(page, "Status")).to_have_text("Submitted")
    expect(main).to_contain_text("No assessors yet.")
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)
    assign(page, ASSESSORS[ASHA])
    expect(summary_value(page, "Status")).to_have_text("Under review")
    assign(page, ASSESSORS[BEN])
    assessors = main.locator("h2:has-text('Assessors') + dl .govuk-summary-list__row")
    expect(assessors).to_have_text(
        [
            re.compile(
                r"^\s*Asha Assessor\s+Due \d+ \w+ \d{4}\s+\S+@\S+\s+Unassign Asha Assessor\s*$"
            ),
            re.compile(r"^\s*Ben Assessor\s+Due "),
        ]
    )
    expect(summary_value(page, "Status")).to_have_text("Under review")
    expect(page.get_by_label("Assign an assessor")).to_have_count(0)  # nobody else to assign
    # Still being assessed: only more information can be asked for.
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask the council for more information")).to_be_visible()
    [email] = [e for e in live_server.emails_to(ASHA) if COUNCIL in e.body_text]
    assert live_server.link_in(email).startswith("/assess/")
    sign_out(page)

    # 2. The first assessor: an empty submission first, then every criterion.
    sign_in(page, ASHA)
    open_assessment(page)
    page.submit(page.get_by_role("button", name="Submit your assessment").click)
    expect(page.page).to_have_title(f"Error: Assess {COUNCIL} – Social Media Friendly Mark")
    summary = error_summary(page)
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2 * len(CRITERIA) + 1)  # every problem in one round
    expect(links.first).to_have_text(f"Score MD1: {MD1_TITLE}")
    expect(links.nth(1)).to_have_text("Write feedback for MD1")
    expect(links.nth(2 * len(CRITERIA) - 2)).to_contain_text("Score SE4: ")
    expect(links.last).to_have_text("Choose your recommendation")
    expect(summary).to_be_focused()
    links.first.click()  # to the first score of MD1
    expect(score_radio(page, "MD1", 0)).to_be_focused()
    score_everything(page, ASHA)
    expect(main).to_contain_text("The other assessors have not submitted yet.")
    md1 = criterion_section(page, "MD1")
    expect(summary_value(md1, "Your score")).to_have_text(f"3: {feedback_for(ASHA, 'MD1')}")
    expect(md1.locator(".govuk-summary-list__key")).to_have_text(
        ["Self-score", "Description", "Your score", "Your private note"]
    )
    sign_out(page)

    # 3. The second assessor, two points apart on MD1, then sees the first's scores.
    sign_in(page, BEN)
    open_assessment(page)
    # Blind until they submit: nothing of the first assessor's.
    expect(main).not_to_contain_text(feedback_for(ASHA, "MD1"))
    score_everything(page, BEN)
    expect(main).to_contain_text("The other assessors' scores are shown beside yours.")
    for code in CRITERIA:
        section = criterion_section(page, code)
        expect(summary_value(section, "Your score")).to_have_text(
            f"{SCORES[BEN][code]}: {feedback_for(BEN, code)}"
        )
        expect(summary_value(section, "Assessor 2")).to_have_text(
            f"{SCORES[ASHA][code]}: {feedback_for(ASHA, code)}"
        )
    sign_out(page)

    # 4. The administrator moderates, previews the email and approves.
    sign_in(page, ADMIN)
    open_application(page, "Ready for decision")
    expect(summary_value(page, "Status")).to_have_text("Ready for decision")
    expect(assessors).to_have_text(
        [
            # Submitted: no longer to be unassigned.
            re.compile(r"^\s*Asha Assessor\s+Submitted \d+ \w+ \d{4}\s+\S+@\S+\s*$"),
            re.compile(r"^\s*Ben Assessor\s+Submitted \d+ \w+ \d{4}\s+\S+@\S+\s*$"),
        ]
    )
    expect_moderation(page)
    expect(main).to_contain_text(f"Private note: {PRIVATE}")  # administrators see the notes

    page.submit(page.get_by_role("button", name="Decide").click)
    expect(heading(page)).to_have_text(f"Decide on {COUNCIL}")
    expect_moderation(page)
    # Each outcome's questions are revealed beneath it when it is chosen.
    reasons = page.get_by_label("Reasons the council will read")
    levels = page.get_by_role("group", name="Level to award")
    expect(levels).to_be_hidden()
    page.get_by_role("radio", name="Do not approve", exact=True).check()
    expect(reasons).to_be_visible()
    page.get_by_role("radio", name="Approve", exact=True).check()
    expect(reasons).to_be_hidden()
    expect(levels).to_be_visible()
    page.check()  # axe, with the questions revealed
    # The computed level is chosen already.
    levels = page.get_by_role("group", name="Level to award")
    expect(levels.get_by_role("radio", name="Accredited", exact=True)).to_be_checked()
    expect(
        levels.get_by_role("radio", name="Accredited with distinction", exact=True)
    ).not_to_be_checked()
    page.submit(page.get_by_role("button", name="Preview the email to the council").click)

    expect(heading(page)).to_have_text("Check the email before it goes")
    expect(main).to_contain_text(
        f"Nothing has been decided or sent yet. This is what each member of {COUNCIL} will receive."
    )
    card = page.locator(".govuk-summary-card")
    expect(card.get_by_role("heading")).to_have_text(
        f"To {LEAD}: {COUNCIL} has been awarded the Social Media Friendly Mark"
    )
    email = card.locator(".marks-email-body")
    expect(email).to_contain_text("your council is Accredited")
    expect(email).to_contain_text(f"MD1: {MD1_TITLE}")
    for code in CRITERIA:
        expect(email).to_contain_text(f"- {feedback_for(ASHA, code)}")
        expect(email).to_contain_text(f"- {feedback_for(BEN, code)}")
    expect(main).not_to_contain_text(PRIVATE)
    page.submit(page.get_by_role("button", name="Confirm the decision and send the email").click)

    expect(heading(page)).to_have_text(COUNCIL)
    expect(banner(page)).to_contain_text("The decision has been recorded and the council emailed.")
    expect(summary_value(page, "Status").first).to_have_text("Approved")
    # The award it made: its status, its certificate and where the public checks it.
    made = page.get_by_role("heading", name="Award", exact=True).locator("+ dl")
    expect(summary_value(made, "Status")).to_have_text("Current")
    pdf = re.compile(r"^Certificate SMFM-2026-\d{5} \(PDF\)$")
    expect(made.get_by_role("link", name=pdf)).to_be_visible()
    expect(made.get_by_role("link", name=re.compile(r"verification page"))).to_be_visible()
    decision = page.get_by_role("heading", name="Decision").locator("+ p")
    expect(decision).to_have_text(
        re.compile(rf"^Approved, at the Accredited level, by {ADMIN_NAME} on \d+ \w+ \d{{4}}\.$")
    )
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)
    [approved] = [e for e in live_server.emails_to(LEAD) if e.template == "application_approved"]
    assert approved.subject == f"{COUNCIL} has been awarded the Social Media Friendly Mark"
    assert PRIVATE not in approved.body_text
    sign_out(page)

    # 5. The council sees the award and the feedback, and no private note.
    sign_in(page, LEAD)
    page.submit(navigation(page).get_by_role("link", name="Your council").click)
    expect(heading(page)).to_have_text(COUNCIL)
    # The council holds the Mark: its page leads with it; a renewal is two years away.
    expect(page.locator("main h2").first).to_have_text("Your Social Media Friendly Mark")
    expect(summary_value(page, "Status")).to_have_text("Current")
    expect(page.get_by_role("link", name="Download your certificate (PDF)")).to_be_visible()
    expect(page.get_by_label("Show the badge on your website")).to_be_visible()
    expect(page.get_by_role("button", name="Start your renewal")).to_have_count(0)
    expect(main).to_contain_text(re.compile(r"You can start your renewal from \d+ \w+ \d{4}\."))
    earlier = page.get_by_role("heading", name="Earlier applications").locator("+ ul > li")
    expect(earlier).to_have_text(
        [
            re.compile(
                r"^Social Media Friendly Mark 2026: Accredited, certificate SMFM-2026-\d{5}: "
                r"valid until \d{1,2} \w+ \d{4}$"
            )
        ]
    )
    page.submit(earlier.get_by_role("link", name="Social Media Friendly Mark 2026").click)
    expect(heading(page)).to_have_text("Application status")
    expect(page.locator("main .govuk-caption-l")).to_have_text(COUNCIL)
    expect(summary_value(page, "Status")).to_have_text("Current")
    expect(summary_value(page, "Level")).to_have_text("Accredited")
    certificate = summary_value(page, "Certificate number")
    expect(certificate).to_have_text(re.compile(r"^\s*SMFM-2026-\d{5}\s*$"))
    number = certificate.inner_text().strip()
    assert f"Certificate number: {number}" in approved.body_text
    expect(page.get_by_role("heading", name="What the assessors said")).to_be_visible()
    said = page.get_by_role("heading", name=f"MD1: {MD1_TITLE}", exact=True).locator("+ ul > li")
    expect(said).to_have_text([feedback_for(ASHA, "MD1"), feedback_for(BEN, "MD1")])
    for code in CRITERIA:
        expect(main).to_contain_text(feedback_for(ASHA, code))
        expect(main).to_contain_text(feedback_for(BEN, code))
    expect(page.locator("body")).not_to_contain_text(PRIVATE)
    expect(page.locator(".marks-history h3").first).to_have_text("Approved")
