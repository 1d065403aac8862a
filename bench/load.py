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

import redis
import signing_keys  # bench/signing_keys.py
import sqlalchemy as sa
import traffic
from browser import percentile
from load_data import (
    ASSESSED_APPLICATIONS,
    ASSESSORS,
    DATABASE,
    DOWNLOADERS,
    MEMBER_COUNCILS,
    READERS,
    database_of_our_own,
    prepare,
    setup_app,
    stored_writes,
)

from marks.config import database_url as driver_url
from marks.extensions import close_connections, db

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS = "redis://127.0.0.1:6379/"
LIMITS_DB, CACHE_DB = 0, 1  # production's defaults; the keys carry a prefix of this run's own


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
        **signing_keys.settings(),
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
            "p50_ms": percentile(values, 0.50) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
            "errors": errors[label],
        }
    everything = sorted(v for values in latencies.values() for v in values)
    rows["total"] = {
        "requests": len(everything),
        "per_second": len(everything) / seconds,
        "p50_ms": percentile(everything, 0.50) * 1000,
        "p99_ms": percentile(everything, 0.99) * 1000,
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
