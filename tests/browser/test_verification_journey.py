"""Checking the Mark in a real browser, as each person sees it: a resident checks current,
unknown, expired and revoked certificate numbers and follows one to the council's page on the
register; an accredited council downloads its certificate and copies its badge; an
administrator revokes an award, and the verification page and the live badge say so at once.

Every page is checked with axe (WCAG 2.2 A and AA) and for browser errors: see conftest.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from playwright.sync_api import Locator, expect

from marks.extensions import db
from marks.models import Award, Council
from marks.presentation import govuk_date
from tests.browser.conftest import CheckedPage, LiveServer
from tests.browser.demo_accounts import ADMIN, sign_in
from tests.browser.seen import banner, error_summary, heading, navigation, summary_value

# The demo data of `flask seed-demo` (marks/seed/demo.py).
BLACKBURN = "E06000008"  # approved, current: the resident checks it
HULL = "E06000010"  # approved, current: its lead downloads the certificate
HULL_LEAD = "lead@hullcc.gov.uk"
EAST_RIDING = "E06000011"  # accredited with distinction: the administrator revokes it
NE_LINCS = "E06000012"  # expired
NORTH_LINCS = "E06000013"  # revoked
UNKNOWN = "SMFM-2026-99999"
REVOKED_REASON = "The council blocked social media for all staff in March"
NEW_REASON = "The council closed its social media accounts to residents' replies in May."


@dataclass(frozen=True)
class Seen:
    """An award as the public sees it, read from the live server's database."""

    number: str
    council: str
    level: str
    year: int
    awarded_on: date
    expires_on: date
    revoked_at: datetime | None
    reason: str | None


def award_of(live_server: LiveServer, gss_code: str) -> Seen:
    with live_server.app.app_context():
        award = db.session.scalars(
            sa.select(Award)
            .join(Council, Award.council_id == Council.id)
            .where(Council.gss_code == gss_code)
            .order_by(Award.awarded_on.desc())
        ).first()
        assert award is not None, f"no award for {gss_code}"
        seen = Seen(
            number=award.certificate_number,
            council=award.council.name,
            level=award.level.name,
            year=award.year,
            awarded_on=award.awarded_on,
            expires_on=award.expires_on,
            revoked_at=award.revoked_at,
            reason=award.revocation_reason,
        )
        db.session.remove()
        return seen


# ---------------------------------------------------------------------------
# What a person sees
# ---------------------------------------------------------------------------


def warning(page: CheckedPage) -> Locator:
    return page.locator(".govuk-warning-text__text")


def image_loaded(image: Locator) -> bool:
    """The browser fetched and decoded the image."""
    expect(image).to_be_visible()
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def sign_out(page: CheckedPage) -> None:
    page.submit(navigation(page).get_by_role("button", name="Sign out").click)
    expect(banner(page)).to_contain_text("You have signed out.")


def check_number(page: CheckedPage, typed: str) -> None:
    """On "Check a certificate": type a number and check it."""
    expect(heading(page)).to_have_text("Check a certificate")
    page.get_by_label("Certificate number").fill(typed)
    page.submit(page.get_by_role("button", name="Check certificate").click)


def expect_award(page: CheckedPage, award: Seen, status: str) -> None:
    """The verification page's summary of an award."""
    expect(page.page).to_have_url(re.compile(rf"/verify/{award.number}$"))
    expect(heading(page)).to_have_text(f"Certificate {award.number}")
    expect(summary_value(page, "Status")).to_have_text(status)
    expect(summary_value(page, "Council")).to_have_text(award.council)
    expect(summary_value(page, "Level")).to_have_text(award.level)
    expect(summary_value(page, "Awarded on")).to_have_text(govuk_date(award.awarded_on))
    if status == "Revoked":  # not "Valid until" a date it will never reach
        expect(summary_value(page, "Revoked on")).to_have_text(govuk_date(award.revoked_at))
        expect(summary_value(page, "Valid until")).to_have_count(0)
    else:
        until = "Expired on" if status == "Expired" else "Valid until"
        expect(summary_value(page, until)).to_have_text(govuk_date(award.expires_on))
    expect(summary_value(page, "Certificate number")).to_have_text(award.number)


# ---------------------------------------------------------------------------
# The journeys
# ---------------------------------------------------------------------------


