"""Pages for everyone: information pages, the health check, certificate verification,
certificates, badges and Open Badges."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from marks.public import awards, credentials, routes  # noqa: E402, F401  (they add their routes to bp)
