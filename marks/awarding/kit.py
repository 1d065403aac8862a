"""The social media kit of an award: cards for each place it is shared (a link card, a square
post, a story), drawn around the badge's own artwork with the council's name, the level and
the year; their alt text; a suggested post and a press-release paragraph.

A card of an award that no longer holds (expired, revoked) is grey, with a red band that
says so, like the badge's faces: a link shared long ago never goes on celebrating."""

from __future__ import annotations

from dataclasses import dataclass

from marks import mail
from marks.awarding import awards, badges
from marks.awarding.badges import FONT, RED, SCHEME, WHITE, Face, text_width, xml_text
from marks.presentation import govuk_date
from marks.scheme import issuer as scheme_issuer
from marks.states import AwardStatus

# Each card's width and height in pixels: the sizes the social networks show without cropping.
FORMATS = {"link": (1200, 630), "square": (1080, 1080), "story": (1080, 1920)}
FORMAT_NAMES = {
    "link": "Link card",
    "square": "Square post",
    "story": "Story",
}
FORMAT_HINTS = {
    "link": "1,200 by 630 pixels: shown when a link to your council's page or certificate is "
    "shared, and for posts with a wide image",
    "square": "1,080 by 1,080 pixels: for posts on Instagram, Facebook and LinkedIn",
    "story": "1,080 by 1,920 pixels: for stories and reels, with space left at the top and "
    "bottom for the app's own buttons",
}
_DARK_BLUE, _BLUE, _GOLD, _BLACK, _GREY = "#003078", "#1d70b8", "#ffdd00", "#0b0c0c", "#f3f2f1"


@dataclass(frozen=True)
class Card:
    """What a card shows: the council's name, the badge's face (level, year, status) and the
    certificate number, in one of FORMATS."""

    council_name: str
    face: Face
    certificate_number: str
    format: str = "link"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {tuple(FORMATS)}, not {self.format!r}")

    @property
    def size(self) -> tuple[int, int]:
        return FORMATS[self.format]


def alt_text(card: Card) -> str:
    """What the card shows, for people who cannot see it: the words on it, said once."""
    face, council = card.face, " ".join(card.council_name.split())
    shape = {"link": "A wide card", "square": "A square card", "story": "A tall card"}
    if face.valid:
        return (
            f"{shape[card.format]} with the {SCHEME}'s badge and the words: {council}, "
            f"{face.level_name}, {face.year}, certificate {card.certificate_number}."
        )
    return (
        f"{shape[card.format]} with the greyed-out badge of the {SCHEME} and the words: "
        f"{council}, {face.level_name}, {face.year}. A red band says it has "
        f"{'expired' if face.status == 'expired' else 'been revoked'} and is no longer valid."
    )


# --- Drawing ------------------------------------------------------------------------------------


def _text(x: float, y: float, size: float, fill: str, content: str, anchor: str) -> str:
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" fill="{fill}" '
        f'text-anchor="{anchor}">{xml_text(content)}</text>'
    )


def _cut(text: str, size: float, width: float) -> str:
    """Text cut short with an ellipsis to fit in width."""
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(words: list[str], size: float, width: float) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def lines(text: str, width: float, sizes: tuple[int, ...], most: int) -> tuple[list[str], int]:
    """Text in at most `most` lines of width, at the largest of sizes that holds it all, else
    at the smallest, cut short with an ellipsis."""
    words = text.split() or [""]
    for size in sizes:
        wrapped = _wrap(words, size, width)
        if len(wrapped) <= most and all(text_width(line, size) <= width for line in wrapped):
            return wrapped, size
    size = sizes[-1]
    wrapped = _wrap(words, size, width)
    kept = [
        line if text_width(line, size) <= width else _cut(line, size, width) for line in wrapped
    ]
    if len(kept) > most:
        kept = kept[:most]
        kept[-1] = _cut(kept[-1] + " ", size, width)
    return kept, size


