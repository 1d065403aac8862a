"""The mixed load of bench/load.py, short, in CI: gunicorn with 4 workers on a PostgreSQL
database of its own, the public, council members and assessors all at once, then 0 errors and
0 lost writes (the script checks every save against the database; this test counts the saves
there once more, on its own)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from marks.config import database_url as driver_url
from tests.conftest import separate_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench_load(monkeypatch: pytest.MonkeyPatch):
    """bench/load.py as a module (it imports its neighbours: bench/load_data.py,
    bench/traffic.py, bench/browser.py)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("load")


def save(version: int, text: str, seen: str, outcome: str = "saved") -> dict:
    return {
        "kind": "answer",
        "key": "7/MD1",
        "version": version,
        "text": text,
        "seen": seen,
        "score": 2,
        "links": [],
        "outcome": outcome,
    }


def stored(version: int, text: str) -> dict:
    return {"answer 7/MD1": {"version": version, "text": text, "score": 2, "links": []}}


def test_the_check_of_the_writes_finds_a_lost_update_and_a_conflict_nobody_won(bench_load):
    before = stored(1, "")
    chain = [save(1, "first", ""), save(2, "x", "first", "conflict"), save(2, "second", "first")]
    assert bench_load.check_writes(before, stored(3, "second"), chain) == ([], [])

    # Both told "saved" at version 1: the second overwrote the first without having read it.
    overwritten = [save(1, "first", ""), save(1, "second", "")]
    lost, problems = bench_load.check_writes(before, stored(2, "second"), overwritten)
    assert lost == ["answer 7/MD1: 'first' was saved, then gone: read ''"]
    assert problems == [
        "answer 7/MD1: saved at version 1, 2 was next",
        "answer 7/MD1: version 2 after 2 saves from version 1",
    ]

    # Told "saved", but not in the database; and a 409 when nobody had saved.
    lost, problems = bench_load.check_writes(
        before, stored(1, ""), [save(1, "first", ""), save(2, "x", "", "conflict")]
    )
    assert lost == ["answer 7/MD1: the last save 'first' is not what is stored"]
    assert "answer 7/MD1: a conflict at version 2, no save won" in problems


@pytest.fixture
def load_database(tmp_path_factory: pytest.TempPathFactory):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        pytest.skip(
            "the load runs on PostgreSQL (TEST_DATABASE_URL), as in production: SQLite is the "
            "one-process development database, and 4 gunicorn workers writing one SQLite file "
            "get 'database is locked'"
        )
    database = separate_database(tmp_path_factory, "load")
    yield database.url
    database.drop()


@pytest.mark.slow
@pytest.mark.real_database
def test_a_mixed_load_answers_every_request_as_it_should_and_loses_no_save(
    load_database: str, tmp_path: Path
) -> None:
    figures_file = tmp_path / "figures.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        *("--duration", "8", "--warmup", "2", "--councils", "600", "--workers", "4"),
        *("--database-url", load_database, "--json", str(figures_file)),
    ]
    run = subprocess.run(  # noqa: S603 (our own script)
        command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    figures = json.loads(figures_file.read_text())

    assert figures["errors"] == 0, figures["problems"]
    assert figures["lost_writes"] == 0, figures["problems"]
    # The public and the signed-in people alike (on a busy machine a short run may miss the
    # rarer routes: every request of every route was checked all the same).
    assert any(label.startswith("register") for label in figures["routes"]), run.stdout
    assert figures["answer_saves"] > 0 and figures["score_saves"] > 0, run.stdout

    # Each save moves its row's version by one, from 1: the database counts the saves too.
    engine = sa.create_engine(driver_url(load_database))
    try:
        with engine.connect() as connection:
            answer_steps = connection.scalar(
                sa.text(
                    "SELECT sum(version - 1) FROM answers WHERE application_id = ANY(:ids)"
                ).bindparams(ids=figures["application_ids"])
            )
            score_steps = connection.scalar(
                sa.text(
                    "SELECT sum(version - 1) FROM assessments WHERE assignment_id = ANY(:ids)"
                ).bindparams(ids=figures["assignment_ids"])
            )
    finally:
        engine.dispose()
    assert answer_steps == figures["answer_saves"]
    assert score_steps == figures["score_saves"]
