"""A mixed load for 60 s (issue 8, section 6): gunicorn with 4 workers, production settings
(PostgreSQL, rate limits and the register's cache on Redis, mail to the outbox), the
20,000-council data set, and people on 127.0.0.1 all at once: the public reading the register
(searches, filters, council pages) and checking certificates, others downloading certificate
PDFs and badges, council members saving answers and assessors saving scores through the real
forms. Prints requests, requests per second, p50 and p99 per route; then checks that every
response had the status it should (an error otherwise), and, in the database, that every save
the app said it made is there with its exact text (0 lost writes). Exits 1 otherwise.

Needs PostgreSQL on 127.0.0.1:5432 and Redis on :6379. Builds a database of its own
(marks_load, dropped at the end) unless given --database-url (an empty one, left in place).

    .venv/bin/python bench/load.py [--duration 60] [--councils 20000] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlencode

import redis
import sqlalchemy as sa
import traffic
from flask import Flask
from flask_migrate import upgrade

from marks import applications, assessment, create_app, demo, editions, people, scale
from marks.config import database_url as driver_url
from marks.extensions import close_connections, db
from marks.models import Answer, Application, Assessment, Award, Council, Criterion, Membership
from marks.register import search
from marks.states import AwardState, CouncilKind, MembershipRole, Nation, UserRole

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER = "postgresql://postgres@127.0.0.1:5432/"
DATABASE = "marks_load"
REDIS = "redis://127.0.0.1:6379/"
LIMITS_DB, CACHE_DB = 0, 1  # production's defaults; the keys carry a prefix of this run's own
# Who takes part: readers and downloaders are anonymous; each council has two members working
# on the same section; each assessor works in two windows on the same two applications.
READERS, DOWNLOADERS, MEMBER_COUNCILS, ASSESSORS = 6, 2, 2, 2
ASSESSED_APPLICATIONS = 2
CERTIFICATES = 24  # of the data set's awards, besides the demo's: PDFs rendered on first sight
NOT_A_CERTIFICATE = "SMFM-1999-00001"


# --- The database and the data ----------------------------------------------------------------


@contextmanager
def database_of_our_own(name: str) -> Iterator[str]:
    server = sa.create_engine(driver_url(SERVER + "postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield SERVER + name
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def setup_app(url: str) -> Flask:
    """The app in this process, to build the data and check it afterwards (never serving)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": driver_url(url),
            "SECRET_KEY": "load-setup",
            "RATELIMIT_STORAGE_URI": "memory://",
            "CACHE_TYPE": "NullCache",
            "MAIL_BACKEND": "log",
        }
    )
    logging.getLogger().setLevel(logging.WARNING)
    return app


def prepare(app: Flask, councils: int, rng: random.Random) -> dict:
    """Migrate, load the demo data and the data set, add the people of the load; return the
    world the traffic needs (plain values: it crosses to the generator's processes)."""
    with app.app_context():
        upgrade()
        demo.seed()
        started = time.perf_counter()
        added = scale.seed(councils)
        took = time.perf_counter() - started
        print(f"seed-scale --councils {councils}: {added} councils added in {took:.0f} s")
        world = {
            "password": demo.PASSWORD,
            **_people(),
            **_public(rng),
            "not_a_certificate": NOT_A_CERTIFICATE,
        }
        db.session.commit()
        world["initial"] = stored_writes(world)
        db.session.remove()
        close_connections()
    return world


def _people() -> dict:
    """Council members with draft applications, and assessors with assignments."""
    admin = people.find_user("admin@example.org")
    edition = editions.current()
    free = db.session.scalars(
        sa.select(Council)
        .where(
            Council.nation.in_([Nation.ENGLAND, Nation.WALES]),
            ~sa.exists().where(Application.council_id == Council.id),
            ~sa.exists().where(Membership.council_id == Council.id),
        )
        .order_by(Council.gss_code)
        .limit(MEMBER_COUNCILS + ASSESSED_APPLICATIONS)
    ).all()
    members = []
    for i, council in enumerate(free[:MEMBER_COUNCILS]):
        lead = _person(f"load-lead-{i}", council, MembershipRole.LEAD)
        colleague = _person(f"load-member-{i}", council, MembershipRole.MEMBER)
        application = applications.start(council, actor=lead)
        theme = edition.themes[i % len(edition.themes)]
        for who in (lead, colleague):
            members.append(
                {
                    "email": who.email,
                    "application_id": application.id,
                    "codes": [c.code for c in theme.criteria],
                }
            )
    submitted = [_submitted(i, council) for i, council in enumerate(free[MEMBER_COUNCILS:])]
    assessors = []
    for i in range(ASSESSORS):
        user = people.create_user(
            f"load-assessor-{i}@example.org",
            f"Load Assessor {i}",
            demo.PASSWORD,
            role=UserRole.ASSESSOR,
            confirmed=True,
        )
        ids = [assessment.assign(a, user, actor=admin).id for a in submitted]
        assessors.append(
            {"email": user.email, "assignments": ids, "codes": [c.code for c in edition.criteria]}
        )
    return {"members": members, "assessors": assessors}


