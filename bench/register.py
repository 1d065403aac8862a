"""The register at national scale (issue 6): 20,000 councils on PostgreSQL, gunicorn with 2
workers, wrk on 127.0.0.1. Prints requests per second and p50/p99 for the register (default,
a search, a filtered page 3) next to a trivial route of the same app, cached (Redis, shared
by the workers) and uncached, and the time of the full CSV download.

Needs wrk (Debian: apt-get install wrk), PostgreSQL on 127.0.0.1:5432 and Redis on :6379;
--csv-only times only the full CSV (three downloads, the best and the worst), without wrk.

    .venv/bin/python bench/register.py [--councils 20000] [--seconds 10] [--keep] [--csv-only]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import served  # bench/served.py

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "marks_bench_register"
PORT = 5077
ROUTES = {
    "trivial (/healthz)": "/healthz",
    "register, default": "/register",
    "register, search": "/register?q=ashby",
    "register, filtered page 3": "/register?status=expired&nation=England&page=3",
}


def run(*args: str, env: dict | None = None) -> None:
    subprocess.run(args, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603


def prepare(councils: int, env: dict) -> None:
    run(
        "psql",
        "-q",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-c",
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
        "-c",
        f"CREATE DATABASE {DATABASE}",
    )
    flask = str(BIN / "flask")
    run(flask, "db", "upgrade", env=env)
    run(flask, "seed-demo", env=env)
    started = time.perf_counter()
    run(flask, "seed-scale", "--councils", str(councils), env=env)
    print(f"seed-scale --councils {councils}: {time.perf_counter() - started:.1f} s")


def wrk(path: str, seconds: int, connections: int) -> tuple[float, str, str]:
    out = subprocess.run(  # noqa: S603 (our own arguments)
        [
            "/usr/bin/wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{path}: {errors.group(1)} error responses")
    return rps, p50, p99


def measure(label: str, env: dict, seconds: int, connections: int) -> None:
    server = served.serve(env, PORT)
    try:
        print(f"\n{label}: requests/s, p50, p99 (2 workers, wrk -t2 -c{connections} -d{seconds}s)")
        for name, path in ROUTES.items():
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}").read()
            rps, p50, p99 = wrk(path, seconds, connections)
            print(f"  {name:28} {rps:8.1f}  {p50:>8}  {p99:>8}")
        if label.startswith("cached"):
            full_csv()
    finally:
        server.terminate()
        server.wait(timeout=10)


def full_csv(times: int = 1) -> None:
    """Download the whole register as CSV `times` times; print its size and how long it took
    (the best and the worst when more than once)."""
    took = []
    for _ in range(times):
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/register.csv?status=all") as response:
            chunked = response.headers.get("Transfer-Encoding") == "chunked"
            size = len(response.read())
        took.append(time.perf_counter() - started)
    figures = f"{min(took):.2f} s" + (f" (worst {max(took):.2f} s)" if times > 1 else "")
    print(f"  full CSV: {size / 1e6:.1f} MB in {figures} (streamed: {chunked})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=20000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="reuse the data set if it exists")
    parser.add_argument("--csv-only", action="store_true", help="time only the full CSV, no wrk")
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.csv_only:
        sys.exit("wrk is not installed: apt-get install wrk")
    env = served.production_env(DATABASE, 14, CACHE_REDIS_URL="redis://127.0.0.1:6379/13")
    if not args.keep:
        prepare(args.councils, env)
    flush = ["/usr/bin/redis-cli", "-n", "13", "flushdb"]
    subprocess.run(flush, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    cached = {**env, "CACHE_TYPE": "RedisCache"}
    if args.csv_only:
        server = served.serve(cached, PORT)
        try:
            print("\nfull CSV, 2 workers, one download at a time")
            full_csv(times=3)
        finally:
            server.terminate()
            server.wait(timeout=10)
        return
    measure("cached (Redis, shared by the workers)", cached, args.seconds, 8)
    uncached = {**env, "CACHE_TYPE": "NullCache"}
    measure("uncached, 8 connections", uncached, args.seconds, 8)
    # As many connections as workers: the time of one request, without queueing.
    measure("uncached, 2 connections", uncached, args.seconds, 2)


if __name__ == "__main__":
    main()
