"""Server time of "Save and continue" on a criterion page (issue 3's target: median < 30 ms on
SQLite). Builds a fresh database with the demo data, signs in as the demo council lead, starts
an application, then saves one criterion's answer N times through the Flask app (the whole
request: CSRF, session, permission, validation, optimistic lock, commit) and prints the figures.

    .venv/bin/python bench/save_and_continue.py [--runs 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from marks import create_app
from marks.extensions import close_connections, db
from marks.seed import demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "bench",
                "RATELIMIT_STORAGE_URI": "memory://",
                "MAIL_BACKEND": "smtp",  # queue quietly; nothing is sent here
            }
        )
        with app.app_context():
            upgrade()
            demo.seed()
            db.session.remove()
        client = app.test_client()
        token = _token(client.get("/sign-in").get_data(as_text=True))
        client.post(
            "/sign-in",
            data={
                "csrf_token": token,
                "email": "lead@hartlepool.gov.uk",
                "password": demo.PASSWORD,
            },
        )
        client.post("/apply/start", data={"csrf_token": token})
        page = client.get("/apply/")
        application_url = re.search(
            r'href="(/apply/applications/\d+)"', page.get_data(as_text=True)
        )
        url = application_url.group(1) + "/criteria/MD1"

        timings = []
        for run in range(args.runs):
            form = client.get(url).get_data(as_text=True)
            version = re.search(r'name="version" value="(\d+)"', form).group(1)
            data = {
                "csrf_token": token,
                "version": version,
                "self_score": str(run % 5),
                "narrative": f"Run {run}: " + "we publish an enabling policy " * 40,
                "links": "https://www.hartlepool.gov.uk/policy\nhttps://www.hartlepool.gov.uk/x",
                "save_and_continue": "Save and continue",
            }
            started = time.perf_counter()
            response = client.post(url, data=data)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, response.status_code

        timings.sort()
        print(f"database: {database_url.split(':')[0]}")
        print(f"Save and continue, {args.runs} runs (ms):")
        print(f"  median {statistics.median(timings):.1f}")
        print(f"  p90    {timings[int(len(timings) * 0.9)]:.1f}")
        print(f"  p99    {timings[int(len(timings) * 0.99)]:.1f}")
        print(f"  max    {timings[-1]:.1f}")
        with app.app_context():
            close_connections()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


if __name__ == "__main__":
    main()
