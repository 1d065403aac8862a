"""Importing councils from the ONS file and from administrators' CSVs."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from marks.extensions import db
from marks.models import Council
from marks.people import council_imports, councils
from marks.states import CouncilKind, Nation

HEADER = "gss_code,name,kind,nation,parent_gss_code,parent_name\n"


def count(**filters) -> int:
    query = sa.select(sa.func.count(Council.id)).filter_by(**filters)
    return db.session.scalar(query)


def by_code(code: str) -> Council:
    return db.session.scalar(sa.select(Council).where(Council.gss_code == code))


def test_the_ons_file_loads_the_355_councils_of_england_and_wales(app):
    result = council_imports.import_file(council_imports.ENGLAND_AND_WALES)
    assert len(result.added) == 355
    assert count() == 355
    assert count(nation=Nation.WALES) == 22
    assert count(kind=CouncilKind.COUNTY) == 24
    assert count(kind=CouncilKind.DISTRICT) == 181
    hartlepool = by_code("E06000001")
    # Called by the names people use (mySociety's names file), the ONS name kept beside them.
    assert (hartlepool.name, hartlepool.short_name, hartlepool.ons_name) == (
        "Hartlepool Borough Council",
        "Hartlepool",
        "Hartlepool",
    )
    assert hartlepool.kind == CouncilKind.UNITARY
    # Districts point at their county council.
    assert count(kind=CouncilKind.DISTRICT, parent_id=None) == 0

    again = council_imports.import_file(council_imports.ENGLAND_AND_WALES)
    assert (len(again.added), len(again.updated), again.unchanged) == (0, 0, 355)


def test_an_import_adds_new_councils_and_updates_changed_ones(app):
    council_imports.import_file(council_imports.ENGLAND_AND_WALES)
    csv = (
        HEADER + "S12000033,Aberdeen City,Scottish council,Scotland,,\n"
        "E06000001,Hartlepool Borough,Unitary authority,England,,\n"
        "E04000001,Ashby Parish,Town or parish council,England,,\n"
    )
    result = council_imports.import_rows(council_imports.read_csv(io.StringIO(csv)))
    assert result.added == ["S12000033", "E04000001"]
    assert result.updated == ["E06000001"]
    # The file's name is the ONS name; a council in the names file is called by its names.
    hartlepool = by_code("E06000001")
    assert (hartlepool.name, hartlepool.ons_name) == (
        "Hartlepool Borough Council",
        "Hartlepool Borough",
    )
    aberdeen = by_code("S12000033")
    assert (aberdeen.name, aberdeen.short_name, aberdeen.ons_name) == (
        "Aberdeen City Council",
        "Aberdeen City",
        "Aberdeen City",
    )
    assert aberdeen.nation == Nation.SCOTLAND
    ashby = by_code("E04000001")
    assert (ashby.name, ashby.short_name, ashby.ons_name) == ("Ashby Parish", None, "Ashby Parish")


def test_a_bad_csv_is_refused_whole_with_every_problem(app):
    csv = (
        HEADER + "E0600000X,Nowhere,Unitary authority,England,,\n"
        "E06000002,,Moon base,Atlantis,,\n"
        "E06000002,Twice,Unitary authority,England,,\n"
    )
    with pytest.raises(council_imports.CouncilFileError) as error:
        council_imports.read_csv(io.StringIO(csv))
    assert error.value.problems == [
        "Line 2: 'E0600000X' is not a GSS code (a letter and 8 digits)",
        "Line 3: the council has no name",
        "Line 3: 'Moon base' is not a kind of council we know",
        "Line 3: 'Atlantis' is not a UK nation",
        "Line 4: E06000002 appears more than once",
    ]


def test_a_csv_without_the_columns_is_refused():
    with pytest.raises(council_imports.CouncilFileError, match="no column named nation"):
        council_imports.read_csv(io.StringIO("gss_code,name,kind\n"))


def test_an_unknown_parent_is_refused(app):
    csv = HEADER + "E07000999,Somewhere,District council,England,E10000999,Nowhere County\n"
    with pytest.raises(council_imports.CouncilFileError, match="parent E10000999 is not a known"):
        council_imports.import_rows(council_imports.read_csv(io.StringIO(csv)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ynys Môn", "ynys mon"),
        ("Kingston upon Hull, City of", "kingston upon hull, city of"),
        ("CAERPHILLY", "caerphilly"),
        ("Rhondda Cynon Taf", "rhondda cynon taf"),
    ],
)
def test_search_names_fold_case_and_accents(name, expected):
    assert councils.search_name(name) == expected
