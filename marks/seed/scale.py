"""A national-scale data set for measuring the register: `flask seed-scale --councils 20000`
adds town, parish and community councils (and Scottish and Northern Irish ones) until there
are that many, each with one to three awards over three editions, in a realistic mix of
statuses (current, expiring soon, expired, revoked, superseded by a renewal). Rows are
inserted in batches; it is for benchmarks and demonstrations, not production."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import sqlalchemy as sa

from marks.awarding import awards
from marks.extensions import db
from marks.models import (
    Application,
    Award,
    CertificateCounter,
    Council,
    Edition,
    User,
    utcnow,
)
from marks.people import councils
from marks.scheme import editions
from marks.states import ApplicationState, AwardState, CouncilKind, Nation

BATCH = 1000
# (share, GSS prefix, kind, nation) of the councils added
MIX = [
    (0.72, "E04", CouncilKind.TOWN_OR_PARISH, Nation.ENGLAND),
    (0.15, "W04", CouncilKind.COMMUNITY, Nation.WALES),
    (0.08, "S13", CouncilKind.COMMUNITY, Nation.SCOTLAND),
    (0.05, "N21", CouncilKind.OTHER, Nation.NORTHERN_IRELAND),
]
PLACES = (
    "Ashby",
    "Barrow",
    "Caerleon",
    "Dunmore",
    "Eastfield",
    "Fairford",
    "Glenrae",
    "Hawkley",
    "Ivybridge",
    "Kelton",
    "Llanfair",
    "Marsden",
    "Newbold",
    "Oakham",
    "Pembrey",
    "Quarndon",
    "Rhosneigr",
    "Saltash",
    "Tewin",
    "Upwell",
    "Ventnor",
    "Wrexby",
    "Yarm",
    "Zennor",
)
SUFFIXES = ("Town Council", "Parish Council", "Community Council", "Village Council")


def editions_by_year() -> dict[int, Edition]:
    """The demo edition (2026) and two earlier ones like it, published."""
    found = {}
    for year in (2022, 2024, 2026):
        code = str(year)
        edition = editions.find(code)
        if edition is None:
            data = editions.read_file(editions.DEMO_EDITION)
            data["edition"].update(code=code, year=year, title=f"Social Media Friendly Mark {year}")
            edition = editions.add(data, publish=True)
        found[year] = edition
    return found


def _new_councils(count: int, rng: random.Random) -> Iterator[dict]:
    taken = set(db.session.scalars(sa.select(Council.gss_code)))
    numbers = dict.fromkeys((prefix for _, prefix, _, _ in MIX), 0)
    made = 0
    while made < count:
        _, prefix, kind, nation = rng.choices(MIX, weights=[m[0] for m in MIX])[0]
        numbers[prefix] += 1
        code = f"{prefix}{numbers[prefix]:06d}"
        if code in taken:
            continue
        name = f"{rng.choice(PLACES)} {rng.choice(('', 'St ', 'Upper ', 'Lower '))}".strip()
        name = f"{name} {numbers[prefix]} {rng.choice(SUFFIXES)}"
        made += 1
        yield {
            "gss_code": code,
            "name": name,
            "search_name": councils.search_names(name),
            "kind": kind,
            "nation": nation,
        }


def _history(rng: random.Random, today: date) -> list[tuple[int, date, AwardState, bool]]:
    """A council's awards: (edition year, awarded on, stored state, revoked?)."""
    kind = rng.random()
    if kind < 0.45:  # holds a current award
        ago = rng.randint(30, 600) if rng.random() < 0.85 else rng.randint(640, 725)
        return [(2026, today - timedelta(days=ago), AwardState.CURRENT, False)]
    if kind < 0.65:  # renewed: the old award is superseded
        return [
            (2024, today - timedelta(days=rng.randint(740, 900)), AwardState.SUPERSEDED, False),
            (2026, today - timedelta(days=rng.randint(10, 300)), AwardState.CURRENT, False),
        ]
    if kind < 0.92:  # let it expire
        return [(2022, today - timedelta(days=rng.randint(760, 1400)), AwardState.CURRENT, False)]
    if kind < 0.97:  # revoked
        return [(2024, today - timedelta(days=rng.randint(100, 600)), AwardState.REVOKED, True)]
    return [  # three editions
        (2022, today - timedelta(days=rng.randint(1500, 1600)), AwardState.SUPERSEDED, False),
        (2024, today - timedelta(days=rng.randint(760, 800)), AwardState.SUPERSEDED, False),
        (2026, today - timedelta(days=rng.randint(5, 60)), AwardState.CURRENT, False),
    ]


