"""The badge: safe SVG at every size, variant and status, PNGs of the right size, and Open
Badges baking of both."""

from __future__ import annotations

import io
import itertools
import json
import re
import struct
import zlib
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from marks.awarding import badges

SVG_NS = "{http://www.w3.org/2000/svg}"
CASES = list(itertools.product(badges.SIZES, badges.VARIANTS, badges.STATUSES))
LEVELS = ("Accredited", "Accredited with distinction")


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode())  # noqa: S314


def visible_text(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        chunks.append((kind, body, crc))
        at += 12 + length
    return chunks


@pytest.mark.parametrize(("size", "variant", "status"), CASES)
@pytest.mark.parametrize("level", LEVELS)
def test_svg_is_safe_standalone_xml_that_tells_the_truth(size, variant, status, level):
    text = badges.svg(badges.Face(level, 2026, status), size, variant)
    root = parse(text)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == root.get("height") == str(badges.SIZES[size])
    assert root.get("viewBox") == "0 0 200 200"
    assert root.get("role") == "img"
    lowered = text.lower()
    for banned in ("<script", "href", "<image", "foreignobject", "@import", "url(http", "<style"):
        assert banned not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)
    for element in root.iter():
        assert not any(name.lower().startswith("on") for name in element.attrib)
    title = root.find(f"{SVG_NS}title").text
    description = root.find(f"{SVG_NS}desc").text  # the accessible name and description
    assert level in description and "2026" in description
    assert ("no longer valid" in description) == (status != "current")
    shown = " ".join(visible_text(root).split())  # a long level name takes two lines
    for words in (level, "2026"):
        assert words in title
        assert words in shown
    if status == "current":
        assert "no longer valid" not in title.lower()
        assert "no longer valid" not in shown.lower()
        assert "SOCIAL MEDIA" in shown
    else:
        assert title.endswith(f"no longer valid: {status}")
        assert "no longer valid" in shown.lower()
        assert status.upper() in shown


def test_two_line_level_names_show_every_word():
    root = parse(badges.svg(badges.Face("Accredited with distinction", 2027, "current")))
    shown = " ".join(visible_text(root).split())
    assert "Accredited with distinction" in shown


def test_level_names_are_escaped():
    nasty = "<script>alert(1)</script> & \"'"
    text = badges.svg(badges.Face(nasty, 2026, "revoked"), "small", "dark")
    assert "<script" not in text.lower()
    root = parse(text)
    assert not list(root.iter(f"{SVG_NS}script"))
    assert nasty in root.find(f"{SVG_NS}title").text
    assert "<script>" in visible_text(root)


def test_very_long_level_names_are_cut_to_fit():
    face = badges.Face("Accredited " * 9 + "with the very greatest distinction", 2026, "current")
    root = parse(badges.svg(face))
    assert face.level_name in root.find(f"{SVG_NS}title").text
    lines = [t for t in root.iter(f"{SVG_NS}text") if float(t.get("font-size")) < 15]
    assert len(lines) == 2 and lines[-1].text.endswith("…")
    assert all(badges.text_width(t.text, float(t.get("font-size"))) <= 150 for t in lines)


@pytest.mark.parametrize(
    "kwargs",
    [{"status": "lapsed"}, {"year": 26}, {"year": "2026"}],
)
def test_faces_are_validated(kwargs):
    with pytest.raises(ValueError):
        badges.Face(**{"level_name": "Accredited", "year": 2026, "status": "current", **kwargs})


def test_unknown_size_or_variant_is_refused():
    face = badges.Face("Accredited", 2026, "current")
    with pytest.raises(ValueError):
        badges.svg(face, "huge")
    with pytest.raises(ValueError):
        badges.png(face, variant="sepia")


