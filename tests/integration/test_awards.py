"""Awards through HTTP: the verification page, the stored certificate with its ETag, the live
badge, Open Badges 2.0 hosted verification (with baked badges), and revocation."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa

from marks import create_app, notifications
from marks.assessing import assessment, decisions
from marks.awarding import awards, badges
from marks.extensions import close_connections, db
from marks.models import AuditEvent, Certificate, Email, utcnow
from marks.people import councils
from marks.states import AwardState
from tests import factories
from tests.conftest import app_config, reset_database, separate_database
from tests.helpers.applications import score_all, submitted_by
from tests.helpers.issuer import TEST_ISSUER
from tests.helpers.pdfs import text_of
from tests.pages import DEMO_PASSWORD, PageClient


def approved_award(make, **administrator):
    make.demo_edition()
    return make.award(admin=make.administrator(**administrator))


@pytest.fixture
def award(make):
    return approved_award(make, email="admin@scheme.org")


def test_the_verification_page_says_it_plainly(client, award):
    page = client.get(f"/verify/{award.certificate_number}")
    assert page.status == 200
    assert page.h1 == f"Certificate {award.certificate_number}"
    assert "This is a genuine certificate" in page.text
    assert award.council.name in page.text
    assert "Accredited" in page.text
    assert "Current" in page.text
    # Lower case and spaces are forgiven, through the form too.
    response = client.get(f"/verify?number=+{award.certificate_number.lower()}+")
    assert response.headers["Location"] == f"/verify/{award.certificate_number}"


def test_an_unknown_number_says_it_is_not_a_certificate(client):
    page = client.get("/verify/SMFM-2026-99999")
    assert page.status == 404
    assert page.h1 == "This is not a valid certificate number"
    assert "may not be genuine" in page.text
    assert client.get("/verify").h1 == "Check a certificate"


@pytest.mark.parametrize(
    "typed",
    [
        "smfm {year} {sequence}",  # spaces, lower case, the zeros left out
        "SMFM{year}{padded}",  # no separators
        "smfm-{year}-{padded}",
        " SMFM – {year} – {sequence} ",  # a dash copied from a document
        "SMFM_{year}_{sequence}",
        "{year}-{sequence}",  # without the letters
    ],
)
def test_a_number_is_found_however_it_is_typed(client, award, typed):
    typed = typed.format(year=award.year, sequence=award.sequence, padded=f"{award.sequence:05d}")
    response = client.get("/verify", query_string={"number": typed})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{award.certificate_number}"
    # A link typed by hand finds its way to the number as printed.
    response = client.get(f"/verify/{quote(typed.strip())}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/verify/{award.certificate_number}"


def test_an_empty_box_or_something_else_is_told_what_to_enter(client):
    page = client.get("/verify?number=++")
    assert page.status == 200
    assert page.h1 == "Check a certificate"
    assert page.soup.title.get_text().startswith("Error: Check a certificate")
    assert page.error_summary() == ["Enter the certificate number"]
    message = page.soup.select_one("#number-error").get_text(" ")
    assert " ".join(message.split()) == "Error: Enter the certificate number"
    assert page.soup.select_one(".govuk-error-summary a")["href"] == "#number"

    page = client.get("/verify?number=my+certificate")
    assert page.error_summary() == [
        "Enter the certificate number as it is printed, like SMFM-2026-00042"
    ]
    assert page.field_value("number") == "my certificate"  # what was typed, to correct

    page = client.get("/verify")  # arriving: no error yet
    assert page.error_summary() == []
    assert page.soup.select_one(".govuk-error-message") is None


def test_a_number_not_issued_says_how_to_contact_the_scheme(app, client):
    page = client.get("/verify?number=smfm+2026+99999", follow_redirects=True)
    assert page.status == 404
    assert page.h1 == "This is not a valid certificate number"
    assert "SMFM-2026-99999" in page.text
    contact = TEST_ISSUER["contact_email"]
    link = page.soup.select_one(f'main a[href="mailto:{contact}"]')
    assert link is not None and link.get_text(strip=True) == contact


def test_an_expired_award_is_shown_expired_without_any_job(client, award):
    award.awarded_on = utcnow().date() - timedelta(days=800)
    award.expires_on = utcnow().date() - timedelta(days=1)
    db.session.flush()
    page = client.get(f"/verify/{award.certificate_number}")
    assert "It is no longer valid" in page.text
    assert "Expired" in page.text


def stored_certificate() -> Certificate:
    return db.session.scalar(sa.select(Certificate).execution_options(populate_existing=True))


def test_the_certificate_is_made_at_issue_and_downloads_only_read(client, award, runner):
    stored = stored_certificate()  # made in the transaction that issued the award
    assert award.council.name in text_of(stored.pdf)
    response = client.get(f"/certificates/{award.certificate_number}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == stored.pdf
    assert response.headers["ETag"] == f'"{stored.sha256}"'
    again = client.get(
        f"/certificates/{award.certificate_number}.pdf",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304

    # Something printed changes: downloads still serve the certificate made, until the mail
    # worker, finding the award changed since (councils.touch_awards), makes it again.
    first = stored.sha256
    council_changed(award, "Hartlepool Borough Council")
    assert client.get(f"/certificates/{award.certificate_number}.pdf").data == stored.pdf
    assert awards.certificates_due() == [award.id]
    worker = runner.invoke(args=["send-mail"])
    assert worker.exit_code == 0, worker.output
    assert "1 certificates rendered again" in worker.output
    changed = client.get(f"/certificates/{award.certificate_number}.pdf")
    assert changed.headers["ETag"] != f'"{first}"'
    assert "Hartlepool Borough Council" in text_of(changed.data)
    assert awards.certificates_due() == []

    # Changed in a way the certificate does not print: checked, not made again.
    council_changed(award, "Hartlepool Borough Council")
    assert awards.certificates_due() == [award.id]
    assert "rendered again" not in runner.invoke(args=["send-mail"]).output
    assert stored_certificate().sha256 == changed.headers["ETag"].strip('"')
    assert awards.certificates_due() == []


def printed_as_distinction(award) -> bool:
    return awards.printed(awards.facts(award.certificate_number)).distinction


def test_only_the_highest_of_several_levels_prints_as_a_distinction(make):
    admin = make.administrator()
    make.demo_edition()

    assert printed_as_distinction(make.award(admin=admin, level=-1, score=4)) is True
    assert printed_as_distinction(make.award(admin=admin, level=0)) is False


def test_the_only_level_of_an_edition_is_no_distinction(make):
    edition = make.demo_edition()
    edition.levels.remove(edition.levels[-1])
    db.session.flush()

    award = make.award(score=4)

    assert [level.name for level in edition.levels] == [award.level.name]
    assert printed_as_distinction(award) is False


def council_changed(award, name: str) -> None:
    """The council's name set (to the same name or another), as its edit page sets it."""
    award.council.name = name
    db.session.flush()
    councils.touch_awards([award.council_id])
    db.session.commit()


