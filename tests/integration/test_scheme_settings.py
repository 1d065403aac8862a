"""The scheme's settings through HTTP: the issuer and signatory administrators set at
/admin/settings, the pictures they upload (checked by their bytes), and everywhere the issuer
appears (the footer, emails, the Open Badges profile, the accessibility statement and privacy
notice, the certificate); approving is refused until a certificate could name them."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from marks.awarding import awards
from marks.awarding.certificates import Image
from marks.extensions import db
from marks.models import AuditEvent, Award, Decision, Email, SchemeSettings
from marks.scheme import issuer
from tests.helpers.applications import score_all
from tests.helpers.issuer import LOGO_SVG, TEST_ISSUER, clear_issuer, png
from tests.helpers.pdfs import text_of
from tests.integration.admin_council_pages import post_form

NEW = {
    "name": "Local Government Digital Association",
    "address": "10 Example Row\nLondon\nEC1A 1AA",
    "website": "https://www.lgda.example.org",
    "contact_email": "mark@lgda.example.org",
    "description": "The Mark recognises councils that use social media well.",
    "signatory_name": "Priya Shah",
    "signatory_title": "Chair of the Mark’s panel",
}


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), name)


def saved() -> SchemeSettings:
    db.session.expire_all()
    return db.session.get(SchemeSettings, 1)


def test_an_administrator_sets_the_issuer_with_a_logo_and_signature(signed_in, admin):
    clear_issuer()
    page = signed_in.get("/admin/settings")
    assert page.h1 == "The scheme’s settings"
    assert "until you set the issuing organisation’s name" in page.text
    assert not page.soup.find("img")
    assert signed_in.get("/admin/").soup.find("a", href="/admin/settings")

    done = post_form(
        signed_in,
        page,
        {**NEW, "logo": upload(LOGO_SVG, "logo.svg"), "signature": upload(png(), "sig.png")},
        multipart=True,
    )
    assert done.status_code == 302
    row = saved()
    assert (row.issuer_name, row.contact_email) == (NEW["name"], NEW["contact_email"])
    assert (row.logo_type, row.logo) == ("image/svg+xml", LOGO_SVG)
    assert (row.signature_type, row.signature) == ("image/png", png())
    assert row.changed_by_id == admin.id
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "scheme.settings_changed")
    ).all()[-1]
    assert event.actor_id == admin.id
    assert "name" in event.data["changed"] and "logo" in event.data["changed"]

    page = signed_in.get("/admin/settings")
    assert "The scheme’s settings have been saved" in page.text
    assert "until you set" not in page.text
    assert page.field_value("name") == NEW["name"]
    assert page.soup.find("img", src="/admin/settings/logo")
    assert page.soup.find("img", src="/admin/settings/signature")
    logo = signed_in.get("/admin/settings/logo")
    assert logo.data == LOGO_SVG and logo.mimetype == "image/svg+xml"
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert logo.headers["Content-Security-Policy"].strip() == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )

    post_form(signed_in, page, {**NEW, "remove_logo": "y"}, multipart=True)
    assert saved().logo is None and saved().signature is not None
    assert signed_in.get("/admin/settings/logo").status_code == 404


def test_errors_are_shown_and_what_was_typed_kept(signed_in):
    page = signed_in.get("/admin/settings")
    typed = {**NEW, "name": "", "website": "lgda.example.org", "contact_email": "not an address"}
    page = post_form(signed_in, page, typed, multipart=True)
    assert page.status == 400
    assert page.error_summary() == [
        "Enter the name of the organisation that issues the Mark",
        "Enter a website address starting https://, like https://www.lgda.example.org",
        "Enter an email address in the correct format, like name@example.gov.uk",
    ]
    assert page.field_value("website") == "lgda.example.org"
    assert page.field_value("contact_email") == "not an address"
    assert page.field_value("signatory_name") == NEW["signatory_name"]
    assert page.field_value("address") == NEW["address"]
    assert saved().issuer_name == TEST_ISSUER["name"]


HOSTILE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "external href": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<image xlink:href="https://tracker.example/x.png"/></svg>'
    ),
    "plain href": b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:x()"/></svg>',
    "event handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "foreign object": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>hi</p></foreignObject></svg>'
    ),
    "url in a style": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://x.example/a)"/>'
        b"</svg>"
    ),
    "an entity": (
        b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    ),
}


@pytest.mark.parametrize("name", HOSTILE_SVGS)
def test_an_svg_that_could_run_or_fetch_is_refused(signed_in, name):
    page = signed_in.get("/admin/settings")
    page = post_form(
        signed_in, page, {**NEW, "logo": upload(HOSTILE_SVGS[name], "logo.svg")}, multipart=True
    )
    assert page.status == 400
    assert page.error_summary()[0] in (issuer.UNSAFE_SVG, issuer.UNREADABLE_SVG)
    assert saved().logo is None
    assert saved().issuer_name == TEST_ISSUER["name"]  # nothing saved


def test_pictures_are_taken_by_their_bytes_not_their_names(signed_in):
    page = signed_in.get("/admin/settings")
    cases = [
        (b"<html><script>alert(1)</script></html>", "logo.png", issuer.WRONG_TYPE),
        (b"GIF89a" + b"\x00" * 20, "logo.svg", issuer.WRONG_TYPE),
        (png() + b"\x00" * issuer.MAX_IMAGE_BYTES, "logo.png", issuer.TOO_BIG),
        (b"", "logo.png", issuer.EMPTY),
        (b"", "", None),  # no file chosen: nothing changes
    ]
    for data, filename, message in cases:
        shown = post_form(signed_in, page, {**NEW, "logo": upload(data, filename)}, multipart=True)
        if message is None:
            assert shown.status_code == 302
        else:
            assert shown.error_summary() == [message], filename
        assert saved().logo is None
    # A real PNG named .svg is a PNG: kept as one.
    post_form(signed_in, page, {**NEW, "signature": upload(png(), "sig.svg")}, multipart=True)
    assert saved().signature_type == "image/png"


def approval_email() -> Email:
    return db.session.scalars(
        sa.select(Email).where(Email.template == "application_approved")
    ).one()


def test_the_issuer_is_named_wherever_the_service_names_it(client, award):
    footer = client.get("/register").soup.select_one(".govuk-footer__meta-custom")
    assert footer.get_text(" ", strip=True) == f"Run by {TEST_ISSUER['name']} ."
    assert footer.find("a", href=TEST_ISSUER["website"])

    profile = client.get("/ob/issuer.json").json
    assert profile["name"] == TEST_ISSUER["name"]
    assert profile["url"] == TEST_ISSUER["website"]
    assert profile["email"] == TEST_ISSUER["contact_email"]
    assert profile["description"] == TEST_ISSUER["description"]
    assert profile["id"] == "http://marks.test/ob/issuer.json"

    for page in (client.get("/accessibility"), client.get("/privacy")):
        assert f"run by {TEST_ISSUER['name']}, 1 Test Street, Testbury, TB1 1TT" in page.text
        assert page.soup.find("a", href=f"mailto:{TEST_ISSUER['contact_email']}")

    email = approval_email()
    assert f"Contact the scheme's administrators: {TEST_ISSUER['contact_email']}" in (
        email.body_text
    )
    assert f"Social Media Friendly Mark, run by {TEST_ISSUER['name']}" in email.body_text
    assert f'href="{TEST_ISSUER["website"]}"' in email.body_html
    assert f'href="mailto:{TEST_ISSUER["contact_email"]}"' in email.body_html


def test_with_no_contact_email_no_page_offers_an_empty_address(client, make, edition):
    award = make.award()
    issuer.update(actor=None, contact_email="")
    awards.revoke(award, "Shown in error", actor=make.administrator())
    for url in ("/accessibility", "/privacy", "/register"):
        page = client.get(url)
        assert not page.soup.select('a[href="mailto:"]'), url
    assert "contact the scheme’s administrators." in client.get("/accessibility").text
    assert "email" not in client.get("/ob/issuer.json").json
    email = db.session.scalars(sa.select(Email).where(Email.template == "award_revoked")).one()
    assert "Questions?" not in email.body_text
    assert "Social Media Friendly Mark, run by" in email.body_text


def test_a_certificate_names_its_issuer_and_signatory(award):
    issuer.update(
        actor=None, logo=Image("image/png", png()), signature=Image("image/svg+xml", LOGO_SVG)
    )
    printed = awards.printed(awards.facts(award.certificate_number))
    assert printed.issuer_name == TEST_ISSUER["name"]
    assert printed.issuer_logo == Image("image/png", png())
    assert printed.signature == Image("image/svg+xml", LOGO_SVG)
    _, pdf = awards.certificate_pdf(award.certificate_number)
    text = text_of(pdf)  # as issued (the issuer's name: as the certificate's design prints it)
    assert f"{TEST_ISSUER['signatory_name']} {TEST_ISSUER['signatory_title']}" in text


def test_a_change_to_what_certificates_print_has_them_made_again(award):
    """The mail worker makes again the certificates whose award changed since they were
    checked: a new signatory changes every current certificate; a new description, none."""
    assert awards.certificates_due() == []
    issuer.update(actor=None, description="A scheme for councils.")
    assert awards.certificates_due() == []
    issuer.update(actor=None, signatory_name="Robin Newchair")
    assert awards.certificates_due() == [award.id]
    awards.store_certificates(awards.certificates_due())
    _, pdf = awards.certificate_pdf(award.certificate_number)
    assert "Robin Newchair" in text_of(pdf)


def test_approving_is_refused_until_the_issuer_is_set(signed_in, admin, make, edition):
    application = make.submitted_application()
    for _ in range(2):
        score_all(make.assignment(application, admin=admin), 3)
    issuer.update(actor=None, name="", signatory_title="")
    db.session.commit()
    url = f"/admin/applications/{application.id}/decision"
    page = signed_in.get(url)
    warning = page.soup.select_one(".govuk-warning-text")
    assert "the issuing organisation’s name, the signatory’s title" in warning.get_text()
    assert warning.find("a", href="/admin/settings")

    level = application.edition.levels[0]
    page = post_form(
        signed_in, page, {"outcome": "approve", "level": str(level.id), "confirm": "y"}
    )
    assert page.error_summary()[0].startswith("You cannot approve until the scheme’s settings")
    assert db.session.scalar(sa.select(sa.func.count(Award.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0


HOSTILE = "<script>alert(1)</script> & <b>Co</b>"


def test_what_an_administrator_types_is_shown_as_typed_everywhere(signed_in, award, admin):
    """The issuer's name and signatory are shown as typed, never as markup: on pages, in the
    Open Badges profile, in emails and on the certificate; a website that is not http(s) is
    refused (it becomes a link on every page)."""
    page = signed_in.get("/admin/settings")
    typed = {**NEW, "website": "javascript://www.x.org/%0aalert(1)"}
    refused = post_form(signed_in, page, typed, multipart=True)
    assert refused.status == 400
    assert refused.error_summary() == [
        "Enter a website address starting https://, like https://www.lgda.example.org"
    ]
    assert saved().issuer_website == TEST_ISSUER["website"]

    issuer.update(actor=None, name=HOSTILE, signatory_name=HOSTILE)
    db.session.commit()
    page = signed_in.get("/register")
    assert page.soup.find("script", string="alert(1)") is None
    assert page.soup.find("b", string="Co") is None
    assert f"Run by {HOSTILE}." in page.soup.select_one(".govuk-footer__meta-custom").text
    assert signed_in.get("/ob/issuer.json").json["name"] == HOSTILE
    awards.store_certificates(awards.certificates_due())
    _, pdf = awards.certificate_pdf(award.certificate_number)
    assert HOSTILE in " ".join(text_of(pdf).split())
    awards.revoke(award, "Shown in error", actor=admin)
    email = db.session.scalars(sa.select(Email).where(Email.template == "award_revoked")).one()
    assert HOSTILE in email.body_text  # a plain-text email: as typed
