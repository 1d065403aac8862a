"""Checking an award: the verification page, the certificate PDF, the live badge, and Open
Badges 2.0 hosted verification. These URLs are printed on certificates and embedded on
councils' websites: they never change."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from flask import (
    Response,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)

from marks import awards, badges, openbadges
from marks.extensions import db
from marks.models import Award
from marks.permissions import PUBLIC, access
from marks.public import bp
from marks.states import AwardStatus

JSON_LD = "application/ld+json"
# The badge image tells the truth within the hour: caches must come back at least that often.
BADGE_CACHE = "public, max-age=600, must-revalidate"


def _award_or_404(number: str) -> Award:
    award = awards.find(number)
    if award is None:
        abort(404)
    return award


@bp.get("/verify")
@access(PUBLIC)
def verify():
    number = (request.args.get("number") or "").strip()
    if number:
        return redirect(url_for("public.verify_certificate", number=number.upper()))
    return render_template("public/verify.html", number=None, error=None)


@bp.get("/verify/<number>")
@access(PUBLIC)
def verify_certificate(number: str):
    award = awards.find(number)
    if award is None:
        return render_template("public/not_a_certificate.html", number=number[:40]), 404
    return render_template(
        "public/verified.html",
        award=award,
        status=awards.status(award),
        statuses=AwardStatus,
    )


def _conditional(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.get("/certificates/<number>.pdf")
@access(PUBLIC)
def certificate(number: str):
    award = _award_or_404(number)
    if awards.status(award) == AwardStatus.REVOKED:
        return render_template("public/revoked_certificate.html", award=award), 410
    stored, rendered = awards.certificate(award)
    if rendered:
        db.session.commit()  # keep it
    if stored.sha256 in request.if_none_match:  # the copy they have is this one: no bytes
        return _conditional(Response(mimetype="application/pdf"), stored.sha256)
    response = Response(
        _pdf_bytes(stored),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{award.certificate_number}.pdf"',
            "Cache-Control": "public, max-age=0, must-revalidate",
        },
    )
    return _conditional(response, stored.sha256)


# The last few certificates sent, by their SHA-256: the same bytes need not cross from the
# database on every download (a changed certificate has another hash).
_PDF_CACHE: OrderedDict[str, bytes] = OrderedDict()
_PDF_CACHE_SIZE = 32


def _pdf_bytes(stored) -> bytes:
    pdf = _PDF_CACHE.get(stored.sha256)
    if pdf is None:
        pdf = stored.pdf
        _PDF_CACHE[stored.sha256] = pdf
        if len(_PDF_CACHE) > _PDF_CACHE_SIZE:
            _PDF_CACHE.popitem(last=False)
    return pdf


def _face(award: Award) -> badges.Face:
    status = awards.status(award)
    shown = status.value if status != AwardStatus.SUPERSEDED else AwardStatus.CURRENT.value
    return badges.Face(level_name=award.level.name, year=award.year, status=shown)


def _badge_options() -> tuple[str, str]:
    size = request.args.get("size", "medium")
    variant = request.args.get("variant", "light")
    if size not in badges.SIZES or variant not in badges.VARIANTS:
        abort(404)
    return size, variant


@bp.get("/badges/<number>.<any(svg, png):extension>")
@access(PUBLIC)
def badge(number: str, extension: str):
    """The live badge: it always says what the award is today."""
    award = _award_or_404(number)
    size, variant = _badge_options()
    face = _face(award)
    # A current badge carries its Open Badges assertion (a "baked" badge).
    assertion = openbadges.assertion(award) if face.status == AwardStatus.CURRENT else None
    if extension == "svg":
        body: str | bytes = badges.svg(face, size, variant)
        if assertion:
            body = badges.bake_svg(body, assertion, assertion["id"])
        mimetype = "image/svg+xml"
    else:
        body = badges.png(face, size, variant)
        if assertion:
            body = badges.bake_png(body, json.dumps(assertion, separators=(",", ":")))
        mimetype = "image/png"
    data = body.encode() if isinstance(body, str) else body
    headers = {"Cache-Control": BADGE_CACHE, "X-Content-Type-Options": "nosniff"}
    if request.args.get("download"):
        filename = f"{award.certificate_number}-{size}-{variant}.{extension}"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response = Response(data, mimetype=mimetype, headers=headers)
    return _conditional(response, hashlib.sha256(data).hexdigest())


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match([JSON_LD, "application/json", "text/html"])
    return best == "text/html"


def _json(document: dict, status: int = 200) -> Response:
    response = Response(json.dumps(document, indent=2), status=status, mimetype=JSON_LD)
    response.headers["Access-Control-Allow-Origin"] = "*"  # badge verifiers run in browsers
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/ob/issuer.json")
@access(PUBLIC)
def ob_issuer():
    if _wants_html():
        return redirect(url_for("public.index"))
    return _json(openbadges.issuer())


@bp.get("/ob/badgeclasses/<slug>.json")
@access(PUBLIC)
def ob_badge_class(slug: str):
    level = openbadges.level_for_slug(slug)
    if level is None:
        abort(404)
    if _wants_html():
        return redirect(url_for("public.index"))
    return _json(openbadges.badge_class(level))


@bp.get("/ob/badgeclasses/<slug>.png")
@access(PUBLIC)
def ob_badge_class_image(slug: str):
    level = openbadges.level_for_slug(slug)
    if level is None:
        abort(404)
    face = badges.Face(level_name=level.name, year=level.edition.year, status="current")
    data = badges.png(face, "large", "light")
    response = Response(
        data, mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )
    return _conditional(response, hashlib.sha256(data).hexdigest())


@bp.get("/ob/assertions/<number>.json")
@access(PUBLIC)
def ob_assertion(number: str):
    award = _award_or_404(number)
    if _wants_html():
        return redirect(url_for("public.verify_certificate", number=award.certificate_number))
    if awards.status(award) == AwardStatus.REVOKED:
        return _json(openbadges.revoked(award), status=410)
    return _json(openbadges.assertion(award))
