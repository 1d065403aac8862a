"""The dashboard's charts: SVG that parses, says what it shows to a screen reader, draws each
figure to scale, escapes every text, and needs no style, script or file from anywhere."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree

from marks.presentation import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str):
    assert not svg.startswith("<?xml"), "inline SVG has no XML declaration"
    return ElementTree.fromstring(svg)


def texts(root) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


def bars(root) -> list[dict]:
    return [r.attrib for r in root.iter(f"{SVG}rect")]


def assert_self_contained(svg: str, root) -> None:
    """Nothing the Content-Security-Policy would refuse, and nothing fetched."""
    for element in root.iter():
        assert element.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}image", f"{SVG}use")
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)
        assert not any("href" in name for name in element.attrib)
    assert "url(" not in svg and "<script" not in svg.lower()


def test_a_bar_chart_is_a_labelled_image_with_one_bar_per_row_to_scale():
    svg = charts.bar_chart(
        "Applications by state",
        [("Submitted", 4), ("Under review", 2), ("Approved", 1), ("Withdrawn", 0)],
        id_prefix="states",
    )
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "states-title states-desc"
    assert root.find(f"{SVG}title").get("id") == "states-title"
    assert root.find(f"{SVG}title").text == "Applications by state"
    assert root.find(f"{SVG}desc").get("id") == "states-desc"
    assert root.find(f"{SVG}desc").text == (
        "Submitted: 4; Under review: 2; Approved: 1; Withdrawn: 0."
    )
    assert root.get("font-family") == "Arial, sans-serif"
    assert root.get("fill") == "#0b0c0c"
    drawn = bars(root)
    assert len(drawn) == 4
    assert {bar["fill"] for bar in drawn} == {"#1d70b8"}
    widths = [float(bar["width"]) for bar in drawn]
    assert widths[0] > 0 and widths[3] == 0
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1)
    assert widths[2] == pytest.approx(widths[0] / 4, abs=0.1)
    # Labels and values are text, so they are read and scale with the chart.
    assert texts(root) == [
        "Submitted",
        "4",
        "Under review",
        "2",
        "Approved",
        "1",
        "Withdrawn",
        "0",
    ]
    assert_self_contained(svg, root)


def test_the_size_follows_the_number_of_rows():
    def height(rows: int) -> float:
        svg = charts.bar_chart("Rows", [(f"Row {i}", i + 1) for i in range(rows)])
        return float(parse(svg).get("viewBox").split()[3])

    assert height(6) - height(3) == pytest.approx(3 * charts.ROW_HEIGHT)


def test_units_and_fractions_are_written_with_the_value():
    root = parse(charts.bar_chart("Average", [("Days", 12.25), ("Whole", 3.0)], unit=" days"))
    assert texts(root) == ["Days", "12.2 days", "Whole", "3 days"]
    assert root.find(f"{SVG}desc").text == "Days: 12.2 days; Whole: 3 days."


def test_every_label_and_the_title_are_escaped():
    nasty = '<script>x</script> & "co"'
    svg = charts.bar_chart(f"Title {nasty}", [(nasty, 3)], id_prefix="nasty")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == f"Title {nasty}"
    assert root.find(f"{SVG}desc").text == f"{nasty}: 3."
    assert nasty in texts(root)
    assert_self_contained(svg, root)


def test_a_long_label_is_shortened_in_the_chart_but_whole_in_the_description():
    long = "Councillor " * 12
    root = parse(charts.bar_chart("Long", [(long.strip(), 1)]))
    drawn = texts(root)[0]
    assert drawn.endswith("…") and len(drawn) < len(long)
    assert root.find(f"{SVG}desc").text == f"{long.strip()}: 1."


def test_ids_are_unique_per_chart_and_refused_when_they_cannot_be_ids():
    first = parse(charts.bar_chart("Same title", [("A", 1)], id_prefix="first"))
    second = parse(charts.bar_chart("Same title", [("A", 1)], id_prefix="second"))
    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")
    default = parse(charts.bar_chart("Councils by nation!", [("A", 1)]))
    assert default.get("aria-labelledby") == (
        "chart-councils-by-nation-title chart-councils-by-nation-desc"
    )
    for bad in ('x" onload="alert(1)', "1st", ""):
        with pytest.raises(ValueError, match="cannot begin an HTML id"):
            charts.bar_chart("T", [("A", 1)], id_prefix=bad)
    with pytest.raises(ValueError, match="no negative values"):
        charts.bar_chart("T", [("A", -1)])


@pytest.mark.parametrize("rows", [[], [("Submitted", 0), ("Approved", 0)]])
def test_no_data_is_said_not_drawn(rows):
    svg = charts.bar_chart("Applications by state", rows, id_prefix="empty")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Applications by state"
    assert root.find(f"{SVG}desc").text == "No data yet."
    assert texts(root) == ["No data yet"]
    assert bars(root) == []
    assert_self_contained(svg, root)


def test_a_column_chart_draws_each_series_side_by_side_with_a_legend():
    svg = charts.column_chart(
        "Decisions",
        [("Jan 2026", (4, 1)), ("Feb 2026", (2, 0)), ("Mar 2026", (0, 2))],
        series=("Approved", "Not approved"),
        id_prefix="decisions",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "decisions-title decisions-desc"
    assert root.find(f"{SVG}desc").text == (
        "Jan 2026: Approved 4, Not approved 1; Feb 2026: Approved 2, Not approved 0; "
        "Mar 2026: Approved 0, Not approved 2."
    )
    legend, columns = bars(root)[:2], bars(root)[2:]
    assert [b["fill"] for b in legend] == ["#1d70b8", "#ca3535"]
    assert len(columns) == 6
    assert [c["fill"] for c in columns] == ["#1d70b8", "#ca3535"] * 3
    heights = [float(c["height"]) for c in columns]
    assert heights[0] == charts.PLOT_HEIGHT
    assert heights == pytest.approx([200, 50, 100, 0, 0, 100], abs=0.1)
    # The columns stand on one baseline.
    bottoms = {round(float(c["y"]) + float(c["height"]), 1) for c in columns}
    assert len(bottoms) == 1
    words = texts(root)
    assert words[:2] == ["Approved", "Not approved"]
    assert words[words.index("Jan") : words.index("Jan") + 2] == ["Jan", "2026"]
    assert_self_contained(svg, root)


def test_a_column_chart_of_one_series_has_no_legend_and_handles_no_data():
    root = parse(charts.column_chart("One", [("A", (1,)), ("B", (3,))], series=("Count",)))
    assert texts(root) == ["1", "A", "3", "B"]
    assert root.find(f"{SVG}desc").text == "A: 1; B: 3."
    empty = parse(charts.column_chart("None", [("A", (0, 0))], series=("X", "Y")))
    assert texts(empty) == ["No data yet"]
    assert parse(charts.column_chart("None", [], series=("X",))).find(f"{SVG}desc").text == (
        "No data yet."
    )
    with pytest.raises(ValueError, match="one value per series"):
        charts.column_chart("Bad", [("A", (1,))], series=("X", "Y"))
