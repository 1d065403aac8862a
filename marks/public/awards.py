"""Checking an award: the verification page, the certificate PDF, the live badge, and Open
Badges 2.0 hosted verification. These URLs are printed on certificates and embedded on
councils' websites: they never change."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import OrderedDict

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Form, StringField, ValidationError
from wtforms.validators import DataRequired

from marks.awarding import awards, badges, kit, openbadges
from marks.extensions import limiter
from marks.forms import strip
from marks.mail import link
from marks.permissions import PUBLIC, access
from marks.public import bp, conditional
from marks.public import register as open_data
from marks.register import records
from marks.scheme import issuer as scheme_issuer
from marks.states import AwardStatus

JSON_LD = "application/ld+json"
# The badge image tells the truth within the hour: caches must come back at least that often.
BADGE_CACHE = "public, max-age=600, must-revalidate"
# A certificate or an assertion is checked with the service each time it is used: a
# revocation shows at once, and an unchanged copy costs a 304.
CERTIFICATE_CACHE = "public, max-age=0, must-revalidate"


# A certificate number as people type it: the letters (or not), the year and the sequence, in
# any case, with spaces, dashes of any kind, underscores, dots or slashes between them (or
# nothing), and the sequence's leading zeros left out.
_BETWEEN = r"[\s\-\u2010-\u2015\u2212_./]*"
_TYPED_NUMBER = re.compile(
    rf"(?:{awards.PREFIX}{_BETWEEN})?([0-9]{{4}}){_BETWEEN}([0-9]{{1,6}})", re.IGNORECASE
)


def printed_number(typed: str) -> str | None:
    """The certificate number, as printed, that someone meant by what they typed; None if
    what they typed is not a certificate number."""
    found = _TYPED_NUMBER.fullmatch(typed.strip())
    if found is None or int(found[2]) == 0:
        return None
    return awards.certificate_number(int(found[1]), int(found[2]))


def _a_number(form: Form, field: StringField) -> None:
    if printed_number(field.data) is None:
        raise ValidationError("Enter the certificate number as it is printed, like SMFM-2026-00042")


class VerifyForm(Form):
    """Checking a certificate: a GET form, its answer an address anyone can share (no CSRF:
    it changes nothing)."""

    number = StringField(
        "Certificate number",
        description="For example, SMFM-2026-00042",
        filters=[strip],
        validators=[DataRequired(message="Enter the certificate number"), _a_number],
        widget=GovTextInput(),
    )


@bp.get("/verify")
@access(PUBLIC)
def verify():
    form = VerifyForm(request.args)
    if "number" in request.args and form.validate():
        number = printed_number(form.number.data)
        return redirect(url_for("public.verify_certificate", number=number))
    return render_template("public/verify.html", form=form)


@bp.get("/verify/<number>")
@access(PUBLIC)
def verify_certificate(number: str):
    printed = printed_number(number)
    if printed is not None and printed != number:  # typed by hand: the address as printed
        return redirect(url_for("public.verify_certificate", number=printed), 301)
    award = awards.find(number)
    if award is None:
        page = render_template(
            "public/not_a_certificate.html",
            number=number[:40],
            contact_email=scheme_issuer.current().contact_email,
        )
        return page, 404
    status = awards.status(award)
    url = link("public.verify_certificate", number=award.certificate_number)
    return render_template(
        "public/verified.html",
        award=award,
        status=status,
        statuses=AwardStatus,
        link_card=kit.link_card(award.certificate_number, status, url),
    )


@bp.get("/verify/<number>.json")
@access(PUBLIC)
def verify_certificate_json(number: str):
    """The verification page's answer, for machines: the award, its status today, its council."""
    printed = printed_number(number)
    if printed is not None and printed != number:  # typed by hand: the address as printed
        return redirect(url_for("public.verify_certificate_json", number=printed), 301)
    award = awards.find(number) or abort(404)
    document = {
        **records.award_fields(award, award.level, awards.status(award)),
        "council": records.council_fields(award.council),
        "licence": open_data.LICENCE,
    }
    return open_data.json_answer(
        document,
        f"{award.certificate_number}.json",
        last_modified=records.last_changed(award.updated_at, award.council.updated_at),
        cache_control=CERTIFICATE_CACHE,
    )


def _facts_or_404(number: str) -> awards.Facts:
    facts = awards.facts(number)
    if facts is None:
        abort(404)
    return facts


@bp.get("/certificates/<number>.pdf")
@access(PUBLIC)
@limiter.exempt  # no limit applies: skip the lookup on the most fetched URL
def certificate(number: str):
    facts = _facts_or_404(number)
    if awards.status(facts) == AwardStatus.REVOKED:
        return render_template("public/revoked_certificate.html", award=awards.find(number)), 410
    sha256 = facts.certificate_sha256
    if sha256 is None:  # an award issued before certificates were made at issue, not yet
        # made by the mail worker (awards.certificates_due): this answer writes nothing
        page = render_template(
            "public/certificate_being_prepared.html", number=facts.certificate_number
        )
        return page, 503, {"Retry-After": "120"}

    def stored() -> Response:
        # Made again since the facts were read? Then these are other bytes, with their own hash.
        read, pdf = _stored_pdf(facts.certificate_number, sha256)
        response = Response(
            pdf,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{facts.certificate_number}.pdf"'},
        )
        response.set_etag(read)
        return response

    # Answered from the hash alone when the copy they have is this one: no bytes read.
    return conditional.answer(stored, etag=sha256, cache_control=CERTIFICATE_CACHE)


