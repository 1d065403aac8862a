"""The badge of the Mark: SVG artwork drawn here, its PNG rendering, and Open Badges 2.0 baking
of both. Three artworks: the full seal (a round seal with a speech bubble and a tick, the
scheme's name, a ribbon with the level and the year), a small tile that reads at 50 px (the
mark and one word), and a wide strip for footers (the mark, the scheme's name, the level and
the year). The edition's highest level is gold: a gold ring or rim and a gold ribbon.

A badge whose award has expired or been revoked is greyed out, and a red banner says so
("EXPIRED" / "REVOKED", with "NO LONGER VALID" where there is room), legible at every size."""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from math import cos, pi, sin
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

# The long side of the image, in pixels: SVG width or height, and PNG pixels.
SIZES = {"small": 120, "medium": 200, "large": 400, "print": 1200}
VARIANTS = ("light", "dark")
STATUSES = ("current", "expired", "revoked")
ARTWORKS = ("full", "small", "wide")
_VIEWBOXES = {"full": (200, 200), "small": (100, 100), "wide": (440, 100)}
SCHEME = "Social Media Friendly Mark"
FONT = "Arial, Helvetica, 'Liberation Sans', sans-serif"
OPENBADGES_NS = "http://openbadges.org"
# Characters XML 1.0 cannot carry at all, escaped or not: one typed into a level's name (or a
# council's, for the register's feed) would make the whole document unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Advance widths (1/1000 em) of Arial Bold, which Liberation Sans Bold matches, for " " to "~":
# enough to fit a level name on the ribbon without a font at hand.
_ARIAL_BOLD = """
    278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556
    556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722
    611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556
    611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778
    556 556 500 389 280 389 584
"""
_WIDTHS = tuple(int(width) for width in _ARIAL_BOLD.split())

# Colours (GOV.UK), by variant and validity: rim, disc, ink (text and rings), bubble, tick,
# ribbon, ribbon text. The highest level's ribbon is gold with black text (14.5:1).
_PALETTES = {
    ("light", True): "#003078 #1d70b8 #ffffff #ffffff #1d70b8 #003078 #ffffff",
    ("dark", True): "#ffffff #ffffff #003078 #1d70b8 #ffffff #1d70b8 #ffffff",
    ("light", False): "#b1b4b6 #f3f2f1 #505a5f #b1b4b6 #ffffff #505a5f #ffffff",
    ("dark", False): "#f3f2f1 #b1b4b6 #0b0c0c #505a5f #f3f2f1 #505a5f #ffffff",
}
GOLD, BLACK, RED, WHITE = "#ffdd00", "#0b0c0c", "#d4351c", "#ffffff"
_BUBBLE = (
    "M9 6.5h14a3.5 3.5 0 0 1 3.5 3.5v9a3.5 3.5 0 0 1-3.5 3.5h-8.5l-5.5 4.5v-4.5"
    "a3.5 3.5 0 0 1-3.5-3.5v-9A3.5 3.5 0 0 1 9 6.5z"
)


@dataclass(frozen=True)
class Face:
    """What a badge shows: the level's name, the year of the award, whether it holds, and
    whether the level is its edition's highest of two or more (a distinction)."""

    level_name: str
    year: int
    status: str
    distinction: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if not isinstance(self.year, int) or not 1000 <= self.year <= 9999:
            raise ValueError(f"year must be a four-digit int, not {self.year!r}")

    @property
    def valid(self) -> bool:
        return self.status == "current"

    @property
    def title(self) -> str:
        title = f"{SCHEME}: {self.level_name} {self.year}"
        return title if self.valid else f"{title} — no longer valid: {self.status}"

    def describe(self, artwork: str) -> str:
        """What an artwork of the badge shows, for screen readers (its <desc>)."""
        gold = "gold " if self.distinction and self.valid else ""
        shape = {
            "full": f"A round seal with a speech bubble and a tick, the scheme's name, a {gold}"
            f"ribbon with {self.level_name} and {self.year}.",
            "small": f"A {gold}tile with a speech bubble and a tick, and the level, "
            f"{self.level_name}, of the {self.year} Mark.",
            "wide": f"A {gold}strip with a speech bubble and a tick, the scheme's name, "
            f"{self.level_name} and {self.year}.",
        }[artwork]
        return shape if self.valid else f"{shape} A red banner says it is no longer valid."


