"""Issue 5's figures: certificate rendering against WeasyPrint's floor (a blank page through
the same path), and the certificate and badge downloads against a trivial JSON route, all
medians in one warm process, the runs interleaved.

Since issue 19 a certificate is signed as it is stored: the figure beside the render is
the same render signed (with development's own authority, in the scratch folder), and what
signing adds to issuing one (the target: under 50 ms).

Each run renders another certificate (its own number, so its own QR code), as production
renders each award's once. Beside them, for reference, what issue 5 requires a certificate to
print (scheme, council, level, two dates, number, address, signatory's name and title, and the
QR code; since issue 16 the issuer's name, logo and signature too, when set) as plain
paragraphs and images, unstyled, without artwork: the least any certificate costs.

    .venv/bin/python bench/awards.py [--runs 100] [--database-url URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade
from markupsafe import escape

from marks import create_app
from marks.awarding import awards, badges, certificates, signing
from marks.extensions import close_connections, db
from marks.models import Award
from marks.seed import demo
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


def another_certificate(printed: awards.certificates.Printed) -> Callable[[], object]:
    """Renders a certificate numbered one more each time: nothing of one is reused by the next."""
    numbers = itertools.count(90001)

    def render() -> object:
        number = f"SMFM-{printed.awarded_on.year}-{next(numbers):05d}"
        url = printed.verification_url.rsplit("/", 1)[0] + "/" + number
        return certificates.render_pdf(
            dataclasses.replace(printed, certificate_number=number, verification_url=url)
        )

    return render


def another_signed_certificate(printed: awards.certificates.Printed) -> Callable[[], object]:
    """As another_certificate, then signed by the issuer, as awards.store_certificate does."""
    render = another_certificate(printed)

    def signed() -> object:
        return signing.sign(
            render(), signed_by=printed.issuer_name, location=current_app.config["MARKS_BASE_URL"]
        )

    return signed


def required_content_alone(printed: awards.certificates.Printed) -> Callable[[], object]:
    """The nine facts and the QR code every certificate must carry (and the issuer's name,
    logo and the signature, when the scheme's settings give them), as plain paragraphs and
    images through the blank page's path: no stylesheet, no artwork. Another number each
    time, as for the certificates."""
    facts = (
        printed.issuer_name,
        printed.scheme_name,
        printed.council_name,
        printed.level_name,
        f"{printed.awarded_on:%-d %B %Y}",
        f"{printed.expires_on:%-d %B %Y}",
        printed.certificate_number,
        printed.verification_url,
        printed.signatory_name,
        printed.signatory_title,
    )
    paragraphs = "".join(f"<p>{escape(fact)}</p>" for fact in facts if fact)
    paragraphs += "".join(
        f'<img src="{image.data_uri}" alt="image">'
        for image in (printed.issuer_logo, printed.signature)
        if image
    )
    fetcher = certificates.StaticFileFetcher(current_app.static_folder or "static")
    numbers = itertools.count(90001)

    def render() -> object:
        url = f"{printed.verification_url}-{next(numbers)}"
        qr_code = f'<img src="{certificates.qr_code(url)}" alt="QR code">'
        html = certificates.BLANK_PAGE.replace(
            "<body></body>", f"<body>{paragraphs}{qr_code}</body>"
        )
        return certificates._write_pdf(html, fetcher)

    return render


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
                **signing.make_authority(Path(scratch) / "signing", "Bench").settings(),
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
                    "render": another_certificate(printed),
                    "signed": another_signed_certificate(printed),
                    "blank": certificates.blank_pdf,
                    "required": required_content_alone(printed),
                },
                args.runs,
            )
            render, blank, required = pdfs["render"], pdfs["blank"], pdfs["required"]
            signed = pdfs["signed"]
        client = app.test_client()
        served = interleaved_medians(
            {
                "trivial": get(client, "/healthz"),
                "download": get(client, f"/certificates/{number}.pdf"),
                "badge": get(client, f"/badges/{number}.svg"),
                "badge_png": get(client, f"/badges/{number}.png"),
                "badge_small": get(client, f"/badges/{number}.svg?artwork=small"),
                "badge_print": get(client, f"/badges/{number}.png?artwork=wide&size=print"),
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
            f"  rendered and signed    {signed:7.1f}   signing adds {signed - render:6.1f} "
            "(target: under 50)"
        )
        print(
            f"  what it must print, unstyled {required:7.1f}   (the facts and images)   "
            f"ratio {required / blank:.1f}x"
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
        print(f"badge SVG, small        {served['badge_small']:7.1f}")
        print(f"badge PNG, wide, print  {served['badge_print']:7.1f}")
        # What a badge costs the first time a process draws it (then lru_cache keeps it).
        face = badges.Face("Accredited with distinction", 2026, "current", distinction=True)
        fresh = interleaved_medians(
            {
                artwork: functools.partial(badges.png.__wrapped__, face, "print", "light", artwork)
                for artwork in badges.ARTWORKS
            },
            args.runs,
        )
        drawn = "   ".join(f"{artwork} {ms:.1f}" for artwork, ms in fresh.items())
        print(f"badge PNG, print, drawn afresh: {drawn}")
        with app.app_context():
            close_connections()


if __name__ == "__main__":
    main()