# The last few certificates sent, by their SHA-256: the same bytes need not cross from the
# database on every download (a changed certificate has another hash).
_PDF_CACHE: OrderedDict[str, bytes] = OrderedDict()
_PDF_CACHE_SIZE = 32


def _stored_pdf(number: str, sha256: str) -> tuple[str, bytes]:
    pdf = _PDF_CACHE.get(sha256)
    if pdf is None:
        sha256, pdf = awards.certificate_pdf(number) or abort(404)
        _PDF_CACHE[sha256] = pdf
        if len(_PDF_CACHE) > _PDF_CACHE_SIZE:
            _PDF_CACHE.popitem(last=False)
    return sha256, pdf


def _badge_options() -> tuple[str, str, str]:
    """The badge's artwork, size and variant asked for; 400 for one it does not have."""
    artwork = request.args.get("artwork", "full")
    size = request.args.get("size", "medium")
    variant = request.args.get("variant", "light")
    if artwork not in badges.ARTWORKS or size not in badges.SIZES or variant not in badges.VARIANTS:
        abort(400)
    return artwork, size, variant


@functools.lru_cache(maxsize=256)
def _badge(
    facts: awards.Facts,
    status: AwardStatus,
    options: tuple[str, str, str],
    extension: str,
    base: str,
) -> tuple[bytes, str]:
    """The badge's bytes and ETag. Kept by everything that makes them (the award's facts, its
    status today, the options and the service's address), so a change makes a new one."""
    artwork, size, variant = options
    face = awards.face(facts, status)
    # A current badge carries its Open Badges assertion (a "baked" badge).
    assertion = openbadges.assertion(facts) if face.status == AwardStatus.CURRENT else None
    if extension == "svg":
        body = badges.svg(face, size, variant, artwork)
        if assertion:
            body = badges.bake_svg(body, assertion, assertion["id"])
        data = body.encode()
    else:
        data = badges.png(face, size, variant, artwork)
        if assertion:
            data = badges.bake_png(data, json.dumps(assertion, separators=(",", ":")))
    return data, hashlib.sha256(data).hexdigest()


@bp.get("/badges/<number>.<any(svg, png):extension>")
@access(PUBLIC)
@limiter.exempt  # no limit applies: skip the lookup on a URL embedded in councils' websites
def badge(number: str, extension: str):
    """The live badge: it always says what the award is today."""
    facts = _facts_or_404(number)
    options = _badge_options()
    status = awards.status(facts)
    data, etag = _badge(facts, status, options, extension, current_app.config["MARKS_BASE_URL"])
    headers = {"X-Content-Type-Options": "nosniff"}
    if request.args.get("download"):
        artwork, size, variant = options
        named = "-".join(([] if artwork == "full" else [artwork]) + [size, variant])
        filename = f"{facts.certificate_number}-{named}.{extension}"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    mimetype = "image/svg+xml" if extension == "svg" else "image/png"
    return conditional.answer(
        lambda: Response(data, mimetype=mimetype, headers=headers),
        etag=etag,
        cache_control=BADGE_CACHE,
    )


# Kept by everything a card shows (the award's facts and status today): a change to the award
# or its council's name is another card. Bounded: a story's PNG is about 100 KB.
@functools.lru_cache(maxsize=96)
def _card(card: kit.Card) -> tuple[bytes, str]:
    """A card's PNG and its ETag."""
    data = kit.png(card)
    return data, hashlib.sha256(data).hexdigest()


@bp.get("/badges/<number>/card.png")
@access(PUBLIC)
@limiter.exempt  # fetched by the social networks' crawlers whenever a link is shared
def card(number: str):
    """A card of the award for social media (?format=link, square or story): like the badge,
    it says what the award is today."""
    facts = _facts_or_404(number)
    shape = request.args.get("format", "link")
    if shape not in kit.FORMATS:
        abort(400)
    face = awards.face(facts, awards.status(facts))
    data, etag = _card(kit.Card(facts.council_name, face, facts.certificate_number, shape))
    return conditional.answer(
        lambda: Response(data, mimetype="image/png", headers={"X-Content-Type-Options": "nosniff"}),
        etag=etag,
        cache_control=BADGE_CACHE,
    )


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
    face = badges.Face(
        level.name, level.edition.year, "current", distinction=awards.is_highest(level)
    )
    data = badges.png(face, "large", "light")
    return conditional.answer(
        lambda: Response(data, mimetype="image/png"),
        etag=hashlib.sha256(data).hexdigest(),
        cache_control="public, max-age=86400",
    )


@bp.get("/ob/assertions/<number>.json")
@access(PUBLIC)
def ob_assertion(number: str):
    facts = _facts_or_404(number)
    if _wants_html():
        return redirect(url_for("public.verify_certificate", number=facts.certificate_number))
    if awards.status(facts) == AwardStatus.REVOKED:
        return _json(openbadges.revoked(facts), status=410)
    response = _json(openbadges.assertion(facts))
    answered = conditional.answer(
        lambda: response,
        etag=hashlib.sha256(response.get_data()).hexdigest(),
        cache_control=CERTIFICATE_CACHE,
        vary=["Accept"],
    )
    answered.headers["Access-Control-Allow-Origin"] = "*"  # a 304 too: verifiers in browsers
    return answered