def dimensions(artwork: str, size: str) -> tuple[int, int]:
    """An artwork's width and height in pixels at a size (the long side is SIZES[size])."""
    width, height = _VIEWBOXES[artwork]
    scale = SIZES[size] / max(width, height)
    return round(width * scale), round(height * scale)


def text_width(text: str, size: float) -> float:
    """The width of text in bold Arial at a font size (unknown characters count as wide)."""
    return sum(_WIDTHS[ord(c) - 32] if 32 <= ord(c) < 127 else 750 for c in text) * size / 1000


def _fit(name: str, width: float) -> tuple[list[str], float]:
    """Lines and font size for a level name on the ribbon: one line if it fits at a readable
    size, else two, else two lines cut short with an ellipsis."""
    name = " ".join(name.split())
    for size in (18, 17, 16, 15, 14):
        if text_width(name, size) <= width:
            return [name], size
    words = name.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    if splits:
        best = min(splits, key=lambda pair: max(text_width(line, 1) for line in pair))
        for size in (16, 15, 14, 13, 12, 11, 10):
            if max(text_width(line, size) for line in best) <= width:
                return list(best), size
    lines, size = [], 10
    rest = name
    for _ in range(2):
        lines.append(_cut(rest, size, width))
        rest = rest[len(lines[-1]) :].lstrip()
    if rest:
        lines[-1] += "…"
    return lines, size


def _cut(text: str, size: float, width: float) -> str:
    """As much of text from its start as fits in width with an ellipsis after it."""
    line = ""
    for char in text:
        if text_width(line + char + "…", size) > width:
            break
        line += char
    return line.rstrip()


def _one_line(candidates: list[str], sizes: tuple[int, ...], width: float) -> tuple[str, int]:
    """The first candidate that fits in width at one of sizes (the largest it can), else the
    last cut short with an ellipsis at the smallest size."""
    for text in candidates:
        for size in sizes:
            if text_width(text, size) <= width:
                return text, size
    return _cut(candidates[-1], sizes[-1], width) + "…", sizes[-1]


def xml_text(text: str) -> str:
    """Text for an XML document: escaped, and without the characters XML cannot carry."""
    return escape(NOT_XML.sub("", text))


def _text(x: float, y: float, size: float, fill: str, content: str) -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" fill="{fill}" '
        f'text-anchor="middle">{xml_text(content)}</text>'
    )


def _star(cx: float, cy: float, r: float, fill: str, stroke: str = "none") -> str:
    points = " ".join(
        f"{cx + (r if i % 2 == 0 else r * 0.42) * sin(i * pi / 5):.2f},"
        f"{cy - (r if i % 2 == 0 else r * 0.42) * cos(i * pi / 5):.2f}"
        for i in range(10)
    )
    return f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-linejoin="round"/>'


def _mark(x: float, y: float, scale: float, bubble: str, tick: str) -> str:
    """The speech bubble with its tick, its top left corner's box at (x, y)."""
    return (
        f'<g transform="translate({x:g} {y:g}) scale({scale:g})">'
        f'<path d="{_BUBBLE}" fill="{bubble}"/>'
        f'<path d="M10.5 14.5l3.5 3.5 7.5-7.5" fill="none" stroke="{tick}" stroke-width="2.6" '
        'stroke-linecap="round" stroke-linejoin="round"/></g>'
    )