def test_a_certificate_not_made_yet_is_being_prepared(client, award):
    """An award issued before certificates were made at issue, before the worker reaches it:
    the download says so, and writes nothing."""
    db.session.execute(sa.delete(Certificate))
    db.session.commit()
    page = client.get(f"/certificates/{award.certificate_number.lower()}.pdf")
    assert page.status == 503
    assert page.headers["Retry-After"] == "120"
    assert page.h1 == "This certificate is being prepared"
    assert award.certificate_number in page.text
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    assert awards.certificates_due() == [award.id]


def test_a_revoked_certificate_is_not_served(client, award, make):
    awards.revoke(award, "Blocked staff from social media", actor=make.administrator())
    page = client.get(f"/certificates/{award.certificate_number}.pdf")
    assert page.status == 410
    assert page.h1 == "This certificate has been revoked"
    assert "Blocked staff from social media" in page.text


def test_the_badge_tells_the_truth_and_is_cached_briefly(client, award, make):
    url = f"/badges/{award.certificate_number}.svg"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "Accredited" in response.get_data(as_text=True)
    max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))
    assert max_age <= 3600
    assert "must-revalidate" in response.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304

    awards.revoke(award, "Revoked for the test", actor=make.administrator())
    revoked = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert revoked.status_code == 200  # the image changed, so the old copy is stale
    assert "no longer valid" in revoked.get_data(as_text=True).lower()


@pytest.mark.parametrize("size", sorted(badges.SIZES))
def test_png_badges_come_in_every_size(client, award, size):
    response = client.get(f"/badges/{award.certificate_number}.png?size={size}")
    assert response.status_code == 200
    width = int.from_bytes(response.data[16:20], "big")
    assert width == badges.SIZES[size]


