"""Keeping secrets out of the logs: the tokens in the links the service emails (confirm an
email address, reset a password, accept an invitation) are as good as a password while they
last, and a request line, a referrer or an error message carries them."""

from __future__ import annotations

import logging
import re

from flask import Flask

REDACTED = "[redacted]"
# The app's own logger, and the servers' request logs (development server and gunicorn).
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class RedactTokens(logging.Filter):
    """Rewrites a record whose message holds a link's path: the token becomes [redacted]."""

    def __init__(self, prefixes: list[str]) -> None:
        super().__init__()
        alternatives = "|".join(re.escape(prefix) for prefix in prefixes)
        self.pattern = re.compile(f"({alternatives})[^\\s/?#\"'<>]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.pattern.sub(rf"\1{REDACTED}", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def token_prefixes(app: Flask) -> list[str]:
    """The paths before the token of every route that takes one, e.g. "/reset-password/"."""
    return sorted(
        {
            rule.rule.split("<token>")[0]
            for rule in app.url_map.iter_rules()
            if "token" in rule.arguments
        }
    )


def keep_tokens_out(app: Flask) -> None:
    """Redact tokens in everything the app and its server log (one filter per logger)."""
    redact = RedactTokens(token_prefixes(app))
    for logger in (app.logger, *map(logging.getLogger, LOGGERS)):
        for old in [f for f in logger.filters if isinstance(f, RedactTokens)]:
            logger.removeFilter(old)
        logger.addFilter(redact)
