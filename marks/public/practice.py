"""The library of good practice, for anyone: awarded councils' answers that they chose to share
and an administrator published, by theme and criterion, searched and filtered as the register
is, each on a page of its own, an Atom feed per theme, and the evidence files the council
picked. Cached and answered with ETags as the register is (register.cached), following every
example and award, so a withdrawn example or a revoked award is gone at once."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, render_template, request, url_for

from marks import presentation
from marks.admin.records import talisman_options
from marks.applying import evidence
from marks.awarding.badges import NOT_XML
from marks.mail import link
from marks.permissions import PUBLIC, access
from marks.practice import library
from marks.public import conditional
from marks.public.register import cached
from marks.register import search
from marks.states import CouncilKind, Nation

bp = Blueprint("practice", __name__)

# A picked file as a download of its own: no script, no request, not framed; sandboxed, so
# even a file a browser opens cannot act as this site.
FILE_POLICY = {"default-src": "'none'", "frame-ancestors": "'none'", "sandbox": ""}
# Asked again each time (an ETag answers it): a withdrawn example's file is gone at once.
FILE_CACHE = "public, no-cache"
# The same for the pages and feeds: a withdrawn example must not stay in anyone's copy.
LIBRARY_CACHE = "public, max-age=0, must-revalidate"


def _filters() -> library.Filters:
    try:
        return library.Filters.parse(request.args.to_dict())
    except search.BadFilter as error:
        abort(400, description=str(error))


@bp.get("/practice", endpoint="library")
@access(PUBLIC)
def library_page():
    filters = _filters()

    def render():
        found = library.page(filters)
        if filters.page > found.pages:
            abort(404)
        html = render_template(
            "practice/library.html",
            page=found,
            filters=filters,
            themes=library.themes(),
            levels=search.levels(),
            nations=list(Nation),
            kinds=list(CouncilKind),
            pagination=presentation.pagination(
                filters.page,
                found.pages,
                lambda n: url_for("practice.library", **filters.query_string(page=n)),
            ),
        )
        return html, "text/html", found.total

    return cached("practice-html", filters, render, library.version(), LIBRARY_CACHE)


@bp.get("/practice/<int:example_id>")
@access(PUBLIC)
def example(example_id: int):
    def render():
        found = library.example(example_id) or abort(404)
        return render_template("practice/example.html", row=found), "text/html", 1

    # One cache entry per example: the kind says which.
    return cached(
        f"practice-{example_id}-html", library.Filters(), render, library.version(), LIBRARY_CACHE
    )


@bp.get("/practice.atom")
@access(PUBLIC)
def feed():
    # A feed per theme: the other filters choose no feed (and make none).
    filters = library.Filters(theme=_filters().theme)

    def render():
        rows = library.newest(filters)
        xml = render_template(
            "practice/atom.xml",  # .xml: Jinja escapes it
            rows=rows,
            updated=library.version().last_modified,
            feed_url=link("practice.feed", **filters.query_string()),
            page_url=link("practice.library", **filters.query_string()),
            theme=dict(library.themes()).get(filters.theme),
        )
        return NOT_XML.sub("", xml), "application/atom+xml", len(rows)

    response = cached("practice-atom", filters, render, library.version(), LIBRARY_CACHE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/practice/<int:example_id>/files/<int:file_id>")
@access(PUBLIC)
@talisman_options(content_security_policy=FILE_POLICY, content_security_policy_nonce_in=[])
def evidence_file(example_id: int, file_id: int):
    file = library.picked_file(example_id, file_id) or abort(404)
    etag = hashlib.sha256(f"practice-file|{file.id}|{file.sha256}".encode()).hexdigest()[:32]

    def body() -> Response:
        return Response(
            file.content,
            mimetype=file.content_type,
            headers={"Content-Disposition": evidence.content_disposition(file.filename)},
        )

    response = conditional.answer(body, etag=etag, cache_control=FILE_CACHE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