@pytest.mark.parametrize(("size", "variant", "status"), CASES)
def test_png_is_the_right_size(size, variant, status):
    data = badges.png(badges.Face("Accredited with distinction", 2026, status), size, variant)
    kind, ihdr, _crc = png_chunks(data)[0]
    assert kind == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    assert width == height == badges.SIZES[size]
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == (badges.SIZES[size],) * 2
    assert image.mode == "RGBA"
    px = badges.SIZES[size]
    assert image.getpixel((0, 0))[3] == 0  # transparent outside the seal
    assert image.getpixel((px // 2, px // 2))[3] == 255


def test_png_shows_expiry_in_red_and_current_in_blue():
    def reddish(status: str) -> int:
        image = Image.open(io.BytesIO(badges.png(badges.Face("Accredited", 2026, status))))
        rgb = image.convert("RGB").tobytes()
        pixels = zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
        return sum(1 for r, g, b in pixels if r > 180 and g < 90 and b < 60)

    assert reddish("current") == 0
    assert reddish("expired") > 2000


ASSERTION = {
    "@context": "https://w3id.org/openbadges/v2",
    "type": "Assertion",
    "id": "http://marks.test/ob/assertions/SMFM-2026-00001.json",
    "narrative": "Café — ✓ ]]> <tag> & more",
}


@pytest.fixture(scope="module")
def plain_png() -> bytes:
    return badges.png(badges.Face("Accredited", 2026, "current"), "small")


def test_bake_png_puts_one_itxt_chunk_after_ihdr(plain_png):
    assertion = json.dumps(ASSERTION, ensure_ascii=False)
    baked = badges.bake_png(plain_png, assertion)
    chunks = png_chunks(baked)
    assert [kind for kind, _, _ in chunks[:2]] == [b"IHDR", b"iTXt"]
    kind, body, crc = chunks[1]
    assert crc == zlib.crc32(kind + body)
    assert body == b"openbadges\0\0\0\0\0" + assertion.encode()
    assert all(crc == zlib.crc32(kind + body) for kind, body, crc in chunks)
    assert chunks.index(next(c for c in chunks if c[0] == b"IDAT")) > 1
    assert badges.unbake_png(baked) == assertion
    assert Image.open(io.BytesIO(baked)).size == (120, 120)
    Image.open(io.BytesIO(baked)).load()


def test_baking_a_png_twice_leaves_one_chunk(plain_png):
    baked = badges.bake_png(badges.bake_png(plain_png, '{"old": true}'), '{"new": true}')
    itxt = [body for kind, body, _ in png_chunks(baked) if kind == b"iTXt"]
    assert len(itxt) == 1
    assert badges.unbake_png(baked) == '{"new": true}'
    assert len(baked) == len(badges.bake_png(plain_png, '{"new": true}'))


def test_unbake_png_without_assertion_or_with_bad_crc(plain_png):
    assert badges.unbake_png(plain_png) is None
    baked = bytearray(badges.bake_png(plain_png, '{"a": 1}'))
    at = baked.index(b"iTXt") + 4 + len(b"openbadges") + 5
    baked[at] ^= 0x01
    with pytest.raises(ValueError, match="CRC"):
        badges.unbake_png(bytes(baked))
    with pytest.raises(ValueError):
        badges.bake_png(b"GIF89a", "{}")


def test_bake_svg_round_trips_even_json_that_ends_cdata():
    verify = 'http://marks.test/ob/assertions/SMFM-2026-00001.json?a=1&b="2"'
    text = badges.svg(badges.Face("Accredited", 2026, "current"), "large", "dark")
    baked = badges.bake_svg(text, ASSERTION, verify)
    root = parse(baked)
    first = next(iter(root))
    assert first.tag == "{http://openbadges.org}assertion"
    assert first.get("verify") == verify
    assert badges.unbake_svg(baked) == (verify, ASSERTION)
    assert 'xmlns:openbadges="http://openbadges.org"' in baked
    assert "<script" not in baked
    assert badges.unbake_svg(text) is None


def test_baking_an_svg_twice_leaves_one_assertion():
    text = badges.svg(badges.Face("Accredited", 2026, "current"))
    once = badges.bake_svg(text, {"n": "]]></openbadges:assertion>"}, "http://a.test/1")
    twice = badges.bake_svg(once, {"n": 2}, "http://a.test/2")
    root = parse(twice)
    assert len(root.findall("{http://openbadges.org}assertion")) == 1
    assert twice.count("xmlns:openbadges") == 1
    assert badges.unbake_svg(twice) == ("http://a.test/2", {"n": 2})
    assert twice.replace("\n", "") == badges.bake_svg(text, {"n": 2}, "http://a.test/2").replace(
        "\n", ""
    )
