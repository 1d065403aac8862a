"""Redis, which the workers share for the rate limits' counts and the register's cache, being
unreachable for a while: the pages go on without it (attempts counted in the worker's own
memory, the register rendered afresh) rather than fail, and /healthz says so.

Each outage is logged when this worker first meets it and when it ends, not on every request.
While it lasts, Redis is tried again only every RETRY_AFTER seconds, so that requests do not
each wait for a connection to time out (config.REDIS_TIMEOUTS: a second)."""

from __future__ import annotations

import logging
import time

import redis
from flask import current_app

from marks.extensions import cache, limiter

RETRY_AFTER = 5.0  # seconds
# What the cache raises when Redis cannot be reached or answers with an error.
CACHE_ERRORS = (redis.RedisError, OSError)

logger = logging.getLogger(__name__)


class Outage:
    """One engine this worker could not reach: since when, and when to try it again."""

    def __init__(self, name: str, meanwhile: str) -> None:
        self.name = name
        self.meanwhile = meanwhile  # what the pages do without it
        self.since: float | None = None
        self.retry_at = 0.0

    @property
    def going_without(self) -> bool:
        """Whether to do without the engine for now: it failed less than RETRY_AFTER ago."""
        return self.since is not None and time.monotonic() < self.retry_at

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        if self.since is None:
            self.since = now
            logger.warning(
                "%s is unreachable (%s: %s): %s",
                self.name,
                type(error).__name__,
                error,
                self.meanwhile,
            )
        self.retry_at = now + RETRY_AFTER

    def answered(self) -> None:
        if self.since is not None:
            logger.warning(
                "%s answers again, after %.0f s", self.name, time.monotonic() - self.since
            )
            self.since = None


def of(name: str, meanwhile: str) -> Outage:
    """This app's (a worker's) record of outages of the engine called `name`."""
    outages = current_app.extensions.setdefault("marks-outages", {})
    if name not in outages:
        outages[name] = Outage(name, meanwhile)
    return outages[name]


def redis_answers() -> bool | None:
    """Whether every Redis the app uses (for the rate limits, for the register's cache)
    answers now, whatever the outages say; None if it uses none (in development)."""
    config = current_app.config
    limits_in_redis = str(config["RATELIMIT_STORAGE_URI"]).startswith("redis")
    cache_in_redis = "Redis" in str(config["CACHE_TYPE"])
    if not (limits_in_redis or cache_in_redis):
        return None
    if limits_in_redis and not limiter.storage.check():
        return False
    if cache_in_redis:
        try:
            cache.get("healthz")
        except CACHE_ERRORS:
            return False
    return True
