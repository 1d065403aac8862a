"""The start page, the scheme's information pages, and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from marks.awarding import openbadges
from marks.extensions import db, limiter
from marks.operations import outages
from marks.permissions import PUBLIC, access, has_council_pages
from marks.practice import library
from marks.public import bp
from marks.public import register as open_data
from marks.register import api_page, openapi, search
from marks.scheme import editions
from marks.scheme import issuer as scheme_issuer

INFORMATION_PAGES = {
    "about-the-data": "public/about_the_data.html",
    "privacy": "public/privacy.html",
    "cookies": "public/cookies.html",
}


@bp.get("/")
@access(PUBLIC)
def index():
    edition = editions.current()
    return render_template(
        "public/index.html",
        holders=sum(count for _, count in search.summary()),
        # The badge of the edition's first level, as a council that holds it shows it.
        badge_slug=openbadges.badge_class_slug(edition.levels[0])
        if edition and edition.levels
        else None,
    )


@bp.get("/criteria")
@access(PUBLIC)
def criteria():
    """What a council is judged on, before it applies: the current edition's themes,
    criteria and rubric."""
    return render_template(
        "public/criteria.html",
        edition=editions.current(),
        council_pages=has_council_pages(current_user),
        examples=library.by_criterion(),
    )


@bp.get("/<any(" + ", ".join(f'"{p}"' for p in INFORMATION_PAGES) + "):page>")
@access(PUBLIC)
def information(page: str):
    return render_template(INFORMATION_PAGES[page])


@bp.get("/openapi.json")
@access(PUBLIC)
def openapi_description():
    """The OpenAPI 3.1 description of the public data."""
    return open_data.json_answer(
        openapi.description(), "openapi.json", cache_control=open_data.REGISTER_CACHE
    )


@bp.get("/about-the-data/api")
@access(PUBLIC)
def api():
    """The OpenAPI description, read out for people."""
    document, endpoints = api_page.readable()
    return render_template("public/api.html", document=document, endpoints=endpoints)


@bp.get("/accessibility")
@access(PUBLIC)
def accessibility():
    return render_template(
        "public/accessibility.html", contact_email=scheme_issuer.current().contact_email
    )


@bp.get("/healthz")
@access(PUBLIC)
@limiter.exempt
def healthz():
    """Each engine the pages need. The database down: 503, nothing works. Redis down: 200,
    "degraded" (the pages go on without it: the register uncached, the limits counted per
    worker meanwhile), so that a load balancer checking every app server does not drop them
    all for what each can do without, while monitoring sees it. Answered over plain HTTP too
    (below)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unreachable"
    answers = outages.redis_answers()
    redis = {None: "not used", True: "ok", False: "unreachable"}[answers]
    status = "unavailable" if database != "ok" else "degraded" if answers is False else "ok"
    body = {"status": status, "app": "ok", "database": database, "redis": redis}
    return body, 503 if status == "unavailable" else 200


# Load balancers and monitors call it on the inside, over plain HTTP, without the proxy's
# X-Forwarded-Proto: not sent to HTTPS by FORCE_HTTPS (flask-talisman's per-view option; HSTS
# is sent over HTTPS only, so none here).
healthz.talisman_view_options = {"force_https": False}
