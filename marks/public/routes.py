"""The start page, the scheme's information pages, and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.exc import SQLAlchemyError

from marks.extensions import db, limiter
from marks.permissions import PUBLIC, access
from marks.public import bp

INFORMATION_PAGES = {
    "about-the-data": "public/about_the_data.html",
    "privacy": "public/privacy.html",
    "cookies": "public/cookies.html",
}


@bp.get("/")
@access(PUBLIC)
def index():
    return render_template("public/index.html")


@bp.get("/<any(" + ", ".join(f'"{p}"' for p in INFORMATION_PAGES) + "):page>")
@access(PUBLIC)
def information(page: str):
    return render_template(INFORMATION_PAGES[page])


@bp.get("/accessibility")
@access(PUBLIC)
def accessibility():
    return render_template(
        "public/accessibility.html", contact_email=current_app.config["MARKS_CONTACT_EMAIL"]
    )


@bp.get("/healthz")
@access(PUBLIC)
@limiter.exempt
def healthz():
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "unavailable", "app": "ok", "database": "unreachable"}, 503
    return {"status": "ok", "app": "ok", "database": "ok"}