def test_bad_badge_options_are_a_404(client, award):
    assert client.get(f"/badges/{award.certificate_number}.svg?size=huge").status_code == 404
    assert client.get(f"/badges/{award.certificate_number}.png?variant=neon").status_code == 404
    assert client.get("/badges/SMFM-2026-99999.svg").status_code == 404


def test_badge_artwork_downloads_for_print(client, award):
    response = client.get(f"/badges/{award.certificate_number}.svg?size=large&download=1")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{award.certificate_number}-large-light.svg"'
    )


def test_open_badges_assertion_badge_class_and_issuer(client, award):
    number = award.certificate_number
    response = client.get(
        f"/ob/assertions/{number}.json", headers={"Accept": "application/ld+json"}
    )
    assert response.status_code == 200
    assertion = json.loads(response.data)
    base = "http://marks.test"
    assert assertion["@context"] == "https://w3id.org/openbadges/v2"
    assert assertion["type"] == "Assertion"
    assert assertion["id"] == f"{base}/ob/assertions/{number}.json"
    assert assertion["verification"] == {"type": "hosted"}
    assert assertion["recipient"] == {
        "type": "url",
        "hashed": False,
        "identity": "https://www.x.gov.uk",
    }
    assert assertion["issuedOn"] < assertion["expires"]
    assert assertion["evidence"][0]["id"] == f"{base}/councils/{award.council.gss_code}"

    badge_class = json.loads(client.get(assertion["badge"].removeprefix(base)).data)
    assert badge_class["type"] == "BadgeClass"
    assert badge_class["id"] == assertion["badge"]
    assert badge_class["name"] == "Social Media Friendly Mark 2026: Accredited"
    issuer = json.loads(client.get(badge_class["issuer"].removeprefix(base)).data)
    assert issuer["type"] == "Issuer"
    assert issuer["id"] == badge_class["issuer"]
    # Hosted verification: the issuer's url is its own website, so its profile names the
    # service's host as where its assertions are hosted, and every id is there.
    assert issuer["url"] == TEST_ISSUER["website"]
    assert issuer["verification"] == {"type": "HostedBadge", "allowedOrigins": "marks.test"}
    for document in (assertion, badge_class, issuer):
        assert urlsplit(document["id"]).netloc == issuer["verification"]["allowedOrigins"]
    image = client.get(badge_class["image"].removeprefix(base))
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_a_browser_asking_for_an_assertion_goes_to_the_verification_page(client, award):
    number = award.certificate_number
    response = client.get(f"/ob/assertions/{number}.json", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{number}"


def test_a_revoked_assertion_is_gone_with_its_reason(client, award, make):
    awards.revoke(award, "Blocked staff", actor=make.administrator())
    response = client.get(f"/ob/assertions/{award.certificate_number}.json")
    assert response.status_code == 410
    body = json.loads(response.data)
    assert body["revoked"] is True
    assert body["revocationReason"] == "Blocked staff"


def test_served_badges_are_baked_with_the_assertion(client, award):
    number = award.certificate_number
    png = client.get(f"/badges/{number}.png").data
    baked = json.loads(badges.unbake_png(png))
    assert baked["id"] == f"http://marks.test/ob/assertions/{number}.json"
    verify, from_svg = badges.unbake_svg(client.get(f"/badges/{number}.svg").get_data(as_text=True))
    assert verify == baked["id"]
    assert from_svg == baked


def test_a_served_badge_follows_every_change_at_once(client, award):
    """Badges are kept in memory by what makes them: a change makes another one."""
    number = award.certificate_number
    first = client.get(f"/badges/{number}.png")
    assert first.status_code == 200

    award.application.website = "https://changed.example.gov.uk"
    award.council.name = "Renamed Borough Council"
    db.session.flush()
    baked = json.loads(badges.unbake_png(client.get(f"/badges/{number}.png").data))
    assert baked["recipient"]["identity"] == "https://changed.example.gov.uk"
    assert baked["evidence"][0]["narrative"].startswith("Renamed Borough Council")

    award.awarded_on = utcnow().date() - timedelta(days=800)
    award.expires_on = utcnow().date() - timedelta(days=1)
    db.session.flush()
    expired = client.get(f"/badges/{number}.svg").get_data(as_text=True)
    assert "EXPIRED" in expired
    assert badges.unbake_svg(expired) is None  # no assertion baked into a mark that lapsed


def test_administrators_revoke_with_a_public_reason(app, award, make):
    admin = make.administrator()
    client = PageClient(app)
    client.sign_in(admin.email, DEMO_PASSWORD)
    page = client.get("/admin/awards")
    assert award.certificate_number in page.text
    url = f"/admin/awards/{award.certificate_number}/revoke"
    page = client.submit(url, {"reason": ""})
    assert page.error_summary() == ["Give the public reason for revoking the award"]
    response = client.submit(url, {"reason": "Blocked social media for all staff"})
    assert response.status_code == 302
    assert award.state == AwardState.REVOKED
    told = db.session.scalar(sa.select(Email).where(Email.template == "award_revoked"))
    assert told.to_address == award.application.started_by.email
    assert "Blocked social media for all staff" in told.body_text
    page = client.get(f"/councils/{award.council.gss_code}")
    assert "Revoked" in page.text and "Blocked social media for all staff" in page.text


def test_revoking_an_award_already_revoked_is_refused_and_writes_nothing(app, award, make):
    client = PageClient(app)
    client.sign_in(make.administrator().email, DEMO_PASSWORD)
    url = f"/admin/awards/{award.certificate_number}/revoke"
    page = client.get(url)  # the form, as it was when the administrator opened it
    awards.revoke(award, "Blocked social media for all staff", actor=make.administrator())
    token = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    page = client.post(url, data={"reason": "Another reason", "csrf_token": token})
    assert page.status == 200
    assert page.error_summary() == ["This award has already been revoked"]
    assert award.revocation_reason == "Blocked social media for all staff"
    revoked = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "award.revoked")
    ).all()
    assert [e.reason for e in revoked] == ["Blocked social media for all staff"]
    told = db.session.scalars(sa.select(Email).where(Email.template == "award_revoked")).all()
    assert len(told) == len(notifications.council_members(award.application))


def test_a_renewal_supersedes_the_award_it_renews_and_says_so(award, make):
    renewal = submitted_by(award.application.started_by)
    admin = make.administrator()
    for value in (3, 3):
        score_all(assessment.assign(renewal, make.assessor(), actor=admin), value)
    renewed = decisions.approve(renewal, actor=admin, level=renewal.edition.levels[0])
    assert award.state == AwardState.SUPERSEDED
    assert award.superseded_by_id == renewed.id
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "award.superseded")
    ).all()
    assert (event.subject_id, event.from_state, event.to_state) == (
        award.id,
        "current",
        "superseded",
    )
    assert event.data == {"superseded_by": renewed.certificate_number}
    with pytest.raises(awards.AwardRefused, match="superseded"):
        awards.revoke(award, "Too late", actor=admin)


def test_the_council_gets_its_certificate_badge_and_embed_snippet(app, award):
    client = PageClient(app)
    client.sign_in(award.application.started_by.email, DEMO_PASSWORD)
    page = client.get(f"/apply/applications/{award.application_id}/status")
    assert page.soup.find("a", href=f"/certificates/{award.certificate_number}.pdf")
    snippet = page.soup.find("textarea", attrs={"name": "embed"}).get_text()
    assert snippet == (
        f'<a href="http://marks.test/verify/{award.certificate_number}">'
        f'<img src="http://marks.test/badges/{award.certificate_number}.svg" '
        f'alt="Social Media Friendly Mark: check {award.council.name}\'s current status" '
        'width="200" height="200"></a>'
    )


def test_the_embed_snippet_escapes_whatever_the_council_is_called(app, award):
    award.council.name = 'Brighton & Hove "City" <Council>'
    db.session.flush()
    client = PageClient(app)
    client.sign_in(award.application.started_by.email, DEMO_PASSWORD)
    page = client.get(f"/apply/applications/{award.application_id}/status")
    snippet = page.soup.find("textarea", attrs={"name": "embed"}).get_text()
    assert (
        'alt="Social Media Friendly Mark: check Brighton &amp; Hove &quot;City&quot; '
        "&lt;Council&gt;'s current status" in snippet
    )