def _person(name: str, council: Council, role: MembershipRole):
    user = people.create_user(
        f"{name}@example.gov.uk", name.replace("-", " ").title(), demo.PASSWORD, confirmed=True
    )
    people.add_to_council(user, council, role, actor=None)
    return user


def _submitted(i: int, council: Council) -> Application:
    lead = _person(f"load-applicant-{i}", council, MembershipRole.LEAD)
    application = applications.start(council, actor=lead)
    applications.save_about(
        application,
        actor=lead,
        contact_name=lead.full_name,
        contact_email=lead.email,
        website="https://www.example.gov.uk",
        social_accounts="https://x.com/example",
    )
    for answer in applications.ordered_answers(application):
        applications.save_answer(
            answer,
            version=answer.version,
            actor=lead,
            self_score=3,
            narrative=f"{council.name}: {answer.criterion.title.lower()}, every day.",
            links=["https://www.example.gov.uk/social-media"],
        )
    applications.submit(application, actor=lead, declaration_name=lead.full_name)
    return application


def _public(rng: random.Random) -> dict:
    """Register addresses (each page number within its results), council pages, awards."""
    awards_ = db.session.execute(
        sa.select(Award.id, Award.certificate_number, Award.state).order_by(Award.id)
    ).all()
    demo_councils = sa.select(Council.id).where(Council.gss_code.in_(demo.APPLICATIONS))
    shown = set(db.session.scalars(sa.select(Award.id).where(Award.council_id.in_(demo_councils))))
    shown |= {a.id for a in rng.sample(awards_, min(CERTIFICATES, len(awards_)))}
    codes = db.session.scalars(sa.select(Council.gss_code).order_by(Council.id)).all()
    valid = [a for a in awards_ if a.state != AwardState.REVOKED]
    fresh = [a for a in valid if a.id not in shown] or valid
    return {
        "first_download": rng.choice(fresh).certificate_number,
        "register": _register_addresses(rng),
        "council_pages": [f"/councils/{code}" for code in rng.sample(codes, min(300, len(codes)))],
        "certificates": [
            {"number": number, "revoked": state == AwardState.REVOKED}
            for award_id, number, state in awards_
            if award_id in shown
        ],
    }


