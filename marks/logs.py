"""Keeping secrets out of the logs, and out of every page but the email they were sent in: the
tokens in the links the service emails (confirm an email address, reset a password, accept an
invitation) are as good as a password while they last, and a request line, a referrer, an
error message or the outbox carries them. One definition of where a token is, from the routes
that take one, serves the logs and the outbox alike."""

from __future__ import annotations

import logging
import re

from flask import Flask, current_app

REDACTED = "[redacted]"
# The app's own logger, and the servers' request logs (development server and gunicorn).
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


# A slash of a link's path, as written or percent-encoded (a link inside another's query, such
# as /sign-in?next=%2Freset-password%2F...).
SLASH = "(?:/|%2[Ff])"


class RedactTokens(logging.Filter):
    """Rewrites a record whose message holds a link's path: the token becomes [redacted]."""

    def __init__(self, prefixes: list[str]) -> None:
        super().__init__()
        alternatives = "|".join(
            SLASH.join(re.escape(part) for part in prefix.split("/")) for prefix in prefixes
        )
        self.pattern = re.compile(f"({alternatives})[^\\s/?#\"'<>]+")

    def redact(self, text: str) -> str:
        return self.pattern.sub(rf"\1{REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
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


def redactor(app: Flask) -> RedactTokens:
    """The app's one redaction of tokens, made from its routes once."""
    if "marks.redact_tokens" not in app.extensions:
        app.extensions["marks.redact_tokens"] = RedactTokens(token_prefixes(app))
    return app.extensions["marks.redact_tokens"]


def redact_tokens(text: str) -> str:
    """The text with the token of every link to a route that takes one replaced by
    [redacted], wherever it is: a plain-text email, an HTML one (its hrefs and its text), an
    error message."""
    return redactor(current_app).redact(text)


def keep_tokens_out(app: Flask) -> None:
    """Redact tokens in everything the app and its server log (one filter per logger)."""
    redact = redactor(app)
    for logger in (app.logger, *map(logging.getLogger, LOGGERS)):
        for old in [f for f in logger.filters if isinstance(f, RedactTokens)]:
            logger.removeFilter(old)
        logger.addFilter(redact)
