"""The public register of councils that hold or have held the Mark, as web pages and as open
data (CSV, JSON, Atom), with the same filters. Every response carries an ETag and a
Last-Modified that follow the awards, and rendered pages are kept in a shared cache until
any award changes (or the day turns: statuses follow the date)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from marks import presentation
from marks.awarding import kit
from marks.awarding.badges import NOT_XML
from marks.extensions import cache
from marks.mail import link
from marks.operations import outages
from marks.permissions import PUBLIC, access
from marks.practice import library
from marks.public import conditional
from marks.register import records, search
from marks.reporting.exports import FORMULA_STARTS, safe_cell
from marks.states import CouncilKind, Nation

bp = Blueprint("register", __name__)

LICENCE = (
    "Contains public sector information licensed under the Open Government Licence v3.0: "
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
)
# The CSV's columns: the JSON records' fields but the short name (columns are never renamed
# or moved: new ones are added at the end).
CSV_COLUMNS = tuple(name for name in records.REGISTER_FIELDS if name != "short_name")
# The register and its open data are the same for everyone not signed in: kept 5 minutes.
REGISTER_CACHE = "public, max-age=300"


def _filters(**defaults: str) -> search.Filters:
    try:
        return search.Filters.parse({**defaults, **request.args.to_dict()})
    except search.BadFilter as error:
        abort(400, description=str(error))


def cached(
    kind: str,
    filters,
    render,
    version: search.Version | None = None,
    cache_control: str = REGISTER_CACHE,
) -> Response:
    """Answer from the HTTP cache (304), the shared cache, or by rendering, in that order.
    A page for someone signed in shows them in its menu: rendered for them alone, kept by
    no one.

    `render` gives the body, its type and how many councils it lists. It is kept under the
    filters as parsed (search.Filters: unknown parameters left out, values normalised), and
    only if it lists any and is not a search by name: so that however many query strings
    anyone makes up, the cache holds at most one entry for each page of the register there
    is (made-up values find nothing). Without Redis, rendered afresh.

    `filters` is the page's (search.Filters, or another with a cache_key() and a q), `version`
    what it follows (the register's by default: search.version()); `kind` names the page, so
    that each kind is kept apart; `cache_control` how long others may keep it unasked."""
    if kind.endswith("html") and current_user.is_authenticated:
        body, mimetype, _ = render()
        return Response(body, mimetype=mimetype)  # kept by no cache (permissions.keep_private)
    version = version or search.version()
    # Keyed with the secret key too: a page keeps the CSP nonce it was rendered with (every
    # response made from it, a 304 too, must send that nonce), derived from the secret key,
    # so a page rendered before the key changed is never sent with the new key's nonce.
    secret = current_app.secret_key
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    what = f"{kind}|{version.key}|{filters.cache_key()}"
    key = hmac.new(secret, what.encode(), hashlib.sha256).hexdigest()
    etag = key[:32]
    request.csp_nonce = hmac.new(secret, f"nonce|{key}".encode(), hashlib.sha256).hexdigest()[:32]

    def rendered() -> Response:
        body, mimetype = _cache_get(key) or (None, None)
        if body is None:
            body, mimetype, found = render()
            if found and not filters.q:
                _cache_set(key, (body, mimetype))
        return Response(body, mimetype=mimetype)

    return conditional.answer(
        rendered,
        etag=etag,
        last_modified=version.last_modified,
        cache_control=cache_control,
        # A signed-in visitor's page is another (see above); the open data is everyone's.
        vary=["Cookie"] if kind.endswith("html") else [],
    )


def _cache_outage() -> outages.Outage:
    return outages.of("The register's cache (Redis)", "rendering the register without it")


def _cache_get(key: str) -> Any:
    outage = _cache_outage()
    if outage.going_without:
        return None
    try:
        found = cache.get(key)
    except outages.CACHE_ERRORS as error:
        outage.failed(error)
        return None
    outage.answered()
    return found


def _cache_set(key: str, value: Any) -> None:
    outage = _cache_outage()
    if outage.going_without:
        return
    try:
        cache.set(key, value)
    except outages.CACHE_ERRORS as error:
        outage.failed(error)


@bp.get("/register")
@access(PUBLIC)
def register():
    filters = _filters()

    def render():
        found = search.page(filters)
        if filters.page > found.pages:
            abort(404)
        # The figures are the same on every page: worked out once per version of the awards.
        summary_key = f"summary|{search.version().key}"
        summary = _cache_get(summary_key)
        if summary is None:
            summary = search.summary()
            _cache_set(summary_key, summary)
        html = render_template(
            "register/register.html",
            page=found,
            filters=filters,
            summary=summary,
            levels=search.levels(),
            years=search.award_years(),
            nations=list(Nation),
            kinds=list(CouncilKind),
            statuses=search.STATUS_FILTERS,
            pagination=presentation.pagination(
                filters.page,
                found.pages,
                lambda n: url_for("register.register", **filters.query_string(page=n)),
            ),
        )
        return html, "text/html", found.total

    return cached("html", filters, render)


def _record(row: search.Row) -> dict:
    return records.register_record(row.council, row.award, row.level, row.status)


def _csv_lines(batches: Iterable[Sequence[sa.Row]]) -> Iterator[str]:
    """The CSV of the records, a batch to a chunk: the same lines, byte for byte, as
    csv_line makes of each _record (tests/integration/test_register_csv.py), made cheaply
    enough for every council in the country in well under a second."""
    verification_url = _links("public.verify_certificate", "number")
    council_url = _links("register.council", "gss_code")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for batch in batches:
        for (
            gss_code,
            name,
            nation,
            kind,
            number,
            level,
            year,
            awarded_on,
            expires_on,
            revoked_at,
            reason,
            ons_name,
            status,
        ) in batch:
            revoked_on = revoked_at.date().isoformat() if revoked_at else None
            expires_on = expires_on.isoformat()
            # safe_cell for what people type: the dates, states, URLs and years cannot start
            # with a formula.
            writer.writerow(
                (
                    safe_cell(gss_code),
                    safe_cell(name),
                    nation,
                    kind,
                    safe_cell(number),
                    safe_cell(level),
                    year,
                    awarded_on.isoformat(),
                    expires_on,
                    status,
                    revoked_on,
                    safe_cell(reason),
                    verification_url(number),
                    council_url(gss_code),
                    revoked_on or expires_on,
                    safe_cell(ons_name),
                )
            )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():  # the header, when nothing matches (never an empty chunk)
        yield out.getvalue()


# What a URL's path may carry as it is: certificate numbers and GSS codes are made of these.
UNQUOTED = re.compile(r"[A-Za-z0-9-]+")


def _links(endpoint: str, name: str) -> Callable[[str], str]:
    """link(endpoint, name=value) for many values: the link is built once, and each value
    that needs no quoting put in its place; any other built as link() builds it."""
    around = link(endpoint, **{name: "PLACE"}).split("PLACE")
    if len(around) != 2:  # the base URL says PLACE: build each
        return lambda value: link(endpoint, **{name: value})
    before, after = around
    unquoted = UNQUOTED.fullmatch

    def built(value: str) -> str:
        return before + value + after if unquoted(value) else link(endpoint, **{name: value})

    return built


def _open_data_headers(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def json_answer(
    document: dict, filename: str, *, cache_control: str, last_modified: datetime | None = None
) -> Response:
    """A JSON document of the open data, answered conditionally under the ETag of its bytes."""
    body = json.dumps(document, indent=1, ensure_ascii=False)
    response = conditional.answer(
        lambda: Response(body, mimetype="application/json"),
        etag=hashlib.sha256(body.encode()).hexdigest()[:32],
        last_modified=last_modified,
        cache_control=cache_control,
    )
    return _open_data_headers(response, filename)


@bp.get("/register.csv")
@access(PUBLIC)
def register_csv():
    filters = _filters()
    version = search.version()
    etag = hashlib.sha256(f"csv|{version.key}|{filters.cache_key()}".encode()).hexdigest()[:32]

    def streamed() -> Response:
        def lines() -> Iterator[str]:
            yield from _csv_lines(search.every_record(filters))

        return Response(stream_with_context(lines()), mimetype="text/csv")

    response = conditional.answer(
        streamed,
        etag=etag,
        last_modified=version.last_modified,
        cache_control=REGISTER_CACHE,  # open data, the same for everyone
    )
    return _open_data_headers(response, "register.csv")


@bp.get("/register.json")
@access(PUBLIC)
def register_json():
    filters = _filters()

    def render():
        records = [_record(row) for row in search.every_row(filters)]
        document = {
            "as_at": search.version().last_modified.isoformat(),
            "licence": LICENCE,
            "source": link("register.register"),
            "count": len(records),
            "councils": records,
        }
        return json.dumps(document, indent=1, ensure_ascii=False), "application/json", len(records)

    return _open_data_headers(cached("json", filters, render), "register.json")


@bp.get("/register.atom")
@access(PUBLIC)
def register_atom():
    filters = _filters(status="all")  # the feed tells of every change, not only current awards

    def render():
        events = []
        for row in search.every_row(filters):
            award = row.award
            events.append((award.created_at, "awarded", row))
            if award.revoked_at is not None:
                events.append((award.revoked_at, "revoked", row))
            elif row.status.value == "expired":
                events.append((_midnight(award.expires_on), "expired", row))
        events.sort(key=lambda event: event[0], reverse=True)
        xml = render_template(
            "register/atom.xml",  # .xml: Jinja escapes it
            events=events[:100],
            updated=search.version().last_modified,
            licence=LICENCE,
            # Each filter's feed is a feed of its own, with its own id (its address).
            feed_url=link("register.register_atom", **_feed_query(filters)),
            # The register's page of the same councils (the page's default status is current).
            page_url=link("register.register", **filters.query_string(sort="name", page=1)),
        )
        return NOT_XML.sub("", xml), "application/atom+xml", len(events)

    return _open_data_headers(cached("atom", filters, render), "register.atom")


def _feed_query(filters: search.Filters) -> dict[str, object]:
    """The filters that choose a feed's entries, as parsed, as URL parameters: the order and
    the page choose none, and the feed's own default status (all) is left out, so that the
    unfiltered feed keeps the address, and the id, it has always had."""
    query = filters.query_string(sort="name", page=1)
    query.pop("status", None)
    if filters.status != "all":
        query["status"] = filters.status
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@bp.get("/councils/<gss_code>")
@access(PUBLIC)
def council(gss_code: str):
    found, history = search.council(gss_code) or abort(404)
    shared = search.shared(history)
    url = link("register.council", gss_code=found.gss_code)
    card = kit.link_card(shared.award.certificate_number, shared.status, url) if shared else None
    return render_template(
        "register/council.html",
        council=found,
        history=history,
        link_card=card,
        examples=library.of_council(found.id),
    )


@bp.get("/councils/<gss_code>.json")
@access(PUBLIC)
def council_json(gss_code: str):
    """A council and every award it has held, newest first, for machines."""
    found, history = search.council(gss_code) or abort(404)
    document = {
        **records.council_fields(found),
        "awards": [
            records.award_fields(held.award, held.award.level, held.status) for held in history
        ],
        "licence": LICENCE,
    }
    changed = records.last_changed(found.updated_at, *(held.award.updated_at for held in history))
    return json_answer(
        document, f"{found.gss_code}.json", last_modified=changed, cache_control=REGISTER_CACHE
    )


@bp.get("/open-data")
@access(PUBLIC)
def open_data():
    return render_template(
        "register/open_data.html",
        columns=CSV_COLUMNS,
        formula=FORMULA_STARTS,
        base=current_app.config["MARKS_BASE_URL"],
    )
