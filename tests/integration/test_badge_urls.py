"""The live badge's URLs (a public contract: every URL embedded so far keeps answering) with
its new artworks and print size, and the council's chooser of the code to embed it."""

from __future__ import annotations

import io
import itertools
import json
from datetime import timedelta

import pytest
from PIL import Image

from marks.awarding import awards, badges
from marks.extensions import db
from marks.models import utcnow
from tests.pages import DEMO_PASSWORD, PageClient

OLD_QUERIES = ["", "?size=small", "?size=medium", "?size=large", "?variant=dark"] + [
    f"?size={size}&variant={variant}"
    for size, variant in itertools.product(("small", "medium", "large"), ("light", "dark"))
]


@pytest.fixture
def award(make):
    make.demo_edition()
    return make.award()


@pytest.fixture
def distinction(make, award):
    return make.award(level=-1, score=4)  # the edition's highest level


@pytest.mark.parametrize("query", OLD_QUERIES)
@pytest.mark.parametrize("extension", ["svg", "png"])
def test_every_url_embedded_so_far_still_answers_with_the_full_seal(
    client, award, query, extension
):
    response = client.get(f"/badges/{award.certificate_number}.{extension}{query}")
    assert response.status_code == 200
    assert response.mimetype == f"image/{'svg+xml' if extension == 'svg' else 'png'}"
    if extension == "svg":
        assert 'viewBox="0 0 200 200"' in response.get_data(as_text=True)
    else:
        image = Image.open(io.BytesIO(response.data))
        assert image.size[0] == image.size[1] in (120, 200, 400)


@pytest.mark.parametrize(
    ("query", "dimensions"),
    [
        ("?size=print", (1200, 1200)),
        ("?artwork=small&size=print", (1200, 1200)),
        ("?artwork=wide&size=print&variant=dark", (1200, 273)),
        ("?artwork=wide", (200, 45)),
        ("?artwork=full&size=large", (400, 400)),
    ],
)
def test_new_artworks_and_the_print_size_are_baked_pngs(client, award, query, dimensions):
    response = client.get(f"/badges/{award.certificate_number}.png{query}")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == dimensions
    assertion = json.loads(badges.unbake_png(response.data))
    assert assertion["id"].endswith(f"/ob/assertions/{award.certificate_number}.json")


@pytest.mark.parametrize("artwork", badges.ARTWORKS)
def test_each_artwork_as_svg_is_baked(client, award, artwork):
    svg = client.get(f"/badges/{award.certificate_number}.svg?artwork={artwork}")
    assert svg.status_code == 200
    verify, assertion = badges.unbake_svg(svg.get_data(as_text=True))
    assert verify == assertion["id"]


@pytest.mark.parametrize(
    "query",
    ["?size=huge", "?variant=neon", "?artwork=banner", "?artwork=", "?size=print&artwork=WIDE"],
)
def test_unknown_options_are_a_400(client, award, query):
    for extension in ("svg", "png"):
        response = client.get(f"/badges/{award.certificate_number}.{extension}{query}")
        assert response.status_code == 400
    assert client.get("/badges/SMFM-2026-99999.svg?artwork=small").status_code == 404


def test_a_download_is_named_by_its_artwork_and_size(client, award):
    number = award.certificate_number
    response = client.get(f"/badges/{number}.png?artwork=wide&size=print&download=1")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{number}-wide-print-light.png"'
    )


@pytest.mark.parametrize("artwork", badges.ARTWORKS)
def test_expired_and_revoked_show_on_every_artwork(client, award, make, artwork):
    url = f"/badges/{award.certificate_number}.svg?artwork={artwork}&size=small"
    award.awarded_on = utcnow().date() - timedelta(days=800)
    award.expires_on = utcnow().date() - timedelta(days=1)
    db.session.flush()
    expired = client.get(url).get_data(as_text=True)
    assert "EXPIRED" in expired
    assert badges.unbake_svg(expired) is None
    awards.revoke(award, "Revoked for the test", actor=make.administrator())
    assert "REVOKED" in client.get(url).get_data(as_text=True)


def test_the_highest_level_is_gold_by_the_data(client, award, distinction):
    gold = client.get(f"/badges/{distinction.certificate_number}.svg").get_data(as_text=True)
    plain = client.get(f"/badges/{award.certificate_number}.svg").get_data(as_text=True)
    assert badges.GOLD in gold
    assert badges.GOLD not in plain
    # The data decides: renamed, the highest level stays gold and the other stays plain.
    award.level.name = "Accredited with distinction (not really)"
    distinction.level.name = "Top"
    db.session.flush()
    gold = client.get(f"/badges/{distinction.certificate_number}.svg").get_data(as_text=True)
    plain = client.get(f"/badges/{award.certificate_number}.svg").get_data(as_text=True)
    assert badges.GOLD in gold and "Top" in gold
    assert badges.GOLD not in plain


def embed_page(app, award, query: str = ""):
    client = PageClient(app)
    client.sign_in(award.application.started_by.email, DEMO_PASSWORD)
    return client.get(f"/apply/applications/{award.application_id}/status{query}")


def test_the_council_chooses_the_artwork_size_and_background_to_embed(app, award):
    number = award.certificate_number
    page = embed_page(app, award, "?artwork=wide&height=60&variant=dark")
    form = page.soup.find("form", attrs={"method": "get"})
    assert form is not None
    for name, value in (("artwork", "wide"), ("height", "60"), ("variant", "dark")):
        radio = form.find("input", attrs={"name": name, "value": value})
        assert radio.has_attr("checked"), name
    snippet = page.soup.find("textarea", attrs={"name": "embed"}).get_text()
    image = f"http://marks.test/badges/{number}.svg?artwork=wide&amp;variant=dark"
    assert snippet == (
        f'<a href="http://marks.test/verify/{number}"><img src="{image}" '
        f'alt="Social Media Friendly Mark: check {award.council.name}\'s current status" '
        'width="264" height="60"></a>'
    )
    preview = page.soup.find("img", class_="marks-badge")
    assert preview["src"] == f"/badges/{number}.svg?artwork=wide&variant=dark"
    assert (preview["width"], preview["height"]) == ("264", "60")


def test_the_chooser_falls_back_to_the_full_badge_on_values_it_does_not_know(app, award):
    page = embed_page(app, award, "?artwork=banner&height=9999&variant=neon")
    assert page.status == 200
    snippet = page.soup.find("textarea", attrs={"name": "embed"}).get_text()
    assert f'<img src="http://marks.test/badges/{award.certificate_number}.svg" ' in snippet
    assert 'width="200" height="200"' in snippet
    for name, value in (("artwork", "full"), ("height", "200"), ("variant", "light")):
        radio = page.soup.find("input", attrs={"name": name, "value": value})
        assert radio.has_attr("checked"), name