def _register_addresses(rng: random.Random) -> dict[str, list[str]]:
    levels = [code for code, _ in search.levels()]
    years = search.award_years()
    words = [p.lower() for p in scale.PLACES] + ["upper", "st", "borough", "york", "hartlepool"]
    statuses = search.STATUS_FILTERS
    found: dict[str, list[str]] = {"register": [], "register: search": [], "register: filters": []}
    for label, count in (("register", 30), ("register: search", 80), ("register: filters", 80)):
        while len(found[label]) < count:
            args: dict[str, object] = {}
            if label == "register":
                args["sort"] = rng.choice(search.SORTS)
            elif label == "register: search":
                args["q"] = rng.choice(words)
                if rng.random() < 0.3:
                    args["q"] = f"{args['q']} {rng.randint(1, 300)}"
                if rng.random() < 0.3:
                    args["status"] = rng.choice(statuses)
            else:
                choices = {
                    "nation": [n.value for n in Nation],
                    "kind": [k.value for k in CouncilKind],
                    "level": levels,
                    "status": statuses,
                    "year": years,
                    "sort": search.SORTS,
                }
                for name in rng.sample(sorted(choices), rng.randint(1, 3)):
                    args[name] = rng.choice(choices[name])
            filters = search.Filters.parse({k: str(v) for k, v in args.items()})
            pages = max(1, -(-search.count(filters, search.today()) // search.PAGE_SIZE))
            page = rng.randint(1, min(pages, 40))
            if page > 1:
                args["page"] = page
            found[label].append(f"/register?{urlencode(args)}" if args else "/register")
    return found


def stored_writes(world: dict) -> dict[str, dict]:
    """What the database holds for everything the load writes: answers and assessments."""
    application_ids = {m["application_id"] for m in world["members"]}
    assignment_ids = {i for a in world["assessors"] for i in a["assignments"]}
    found = {}
    for answer, code in db.session.execute(
        sa.select(Answer, Criterion.code)
        .join(Criterion, Criterion.id == Answer.criterion_id)
        .where(Answer.application_id.in_(application_ids))
    ):
        found[f"answer {answer.application_id}/{code}"] = {
            "version": answer.version,
            "text": answer.narrative,
            "score": answer.self_score,
            "links": [link.url for link in answer.links],
        }
    for mine in db.session.scalars(
        sa.select(Assessment).where(Assessment.assignment_id.in_(assignment_ids))
    ):
        found[f"assessment {mine.assignment_id}"] = {
            "version": mine.version,
            "text": mine.summary,
            "recommendation": mine.recommendation and mine.recommendation.value,
            "scores": {code: s.score for code, s in assessment.scores_by_code(mine).items()},
            "feedback": {code: s.feedback for code, s in assessment.scores_by_code(mine).items()},
        }
    return found


# --- Checking the writes ---------------------------------------------------------------------


def check_writes(initial: dict, final: dict, writes: list[dict]) -> tuple[list[str], list[str]]:
    """(lost writes, other problems), one line each. Under the version protocol the saves of
    one answer form a chain: each success was made at the next version, over the text the one
    before it left; the database holds the last one, at the version after it. A conflict must
    have lost to a success made at its version."""
    saves: dict[str, list[dict]] = defaultdict(list)
    conflicts: dict[str, list[dict]] = defaultdict(list)
    for write in writes:
        key = f"{write['kind']} {write['key']}"
        (saves if write["outcome"] == "saved" else conflicts)[key].append(write)
    lost: list[str] = []
    problems: list[str] = []
    for key, before in initial.items():
        made = sorted(saves[key], key=lambda w: w["version"])
        version, text = before["version"], before["text"]
        for save in made:
            if save["version"] != version:
                problems.append(f"{key}: saved at version {save['version']}, {version} was next")
            if save["seen"] != text:
                lost.append(f"{key}: {text!r} was saved, then gone: read {save['seen']!r}")
            version, text = save["version"] + 1, save["text"]
        after = final[key]
        if after["version"] != before["version"] + len(made):
            problems.append(
                f"{key}: version {after['version']} after {len(made)} saves "
                f"from version {before['version']}"
            )
        if made and not _holds(after, made[-1]):
            lost.append(f"{key}: the last save {made[-1]['text']!r} is not what is stored")
        for conflict in conflicts[key]:
            if conflict["version"] not in {s["version"] for s in made}:
                problems.append(f"{key}: a conflict at version {conflict['version']}, no save won")
    return lost, problems


def _holds(stored: dict, save: dict) -> bool:
    if stored["text"] != save["text"]:
        return False
    if save["kind"] == "answer":
        return stored["score"] == save["score"] and stored["links"] == save["links"]
    return (
        stored["recommendation"] == save["recommendation"]
        and stored["scores"] == save["scores"]
        and stored["feedback"] == {code: f"{save['text']} [{code}]" for code in save["scores"]}
    )


# --- Serving ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, prefix: str, log: Path) -> Iterator[int]:
    """The app under gunicorn as in production, on a free port; yields the port."""
    port = free_port()
    # Keys of this run's own in the shared Redis: rate limits and the register's cache.
    own = {
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
        "CACHE_KEY_PREFIX": f"{prefix}-register-",
    }
    env = {
        **os.environ,
        "MARKS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "FORCE_HTTPS": "0",  # plain HTTP on 127.0.0.1, as behind the proxy that ends TLS
        "MARKS_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": f"{REDIS}{LIMITS_DB}",
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": f"{REDIS}{CACHE_DB}",
        # The outbox just fills: no worker sends it during the run (and nothing listens here).
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(free_port()),
    }
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        f"marks:create_app({own!r})",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)  # noqa: S603
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn stopped:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def forget_keys(prefix: str) -> None:
    for number in (LIMITS_DB, CACHE_DB):
        store = redis.Redis.from_url(f"{REDIS}{number}")
        keys = list(store.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            store.delete(*keys)
        store.close()


# --- The run ---------------------------------------------------------------------------------


def people_of(world: dict) -> list[dict]:
    specs = [{"role": "reader"} for _ in range(READERS)]
    specs += [{"role": "downloader"} for _ in range(DOWNLOADERS)]
    for i, member in enumerate(world["members"]):
        specs.append({"role": "member", "who": f"m{i}", **member})
    for i, one in enumerate(world["assessors"]):
        specs += [{"role": "assessor", "who": f"a{i}w{w}", **one} for w in (1, 2)]
    return [{**spec, "seed": i} for i, spec in enumerate(specs)]


def summarise(tallies: list[dict], seconds: float) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for tally in tallies:
        for label, (taken, failed) in tally["routes"].items():
            latencies[label] += taken
            errors[label] += failed
    rows = {}
    for label in sorted(latencies, key=lambda k: (k.startswith("("), k)):
        values = sorted(latencies[label])
        rows[label] = {
            "requests": len(values),
            "per_second": len(values) / seconds,
            "p50_ms": traffic.percentile(values, 0.50) * 1000,
            "p99_ms": traffic.percentile(values, 0.99) * 1000,
            "errors": errors[label],
        }
    everything = sorted(v for values in latencies.values() for v in values)
    rows["total"] = {
        "requests": len(everything),
        "per_second": len(everything) / seconds,
        "p50_ms": traffic.percentile(everything, 0.50) * 1000,
        "p99_ms": traffic.percentile(everything, 0.99) * 1000,
        "errors": sum(errors.values()),
    }
    return rows


def print_table(rows: dict) -> None:
    print(f"\n{'route':28} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, row in rows.items():
        if label == "total":
            print("-" * 73)
        print(
            f"{label:28} {row['requests']:9,d} {row['per_second']:8.1f} "
            f"{row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['errors']:7d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    parser.add_argument("--councils", type=int, default=20000, help="data set (default 20000)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds not measured (5)")
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--database-url", help="an empty database to use (default: marks_load)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    run_id = secrets.token_hex(4)
    given = nullcontext(args.database_url) if args.database_url else None
    with given or database_of_our_own(DATABASE) as url:
        outcome = measure(url, args, run_id)
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=2))
    sys.exit(0 if outcome["errors"] == 0 and outcome["lost_writes"] == 0 else 1)


def measure(url: str, args: argparse.Namespace, run_id: str) -> dict:
    rng = random.Random(run_id)  # noqa: S311 (test data, not secrets)
    app = setup_app(url)
    world = {**prepare(app, args.councils, rng), "run": run_id}
    specs = people_of(world)
    prefix = f"marks-load-{run_id}"
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "gunicorn.log"
        try:
            with gunicorn(url, args.workers, prefix, log) as port:
                tallies = traffic.run(
                    specs, world, port, args.warmup, args.duration, args.processes
                )
        except RuntimeError:
            print(f"The server's log ends:\n{log.read_text()[-4000:]}", file=sys.stderr)
            raise
        finally:
            forget_keys(prefix)
        server_log = log.read_text()
    rows = summarise(tallies, args.duration)
    writes = [w for t in tallies for w in t["writes"]]
    with app.app_context():
        final = stored_writes(world)
        db.session.remove()
        close_connections()
    lost, problems = check_writes(world["initial"], final, writes)
    tracebacks = server_log.count("Traceback (most recent call last)")
    saved = defaultdict(int)
    for write in writes:
        saved[(write["kind"], write["outcome"])] += 1
    backend = sa.make_url(driver_url(url)).get_backend_name()
    print(
        f"\nMixed load: {args.duration:.0f} s measured, after {args.warmup:.0f} s of warm-up. "
        f"{len(specs)} people at once: {READERS} reading the register and checking certificates, "
        f"{DOWNLOADERS} downloading certificates and badges, {len(world['members'])} council "
        f"members in pairs on {MEMBER_COUNCILS} applications, {ASSESSORS} assessors in 2 windows "
        f"each on {ASSESSED_APPLICATIONS} applications ({args.processes} generator processes). "
        f"gunicorn {args.workers} workers, {backend}, {args.councils:,d} councils."
    )
    print_table(rows)
    errors = rows["total"]["errors"] + tracebacks + len(problems)
    print(
        f"\nanswers saved: {saved['answer', 'saved']:,d}; conflicts: {saved['answer', 'conflict']}"
        " (409, a colleague saved first: expected, and each matched to the save that won)"
    )
    print(
        f"scores saved: {saved['assessment', 'saved']:,d} (each save: every criterion's score "
        f"and feedback); conflicts: {saved['assessment', 'conflict']}"
    )
    print(
        f"errors: {errors} (unexpected statuses or bodies: {rows['total']['errors']}; "
        f"tracebacks in the server's log: {tracebacks}; saves out of order: {len(problems)})"
    )
    print(
        f"lost writes: {len(lost)} (checked {len(final)} answers and assessments in the database)"
    )
    for line in [s for t in tallies for s in t["samples"]][:10] + problems[:10] + lost[:10]:
        print(f"  {line}")
    if tracebacks:
        print(server_log[server_log.index("Traceback") :][:3000])
    return {
        "routes": rows,
        "errors": errors,
        "lost_writes": len(lost),
        "problems": [s for t in tallies for s in t["samples"]] + problems + lost,
        "answer_saves": saved["answer", "saved"],
        "answer_conflicts": saved["answer", "conflict"],
        "score_saves": saved["assessment", "saved"],
        "score_conflicts": saved["assessment", "conflict"],
        "application_ids": sorted({m["application_id"] for m in world["members"]}),
        "assignment_ids": sorted({i for a in world["assessors"] for i in a["assignments"]}),
    }


if __name__ == "__main__":
    main()
