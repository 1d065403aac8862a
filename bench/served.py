"""The app under gunicorn (2 workers) on 127.0.0.1, as a benchmark measures it: with
production's settings (and keys of the benchmark's own), started from the project's root, and
answered once /healthz answers."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import signing_keys  # bench/signing_keys.py

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def production_env(database: str, limits_db: int, **more: str) -> dict[str, str]:
    """Production's settings on PostgreSQL's `database`, the rate limits in Redis database
    `limits_db`, with `more`."""
    return {
        **os.environ,
        **signing_keys.settings(),
        "FLASK_APP": "app.py",
        "MARKS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),  # production refuses a short one
        "FORCE_HTTPS": "0",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{limits_db}",
        "MAIL_BACKEND": "smtp",  # production refuses "log"; nothing is sent during the bench
        **more,
    }


def serve(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")