@lru_cache(maxsize=512)  # a few faces per year and level: draw each once per process
def svg(face: Face, size: str = "medium", variant: str = "light", artwork: str = "full") -> str:
    """The badge as a standalone SVG document: no script and no reference to anything else.
    Raises ValueError for an unknown size, variant or artwork."""
    if size not in SIZES or variant not in VARIANTS or artwork not in ARTWORKS:
        raise ValueError(f"unknown size {size!r}, variant {variant!r} or artwork {artwork!r}")
    width, height = dimensions(artwork, size)
    box_width, box_height = _VIEWBOXES[artwork]
    drawn = _DRAWN[artwork](face, variant)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {box_width} {box_height}" role="img" font-family="{FONT}" '
            'font-weight="bold">',
            f"<title>{xml_text(face.title)}</title>",
            f"<desc>{xml_text(face.describe(artwork))}</desc>",
            *drawn,
            "</svg>\n",
        ]
    )


def _full(face: Face, variant: str) -> list[str]:
    rim, disc, ink, bubble, tick, ribbon, ribbon_ink = _PALETTES[variant, face.valid].split()
    gold = face.distinction and face.valid
    if gold:
        ribbon, ribbon_ink = GOLD, BLACK
    lines, level_size = _fit(face.level_name, 150)
    parts = [
        f'<circle cx="100" cy="100" r="98" fill="{rim}"/>',
        f'<circle cx="100" cy="100" r="90" fill="{disc}"/>',
        f'<circle cx="100" cy="100" r="85" fill="none" stroke="{ink}" stroke-width="1.5"/>',
    ]
    if variant == "dark":  # a white seal: a coloured ring marks its edge on dark pages
        parts.append(
            f'<circle cx="100" cy="100" r="93" fill="none" stroke="{ribbon}" stroke-width="3"/>'
        )
    if gold:  # a gold ring in the rim, edged in black on a white seal, and stars by the year
        if variant == "dark":
            parts.append(
                '<circle cx="100" cy="100" r="94" fill="none" stroke="#0b0c0c" stroke-width="7"/>'
            )
        parts.append(
            f'<circle cx="100" cy="100" r="94" fill="none" stroke="{GOLD}" stroke-width="5"/>'
        )
    if face.distinction:
        star, edge = (GOLD, BLACK if variant == "dark" else "none") if gold else (ink, "none")
        parts += [_star(57, 166, 9, star, edge), _star(143, 166, 9, star, edge)]
    # The bubble and the scheme's name; on a badge that no longer holds, a smaller bubble and
    # a red banner in the name's place that says so.
    if face.valid:
        parts += [
            _mark(64.8, 7.7, 2.2, bubble, tick),
            _text(100, 87, 15, ink, "SOCIAL MEDIA"),
            _text(100, 105, 15, ink, "FRIENDLY MARK"),
        ]
    else:
        parts += [
            _mark(74.4, 9.6, 1.6, bubble, tick),
            f'<polygon points="2,56 198,56 190,83 198,110 2,110 10,83" fill="{RED}"/>',
            _text(100, 84, 26, WHITE, face.status.upper()),
            _text(100, 104, 16.5, WHITE, "NO LONGER VALID"),
        ]
    parts.append(f'<polygon points="2,112 198,112 190,130 198,148 2,148 10,130" fill="{ribbon}"/>')
    if len(lines) == 1:
        parts.append(_text(100, 130 + level_size * 0.36, level_size, ribbon_ink, lines[0]))
    else:
        gap = level_size * 1.05
        for i, line in enumerate(lines):
            y = 130 + level_size * 0.36 + (i - 0.5) * gap
            parts.append(_text(100, y, level_size, ribbon_ink, line))
    parts.append(_text(100, 177, 27, ink, str(face.year)))
    return parts


# The small and the wide artworks, by variant and validity: tile, words on the tile, bubble,
# tick, band, words on the band. White or black words on these: 5.1:1 or more.
_TILES = {
    ("light", True): "#1d70b8 #ffffff #ffffff #1d70b8 #003078 #ffffff",
    ("dark", True): "#ffffff #003078 #1d70b8 #ffffff #003078 #ffffff",
    ("light", False): "#f3f2f1 #0b0c0c #b1b4b6 #f3f2f1 #d4351c #ffffff",
    ("dark", False): "#f3f2f1 #0b0c0c #505a5f #f3f2f1 #d4351c #ffffff",
}