@dataclass(frozen=True)
class _Layout:
    """Where things go on a card of one format (pixels): the badge's box, the text's left edge
    (or its middle) and width, the text's sizes and lines, and the status band's top."""

    badge: tuple[float, float, float]  # x, y, height
    text_x: float
    text_width: float
    anchor: str
    top: float  # the scheme's name's baseline
    scheme_size: int
    first: float  # the top of the council's name
    name_sizes: tuple[int, ...]
    name_lines: int
    level_sizes: tuple[int, ...]
    band: float  # the top of the status band
    band_height: float
    number_y: float
    band_left: float = 0  # where the band starts: beside the badge on a link card


_LAYOUTS = {
    "link": _Layout(
        (60, 85, 460),
        580,
        560,
        "start",
        120,
        30,
        150,
        (56, 50, 44, 38),
        3,
        (34, 30),
        478,
        72,
        590,
        band_left=560,
    ),
    # Square: the number above the band; story: everything inside the middle 1,380 pixels.
    "square": _Layout(
        (330, 140, 420),
        540,
        960,
        "middle",
        100,
        40,
        580,
        (64, 56, 48, 42),
        3,
        (42, 36),
        975,
        85,
        960,
    ),
    "story": _Layout(
        (240, 360, 600),
        540,
        940,
        "middle",
        300,
        48,
        1000,
        (80, 70, 60, 52),
        3,
        (52, 44),
        1530,
        110,
        1490,
    ),
}


def svg(card: Card) -> str:
    """The card as a standalone SVG document: no script and no reference to anything else."""
    width, height = card.size
    face, layout = card.face, _LAYOUTS[card.format]
    background, ink = (_DARK_BLUE, WHITE) if face.valid else (_GREY, _BLACK)
    gold = face.distinction and face.valid
    accent = _GOLD if gold else ink
    x, y, badge_height = layout.badge
    parts = [
        f'<rect width="{width}" height="{height}" fill="{background}"/>',
        f'<rect y="{height - 16}" width="{width}" height="16" fill="{_GOLD if gold else _BLUE}"/>',
        badges.placed(face, x, y, badge_height, "dark" if face.valid else "light"),
        _text(layout.text_x, layout.top, layout.scheme_size, ink, SCHEME.upper(), layout.anchor),
    ]
    cursor = layout.first
    named, size = lines(card.council_name, layout.text_width, layout.name_sizes, layout.name_lines)
    for line in named:
        cursor += size * 1.15
        parts.append(_text(layout.text_x, cursor, size, ink, line, layout.anchor))
    level, size = lines(f"{face.level_name}, {face.year}", layout.text_width, layout.level_sizes, 2)
    cursor += size * 0.5
    for line in level:
        cursor += size * 1.2
        parts.append(_text(layout.text_x, cursor, size, accent, line, layout.anchor))
    if not face.valid:  # the whole width (beside the badge), so that it is seen first
        band_size = layout.band_height * 0.5
        band_width = width - layout.band_left
        parts += [
            f'<rect x="{layout.band_left:g}" y="{layout.band:g}" width="{band_width:g}" '
            f'height="{layout.band_height:g}" fill="{RED}"/>',
            _text(
                layout.band_left + band_width / 2,
                layout.band + layout.band_height / 2 + band_size * 0.36,
                band_size,
                WHITE,
                f"{face.status.upper()}: NO LONGER VALID",
                "middle",
            ),
        ]
    parts.append(
        _text(
            layout.text_x,
            layout.number_y,
            layout.scheme_size * 0.8,
            ink,
            f"Certificate {card.certificate_number}",
            layout.anchor,
        )
    )
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" font-family="{FONT}" '
            'font-weight="bold">',
            f"<title>{xml_text(card.council_name)}: {xml_text(face.title)}</title>",
            f"<desc>{xml_text(alt_text(card))}</desc>",
            *parts,
            "</svg>\n",
        ]
    )


def png(card: Card) -> bytes:
    """The card as a PNG of exactly its format's size (public.awards keeps the ones it sent)."""
    return badges.render(svg(card), *card.size)


