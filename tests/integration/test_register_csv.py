"""The register's full CSV (issue 17): streamed from one Core query, without ORM objects, and
byte for byte what the register's records say (the JSON download prints the same records)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marks.extensions import db
from marks.models import Award, Council, Level, utcnow
from marks.public.register import CSV_COLUMNS
from marks.reporting.exports import csv_line
from marks.states import AwardState, CouncilKind, Nation
from tests.helpers.awards import award_to

TODAY = utcnow().date()


@pytest.fixture
def every_state(make, edition):
    """Councils whose latest award is in every state the register shows, on the days its
    status turns, with names and reasons that need quoting or would be formulae."""
    current = award_to(
        make,
        edition,
        'Ynys Môn "Anglesey", Town Council',
        awarded=TODAY - timedelta(days=100),
        nation=Nation.WALES,
        kind=CouncilKind.COMMUNITY,
        level=1,
    )
    current.council.short_name, current.council.ons_name = "Ynys Môn", "Isle of Anglesey"
    for days, name in ((91, "Last Day Current"), (90, "First Day Expiring"), (0, "Expired Today")):
        award = award_to(make, edition, f"{name} Parish Council", awarded=TODAY - timedelta(700))
        award.expires_on = TODAY + timedelta(days=days)
    award_to(make, edition, "=Barrow Parish Council", awarded=TODAY - timedelta(days=900))
    revoked = award_to(
        make,
        edition,
        "Caerleon\nTown Council",
        awarded=TODAY - timedelta(days=50),
        state=AwardState.REVOKED,
        nation=Nation.WALES,
    )
    revoked.revocation_reason = 'It said "no", twice,\r\nthen -1'
    for name in ("Renewing Parish Council", "Renewed Parish Council"):
        old = award_to(make, edition, name, awarded=TODAY - timedelta(days=700))
        new = award_to(make, edition, "", awarded=TODAY - timedelta(days=5), council=old.council)
        old.state, old.superseded_by_id = AwardState.SUPERSEDED, new.id
    db.session.flush()
    # A superseded award the register still lists as the latest (its renewal not marked so).
    new.is_latest = False
    db.session.flush()
    old.is_latest = True
    make.council(name="Never Applied Parish Council")
    db.session.flush()


def expected_csv(client, query: str) -> str:
    """The CSV the register's records make: the same records the JSON download lists."""
    records = json.loads(client.get(f"/register.json{query}").data)["councils"]
    return "".join([csv_line(CSV_COLUMNS), *(csv_line(r[c] for c in CSV_COLUMNS) for r in records)])


@pytest.mark.parametrize(
    "query",
    [
        "?status=all",
        "",
        "?status=all&sort=newest",
        "?status=all&sort=oldest",
        "?status=expiring-soon",
        "?status=expired&nation=England",
        "?status=revoked",
        "?status=all&q=parish&kind=Town+or+parish+council",
        "?q=nowhere",
    ],
)
def test_the_csv_is_byte_for_byte_the_registers_records(client, every_state, query):
    response = client.get(f"/register.csv{query}")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == expected_csv(client, query)


def test_the_csv_has_every_status_quoted_and_never_a_formula(client, every_state):
    text = client.get("/register.csv?status=all").get_data(as_text=True)
    statuses = {line.split(",")[9] for line in text.split("\r\n")[1:] if line.startswith("E04")}
    assert {"current", "expiring-soon", "expired", "superseded"} <= statuses
    assert '"Ynys Môn ""Anglesey"", Town Council"' in text
    assert ",'=Barrow Parish Council," in text
    assert '"It said ""no"", twice,\r\nthen -1"' in text
    assert ",revoked," in text and "Never Applied" not in text


def test_the_csv_makes_no_orm_objects_and_streams_its_rows(client, every_state):
    loaded: list[object] = []
    streamed: list[bool] = []

    def load(target, context):
        loaded.append(target)

    def execute(conn, cursor, statement, parameters, context, executemany):
        if "FROM awards" in statement and "ORDER BY" in statement:
            streamed.append(context.execution_options.get("stream_results", False))

    db.session.expunge_all()  # what the fixture made is not what the download loads
    for model in (Award, Council, Level):
        sa.event.listen(model, "load", load)
    sa.event.listen(db.engine, "before_cursor_execute", execute)
    try:
        text = client.get("/register.csv?status=all").get_data(as_text=True)
    finally:
        for model in (Award, Council, Level):
            sa.event.remove(model, "load", load)
        sa.event.remove(db.engine, "before_cursor_execute", execute)
    assert len(list(csv.reader(io.StringIO(text)))) == 9  # the header and eight councils
    assert loaded == []
    assert streamed == [True]  # one query, on a server-side cursor on PostgreSQL