def _tile(face: Face, variant: str, width: float) -> tuple[list[str], str, str, str, str, str]:
    """A rounded tile, gold-rimmed for a distinction: its parts, then the colours of words on
    it, of the mark (bubble, tick), and of the band with the level and of words on it."""
    tile, ink, bubble, tick, band, band_ink = _TILES[variant, face.valid].split()
    gold = face.distinction and face.valid
    if gold:
        band, band_ink = GOLD, BLACK
    parts = [f'<rect width="{width:g}" height="100" rx="14" fill="{tile}"/>']
    if gold:
        parts.append(
            f'<rect x="3" y="3" width="{width - 6:g}" height="94" rx="11" fill="none" '
            f'stroke="{GOLD}" stroke-width="6"/>'
        )
    return parts, ink, bubble, tick, band, band_ink


def _small(face: Face, variant: str) -> list[str]:
    parts, _ink, bubble, tick, band, band_ink = _tile(face, variant, 100)
    parts.append(_mark(14.8, -6.3, 2.2, bubble, tick))
    if face.valid:
        # The level's name, or its last word if the name is too long to read at 50 px.
        name = " ".join(face.level_name.split())
        candidates = [name, name.rsplit(" ", 1)[-1].capitalize()]
        word, size = _one_line(candidates, (22, 21, 20, 19, 18), 94)
    else:
        word, size = face.status.upper(), 18
    if face.distinction and face.valid:  # stars either side of the bubble
        parts += [_star(16, 30, 8, GOLD, BLACK), _star(84, 30, 8, GOLD, BLACK)]
    parts += [
        f'<path d="M0 60h100v26a14 14 0 0 1-14 14h-72a14 14 0 0 1-14-14z" fill="{band}"/>',
        _text(50, 80 + size * 0.36, size, band_ink, word),
    ]
    return parts


def _wide(face: Face, variant: str) -> list[str]:
    parts, ink, bubble, tick, band, band_ink = _tile(face, variant, 440)
    parts.append(_mark(10, -8, 3.4, bubble, tick))
    level = " ".join(face.level_name.split())
    if face.valid:
        line, size = _one_line([f"{level} {face.year}", level], (24, 22, 21, 20, 19, 18), 316)
    else:
        line, size = _one_line([f"{face.status.upper()}: NO LONGER VALID"], (22, 20, 18), 316)
    parts += [
        _text(264, 39, 23, ink, SCHEME),
        f'<rect x="100" y="52" width="328" height="38" rx="6" fill="{band}"/>',
        _text(264, 71 + size * 0.36, size, band_ink, line),
    ]
    return parts


_DRAWN = {"full": _full, "small": _small, "wide": _wide}


def placed(
    face: Face, x: float, y: float, height: float, variant: str = "light", artwork: str = "full"
) -> str:
    """The badge's artwork as an element of another SVG (the social media kit's cards): its
    top left corner at (x, y), `height` high, drawn as the badge itself is."""
    box_width, box_height = _VIEWBOXES[artwork]
    width = height * box_width / box_height
    return "\n".join(
        [
            f'<svg x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}" '
            f'viewBox="0 0 {box_width} {box_height}">',
            *_DRAWN[artwork](face, variant),
            "</svg>",
        ]
    )


@lru_cache(maxsize=256)
def png(face: Face, size: str = "medium", variant: str = "light", artwork: str = "full") -> bytes:
    """The badge as an RGBA PNG of dimensions(artwork, size) pixels, from its SVG."""
    return render(svg(face, size, variant, artwork), *dimensions(artwork, size))


def render(svg_text: str, width: int, height: int) -> bytes:
    import cairosvg  # CairoSVG (needs Debian's libcairo2); imported here as only PNGs need it

    # The SVG refers to nothing outside itself; unsafe=False keeps entities unresolved anyway.
    return cairosvg.svg2png(
        bytestring=svg_text.encode(), output_width=width, output_height=height, unsafe=False
    )


