"""The social media kit's cards (marks/awarding/kit.py): exactly the size each place shows,
PNG, drawn around the badge's artwork, saying so when the award no longer holds, and every
word on them escaped, whatever the council is called."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from marks.awarding import badges, kit
from marks.awarding.badges import Face
from tests.hostile import EVERY, long_text, packed

SVG = "{http://www.w3.org/2000/svg}"


def card(status="current", name="Testshire County Council", shape="link", distinction=False):
    face = Face("Accredited with distinction", 2026, status, distinction=distinction)
    return kit.Card(name, face, "SMFM-2026-00042", shape)


def words(svg_text: str) -> str:
    """The text drawn on a card, as a reader of the SVG sees it (entities decoded), its lines
    joined by spaces."""
    root = ET.fromstring(svg_text.encode())  # noqa: S314 (we made it)
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize(("shape", "size"), kit.FORMATS.items())
@pytest.mark.parametrize("status", badges.STATUSES)
def test_each_card_is_a_png_of_exactly_its_size(shape, size, status):
    data = kit.png(card(status, shape=shape))
    assert data.startswith(badges.PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == size


def test_the_sizes_are_the_ones_the_networks_show():
    assert kit.FORMATS == {"link": (1200, 630), "square": (1080, 1080), "story": (1080, 1920)}
    with pytest.raises(ValueError):
        card(shape="banner")


@pytest.mark.parametrize("shape", kit.FORMATS)
def test_a_current_card_celebrates_with_the_badge_and_the_facts(shape):
    svg = kit.svg(card(shape=shape, distinction=True))
    drawn = words(svg)
    assert "Testshire County Council" in drawn
    assert "Accredited with distinction, 2026" in drawn
    assert "Certificate SMFM-2026-00042" in drawn
    assert "SOCIAL MEDIA FRIENDLY MARK" in drawn
    assert "NO LONGER VALID" not in drawn
    assert badges.GOLD in svg  # a distinction: the badge's gold
    # The badge's own artwork, nested: its seal's ribbon says the level too.
    assert svg.count("<svg") == 2


@pytest.mark.parametrize("shape", kit.FORMATS)
@pytest.mark.parametrize("status", ["expired", "revoked"])
def test_a_card_that_no_longer_holds_says_so_in_red(shape, status):
    svg = kit.svg(card(status, shape=shape, distinction=True))
    drawn = words(svg)
    assert f"{status.upper()}: NO LONGER VALID" in drawn
    assert badges.RED in svg
    assert badges.GOLD not in svg  # nothing gold on a badge that no longer holds
    alt = kit.alt_text(card(status, shape=shape))
    assert "no longer valid" in alt
    assert ("expired" if status == "expired" else "been revoked") in alt


def test_alt_text_says_what_the_card_shows():
    alt = kit.alt_text(card(shape="square"))
    assert alt.startswith("A square card with the Social Media Friendly Mark's badge")
    assert "Testshire County Council, Accredited with distinction, 2026" in alt
    assert "SMFM-2026-00042" in alt


@pytest.mark.parametrize("name", [*packed(200), long_text(200), "x" * 200, ""])
@pytest.mark.parametrize("shape", kit.FORMATS)
def test_hostile_and_long_names_are_escaped_and_fit(name, shape):
    svg = kit.svg(card("revoked", name=name, shape=shape))
    drawn = words(svg)  # well-formed, whatever the name
    assert "<script" not in svg
    assert "REVOKED: NO LONGER VALID" in drawn
    assert (
        Image.open(io.BytesIO(kit.png(card("revoked", name=name, shape=shape)))).size
        == (kit.FORMATS[shape])
    )


@pytest.mark.parametrize("text", EVERY)
def test_lines_hold_any_text_within_the_width(text):
    lines, size = kit.lines(text, 560, (56, 44, 38), 3)
    assert 1 <= len(lines) <= 3
    assert all(badges.text_width(line, size) <= 560 for line in lines)


def test_lines_take_the_largest_size_that_holds_the_text():
    assert kit.lines("Testshire County Council", 560, (56, 44), 3) == (
        ["Testshire County", "Council"],
        56,
    )
    lines, size = kit.lines("word " * 100, 560, (56, 44), 2)
    assert size == 44 and len(lines) == 2 and lines[-1].endswith("…")


def test_the_suggested_post_links_to_the_verification_page_with_the_hashtag():
    url = "https://marks.example.org/verify/SMFM-2026-00042"
    post = kit.suggested_post("Testshire County Council", "Accredited", url, "#SocialMediaFriendly")
    assert "Testshire County Council has been awarded the Social Media Friendly Mark" in post
    assert url in post and post.endswith("#SocialMediaFriendly")
    assert "#" not in kit.suggested_post("Testshire", "Accredited", url, "")


def test_the_press_release_names_the_issuer_and_the_dates():
    text = kit.press_release(
        "Testshire County Council",
        "Accredited",
        "1 December 2026",
        "1 December 2028",
        "https://marks.example.org/verify/SMFM-2026-00042",
        "Testshire Association of Councils",
    )
    assert "run by Testshire Association of Councils" in text
    assert "made on 1 December 2026 and is valid until 1 December 2028" in text
    assert text.endswith("https://marks.example.org/verify/SMFM-2026-00042")
