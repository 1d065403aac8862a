"""Requests as the app receives them when deployed: through the TLS-terminating proxy (nginx),
which says the visitor came over HTTPS and from where."""

from __future__ import annotations

from flask import Flask

from tests.pages import PageClient

# What nginx adds to every request it passes on (docs/deploy/nginx-marks.conf).
BEHIND_THE_PROXY = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
# A browser sends it on a same-origin POST; Flask-WTF checks it over HTTPS.
REFERER = {"HTTP_REFERER": "https://localhost/sign-in"}


def behind_the_proxy(app: Flask) -> PageClient:
    """A client whose every request comes through the proxy, as a browser's would."""
    client = PageClient(app)
    client.http.environ_base.update(BEHIND_THE_PROXY, **REFERER)
    return client
