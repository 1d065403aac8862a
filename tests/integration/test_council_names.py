"""Councils go by the names people use ("Hull City Council", from mySociety's file of UK council
names) beside their ONS names ("Kingston upon Hull, City of"): every page, certificate, badge
and email says the name people use; search finds a council by any of its names; the register
covers the whole UK."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marks import create_app
from marks.extensions import close_connections, db
from marks.models import AuditEvent, Council, Email, utcnow
from marks.people import council_imports, councils
from marks.register import search
from marks.states import CouncilKind, Nation
from tests.conftest import app_config, separate_database
from tests.helpers.awards import award_to
from tests.helpers.pdfs import text_of
from tests.integration.admin_council_pages import filled_in, post_form
from tests.pages import signed_in as signed_in_as

HULL = "E06000010"


@pytest.fixture
def uk(app):
    """Every UK council loaded, as `flask seed-demo` loads them."""
    council_imports.import_uk_councils()


@pytest.fixture
def hull_award(make, edition, uk):
    return make.award(council=councils.find(HULL))


def test_hull_has_its_official_short_and_ons_names(uk):
    hull = councils.find(HULL)
    assert (hull.name, hull.short_name, hull.ons_name) == (
        "Hull City Council",
        "Kingston upon Hull",
        "Kingston upon Hull, City of",
    )
    assert councils.find("E09000005").name == "London Borough of Brent"
    # A district's parent is its county, by the name people use.
    assert councils.find("E07000244").parent.name == "Suffolk County Council"


def test_hull_is_called_hull_city_council_wherever_it_is_named(app, client, hull_award):
    register = client.get("/register")
    assert "Hull City Council" in [
        a.get_text(strip=True) for a in register.soup.select("tbody tr td:first-child a")
    ]
    page = client.get(f"/councils/{HULL}")
    assert page.h1 == "Hull City Council"
    pdf = client.get(f"/certificates/{hull_award.certificate_number}.pdf")
    assert "Hull City Council" in text_of(pdf.data)
    assert "Kingston upon Hull, City of" not in text_of(pdf.data)
    lead = hull_award.application.started_by
    status = signed_in_as(app, lead).get(f"/apply/applications/{hull_award.application_id}/status")
    badge = status.soup.select_one("img.marks-badge")
    assert badge["alt"] == "Social Media Friendly Mark: check Hull City Council's current status"
    told = db.session.scalar(
        sa.select(Email).where(
            Email.to_address == lead.email, Email.template == "application_approved"
        )
    )
    assert "Hull City Council" in told.body_text
    assert "Kingston upon Hull, City of" not in told.body_text + told.subject


@pytest.mark.parametrize(
    "query", ["Kingston upon Hull, City of", "Hull City Council", "Kingston upon Hull"]
)
def test_the_register_finds_hull_by_any_of_its_names(client, hull_award, query):
    page = client.get("/register", query_string={"q": query})
    assert [a.get_text(strip=True) for a in page.soup.select("tbody tr td:first-child a")] == [
        "Hull City Council"
    ]


@pytest.mark.parametrize(
    "query", ["Kingston upon Hull, City of", "hull city council", "Kingston upon Hull"]
)
def test_administrators_and_joiners_find_hull_by_any_of_its_names(uk, query):
    found = db.session.scalars(councils.matching(query)).all()
    assert [c.gss_code for c in found] == [HULL]


def test_the_register_sorts_by_short_name(make, edition, uk):
    for code in ("E09000005", "E06000010", "E08000025"):  # Brent, Hull, Birmingham
        award_to(make, edition, "", awarded=search.today(), council=councils.find(code))
    names = [row.council.name for row in search.page(search.Filters()).rows]
    assert names == ["Birmingham City Council", "London Borough of Brent", "Hull City Council"]


def test_the_register_covers_scotland_once_loaded(client, make, edition, uk):
    scottish = db.session.scalars(
        sa.select(Council).where(Council.nation == Nation.SCOTLAND).order_by(Council.gss_code)
    ).all()
    assert len(scottish) == 32
    assert {c.kind for c in scottish} == {CouncilKind.SCOTTISH}
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(Council.nation == Nation.NORTHERN_IRELAND)
        )
        == 11
    )
    gla = councils.find("E61000001")
    assert (gla.name, gla.kind) == ("Greater London Authority", CouncilKind.OTHER)
    for council in scottish:
        award_to(make, edition, "", awarded=search.today(), council=council)
    page = client.get("/register?nation=Scotland")
    assert "32 councils" in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/register.csv?nation=Scotland").text)))
    assert sorted(r["gss_code"] for r in rows) == [c.gss_code for c in scottish]
    assert "Aberdeen City Council" in {r["council"] for r in rows}


def test_open_data_has_the_ons_name_last(client, hull_award):
    table = client.get("/register.csv").text
    header, row = list(csv.reader(io.StringIO(table)))[:2]
    assert header[-1] == "ons_name"
    assert header[:2] == ["gss_code", "council"]
    record = dict(zip(header, row, strict=True))
    assert (record["council"], record["ons_name"]) == (
        "Hull City Council",
        "Kingston upon Hull, City of",
    )
    described = client.get("/register.json").json["councils"][0]
    assert (described["council"], described["short_name"], described["ons_name"]) == (
        "Hull City Council",
        "Kingston upon Hull",
        "Kingston upon Hull, City of",
    )


def test_the_admin_edits_the_official_and_short_names(signed_in, admin, uk):
    edit = signed_in.get(f"/admin/councils/{HULL}/edit")
    assert "Kingston upon Hull, City of" in edit.soup.select_one("main dl").get_text()
    assert edit.field_value("name") == "Hull City Council"
    assert edit.field_value("short_name") == "Kingston upon Hull"
    assert edit.field_value("ons_name") is None  # shown, not a field
    refused = post_form(signed_in, edit, {**filled_in(edit), "name": "", "short_name": "Hull"})
    assert refused.error_summary() == ["Enter the council's official name"]
    assert refused.field_value("short_name") == "Hull"
    saved = post_form(
        signed_in, refused, {**filled_in(refused), "name": "Kingston upon Hull City Council"}
    )
    assert saved.status_code == 302
    hull = councils.find(HULL)
    assert (hull.name, hull.short_name, hull.ons_name) == (
        "Kingston upon Hull City Council",
        "Hull",
        "Kingston upon Hull, City of",
    )
    assert db.session.scalars(councils.matching("hull, city of")).all() == [hull]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.edited"))
    assert event.actor_id == admin.id
    assert event.data["changes"] == {
        "name": ["Hull City Council", "Kingston upon Hull City Council"],
        "short_name": ["Kingston upon Hull", "Hull"],
    }
    assert "Short name changed" in signed_in.get("/admin/audit").text


@pytest.mark.real_database
def test_the_migration_names_the_councils_held_and_goes_back_down(tmp_path_factory):
    """The migration c0de0015name (0015_council_names.py) keeps each council's name as its ONS
    name, calls those in the names file by their official and short names, so that search
    finds them by any; and it goes back down."""
    database = separate_database(tmp_path_factory, "names")
    app = create_app(app_config(database.url))
    held = sa.table(
        "councils",
        *(sa.column(c) for c in ("gss_code", "name", "search_name", "kind", "nation")),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    columns = "gss_code, name, short_name, ons_name, search_name"
    try:
        with app.app_context():
            upgrade(revision="c0de0014sset")
            with db.engine.begin() as connection:
                connection.execute(
                    sa.insert(held),
                    [
                        {
                            "gss_code": code,
                            "name": name,
                            "search_name": councils.search_name(name),
                            "kind": kind,
                            "nation": nation,
                            "created_at": utcnow(),
                            "updated_at": utcnow(),
                        }
                        for code, name, kind, nation in (
                            (HULL, "Kingston upon Hull, City of", "Unitary authority", "England"),
                            ("E06000001", "Hartlepool", "Unitary authority", "England"),
                            ("W04000999", "Ynys Môn Town Council", "Community council", "Wales"),
                        )
                    ],
                )
            upgrade()
            with db.engine.connect() as connection:
                rows = connection.execute(
                    sa.text(f"SELECT {columns} FROM councils ORDER BY gss_code")  # noqa: S608
                ).all()
            assert [tuple(r) for r in rows] == [
                (
                    "E06000001",
                    "Hartlepool Borough Council",
                    "Hartlepool",
                    "Hartlepool",
                    "hartlepool / hartlepool borough council",
                ),
                (
                    HULL,
                    "Hull City Council",
                    "Kingston upon Hull",
                    "Kingston upon Hull, City of",
                    "kingston upon hull / hull city council / kingston upon hull, city of",
                ),
                (
                    "W04000999",
                    "Ynys Môn Town Council",
                    None,
                    "Ynys Môn Town Council",
                    "ynys mon town council",
                ),
            ]
            # What the migration wrote is what the app writes.
            for code, name, short_name, ons_name, search_name in rows:
                assert councils.search_names(name, short_name, ons_name) == search_name, code
            for query in ("Kingston upon Hull, City of", "hull city council", "Kingston upon"):
                assert [c.gss_code for c in db.session.scalars(councils.matching(query))] == [HULL]
            db.session.remove()

            downgrade(revision="c0de0014sset")
            with db.engine.connect() as connection:
                back = connection.execute(
                    sa.text("SELECT gss_code, name, search_name FROM councils ORDER BY gss_code")
                ).all()
                assert "ons_name" not in {
                    c["name"] for c in sa.inspect(connection).get_columns("councils")
                }
            assert [tuple(r) for r in back] == [
                ("E06000001", "Hartlepool", "hartlepool"),
                (HULL, "Kingston upon Hull, City of", "kingston upon hull, city of"),
                ("W04000999", "Ynys Môn Town Council", "ynys mon town council"),
            ]
            close_connections()
    finally:
        database.drop()