# --- Words --------------------------------------------------------------------------------------


def suggested_post(council_name: str, level_name: str, verify_url: str, hashtag: str) -> str:
    """A post the council may edit and share: what it won, where anyone can check it, and the
    Mark's hashtag (if the scheme has one)."""
    post = (
        f"We are proud that {council_name} has been awarded the {SCHEME}: {level_name}. "
        "It recognises councils that use social media well, to talk with residents, "
        f"councillors and peers, and that trust their staff to use it. Check our certificate: "
        f"{verify_url}"
    )
    return f"{post} {hashtag}" if hashtag else post


def press_release(
    council_name: str,
    level_name: str,
    awarded_on: str,
    expires_on: str,
    verify_url: str,
    issuer_name: str,
) -> str:
    """A paragraph for a press release or a news page, for the council to edit."""
    by = f", run by {issuer_name}," if issuer_name else ""
    return (
        f"{council_name} has been awarded the {SCHEME} at the level {level_name}. The Mark"
        f"{by} recognises UK councils that have debunked the myths about social media, use it "
        "to engage with residents, councillors and peers, and empower their staff at all "
        f"levels to use it in their role. The award was made on {awarded_on} and is valid "
        f"until {expires_on}. Anyone can check it at {verify_url}"
    )


@dataclass(frozen=True)
class Kit:
    """An award's social media kit: its cards, in FORMATS' order, and the words to go with
    them, for the council to edit before copying."""

    cards: tuple[Card, ...]
    post: str
    press_release: str


def kit_of(facts: awards.Facts, status: AwardStatus) -> Kit | None:
    """The kit of an award that holds today; None for one that no longer does (expired,
    revoked, superseded): nothing is offered to celebrate it."""
    if not status.holds:
        return None
    face = awards.face(facts, status)
    verify_url = mail.link("public.verify_certificate", number=facts.certificate_number)
    issuer = scheme_issuer.current()
    return Kit(
        cards=tuple(
            Card(facts.council_name, face, facts.certificate_number, shape) for shape in FORMATS
        ),
        post=suggested_post(facts.council_name, facts.level_name, verify_url, issuer.hashtag),
        press_release=press_release(
            facts.council_name,
            facts.level_name,
            govuk_date(facts.awarded_on),
            govuk_date(facts.expires_on),
            verify_url,
            issuer.name,
        ),
    )


@dataclass(frozen=True)
class LinkCard:
    """What a link to a page about an award unfolds into when shared (Open Graph and Twitter
    card tags): absolute addresses, and the link card of the award as it is today."""

    title: str
    description: str
    url: str
    image: str
    alt: str
    width: int
    height: int


def link_card(certificate_number: str, status: AwardStatus, url: str) -> LinkCard | None:
    """The link card of a page (at the absolute `url`) about the award: it says whether the
    award holds today. None for a number never issued."""
    facts = awards.facts(certificate_number)
    if facts is None:
        return None
    card = Card(facts.council_name, awards.face(facts, status), facts.certificate_number, "link")
    council, level = facts.council_name, facts.level_name
    description = {
        AwardStatus.EXPIRED: f"{council}'s {SCHEME} ({level}) expired on "
        f"{govuk_date(facts.expires_on)}. It is no longer valid.",
        AwardStatus.REVOKED: f"{council}'s {SCHEME} ({level}) was revoked. It is no longer valid.",
        AwardStatus.SUPERSEDED: f"{council} renewed the {SCHEME}: this certificate was "
        "replaced by a newer one.",
    }.get(
        status,
        f"{council} holds the {SCHEME}: {level}, until {govuk_date(facts.expires_on)}.",
    )
    width, height = card.size
    return LinkCard(
        title=f"{council}: {SCHEME}",
        description=description,
        url=url,
        image=mail.link("public.card", number=facts.certificate_number, format=card.format),
        alt=alt_text(card),
        width=width,
        height=height,
    )