def test_a_resident_checks_certificates(page: CheckedPage, live_server: LiveServer):
    current = award_of(live_server, BLACKBURN)
    expired = award_of(live_server, NE_LINCS)
    revoked = award_of(live_server, NORTH_LINCS)
    main = page.locator("main")

    # A current award, typed carelessly, found from the header.
    page.visit("/")
    page.submit(navigation(page).get_by_role("link", name="Check a certificate").click)
    check_number(page, f"  {current.number.lower()}  ")
    expect(main).to_contain_text(
        f"This is a genuine certificate. {current.council} holds the Social Media Friendly Mark "
        f"at the level {current.level}."
    )
    expect_award(page, current, "Current")
    expect(summary_value(page, "Why it was revoked")).to_have_count(0)

    # The council's page on the register: the live badge and the award history.
    page.submit(
        page.get_by_role("link", name=f"See {current.council}'s page on the register").click
    )
    expect(page.page).to_have_url(re.compile(rf"/councils/{BLACKBURN}$"))
    expect(heading(page)).to_have_text(current.council)
    expect(main).to_contain_text(
        f"{current.council} holds the Social Media Friendly Mark: {current.level}, "
        f"until {govuk_date(current.expires_on)}."
    )
    badge = page.get_by_role(
        "img",
        name=f"Social Media Friendly Mark: {current.council} is {current.level} ({current.year})",
    )
    assert image_loaded(badge), "the badge did not load"
    expect(page.get_by_role("heading", name="Award history")).to_be_visible()
    table = page.get_by_role("table", name=f"Every award to {current.council}, newest first")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Certificate", "Level", "Awarded", "Valid until", "Status"]
    )
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("cell")).to_have_text(
        [
            current.number,
            current.level,
            govuk_date(current.awarded_on),
            govuk_date(current.expires_on),
            "Current",
        ]
    )

    # A number that was never issued: the page answers 404.
    page.submit(main.get_by_role("link", name="Check a certificate").click)
    page.expected_errors.add(f"{live_server.url}/verify/{UNKNOWN}")
    check_number(page, UNKNOWN)
    expect(heading(page)).to_have_text("This is not a valid certificate number")
    expect(main).to_contain_text(
        f"We have no Social Media Friendly Mark certificate numbered {UNKNOWN}."
    )
    expect(main).to_contain_text("the certificate may not be genuine")

    # An expired award.
    page.submit(page.get_by_role("link", name="Check another certificate").click)
    check_number(page, expired.number)
    expect_award(page, expired, "Expired")
    expect(warning(page)).to_have_text(
        f"Warning {expired.council} held the Social Media Friendly Mark, but it expired on "
        f"{govuk_date(expired.expires_on)}. It is no longer valid."
    )
    expect(main).not_to_contain_text("This is a genuine certificate")

    # A revoked award: the public reason is shown, and its certificate is gone (410).
    page.submit(page.get_by_role("link", name="Check another certificate").click)
    check_number(page, revoked.number)
    expect_award(page, revoked, "Revoked")
    expect(warning(page)).to_have_text(
        f"Warning This certificate was revoked on {govuk_date(revoked.revoked_at)}. "
        f"{revoked.council} no longer holds the Social Media Friendly Mark."
    )
    assert revoked.reason is not None and revoked.reason.startswith(REVOKED_REASON)
    expect(summary_value(page, "Why it was revoked")).to_have_text(revoked.reason)
    page.visit(f"/certificates/{revoked.number}.pdf", status=410)
    expect(heading(page)).to_have_text("This certificate has been revoked")
    expect(main).to_contain_text(
        f"Certificate {revoked.number} was awarded to {revoked.council} and revoked on "
        f"{govuk_date(revoked.revoked_at)}. It is no longer valid, so it cannot be downloaded."
    )
    expect(main).to_contain_text(f"Why it was revoked: {revoked.reason}")


