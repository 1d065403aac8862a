"""The scheme administrators' pages. Everything here is for administrators only: anyone else
gets a 404, so the pages do not reveal that they exist."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from marks.admin import (  # noqa: E402, F401  (they add their routes to bp)
    applications,
    councils,
    dashboard,
    edition_drafts,
    editions,
    people,
    practice,
    records,
    routes,
    settings,
)
