"""The social media kit through HTTP: the council's kit page while its award holds (and not
after), the cards' public image URL with its ETag, the Open Graph and Twitter card tags on the
council's page and the verification page, the Mark's hashtag in the scheme's settings, and
hostile text through all of them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from marks.awarding import awards, kit
from marks.extensions import db
from marks.models import SchemeSettings, utcnow
from marks.states import MembershipRole
from tests.helpers.issuer import TEST_ISSUER
from tests.hostile import combined, packed
from tests.integration.admin_council_pages import post_form
from tests.pages import signed_in as signed_in_as

BASE = "http://marks.test"


@pytest.fixture
def award(make):
    make.demo_edition()
    return make.award()


@pytest.fixture
def lead(award):
    return award.application.started_by


def kit_url(award) -> str:
    return f"/apply/awards/{award.certificate_number}/kit"


def expire(award) -> None:
    award.awarded_on = utcnow().date() - timedelta(days=800)
    award.expires_on = utcnow().date() - timedelta(days=1)
    db.session.flush()


def card_of(award, status: str, shape: str = "link") -> bytes:
    facts = awards.facts(award.certificate_number)
    face = awards.face(facts, awards.AwardStatus(status))
    return kit.png(kit.Card(facts.council_name, face, facts.certificate_number, shape))


def test_the_lead_opens_the_kit_from_the_council_home(app, award, lead):
    client = signed_in_as(app, lead)
    home = client.get("/apply/")
    link = home.soup.find("a", string="Your social media kit")
    assert link["href"] == kit_url(award)
    page = client.get(link["href"])
    assert page.h1 == "Your social media kit"
    images = page.soup.select(".marks-badge-preview img")
    assert [img["src"] for img in images] == [
        f"/badges/{award.certificate_number}/card.png?format={shape}" for shape in kit.FORMATS
    ]
    for img, shape in zip(images, kit.FORMATS, strict=True):
        assert img["alt"].startswith(
            f"A {'wide' if shape == 'link' else 'square' if shape == 'square' else 'tall'} card"
        )
        assert award.council.name in img["alt"]
        assert page.soup.find("textarea", attrs={"name": f"alt-{shape}"}).get_text() == img["alt"]
    post = page.soup.find("textarea", attrs={"name": "post"}).get_text()
    assert f"{BASE}/verify/{award.certificate_number}" in post
    assert post.endswith("#SocialMediaFriendly")
    assert award.level.name in post
    press = page.soup.find("textarea", attrs={"name": "press-release"}).get_text()
    assert press.startswith(f"{award.council.name} has been awarded the Social Media Friendly Mark")
    assert "Testshire Association of Councils" in press
    # Editable: not read-only, unlike the embed code.
    assert not page.soup.find("textarea", attrs={"name": "post", "readonly": True})


def test_a_member_who_is_not_the_lead_has_the_kit_too(app, award, make):
    member = make.member(council=award.council, role=MembershipRole.MEMBER)
    assert signed_in_as(app, member).get(kit_url(award)).h1 == "Your social media kit"


def test_another_councils_members_are_told_it_does_not_exist(app, award, make):
    other = make.member(role=MembershipRole.LEAD)
    assert signed_in_as(app, other).get(kit_url(award)).status == 404
    assert signed_in_as(app, other).get("/apply/awards/SMFM-2026-99999/kit").status == 404


@pytest.mark.parametrize("status", ["expired", "revoked"])
def test_no_kit_once_the_award_no_longer_holds_and_its_card_says_so(app, award, lead, make, status):
    client = signed_in_as(app, lead)
    current = client.get(f"/badges/{award.certificate_number}/card.png").data
    if status == "expired":
        expire(award)
    else:
        awards.revoke(award, "Revoked for the test", actor=make.administrator())
    page = client.get(kit_url(award))
    assert page.status == 404
    assert page.h1 == "There is no social media kit for this award"
    assert ("has expired" if status == "expired" else "has been revoked") in page.text
    assert not client.get("/apply/").soup.find("a", string="Your social media kit")
    shown = client.get(f"/badges/{award.certificate_number}/card.png")
    assert shown.status_code == 200
    assert shown.data != current
    assert shown.data == card_of(award, status)


@pytest.mark.parametrize(("shape", "size"), kit.FORMATS.items())
def test_the_cards_are_public_pngs_of_their_size(client, award, shape, size):
    response = client.get(f"/badges/{award.certificate_number}/card.png?format={shape}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == size
    assert response.headers["Cache-Control"] == "public, max-age=600, must-revalidate"
    assert "Set-Cookie" not in response.headers


def test_a_card_is_answered_304_while_it_is_unchanged_and_anew_when_the_award_changes(
    client, award, make
):
    url = f"/badges/{award.certificate_number}/card.png"
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    awards.revoke(award, "Revoked for the test", actor=make.administrator())
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_unknown_formats_and_numbers(client, award):
    assert (
        client.get(f"/badges/{award.certificate_number}/card.png?format=banner").status_code == 400
    )
    assert client.get("/badges/SMFM-2026-99999/card.png").status_code == 404
    # The badge's own URLs are untouched.
    assert client.get(f"/badges/{award.certificate_number}.png").mimetype == "image/png"


def meta(page, key: str) -> str:
    tag = page.soup.find("meta", attrs={"property": key}) or page.soup.find(
        "meta", attrs={"name": key}
    )
    assert tag is not None, key
    return tag["content"]


@pytest.mark.parametrize("where", ["council", "verify"])
def test_the_council_page_and_the_verification_page_unfold_into_the_link_card(client, award, where):
    number = award.certificate_number
    path = f"/councils/{award.council.gss_code}" if where == "council" else f"/verify/{number}"
    page = client.get(path)
    assert meta(page, "og:url") == BASE + path
    assert meta(page, "og:type") == "website"
    assert meta(page, "og:title") == f"{award.council.name}: Social Media Friendly Mark"
    assert meta(page, "og:description").startswith(f"{award.council.name} holds the")
    image = meta(page, "og:image")
    assert image == f"{BASE}/badges/{number}/card.png?format=link"
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1200", "630")
    assert award.council.name in meta(page, "og:image:alt")
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:image") == image
    assert meta(page, "twitter:image:alt") == meta(page, "og:image:alt")
    fetched = client.get(image.removeprefix(BASE))
    assert (fetched.status_code, fetched.mimetype) == (200, "image/png")


def test_a_revoked_awards_link_card_says_so(client, award, make):
    awards.revoke(award, "Revoked for the test", actor=make.administrator())
    page = client.get(f"/councils/{award.council.gss_code}")
    assert "was revoked. It is no longer valid" in meta(page, "og:description")
    assert "no longer valid" in meta(page, "og:image:alt")
    image = client.get(meta(page, "og:image").removeprefix(BASE))
    assert image.data == card_of(award, "revoked")


def test_a_council_without_awards_has_no_link_card(client, make):
    council = make.council()
    page = client.get(f"/councils/{council.gss_code}")
    assert not page.soup.find("meta", attrs={"property": "og:image"})


def test_hostile_council_names_are_escaped_on_the_kit_the_tags_and_the_cards(app, award, lead):
    for name in packed(200):
        award.council.name = name
        db.session.flush()
        client = signed_in_as(app, lead)
        page = client.get(kit_url(award))
        html = page.response.get_data(as_text=True)
        assert "<script>alert" not in html
        post = page.soup.find("textarea", attrs={"name": "post"}).get_text()
        assert name in post  # shown as typed, escaped once
        public = client.get(f"/councils/{award.council.gss_code}")
        assert "<script>alert" not in public.response.get_data(as_text=True)
        assert meta(public, "og:title") == f"{name}: Social Media Friendly Mark"
        card = client.get(f"/badges/{award.certificate_number}/card.png?format=square")
        assert Image.open(io.BytesIO(card.data)).size == (1080, 1080)


def test_an_administrator_sets_the_hashtag_and_it_is_checked(signed_in, award, lead, app):
    page = signed_in.get("/admin/settings")
    assert page.field_value("hashtag") == "#SocialMediaFriendly"
    for wrong in ("SocialMediaFriendly", "#two words", "#<script>", "#", combined()):
        refused = post_form(signed_in, page, {**TEST_ISSUER, "hashtag": wrong}, multipart=True)
        assert refused.status == 400
        said = refused.error_summary()
        assert said[0].startswith(("Enter a hashtag that starts with #", "Hashtag for the Mark"))
        assert refused.field_value("hashtag") == wrong.strip()
    done = post_form(signed_in, page, {**TEST_ISSUER, "hashtag": "#LocalGovSM"}, multipart=True)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(SchemeSettings, 1).hashtag == "#LocalGovSM"
    post = signed_in_as(app, lead).get(kit_url(award)).soup.find("textarea", attrs={"name": "post"})
    assert post.get_text().endswith("#LocalGovSM")
