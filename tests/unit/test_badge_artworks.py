"""The badge's three artworks (the full seal, a small one that reads at 50 px, a wide one for
footer strips): each tells the truth in words big enough to read, the edition's highest level
looks different, and each comes in every size up to print, baked when current."""

from __future__ import annotations

import io
import itertools
import json
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from marks.awarding import badges

SVG_NS = "{http://www.w3.org/2000/svg}"
ARTWORK_CASES = list(itertools.product(badges.ARTWORKS, badges.VARIANTS, badges.STATUSES))
# The height each artwork must read at: 9 px text at 50 px high (the small one), at 60 px
# high (the wide one, in a footer strip), at 120 px (the full seal, today's smallest size).
READS_AT = {"full": 120, "small": 50, "wide": 50}
FLOOR_PX = 9


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode())  # noqa: S314


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG_NS}text"))


def shown(root: ET.Element) -> str:
    return " ".join(" ".join("".join(t.itertext()) for t in texts(root)).split())


def drawing(root: ET.Element) -> list[tuple[str, tuple]]:
    """Everything drawn but the words."""
    return [
        (element.tag, tuple(sorted(element.attrib.items())))
        for element in root.iter()
        if element.tag not in {f"{SVG_NS}text", f"{SVG_NS}title", f"{SVG_NS}desc"}
        and element is not root
    ]


def face(status="current", distinction=False, level="Accredited"):
    return badges.Face(level, 2026, status, distinction=distinction)


@pytest.mark.parametrize(("artwork", "variant", "status"), ARTWORK_CASES)
@pytest.mark.parametrize("distinction", [False, True])
def test_each_artwork_is_titled_described_and_tells_the_truth(
    artwork, variant, status, distinction
):
    level = "Accredited with distinction" if distinction else "Accredited"
    root = parse(badges.svg(face(status, distinction, level), "medium", variant, artwork))
    assert root.get("role") == "img"
    title = root.find(f"{SVG_NS}title").text
    description = root.find(f"{SVG_NS}desc").text
    assert level in title and "2026" in title
    assert level in description
    words = shown(root)
    if status == "current":
        assert "no longer valid" not in title.lower()
        assert status.upper() not in words.upper()
    else:
        assert title.endswith(f"no longer valid: {status}")
        assert "no longer valid" in description.lower()
        assert status.upper() in words  # the level word's place, legible at every size
    if artwork == "wide" and status == "current":
        assert "Social Media Friendly Mark" in words
        assert level in words and "2026" in words
    if artwork == "small":
        assert "2026" not in words  # nothing that would be tiny: the mark and one word
        assert len(texts(root)) == 1


@pytest.mark.parametrize(("artwork", "variant", "status"), ARTWORK_CASES)
@pytest.mark.parametrize("level", ["Accredited", "Accredited with distinction"])
def test_no_word_is_smaller_than_9_px_at_the_height_it_is_for(artwork, variant, status, level):
    distinction = level != "Accredited"
    root = parse(badges.svg(face(status, distinction, level), "medium", variant, artwork))
    _x, _y, _width, height = (float(n) for n in root.get("viewBox").split())
    for text in texts(root):
        px = float(text.get("font-size")) / height * READS_AT[artwork]
        assert px >= FLOOR_PX, f"{text.text!r} is {px:.1f} px high at {READS_AT[artwork]} px"


@pytest.mark.parametrize(
    ("artwork", "variant"), list(itertools.product(badges.ARTWORKS, badges.VARIANTS))
)
def test_the_highest_level_looks_different_not_only_in_words(artwork, variant):
    plain = parse(badges.svg(face("current", False), "medium", variant, artwork))
    highest = parse(badges.svg(face("current", True), "medium", variant, artwork))
    assert drawing(plain) != drawing(highest)
    # The data decides, not the word: a level called "distinction" that is not the highest
    # draws like any other.
    named_face = face("current", False, "Accredited with distinction")
    named = parse(badges.svg(named_face, "medium", variant, artwork))
    assert drawing(named) == drawing(plain)


@pytest.mark.parametrize("artwork", badges.ARTWORKS)
def test_the_highest_level_is_gold_at_a_glance(artwork):
    def golden(distinction: bool) -> int:
        data = badges.png(face("current", distinction), "medium", "light", artwork)
        rgb = Image.open(io.BytesIO(data)).convert("RGB").tobytes()
        pixels = zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
        return sum(1 for r, g, b in pixels if r > 200 and g > 180 and b < 80)

    assert golden(False) == 0
    assert golden(True) > 300


@pytest.mark.parametrize("artwork", badges.ARTWORKS)
def test_a_small_badge_says_expired_or_revoked_in_its_one_word(artwork):
    for status in ("expired", "revoked"):
        root = parse(badges.svg(face(status, True, "Accredited with distinction"), "small"))
        assert status.upper() in shown(root)
    root = parse(badges.svg(face("revoked"), "small", "light", "small"))
    assert shown(root) == "REVOKED"


def test_the_small_artwork_shows_a_word_of_a_long_level_that_fits():
    root = parse(badges.svg(face("current", True, "Accredited with distinction"), artwork="small"))
    assert shown(root) == "Distinction"
    root = parse(badges.svg(face("current", False, "Accredited"), artwork="small"))
    assert shown(root) == "Accredited"


@pytest.mark.parametrize(
    ("artwork", "size", "dimensions"),
    [
        ("full", "print", (1200, 1200)),
        ("small", "print", (1200, 1200)),
        ("wide", "print", (1200, 273)),
        ("wide", "medium", (200, 45)),
        ("small", "small", (120, 120)),
    ],
)
def test_pngs_come_in_every_size_up_to_print(artwork, size, dimensions):
    data = badges.png(face(), size, "light", artwork)
    image = Image.open(io.BytesIO(data))
    assert image.size == dimensions
    assert max(image.size) == badges.SIZES[size]
    root = parse(badges.svg(face(), size, "light", artwork))
    assert (int(root.get("width")), int(root.get("height"))) == dimensions


@pytest.mark.parametrize("artwork", badges.ARTWORKS)
def test_every_artwork_can_be_baked(artwork):
    assertion = {"id": "http://marks.test/ob/assertions/SMFM-2026-00001.json"}
    png = badges.bake_png(badges.png(face(), "small", "dark", artwork), json.dumps(assertion))
    assert json.loads(badges.unbake_png(png)) == assertion
    svg = badges.bake_svg(badges.svg(face(), "small", "dark", artwork), assertion, "http://x")
    assert badges.unbake_svg(svg) == ("http://x", assertion)


def test_unknown_artwork_is_refused():
    with pytest.raises(ValueError):
        badges.svg(face(), "medium", "light", "banner")
    with pytest.raises(ValueError):
        badges.png(face(), "medium", "light", "banner")