# Open Badges 2.0 baking (1EdTech "Baking Specification").

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEYWORD = b"openbadges"


def _chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    """The chunks of a PNG as (type, data, stored CRC)."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        if at + 12 > len(data):
            raise ValueError("truncated PNG chunk")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        if len(body) != length or at + 12 + length > len(data):
            raise ValueError("truncated PNG chunk")
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        chunks.append((kind, body, crc))
        at += 12 + length
    if not chunks or chunks[0][0] != b"IHDR":
        raise ValueError("PNG does not start with IHDR")
    return chunks


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _is_badge(kind: bytes, body: bytes) -> bool:
    return kind == b"iTXt" and body.split(b"\0", 1)[0] == _KEYWORD


def bake_png(png_bytes: bytes, assertion_json: str) -> bytes:
    """The PNG with an uncompressed iTXt chunk `openbadges` holding the assertion, right after
    IHDR; an `openbadges` chunk already there is replaced."""
    chunks = _chunks(png_bytes)
    itxt = _KEYWORD + b"\0\0\0" + b"\0" + b"\0" + assertion_json.encode()
    out = [PNG_SIGNATURE, _chunk(b"IHDR", chunks[0][1]), _chunk(b"iTXt", itxt)]
    out += [_chunk(kind, body) for kind, body, _ in chunks[1:] if not _is_badge(kind, body)]
    return b"".join(out)


def unbake_png(png_bytes: bytes) -> str | None:
    """The assertion baked into a PNG (its `openbadges` iTXt text), or None if there is none.
    Raises ValueError if that chunk's CRC is wrong."""
    for kind, body, crc in _chunks(png_bytes):
        if not _is_badge(kind, body):
            continue
        if zlib.crc32(kind + body) != crc:
            raise ValueError("openbadges chunk fails its CRC")
        rest = body[len(_KEYWORD) + 1 :]
        if len(rest) < 4:
            raise ValueError("openbadges chunk is malformed")
        compressed = rest[0]
        _language, _translated, text = rest[2:].split(b"\0", 2)
        return (zlib.decompress(text) if compressed else text).decode()
    return None


_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_SVG_ASSERTION = re.compile(
    r"<openbadges:assertion\b[^>]*?(?:/>|>(?:<!\[CDATA\[.*?\]\]>|[^<])*</openbadges:assertion>)",
    re.DOTALL,
)


def bake_svg(svg_text: str, assertion: dict, verify_url: str) -> str:
    """The SVG with an `openbadges:assertion` element (the JSON in CDATA, `verify` the
    assertion's URL) as the root's first child; one already there is replaced."""
    svg_text = _SVG_ASSERTION.sub("", svg_text, count=1)
    root = _SVG_ROOT.search(svg_text)
    if not root or root.group().endswith("/>"):
        raise ValueError("no <svg> root element with content")
    tag = root.group()
    if "xmlns:openbadges=" not in tag:
        tag = f'{tag[:-1]} xmlns:openbadges="{OPENBADGES_NS}">'
    # ASCII JSON: nothing in it can be a character XML forbids; "]]>" is split across sections.
    data = json.dumps(assertion).replace("]]>", "]]]]><![CDATA[>")
    element = (
        f"<openbadges:assertion verify={quoteattr(verify_url)}>"
        f"<![CDATA[{data}]]></openbadges:assertion>"
    )
    return svg_text[: root.start()] + tag + element + svg_text[root.end() :]


def unbake_svg(svg_text: str) -> tuple[str, dict] | None:
    """The verify URL and assertion baked into an SVG, or None if there are none."""
    # ElementTree expands internal entities, so this is for SVGs we made (no defusedxml here):
    # never call it on an SVG from outside.
    root = ET.fromstring(svg_text.encode())  # noqa: S314 (only SVGs we made)  # nosec B314
    element = root.find(f"{{{OPENBADGES_NS}}}assertion")
    if element is None:
        return None
    text = (element.text or "").strip()
    return element.get("verify", ""), json.loads(text) if text else {}
