"""Open Badges 3.0: each award's verifiable credential, the status list that says which have
been revoked, and the issuer's DID document that holds the key they are signed with. Public
URLs of the product (DESIGN.md): they never change."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable

from flask import Response, abort, current_app

from marks.awarding import credentials, data_integrity, did, status_list
from marks.permissions import PUBLIC, access
from marks.public import bp, conditional
from marks.public.awards import CERTIFICATE_CACHE, _facts_or_404
from marks.register import search

VC_LD = "application/vc+ld+json"
# The DID document changes only with the key: kept a day, checked then.
DID_CACHE = "public, max-age=86400"


def _answer(body: Callable[[], str], mimetype: str, etag: str, cache_control: str) -> Response:
    """The document, or a 304; either way readable by verifiers and wallets in browsers."""
    response = conditional.answer(
        lambda: Response(body(), mimetype=mimetype), etag=etag, cache_control=cache_control
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _of(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@bp.get("/ob/credentials/<number>.json")
@access(PUBLIC)
def ob_credential(number: str):
    """The award's signed credential: a revoked award's too (its status list says so)."""
    facts = _facts_or_404(number)
    body = credentials.credential(facts)
    response = _answer(lambda: body, VC_LD, _of(body), CERTIFICATE_CACHE)
    response.headers["Content-Disposition"] = (
        f'inline; filename="{facts.certificate_number}-open-badge.json"'
    )
    return response


@functools.lru_cache(maxsize=8)
def _status_list(number: int, version: str, base: str, method: str) -> str:
    """List `number` as the awards were at `version` (search.version(): any award's change)."""
    return json.dumps(status_list.credential(number), indent=2)


@bp.get("/ob/status/<int:number>.json")
@access(PUBLIC)
def ob_status_list(number: int):
    if not status_list.exists(number):
        abort(404)
    version = search.version().key
    method = did.verification_method()
    key = data_integrity.public_key_multibase(did.signing_key().public_key())
    etag = hashlib.sha256(f"{number}|{version}|{method}|{key}".encode()).hexdigest()
    base = current_app.config["MARKS_BASE_URL"]
    return _answer(
        lambda: _status_list(number, version, base, method), VC_LD, etag, CERTIFICATE_CACHE
    )


@bp.get("/.well-known/did.json")
@access(PUBLIC)
def did_document():
    body = json.dumps(did.document(), indent=2)
    return _answer(lambda: body, "application/did+ld+json", _of(body), DID_CACHE)