def test_baked_badges_pass_the_checks_of_a_hosted_verifier(client, award):
    """What the 1EdTech validator checks of a hosted assertion, starting from the baked PNG:
    required properties, ids within the issuer's origin, consistent timestamps."""
    from datetime import datetime
    from urllib.parse import urlsplit

    def fetch(url: str) -> dict:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("http", "marks.test")
        response = client.get(parts.path, headers={"Accept": "application/ld+json"})
        assert response.status_code == 200, url
        return json.loads(response.data)

    png = client.get(f"/badges/{award.certificate_number}.png").data
    baked = json.loads(badges.unbake_png(png))
    hosted = fetch(baked["id"])
    assert hosted == baked  # the baked copy is the hosted one
    for key in ("@context", "id", "type", "recipient", "badge", "verification", "issuedOn"):
        assert key in hosted, key
    assert hosted["recipient"]["type"] in ("url", "email")
    assert hosted["recipient"]["identity"]
    badge_class = fetch(hosted["badge"])
    for key in ("@context", "id", "type", "name", "description", "image", "criteria", "issuer"):
        assert key in badge_class, key
    issuer = fetch(badge_class["issuer"])
    for key in ("@context", "id", "type", "name", "url"):
        assert key in issuer, key
    # A verifier's scope: the profile's allowedOrigins, or else the origin of its url.
    origin = issuer.get("verification", {}).get("allowedOrigins") or urlsplit(issuer["url"]).netloc
    for document in (hosted, badge_class, issuer):
        assert urlsplit(document["id"]).netloc == origin
    issued = datetime.fromisoformat(hosted["issuedOn"])
    expires = datetime.fromisoformat(hosted["expires"])
    assert issued.tzinfo is not None and issued < expires
    assert issued.date() == award.awarded_on
    assert expires.date() == award.expires_on


@pytest.mark.slow
@pytest.mark.real_database
def test_a_certificate_renders_in_the_transaction_that_issued_its_award(tmp_path_factory):
    """On a real engine (as in production, not the tests' shared connection), the award's
    facts are read where the caller's flushed changes are seen, and its first download
    takes the fast path on a connection of its own."""
    database = separate_database(tmp_path_factory, "awards")
    app = create_app(app_config(database.url))
    reset_database(app)
    try:
        with app.app_context():
            factories.demo_edition()
            council = factories.council(name="Flushed Not Committed Council")
            award = factories.award(council, admin=factories.administrator())  # not committed
            stored = db.session.scalar(sa.select(Certificate))
            assert "Flushed Not Committed Council" in text_of(stored.pdf)
            number, sha256 = award.certificate_number, stored.sha256
            db.session.commit()
        response = app.test_client().get(f"/certificates/{number}.pdf")
        assert response.status_code == 200
        assert response.headers["ETag"] == f'"{sha256}"'  # served, not rendered again
    finally:
        with app.app_context():
            db.session.remove()
            close_connections()
        database.drop()


@pytest.mark.slow
@pytest.mark.real_database
def test_downloads_keep_the_awards_statement_prepared_on_postgresql(tmp_path_factory):
    """Every certificate and badge download reads the award's facts: on PostgreSQL the
    statement (six tables joined) is prepared once per connection and planned no more. psycopg
    forgets every prepared statement when a transaction rolls back, as each request that
    only reads ends (the verification page here, between downloads): so the downloads read
    through connections that never begin one."""
    database = separate_database(tmp_path_factory, "prepared")
    if not database.url.startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's; the PostgreSQL pass runs this test")
    app = create_app(app_config(database.url))
    reset_database(app)
    try:
        with app.app_context():
            award = approved_award(factories)
            number = award.certificate_number  # its certificate made with it
            db.session.commit()
            db.session.remove()
            close_connections()  # one connection of each engine from here on
            downloads = awards.downloads_engine()
        client = app.test_client()
        urls = [f"/certificates/{number}.pdf", f"/verify/{number}", f"/badges/{number}.svg"]

        def download(times: int) -> None:
            for url in urls * times:
                assert client.get(url).status_code == 200

        def runs_of_the_prepared_statement() -> list[int]:
            # Through the downloads' connection: prepared statements are a connection's own.
            with downloads.connect() as connection:
                return (
                    connection.execute(
                        sa.text(
                            "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                            "WHERE statement LIKE '%FROM awards JOIN councils%'"
                        )
                    )
                    .scalars()
                    .all()
                )

        download(4)  # psycopg prepares a statement on its fifth run (prepare_threshold)
        before = runs_of_the_prepared_statement()
        download(5)
        # Ten more downloads, ten more runs of the one prepared statement (with a transaction
        # rolled back after each, nothing stayed prepared).
        assert len(before) == 1
        assert runs_of_the_prepared_statement() == [before[0] + 10]
    finally:
        with app.app_context():
            db.session.remove()
            close_connections()
        database.drop()
