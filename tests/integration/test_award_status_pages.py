"""An award as its council and the scheme's staff see it: its real status today (current,
expiring soon, expired, revoked with the date and the reason, superseded by which award), the
certificate, badge and embed code first, a renewal only when one is due, and no link that
leads to an error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marks.assessing import assessment, decisions
from marks.awarding import awards
from marks.extensions import db
from marks.models import utcnow
from tests.helpers.applications import score_all, submitted_by
from tests.pages import signed_in

REASON = "The council blocked social media for all staff in March."


def council_client(app, award):
    return signed_in(app, award.application.started_by)


def status_page(client, award):
    return client.get(f"/apply/applications/{award.application_id}/status")


def pdf_links(page, award) -> list:
    return page.soup.find_all("a", href=f"/certificates/{award.certificate_number}.pdf")


def embed_code(page) -> str | None:
    field = page.soup.find("textarea", attrs={"name": "embed"})
    return field.get_text() if field else None


def expiring_in(award, days: int) -> None:
    award.expires_on = utcnow().date() + timedelta(days=days)
    award.awarded_on = award.expires_on - timedelta(days=730)
    db.session.flush()


def test_on_the_day_of_the_award_the_council_home_leads_with_it(app, award):
    page = council_client(app, award).get("/apply/")
    first_heading = page.soup.select_one("main h2").get_text(strip=True)
    assert first_heading == "Your Social Media Friendly Mark"
    assert "Current" in page.text
    assert award.certificate_number in page.text
    assert pdf_links(page, award)
    assert page.soup.find("img", src=f"/badges/{award.certificate_number}.svg")
    assert embed_code(page)
    # No renewal two years early: when it will be due instead.
    assert "Start a renewal" not in page.text
    assert "Renew the Mark" not in page.text
    due = awards.renewal_opens(award)
    assert f"You can start your renewal from {due.day} {due:%B %Y}" in page.text


@pytest.mark.parametrize("days", [90, 1])
def test_an_award_expiring_soon_says_so_and_offers_the_renewal(app, award, days):
    expiring_in(award, days)
    client = council_client(app, award)
    home = client.get("/apply/")
    assert "Expiring soon" in home.text
    assert f"expires in {days} day" in home.text
    assert home.soup.find("button", string=lambda s: s and "Start your renewal" in s)
    assert pdf_links(home, award) and embed_code(home)  # it still holds the Mark
    assert "Expiring soon" in status_page(client, award).text


def test_an_expired_award_says_so_offers_the_renewal_and_no_embed_code(app, award):
    expiring_in(award, 0)
    client = council_client(app, award)
    for page in (client.get("/apply/"), status_page(client, award)):
        assert "Expired" in page.text
        assert f"expired on {award.expires_on.day} {award.expires_on:%B %Y}" in page.text
        assert embed_code(page) is None
        assert "valid until" not in page.text.lower()
    assert client.get("/apply/").soup.find(
        "button", string=lambda s: s and "Start your renewal" in s
    )


def test_a_revoked_award_is_shown_revoked_to_its_council(app, award, admin):
    awards.revoke(award, REASON, actor=admin)
    client = council_client(app, award)
    revoked_on = award.revoked_at.date()
    for page in (client.get("/apply/"), status_page(client, award)):
        assert "Revoked" in page.text
        assert f"revoked on {revoked_on.day} {revoked_on:%B %Y}" in page.text
        assert REASON in page.text
        assert "Approved:" not in page.text
        assert "valid until" not in page.text.lower()
        assert not page.soup.select(".govuk-panel, .govuk-tag--green")
        # No download that answers 410, no badge to embed.
        assert not pdf_links(page, award)
        assert embed_code(page) is None
        assert "Download" not in page.text


def test_a_superseded_award_names_the_award_that_replaced_it(app, award, admin, make):
    renewal = submitted_by(award.application.started_by)
    for _ in range(2):
        score_all(assessment.assign(renewal, make.assessor(), actor=admin), 3)
    renewed = decisions.approve(renewal, actor=admin, level=renewal.edition.levels[0])
    client = council_client(app, award)
    old = status_page(client, award)
    assert "Superseded" in old.text
    assert f"replaced by certificate {renewed.certificate_number}" in old.text
    assert embed_code(old) is None
    home = client.get("/apply/")  # leads with the award that holds now
    assert renewed.certificate_number in home.soup.select_one("main").get_text()
    assert embed_code(home) and renewed.certificate_number in embed_code(home)


def test_the_embed_code_stays_true_whatever_happens_to_the_award(app, award):
    snippet = embed_code(status_page(council_client(app, award), award))
    name = award.council.name
    assert f'alt="Social Media Friendly Mark: check {name}\'s current status"' in snippet
    assert "Accredited" not in snippet


def test_administrators_see_the_awards_certificate_and_status(signed_in, award, admin):
    url = f"/admin/applications/{award.application_id}"
    page = signed_in.get(url)
    section = page.soup.find("h2", string="Award").find_next("dl")
    assert award.certificate_number in section.get_text()
    assert section.find("a", href=f"/verify/{award.certificate_number}")
    assert section.find("a", href=f"/certificates/{award.certificate_number}.pdf")
    assert "Current" in section.get_text()
    awards.revoke(award, REASON, actor=admin)
    section = signed_in.get(url).soup.find("h2", string="Award").find_next("dl")
    assert "Revoked" in section.get_text() and REASON in section.get_text()
    assert not section.find("a", href=f"/certificates/{award.certificate_number}.pdf")


def test_a_current_certificates_page_links_to_its_pdf_and_badge(client, award, admin):
    url = f"/verify/{award.certificate_number}"
    page = client.get(url)
    pdf = page.soup.find("a", href=f"/certificates/{award.certificate_number}.pdf")
    assert pdf and client.get(pdf["href"]).status_code == 200
    badge = page.soup.find("a", href=lambda h: h and h.startswith("/badges/"))
    assert badge and client.get(badge["href"]).status_code == 200
    awards.revoke(award, REASON, actor=admin)
    page = client.get(url)
    assert not page.soup.find("a", href=f"/certificates/{award.certificate_number}.pdf")
    assert not page.soup.find("a", href=lambda h: h and h.startswith("/badges/"))


def earlier_applications(page) -> list[str]:
    heading = page.soup.find("h2", string="Earlier applications")
    items = heading.find_next("ul").find_all("li") if heading else []
    return [" ".join(item.get_text(" ", strip=True).split()) for item in items]


def test_earlier_applications_say_what_became_of_their_awards(app, award, admin, make):
    client = council_client(app, award)
    title = award.application.edition.title
    level = award.level.name
    number = award.certificate_number
    ends = award.expires_on
    assert earlier_applications(client.get("/apply/")) == [
        f"{title} : {level}, certificate {number}: valid until {ends.day} {ends:%B %Y}"
    ]
    awards.revoke(award, REASON, actor=admin)
    db.session.commit()
    revoked_on = award.revoked_at.date()
    assert earlier_applications(client.get("/apply/")) == [
        f"{title} : {level}, certificate {number}: revoked on {revoked_on.day} {revoked_on:%B %Y}"
    ]
