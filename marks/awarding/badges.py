"""The badge of the Mark: SVG artwork drawn here (a round seal with a speech bubble and a tick,
a ribbon with the level and the year), its PNG rendering, and Open Badges 2.0 baking of both.

A badge whose award has expired or been revoked is greyed out, and a red banner in place of the
scheme's name says so ("EXPIRED" / "NO LONGER VALID"), legible at every size."""

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

SIZES = {"small": 120, "medium": 200, "large": 400}
VARIANTS = ("light", "dark")
STATUSES = ("current", "expired", "revoked")
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
# ribbon, ribbon text, dots (the distinction's ring).
_PALETTES = {
    ("light", True): "#003078 #1d70b8 #ffffff #ffffff #1d70b8 #003078 #ffffff #ffdd00",
    ("dark", True): "#ffffff #ffffff #003078 #1d70b8 #ffffff #1d70b8 #ffffff #1d70b8",
    ("light", False): "#b1b4b6 #f3f2f1 #505a5f #b1b4b6 #ffffff #505a5f #ffffff #ffffff",
    ("dark", False): "#f3f2f1 #b1b4b6 #0b0c0c #505a5f #f3f2f1 #505a5f #ffffff #505a5f",
}
_BUBBLE = (
    "M9 6.5h14a3.5 3.5 0 0 1 3.5 3.5v9a3.5 3.5 0 0 1-3.5 3.5h-8.5l-5.5 4.5v-4.5"
    "a3.5 3.5 0 0 1-3.5-3.5v-9A3.5 3.5 0 0 1 9 6.5z"
)


@dataclass(frozen=True)
class Face:
    """What a badge shows: the level's name, the year of the award, and whether it holds."""

    level_name: str
    year: int
    status: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if not isinstance(self.year, int) or not 1000 <= self.year <= 9999:
            raise ValueError(f"year must be a four-digit int, not {self.year!r}")

    @property
    def valid(self) -> bool:
        return self.status == "current"

    @property
    def distinction(self) -> bool:
        return "distinction" in self.level_name.lower()

    @property
    def title(self) -> str:
        title = f"{SCHEME}: {self.level_name} {self.year}"
        return title if self.valid else f"{title} — no longer valid: {self.status}"

    @property
    def description(self) -> str:
        """What the badge shows, for screen readers (its <desc>)."""
        seal = (
            f"A round seal with a speech bubble and a tick, the scheme's name, "
            f"{self.level_name} and {self.year}."
        )
        return seal if self.valid else f"{seal} A red banner says it is no longer valid."


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
        line = ""
        for char in rest:
            if text_width(line + char + "…", size) > width:
                break
            line += char
        rest = rest[len(line) :].lstrip()
        lines.append(line.rstrip())
    if rest:
        lines[-1] += "…"
    return lines, size


def xml_text(text: str) -> str:
    """Text for an XML document: escaped, and without the characters XML cannot carry."""
    return escape(NOT_XML.sub("", text))


def _text(x: float, y: float, size: float, fill: str, content: str) -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" fill="{fill}" '
        f'text-anchor="middle">{xml_text(content)}</text>'
    )


def _star(cx: float, cy: float, r: float, fill: str) -> str:
    points = " ".join(
        f"{cx + (r if i % 2 == 0 else r * 0.42) * sin(i * pi / 5):.2f},"
        f"{cy - (r if i % 2 == 0 else r * 0.42) * cos(i * pi / 5):.2f}"
        for i in range(10)
    )
    return f'<polygon points="{points}" fill="{fill}"/>'


@lru_cache(maxsize=256)  # a few faces per year and level: draw each once per process
def svg(face: Face, size: str = "medium", variant: str = "light") -> str:
    """The badge as a standalone SVG document: no script and no reference to anything else.
    Raises ValueError for an unknown size or variant."""
    if size not in SIZES or variant not in VARIANTS:
        raise ValueError(f"unknown size {size!r} or variant {variant!r}")
    rim, disc, ink, bubble, tick, ribbon, ribbon_ink, dots = _PALETTES[variant, face.valid].split()
    px = SIZES[size]
    lines, level_size = _fit(face.level_name, 150)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" '
        f'viewBox="0 0 200 200" role="img" font-family="{FONT}" font-weight="bold">',
        f"<title>{xml_text(face.title)}</title>",
        f"<desc>{xml_text(face.description)}</desc>",
        f'<circle cx="100" cy="100" r="98" fill="{rim}"/>',
        f'<circle cx="100" cy="100" r="90" fill="{disc}"/>',
        f'<circle cx="100" cy="100" r="85" fill="none" stroke="{ink}" stroke-width="1.5"/>',
    ]
    if variant == "dark":  # a white seal: a coloured ring marks its edge on dark pages
        parts.append(
            f'<circle cx="100" cy="100" r="93" fill="none" stroke="{ribbon}" stroke-width="3"/>'
        )
    if face.distinction:  # a ring of dots in the rim and stars beside the year
        parts.append(
            f'<circle cx="100" cy="100" r="94" fill="none" stroke="{dots}" stroke-width="3.2" '
            'stroke-linecap="round" stroke-dasharray="0 7.38"/>'
        )
        star = dots if face.valid else ink
        parts += [_star(57, 166, 9, star), _star(143, 166, 9, star)]
    # The bubble and the scheme's name; on a badge that no longer holds, a smaller bubble and
    # a red banner in the name's place that says so.
    transform = "translate(64.8 7.7) scale(2.2)" if face.valid else "translate(74.4 9.6) scale(1.6)"
    parts.append(
        f'<g transform="{transform}"><path d="{_BUBBLE}" fill="{bubble}"/>'
        f'<path d="M10.5 14.5l3.5 3.5 7.5-7.5" fill="none" stroke="{tick}" stroke-width="2.6" '
        'stroke-linecap="round" stroke-linejoin="round"/></g>'
    )
    if face.valid:
        parts += [
            _text(100, 87, 15, ink, "SOCIAL MEDIA"),
            _text(100, 105, 15, ink, "FRIENDLY MARK"),
        ]
    else:
        parts += [
            '<polygon points="2,56 198,56 190,83 198,110 2,110 10,83" fill="#d4351c"/>',
            _text(100, 84, 26, "#ffffff", face.status.upper()),
            _text(100, 104, 16.5, "#ffffff", "NO LONGER VALID"),
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
    parts.append("</svg>\n")
    return "\n".join(parts)


@lru_cache(maxsize=256)
def png(face: Face, size: str = "medium", variant: str = "light") -> bytes:
    """The badge as an RGBA PNG of SIZES[size] pixels square, rendered from its SVG."""
    return _render(svg(face, size, variant), SIZES[size])


def _render(svg_text: str, px: int) -> bytes:
    import cairosvg  # CairoSVG (needs Debian's libcairo2); imported here as only PNGs need it

    # The SVG refers to nothing outside itself; unsafe=False keeps entities unresolved anyway.
    return cairosvg.svg2png(
        bytestring=svg_text.encode(), output_width=px, output_height=px, unsafe=False
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