def test_an_accredited_council_downloads_its_certificate_and_badge(
    page: CheckedPage, live_server: LiveServer
):
    award = award_of(live_server, HULL)
    alt = f"Social Media Friendly Mark: check {award.council}'s current status"

    sign_in(page, HULL_LEAD)
    page.submit(navigation(page).get_by_role("link", name="Your council").click)
    expect(heading(page)).to_have_text(award.council)
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
    expect(summary_value(page, "Status")).to_have_text("Current")
    expect(summary_value(page, "Level")).to_have_text(award.level)
    expect(summary_value(page, "Certificate number")).to_have_text(award.number)
    expect(summary_value(page, "Awarded on")).to_have_text(govuk_date(award.awarded_on))
    expect(summary_value(page, "Valid until")).to_have_text(govuk_date(award.expires_on))

    # The badge, and the HTML to show it on the council's website.
    expect(page.get_by_role("heading", name="Your badge")).to_be_visible()
    assert image_loaded(page.get_by_role("img", name=alt)), "the badge did not load"
    embed = page.get_by_label("Show the badge on your website")
    expect(embed).to_have_attribute("readonly", "readonly")
    snippet = embed.input_value()
    assert f'<a href="{live_server.url}/verify/{award.number}">' in snippet
    assert f'<img src="{live_server.url}/badges/{award.number}.svg"' in snippet
    assert f'alt="{alt}"' in snippet

    # The certificate.
    link = page.get_by_role("link", name="Download your certificate (PDF)")
    href = link.get_attribute("href")
    assert href == f"/certificates/{award.number}.pdf"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="{award.number}.pdf"' in response.headers["content-disposition"]
    assert response.body().startswith(b"%PDF-")


def test_an_administrator_revokes_an_award(page: CheckedPage, live_server: LiveServer):
    award = award_of(live_server, EAST_RIDING)
    assert award.level == "Accredited with distinction"

    sign_in(page, ADMIN)
    page.submit(navigation(page).get_by_role("link", name="Administration").click)
    page.submit(page.get_by_role("link", name="Awards", exact=True).click)
    expect(heading(page)).to_have_text("Awards")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=award.number, exact=True)
    )
    expect(row.get_by_role("cell")).to_have_text(
        [
            award.number,
            award.council,
            award.level,
            govuk_date(award.expires_on),
            re.compile(r"^\s*Current\s+Revoke"),
        ]
    )
    page.submit(row.get_by_role("link", name=f"Revoke {award.number}").click)
    expect(heading(page)).to_have_text(f"Revoke {award.council}'s Mark")
    expect(warning(page)).to_contain_text("Revoking cannot be undone.")
    expect(page.locator("main")).to_contain_text(
        f"Certificate {award.number}: {award.level}, awarded on {govuk_date(award.awarded_on)}."
    )

    # Without a reason: the error, summarised and beside the field.
    reason = page.get_by_label("Public reason for revoking the Mark")
    page.submit(page.get_by_role("button", name="Revoke the Mark").click)
    expect(page.page).to_have_title(
        f"Error: Revoke {award.council}'s Mark – Social Media Friendly Mark"
    )
    summary = error_summary(page)
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Give the public reason for revoking the award"]
    )
    expect(page.locator(".govuk-error-message")).to_have_text(
        "Error: Give the public reason for revoking the award"
    )
    expect(summary).to_be_focused()
    summary.get_by_role("link").click()
    expect(reason).to_be_focused()

    reason.fill(NEW_REASON)
    page.submit(page.get_by_role("button", name="Revoke the Mark").click)
    expect(heading(page)).to_have_text("Awards")
    expect(banner(page)).to_contain_text(
        f"{award.number} has been revoked and the council emailed."
    )
    expect(row.get_by_role("cell").last).to_have_text("Revoked")
    expect(row.get_by_role("link", name=f"Revoke {award.number}")).to_have_count(0)
    sign_out(page)

    # The public sees it at once: the verification page, and the live badge.
    revoked = award_of(live_server, EAST_RIDING)
    assert revoked.revoked_at is not None
    page.visit(f"/verify/{award.number}")
    expect_award(page, revoked, "Revoked")
    expect(warning(page)).to_have_text(
        f"Warning This certificate was revoked on {govuk_date(revoked.revoked_at)}. "
        f"{award.council} no longer holds the Social Media Friendly Mark."
    )
    expect(summary_value(page, "Why it was revoked")).to_have_text(NEW_REASON)
    badge = page.request.get(f"/badges/{award.number}.svg")
    assert badge.status == 200
    assert badge.headers["content-type"].startswith("image/svg+xml")
    assert "no longer valid" in badge.text().lower()
