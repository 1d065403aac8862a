"""Issue 18's figure: a social media card (/badges/<number>/card.png), once made, against
/healthz, served by gunicorn with 2 workers on PostgreSQL, as production serves them. Prints
requests per second and the median and 99th percentile latency of each, and the card's ratio
to /healthz (the issue asks for within 1.5x of /healthz).

The load is made here, in Python (wrk need not be installed): `--clients` threads, each one
request at a time on a connection of its own (gunicorn's sync workers close each), for
`--seconds` per route, the routes one after the other. Needs PostgreSQL on 127.0.0.1:5432 and
Redis on :6379 (the production settings' rate limits).

    .venv/bin/python bench/kit.py [--seconds 10] [--clients 4] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import served  # bench/served.py

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "marks_bench_kit"
PORT = 5201


def run(*args: str, env: dict | None = None) -> str:
    return subprocess.run(  # noqa: S603 (our own commands)
        args, check=True, cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout


def psql(*commands: str, database: str = "postgres") -> str:
    sql = [arg for command in commands for arg in ("-c", command)]
    return run("psql", "-qtA", "-h", "127.0.0.1", "-U", "postgres", "-d", database, *sql)


def prepare(env: dict) -> None:
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}")
    flask = str(BIN / "flask")
    run(flask, "db", "upgrade", env=env)
    run(flask, "seed-demo", env=env)


def load(path: str, seconds: float, clients: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 (ms) of `clients` threads asking for path."""
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status != 200:
                errors.append(response.status)
            mine.append(time.perf_counter() - started)
        latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{path}: {len(errors)} error responses, e.g. {errors[0]}")
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / took, statistics.median(latencies) * 1000, cuts[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="reuse the data set if it exists")
    args = parser.parse_args()
    env = served.production_env(DATABASE, 12)
    if not args.keep:
        prepare(env)
    number = psql(
        "SELECT certificate_number FROM awards WHERE state = 'current' ORDER BY id LIMIT 1",
        database=DATABASE,
    ).strip()
    routes = {
        "trivial (/healthz)": "/healthz",
        "link card, made": f"/badges/{number}/card.png?format=link",
        "story, made": f"/badges/{number}/card.png?format=story",
        "badge PNG, for reference": f"/badges/{number}.png",
    }
    server = served.serve(env, PORT)
    try:
        # Each worker makes each card once: ask often enough that both have.
        first = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}{routes['story, made']}").read()
        print(f"the story card, made the first time: {(time.perf_counter() - first) * 1000:.0f} ms")
        for path in routes.values():
            for _ in range(20):
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}").read()
        print(
            f"\nrequests/s, p50, p99 (2 workers, {args.clients} clients, {args.seconds:g} s each)"
        )
        figures = {}
        for name, path in routes.items():
            figures[name] = load(path, args.seconds, args.clients)
            rps, p50, p99 = figures[name]
            print(f"  {name:26} {rps:8.1f}  {p50:6.1f} ms  {p99:6.1f} ms")
        base = figures["trivial (/healthz)"][1]
        for name in ("link card, made", "story, made"):
            print(f"  {name}: p50 {figures[name][1] / base:.2f}x /healthz's")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