def seed(total: int, *, progress: Callable[[int], None] = lambda n: None, seed: int = 2026) -> int:
    """Add councils (with award histories) until there are `total`; return how many were
    added. Commits batch by batch."""
    rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
    existing = db.session.scalar(sa.select(sa.func.count(Council.id)))
    wanted = max(0, total - existing)
    by_year = editions_by_year()
    levels = {year: sorted(e.levels, key=lambda lv: lv.min_percent) for year, e in by_year.items()}
    starter = db.session.scalar(sa.select(User.id).order_by(User.id).limit(1))
    if starter is None:
        raise RuntimeError("Run flask seed-demo first: the data set needs a user to start it")
    sequences = {year: _last_sequence(year) for year in by_year}
    today = utcnow().date()
    now = utcnow()
    new = list(_new_councils(wanted, rng))
    for start in range(0, len(new), BATCH):
        chunk = new[start : start + BATCH]
        ids = db.session.scalars(
            sa.insert(Council).returning(Council.id, sort_by_parameter_order=True), chunk
        ).all()
        histories = [(council_id, _history(rng, today)) for council_id in ids]
        application_rows = []
        for council_id, history in histories:
            for year, awarded_on, _, _ in history:
                stamp = now - timedelta(days=(today - awarded_on).days)
                application_rows.append(
                    {
                        "council_id": council_id,
                        "edition_id": by_year[year].id,
                        "state": ApplicationState.APPROVED,
                        "started_by_id": starter,
                        "submitted_at": stamp - timedelta(days=30),
                        "decided_at": stamp,
                        "created_at": stamp - timedelta(days=60),
                        "updated_at": stamp,
                    }
                )
        application_ids = iter(
            db.session.scalars(
                sa.insert(Application).returning(Application.id, sort_by_parameter_order=True),
                application_rows,
            ).all()
        )
        award_rows = []
        successors: list[int | None] = []  # the renewal that supersedes each, by row
        for council_id, history in histories:
            for position, (year, awarded_on, state, revoked) in enumerate(history):
                renewed = state == AwardState.SUPERSEDED
                successors.append(len(award_rows) + 1 if renewed else None)
                sequences[year] += 1
                level = levels[year][0 if rng.random() < 0.7 else -1]
                stamp = now - timedelta(days=(today - awarded_on).days)
                award_rows.append(
                    {
                        "application_id": next(application_ids),
                        "council_id": council_id,
                        "edition_id": by_year[year].id,
                        "level_id": level.id,
                        "certificate_number": awards.certificate_number(year, sequences[year]),
                        "year": year,
                        "sequence": sequences[year],
                        "state": state,
                        "superseded_by_id": None,  # its successor's, once that is stored
                        "is_latest": position == len(history) - 1,
                        "awarded_on": awarded_on,
                        "expires_on": awards.add_months(awarded_on, 24),
                        "revoked_at": stamp + timedelta(days=30) if revoked else None,
                        "revocation_reason": "Social media blocked for staff" if revoked else None,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
        _insert_awards(award_rows, successors)
        for year, last in sequences.items():
            _set_last_sequence(year, last)
        db.session.commit()
        progress(len(chunk))
    # Fresh statistics, so that the query planner knows the tables' new sizes.
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return len(new)


def _insert_awards(rows: list[dict], successors: list[int | None]) -> None:
    """Insert the awards, each superseded one after the renewal that superseded it, naming
    it: the database insists that a superseded award has its successor, and a made-up row is
    stored in its state like any other, not changed after (the service's own awards are
    superseded by awards.AWARD). A renewal of a renewal waits a round more."""
    ids: dict[int, int] = {}
    while len(ids) < len(rows):
        ready = [
            i
            for i, successor in enumerate(successors)
            if i not in ids and (successor is None or successor in ids)
        ]
        for i in ready:
            if successors[i] is not None:
                rows[i]["superseded_by_id"] = ids[successors[i]]
        inserted = db.session.scalars(
            sa.insert(Award).returning(Award.id, sort_by_parameter_order=True),
            [rows[i] for i in ready],
        ).all()
        ids.update(zip(ready, inserted, strict=True))


def _last_sequence(year: int) -> int:
    counter = db.session.get(CertificateCounter, year)
    return counter.last_sequence if counter else 0


def _set_last_sequence(year: int, last: int) -> None:
    counter = db.session.get(CertificateCounter, year)
    if counter is None:
        db.session.add(CertificateCounter(year=year, last_sequence=last))
    else:
        counter.last_sequence = last
