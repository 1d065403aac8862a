"""A council's own words on a public page: its paragraphs and its web addresses kept, and no
other markup. Everything it typed is escaped; only the paragraphs, line breaks and links made
here are HTML."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")
# A web address as people paste one into text: up to the first space or angle bracket, less
# the punctuation that ends the sentence around it.
_ADDRESS = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def _linked(line: str) -> Markup:
    parts: list[Markup | str] = []
    end = 0
    for found in _ADDRESS.finditer(line):
        address = found.group().rstrip(_TRAILING)
        if "://" not in address or address.endswith("://"):
            continue
        parts.append(escape(line[end : found.start()]))
        parts.append(
            Markup(
                '<a class="govuk-link" href="{0}" rel="nofollow noopener noreferrer">{0}</a>'
            ).format(address)
        )
        end = found.start() + len(address)
    parts.append(escape(line[end:]))
    return Markup("").join(parts)


def council_text(text: str | None, classes: str = "govuk-body") -> Markup:
    """The text as paragraphs (a blank line between them; a single line break kept as one),
    each web address a link that search engines are told not to follow."""
    paragraphs = [p for p in _PARAGRAPHS.split((text or "").replace("\r\n", "\n").strip()) if p]
    return Markup("\n").join(
        Markup('<p class="{}">{}</p>').format(
            classes, Markup("<br>\n").join(_linked(line) for line in paragraph.split("\n"))
        )
        for paragraph in paragraphs
    )
