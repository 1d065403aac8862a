"""Attempts at what a person could otherwise try without end: signing in, signing up, asking
for a password reset, entering a two-factor code. Each is counted first, and only then
tried:

    if not attempts.allowed("sign-in", email):
        abort(429)  # the "Too many attempts" page
    ... check the password ...
    if it was right:
        attempts.refund("sign-in", email)  # where only failures should count

`allowed(kind, email)` adds one to two counts, one for the request's client address and one
for the email address, and says whether both are still within their limits: the settings
that KINDS names for the kind (a new kind of attempt is one line there and two settings in
config.DEFAULTS). Each count is one atomic increment in the rate limiter's storage (Redis in
production, shared by every worker), so however many attempts arrive at once, only the first
ones counted, up to the limit, are tried. (Flask-Limiter's `deduct_when`, used before, looked
at the count before a sign-in and added to it after: ten simultaneous attempts were all
checked against a limit of five.) A refused attempt counts too.

Each count is a fixed window that starts with its first attempt ("5 per 15 minutes": five,
then nothing until 15 minutes after the first). No window is longer than the 15 minutes that
the "Too many attempts" page tells people to wait.

When Redis cannot be reached, attempts are counted in the worker's own memory instead, and
the outage is logged (marks/operations/outages.py): each worker then counts alone, so the limits are
looser by as many workers as there are, but nobody is refused a page for it, and nobody gets
unlimited tries.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from marks.extensions import limiter
from marks.operations import outages
from marks.people.users import normalise_email

# Each kind of attempt: the settings of its limit per client address and per email address.
KINDS = {
    "sign-in": ("SIGN_IN_LIMIT", "SIGN_IN_EMAIL_LIMIT"),
    "sign-up": ("SIGN_UP_LIMIT", "SIGN_UP_EMAIL_LIMIT"),
    "reset-password": ("RESET_PASSWORD_LIMIT", "RESET_PASSWORD_EMAIL_LIMIT"),
    # Two-factor codes, keyed by the person's email address as passwords are.
    "sign-in-code": ("SIGN_IN_LIMIT", "SIGN_IN_CODE_LIMIT"),
}


def allowed(kind: str, email: str) -> bool:
    """Count one attempt of this kind, from this request's client, for this email address;
    then say whether it may be tried (True) or must be refused (False)."""
    return all(_hit(_counts(kind, email), cost=1))


def refund(kind: str, email: str) -> None:
    """Take back an attempt that allowed() counted and that succeeded, for a kind where only
    failures should count (a sign-in: a person signing in many times a day is not refused)."""
    _hit(_counts(kind, email), cost=-1)  # a fixed window is one counter: this takes one off


def _hit(counts: list[tuple[RateLimitItem, tuple[str, ...]]], cost: int) -> list[bool]:
    """Add `cost` to each count, in Redis or, while it cannot be reached, in this worker's
    memory; whether each is still within its limit."""
    outage = outages.of(
        "The rate limits' storage (Redis)",
        "counting attempts in this worker's memory until it answers (each worker counts "
        "alone meanwhile: the limits are looser by as many workers as there are)",
    )
    if not outage.going_without:
        storage = limiter.storage
        try:
            within = [
                FixedWindowRateLimiter(storage).hit(limit, *key, cost=cost) for limit, key in counts
            ]
        except storage.base_exceptions as error:
            outage.failed(error)
        else:
            outage.answered()
            return within
    memory = current_app.extensions.setdefault("marks-attempts-memory", MemoryStorage())
    return [FixedWindowRateLimiter(memory).hit(limit, *key, cost=cost) for limit, key in counts]


def _counts(kind: str, email: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    client_setting, email_setting = KINDS[kind]
    config = current_app.config
    prefix = (config["RATELIMIT_KEY_PREFIX"], "attempts", kind)
    # Keyed, so that Redis holds no one's email address, nor anything to look one up by.
    secret = config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    address = hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]
    return [
        (parse(config[client_setting]), (*prefix, "client", get_remote_address())),
        (parse(config[email_setting]), (*prefix, "email", address)),
    ]
