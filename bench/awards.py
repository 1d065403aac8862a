"""Issue 5's figures: certificate rendering against WeasyPrint's floor (a blank page through
the same path), and the certificate and badge downloads against a trivial JSON route, all
medians in one warm process, the runs interleaved.

    .venv/bin/python bench/awards.py [--runs 100] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade

from marks import awards, certificates, create_app, demo
from marks.extensions import db
from marks.models import Award
from marks.states import AwardState


def interleaved_medians(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Medians of each, run in turn (a, b, c, a, b, c...), so that whatever else the machine
    is doing weighs on all of them alike."""
    timings: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm
    for _ in range(runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def get(client, url: str) -> Callable[[], object]:
    def fetch() -> object:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.data

    return fetch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_STORAGE_URI": "memory://",
                "MAIL_BACKEND": "smtp",
            }
        )
        with app.app_context():
            upgrade()
            demo.seed()
            award = db.session.scalar(
                db.select(Award).where(Award.state == AwardState.CURRENT).limit(1)
            )
            number = award.certificate_number
            printed = awards.printed(awards.facts(number))
            pdfs = interleaved_medians(
                {
                    "render": lambda: certificates.render_pdf(printed),
                    "blank": certificates.blank_pdf,
                },
                args.runs,
            )
            render, blank = pdfs["render"], pdfs["blank"]
            awards.certificate(award)  # rendered and stored once
            db.session.commit()
        client = app.test_client()
        served = interleaved_medians(
            {
                "trivial": get(client, "/healthz"),
                "download": get(client, f"/certificates/{number}.pdf"),
                "badge": get(client, f"/badges/{number}.svg"),
                "badge_png": get(client, f"/badges/{number}.png"),
            },
            args.runs,
        )
        trivial, download = served["trivial"], served["download"]
        badge, badge_png = served["badge"], served["badge_png"]
        print(f"database: {url.split(':')[0]}; medians of {args.runs} runs (ms)")
        print(
            f"certificate render      {render:7.1f}   blank page (floor) {blank:6.1f}   "
            f"ratio {render / blank:.1f}x"
        )
        print(
            f"certificate download    {download:7.1f}   /healthz {trivial:6.1f}   "
            f"ratio {download / trivial:.2f}x"
        )
        print(
            f"badge SVG               {badge:7.1f}   /healthz {trivial:6.1f}   "
            f"ratio {badge / trivial:.2f}x"
        )
        print(f"badge PNG               {badge_png:7.1f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
