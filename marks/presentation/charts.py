"""Charts drawn on the server as inline SVG, for the administrators' dashboard.

Pure functions: figures in, SVG text out, no I/O. The SVG goes inline in an HTML page, so it has
no XML declaration, no script and no external file; and because the Content-Security-Policy
allows no inline styles, it has no style attribute or element either: presentation attributes
only. Each chart is an image (role="img") named by its <title> and described by a <desc> that
gives every figure, and every piece of text is escaped here, so a page may include the result
as it is. Each chart sits beside a table of the same figures: the accessible alternative.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

FONT = "Arial, sans-serif"
INK = "#0b0c0c"  # GOV.UK text
BAR = "#1d70b8"  # GOV.UK brand blue
# Columns of a second series: GOV.UK red, told from the blue by more than hue alone.
SERIES_COLOURS = (BAR, "#ca3535")
NO_DATA = "No data yet"

WIDTH = 600  # of the viewBox; the chart scales to its column
FONT_SIZE = 16
SMALL_FONT_SIZE = 13
CHAR_WIDTH = 0.55  # of the font size: a generous average for Arial, so text fits
ROW_HEIGHT = 32
BAR_HEIGHT = 22
PLOT_HEIGHT = 200

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, int | float]],
    *,
    unit: str = "",
    id_prefix: str | None = None,
) -> str:
    """Horizontal bars, one per (label, value) row, labelled and with their values written.

    `unit` is written after each value as given ("%", " days"). A chart with no rows, or only
    zeros, says "No data yet".
    """
    prefix = _prefix(id_prefix, title)
    values = [_checked(value) for _, value in rows]
    texts = [_figure(value, unit) for value in values]
    labels = [label for label, _ in rows]
    description = "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True))
    if not any(values):
        return _no_data(title, prefix)

    label_width = min(_text_width(max(len(label) for label in labels)) + 12, WIDTH * 0.45)
    value_width = _text_width(max(len(text) for text in texts)) + 12
    plot_width = WIDTH - label_width - value_width
    most = max(values)
    height = len(rows) * ROW_HEIGHT + 8
    parts = [_open(prefix, title, description + ".", height)]
    for index, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        top = 4 + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        middle = top + BAR_HEIGHT / 2 + FONT_SIZE * 0.35
        length = _round(plot_width * value / most)
        parts.append(
            _text(_fit(label, label_width - 12), label_width - 8, middle, anchor="end")
            + _element(
                "rect",
                x=_round(label_width),
                y=_round(top),
                width=length,
                height=BAR_HEIGHT,
                fill=BAR,
            )
            + _text(text, label_width + length + 6, middle)
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    title: str,
    columns: Sequence[tuple[str, Sequence[int | float]]],
    *,
    series: Sequence[str],
    unit: str = "",
    id_prefix: str | None = None,
) -> str:
    """Vertical columns: for each (label, values) column, one bar per series, side by side, with
    its value above it and a legend when there is more than one series. A label's words go on
    separate lines ("Mar 2026"). A chart with no columns, or only zeros, says "No data yet"."""
    if not 1 <= len(series) <= len(SERIES_COLOURS):
        raise ValueError(f"a column chart has 1 to {len(SERIES_COLOURS)} series")
    prefix = _prefix(id_prefix, title)
    table = [[_checked(value) for value in values] for _, values in columns]
    if any(len(values) != len(series) for values in table):
        raise ValueError("each column needs one value per series")
    description = "; ".join(
        f"{label}: "
        + ", ".join(
            _figure(value, unit) if len(series) == 1 else f"{name} {_figure(value, unit)}"
            for name, value in zip(series, values, strict=True)
        )
        for (label, _), values in zip(columns, table, strict=True)
    )
    if not any(any(values) for values in table):
        return _no_data(title, prefix)

    legend_height = 32 if len(series) > 1 else 0
    top = legend_height + SMALL_FONT_SIZE + 10  # room for the tallest column's value
    baseline = top + PLOT_HEIGHT
    lines = max(len(label.split()) for label, _ in columns)
    height = baseline + 8 + lines * (SMALL_FONT_SIZE + 4)
    slot = (WIDTH - 16) / len(columns)
    bar = slot * 0.8 / len(series)
    most = max(max(values) for values in table)
    parts = [_open(prefix, title, description + ".", height)]
    if len(series) > 1:
        x = 8.0
        for name, colour in zip(series, SERIES_COLOURS, strict=False):
            parts.append(
                _element("rect", x=_round(x), y=6, width=16, height=16, fill=colour)
                + _text(name, x + 22, 6 + 8 + FONT_SIZE * 0.35)
            )
            x += 22 + _text_width(len(name)) + 24
    for index, ((label, _), values) in enumerate(zip(columns, table, strict=True)):
        left = 8 + index * slot + slot * 0.1
        for position, (value, colour) in enumerate(zip(values, SERIES_COLOURS, strict=False)):
            length = _round(PLOT_HEIGHT * value / most)
            x = left + position * bar
            parts.append(
                _element(
                    "rect",
                    x=_round(x + 1),
                    y=_round(baseline - length),
                    width=_round(bar - 2),
                    height=length,
                    fill=colour,
                )
                + _text(
                    _figure(value, unit),
                    x + bar / 2,
                    baseline - length - 4,
                    anchor="middle",
                    size=SMALL_FONT_SIZE,
                )
            )
        centre = 8 + index * slot + slot / 2
        for line, word in enumerate(label.split()):
            y = baseline + 4 + (line + 1) * (SMALL_FONT_SIZE + 2)
            parts.append(_text(word, centre, y, anchor="middle", size=SMALL_FONT_SIZE))
    parts.append(
        _element("line", x1=8, y1=baseline, x2=WIDTH - 8, y2=baseline, stroke=INK) + "</svg>"
    )
    return "".join(parts)


# --- Drawing -----------------------------------------------------------------------------------


def _open(prefix: str, title: str, description: str, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="marks-chart"'
        f' viewBox="0 0 {WIDTH} {_round(height)}" width="100%"'
        f' role="img" aria-labelledby="{prefix}-title {prefix}-desc"'
        f' font-family={quoteattr(FONT)} font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
    )


def _no_data(title: str, prefix: str) -> str:
    return (
        _open(prefix, title, f"{NO_DATA}.", 48)
        + _text(NO_DATA, WIDTH / 2, 24 + FONT_SIZE * 0.35, anchor="middle")
        + "</svg>"
    )


def _text(content: str, x: float, y: float, *, anchor: str = "start", size: int = FONT_SIZE) -> str:
    size_attribute = "" if size == FONT_SIZE else f' font-size="{size}"'
    anchor_attribute = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return (
        f'<text x="{_round(x)}" y="{_round(y)}"{anchor_attribute}{size_attribute}>'
        f"{escape(content)}</text>"
    )


def _element(name: str, **attributes: object) -> str:
    written = " ".join(f"{key}={quoteattr(str(value))}" for key, value in attributes.items())
    return f"<{name} {written}/>"


def _prefix(id_prefix: str | None, title: str) -> str:
    if id_prefix is None:
        return "chart-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "figures")
    if not _ID.fullmatch(id_prefix):
        raise ValueError(f"{id_prefix!r} cannot begin an HTML id")
    return id_prefix


def _checked(value: int | float) -> int | float:
    if value < 0:
        raise ValueError("charts draw counts and durations: no negative values")
    return value


def _figure(value: int | float, unit: str) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}{unit}"
    return f"{int(value):,}{unit}"


def _text_width(characters: int, size: int = FONT_SIZE) -> float:
    return characters * size * CHAR_WIDTH


def _fit(label: str, width: float) -> str:
    """The label, shortened with an ellipsis if it would not fit (the table has it whole)."""
    room = int(width / (FONT_SIZE * CHAR_WIDTH))
    return label if len(label) <= room else label[: max(room - 1, 1)].rstrip() + "…"


def _round(value: float) -> float | int:
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded
