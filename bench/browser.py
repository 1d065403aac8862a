"""A browser, of sorts, for bench/traffic.py: one person's connection over plain HTTP
(http.client), keeping their cookies, timing every request and checking it against the status
(and a fragment of the body) it should have; reading and filling in the app's forms; and what
is measured: each process's tally of latencies, errors and writes, and its percentiles.

The standard library, and pyotp for the assessors' two-factor codes: the load generator's
processes never import the app."""

from __future__ import annotations

import html
import http.client
import math
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pyotp

TIMEOUT = 60
ERROR_SAMPLES = 8


# --- What is measured ------------------------------------------------------------------------


@dataclass
class Route:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass
class Tally:
    """One process's figures: per route, the writes it was told succeeded, the errors seen.
    Requests that start outside [measured_from, measured_until) (the warm-up, the last
    iteration's tail) count only if they fail."""

    measured_from: float = 0.0
    measured_until: float = math.inf
    routes: dict[str, Route] = field(default_factory=dict)
    writes: list[dict] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, label: str, started: float, seconds: float, error: str | None) -> None:
        if self.measured_from <= started < self.measured_until:
            with self.lock:
                self.routes.setdefault(label, Route()).latencies.append(seconds)
        if error:
            self.fail(label, error)

    def fail(self, label: str, error: str) -> None:
        """An error: a wrong reply, or one the next page revealed (it was counted already)."""
        with self.lock:
            self.routes.setdefault(label, Route()).errors += 1
            if len(self.samples) < ERROR_SAMPLES:
                self.samples.append(f"{label}: {error}")

    def plain(self) -> dict:
        """What crosses back to the parent process."""
        return {
            "routes": {k: (r.latencies, r.errors) for k, r in self.routes.items()},
            "writes": self.writes,
            "samples": self.samples,
        }


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest rank: the value below which `share` of the values fall."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


# --- A browser, of sorts ---------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        parts = urlsplit(self.headers.get("location", ""))
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Browser:
    """One person's connection: keeps their cookies, times and checks every request."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port = port
        self.tally = tally
        self.cookies: dict[str, str] = {}

    def call(
        self,
        label: str | None,
        method: str,
        path: str,
        *,
        expect: Iterable[int],
        text: str | bytes | None = None,
        location: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Reply | None:
        """The reply, or None after recording an error (a wrong status, a missing fragment of
        the body or of the redirect, no answer at all). label=None: not measured (signing
        in), and an error raises."""
        headers = {"User-Agent": "marks-load/1", "Accept": "text/html,*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        started, wall = time.perf_counter(), time.time()
        # gunicorn's sync workers close every connection: a new one each time, as a browser's.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
            cookies = response.headers.get_all("Set-Cookie") or []
        except OSError as error:  # refused, reset, timed out
            self._record(label, started, wall, f"{method} {path}: {error!r}")
            return None
        finally:
            connection.close()
        for cookie in cookies:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        problem = None
        if reply.status not in tuple(expect):
            problem = f"{method} {path}: {reply.status}, expected {'/'.join(map(str, expect))}"
        elif text is not None:
            found = text in reply.body if isinstance(text, bytes) else text in reply.text
            if not found:
                problem = f"{method} {path}: {reply.status} without {text!r}"
        if location is not None and not problem and reply.location != location:
            problem = f"{method} {path}: sent to {reply.location!r}, expected {location!r}"
        self._record(label, started, wall, problem)
        return None if problem else reply

    def _record(self, label: str | None, started: float, wall: float, problem: str | None) -> None:
        if label is not None:
            self.tally.record(label, wall, time.perf_counter() - started, problem)
        elif problem:
            raise RuntimeError(problem)

    def sign_in(self, email: str, password: str, two_factor_key: str | None = None) -> None:
        """The password, then, for staff, a code made from their key as an app makes it: this
        step's, or the next step's if another window of the same person used this one."""
        page = self.call(None, "GET", "/sign-in", expect=[200])
        body = urlencode({"csrf_token": csrf(page.text), "email": email, "password": password})
        reply = self.call(
            None,
            "POST",
            "/sign-in",
            expect=[302],
            body=body.encode(),
            content_type="application/x-www-form-urlencoded",
        )
        if not reply.location.startswith("/sign-in/code"):
            return
        if two_factor_key is None:
            raise RuntimeError(f"{email} is asked for a code, and has no key here")
        totp = pyotp.TOTP(two_factor_key)
        for ahead in (0, totp.interval):
            page = self.call(None, "GET", reply.location, expect=[200])
            code = totp.at(time.time() + ahead)
            body = urlencode({"csrf_token": csrf(page.text), "code": code}).encode()
            signed_in = self.call(
                None,
                "POST",
                reply.location,
                expect=[200, 302],
                body=body,
                content_type="application/x-www-form-urlencoded",
            )
            if signed_in.status == 302:
                return
        raise RuntimeError(f"{email}: no code was accepted")


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def version(page: str) -> int:
    return int(re.search(r'name="version"[^>]*value="(\d+)"', page).group(1))


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    value = html.unescape(found.group(1))
    return value[2:] if value.startswith("\r\n") else value.removeprefix("\n")  # as browsers do


def multipart(fields: list[tuple[str, str]], files: Iterable[str] = ()) -> tuple[bytes, str]:
    """A form as a browser posts it with enctype=multipart/form-data (no file chosen)."""
    boundary = f"----marksload{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
        for name in files
    ]
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def form(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"
