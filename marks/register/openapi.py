"""The OpenAPI 3.1 description of the public data: the register's downloads, a council, a
verification, the Open Badges documents, the badge and certificate, the health check. Served
at /openapi.json and read by /about-the-data/api, so the page and the description are one.
The enums come from the code that accepts them, so the description cannot drift from it."""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Any

from flask import current_app

from marks.awarding import awards, badges
from marks.register import records, search
from marks.states import AwardStatus, CouncilKind, Nation

OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
NUMBER_EXAMPLE = awards.certificate_number(2026, 42)


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


DATE = {"type": "string", "format": "date"}
URL = {"type": "string", "format": "uri"}

# Each field of the open data: its schema, and what it holds (records.py makes them).
FIELDS: dict[str, dict[str, Any]] = {
    "gss_code": {
        "type": "string",
        "description": "The council's ONS GSS code: a stable identifier",
        "examples": ["E06000001"],
    },
    "name": {
        "type": "string",
        "description": "The council's name as people use it: its official name",
        "examples": ["Hull City Council"],
    },
    "short_name": _nullable(
        {"type": "string", "description": "The council's short name, if it has one"}
    ),
    "ons_name": _nullable(
        {"type": "string", "description": "The council's name in the ONS's data, if it has one"}
    ),
    "nation": {"type": "string", "enum": [n.value for n in Nation], "description": "Its nation"},
    "kind": {
        "type": "string",
        "enum": [k.value for k in CouncilKind],
        "description": "The kind of council",
    },
    "council_url": {**URL, "description": "The council's page on the register"},
    "certificate_number": {
        "type": "string",
        "pattern": f"^{awards.PREFIX}-[0-9]{{4}}-[0-9]{{5,}}$",
        "description": "The award's certificate number, unique forever",
        "examples": [NUMBER_EXAMPLE],
    },
    "level": {"type": "string", "description": "The level of the Mark awarded"},
    "edition": {"type": "integer", "description": "The year of the edition of the criteria"},
    "awarded_on": {**DATE, "description": "When the award was made"},
    "expires_on": {**DATE, "description": "When the award's term ends or ended"},
    "status": {
        "type": "string",
        "enum": [s.value for s in AwardStatus],
        "description": "The award's status today (expiring-soon: within "
        f"{awards.EXPIRING_SOON_DAYS} days of expiry; superseded: renewed)",
    },
    "revoked_on": _nullable({**DATE, "description": "When a revoked award was revoked"}),
    "revocation_reason": _nullable(
        {"type": "string", "description": "Why a revoked award was revoked (the public reason)"}
    ),
    "valid_until": {
        **DATE,
        "description": "The day the award stops or stopped being valid: expires_on, or "
        "revoked_on for a revoked award",
    },
    "verification_url": {**URL, "description": "The certificate's verification page"},
}
LICENCE_FIELD = {"type": "string", "description": "The licence of the data"}


def _object(properties: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
    }


def _fields(names) -> dict[str, Any]:
    """The named fields' schemas ("council" in the register's records is the name)."""
    return {name: FIELDS["name" if name == "council" else name] for name in names}


COUNCIL_FIELDS = ("gss_code", "name", "short_name", "ons_name", "nation", "kind", "council_url")
AWARD_FIELDS = tuple(name for name in FIELDS if name not in COUNCIL_FIELDS)

SCHEMAS: dict[str, Any] = {
    "RegisterRecord": _object(
        _fields(records.REGISTER_FIELDS), "A council and its latest award, on the register"
    ),
    "Register": _object(
        {
            "as_at": {"type": "string", "format": "date-time", "description": "When correct"},
            "licence": LICENCE_FIELD,
            "source": {**URL, "description": "The register's page"},
            "count": {"type": "integer", "minimum": 0, "description": "How many councils"},
            "councils": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/RegisterRecord"},
                "description": "Each council that matches, once, with its latest award",
            },
        },
        "The register, or the part of it that matches the filters",
    ),
    "Award": _object(_fields(AWARD_FIELDS), "An award of the Mark"),
    "Council": _object(
        {
            **_fields(COUNCIL_FIELDS),
            "awards": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Award"},
                "description": "Every award the council has held, newest first",
            },
            "licence": LICENCE_FIELD,
        },
        "A council and its award history",
    ),
    "Verification": _object(
        {
            **_fields(AWARD_FIELDS),
            "council": {
                **_object(_fields(COUNCIL_FIELDS), "The council the award was made to"),
            },
            "licence": LICENCE_FIELD,
        },
        "A certificate: the award, its status today, and its council",
    ),
    "Error": _object({"error": {"type": "string"}}, "What went wrong"),
    "Health": _object(
        {
            "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
            "app": {"type": "string", "enum": ["ok"]},
            "database": {"type": "string", "enum": ["ok", "unreachable"]},
            "redis": {"type": "string", "enum": ["ok", "unreachable", "not used"]},
        },
        "Whether the service and what it needs answer",
    ),
    # Open Badges 2.0 (https://www.imsglobal.org/spec/ob/v2p0/): the fields verifiers need.
    "Issuer": {
        "type": "object",
        "description": "The Open Badges issuer profile: the organisation that runs the scheme",
        "properties": {
            "type": {"const": "Issuer"},
            "id": URL,
            "name": {"type": "string"},
            "url": URL,
        },
        "required": ["@context", "type", "id", "name", "url"],
    },
    "BadgeClass": {
        "type": "object",
        "description": "An Open Badges badge class: a level of an edition",
        "properties": {
            "type": {"const": "BadgeClass"},
            "id": URL,
            "name": {"type": "string"},
            "image": URL,
            "issuer": URL,
        },
        "required": ["@context", "type", "id", "name", "description", "image", "criteria"],
    },
    "Assertion": {
        "type": "object",
        "description": "An Open Badges assertion: an award, hosted for verification",
        "properties": {
            "type": {"const": "Assertion"},
            "id": URL,
            "badge": URL,
            "issuedOn": {"type": "string"},
            "expires": {"type": "string"},
        },
        "required": ["@context", "type", "id", "recipient", "badge", "issuedOn", "verification"],
    },
    "RevokedAssertion": {
        "type": "object",
        "description": "A revoked award's assertion (410 Gone)",
        "properties": {"type": {"const": "Assertion"}, "id": URL, "revoked": {"const": True}},
        "required": ["@context", "type", "id", "revoked"],
    },
}


def _header(description: str, **schema: Any) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string", **schema}}


HEADERS = {
    "ETag": _header("The version of this copy, for If-None-Match"),
    "Last-Modified": _header("When it last changed, for If-Modified-Since"),
    "Cache-Control": _header("How long it may be kept, and by whom"),
    "Location": _header("Where it is"),
}
CACHING = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS if name != "Location"}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


def _path(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _filters(default_status: str) -> list[dict[str, Any]]:
    """The register's filters (search.Filters: what it accepts)."""
    return [
        _query("q", "Words in the council's name", {"type": "string", "maxLength": 100}),
        _query("nation", "Councils of this nation", {"type": "string", "enum": list(Nation)}),
        _query("kind", "Councils of this kind", {"type": "string", "enum": list(CouncilKind)}),
        _query(
            "level",
            "Awards of this level, by its code (like accredited)",
            {"type": "string", "pattern": "^[A-Za-z0-9-]*$", "examples": ["accredited"]},
        ),
        _query(
            "status",
            "Awards with this status (current includes those expiring soon; all: any)",
            {"type": "string", "enum": list(search.STATUS_FILTERS), "default": default_status},
        ),
        _query(
            "year", "Awards of this edition", {"type": "integer", "minimum": 2000, "maximum": 2999}
        ),
        _query(
            "sort",
            "The order: by name, newest or oldest award first",
            {"type": "string", "enum": list(search.SORTS), "default": "name"},
        ),
    ]


PAGE = _query(
    "page", "Which page of results", {"type": "integer", "minimum": 1, "maximum": search.MAX_PAGE}
)
CONDITIONAL = [
    {
        "name": "If-None-Match",
        "in": "header",
        "description": "The ETag of the copy you have: 304 if it is this one",
        "schema": {"type": "string"},
    },
    {
        "name": "If-Modified-Since",
        "in": "header",
        "description": "When your copy was made (without If-None-Match): 304 if unchanged since",
        "schema": {"type": "string"},
    },
]
NUMBER = _path(
    "certificate_number", "The certificate number, as printed", FIELDS["certificate_number"]
)


def _content(media_type: str, schema: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {media_type: {"schema": schema}}


def _ok(description: str, media_type: str, schema: dict[str, Any] | str) -> dict[str, Any]:
    return {"description": description, "headers": CACHING, "content": _content(media_type, schema)}


def _said(description: str, media_type: str = "text/html") -> dict[str, Any]:
    """A response that says something to people (or, for .json paths, to machines)."""
    schema = "Error" if media_type == "application/json" else {"type": "string"}
    return {"description": description, "content": _content(media_type, schema)}


NOT_MODIFIED = {
    "description": "Not modified: the copy you have is this one",
    "headers": {name: CACHING[name] for name in ("ETag", "Cache-Control")},
}
MOVED = {
    "description": "The address as printed (a number typed another way)",
    "headers": {"Location": {"$ref": "#/components/headers/Location"}},
}
SEE_PAGE = {
    "description": "A browser asking for a page is sent to the page",
    "headers": {"Location": {"$ref": "#/components/headers/Location"}},
}
BAD_FILTER = "A filter with a value it does not take"
TEXT = {"type": "string"}
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
JSON_LD = "application/ld+json"


def _get(summary: str, description: str, parameters, responses, example: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": responses,
            "x-example": example,  # a URL to try, shown on the readable page
        }
    }


def _badge(extension: str, media_type: str) -> dict[str, Any]:
    return _get(
        f"The badge ({extension.upper()})",
        "The live badge: it always says what the award is today.",
        [
            NUMBER,
            _query("size", "Its size", {"type": "string", "enum": list(badges.SIZES)}),
            _query("artwork", "Its shape", {"type": "string", "enum": list(badges.ARTWORKS)}),
            _query(
                "variant",
                "For light or dark pages",
                {"type": "string", "enum": list(badges.VARIANTS)},
            ),
            _query("download", "Any value: sent as a file to save", {"type": "string"}),
            *CONDITIONAL,
        ],
        {
            "200": _ok("The badge", media_type, BINARY if extension == "png" else TEXT),
            "304": NOT_MODIFIED,
            "400": _said("A size, artwork or variant it does not have"),
            "404": _said("No such certificate"),
        },
        f"/badges/{NUMBER_EXAMPLE}.{extension}?size=small",
    )


PATHS: dict[str, Any] = {
    "/register.json": _get(
        "The register (JSON)",
        "Each council that holds or has held the Mark, once, with its latest award.",
        [*_filters("current"), *CONDITIONAL],
        {
            "200": _ok("The register", "application/json", "Register"),
            "304": NOT_MODIFIED,
            "400": _said(BAD_FILTER, "application/json"),
        },
        "/register.json?status=all&nation=Wales",
    ),
    "/register.csv": _get(
        "The register (CSV)",
        "The register's records as CSV, one line a council, with a header line: the JSON "
        "records' fields but short_name. A cell a spreadsheet could take for a formula starts "
        "with an apostrophe.",
        [*_filters("current"), *CONDITIONAL],
        {
            "200": _ok("The register", "text/csv", TEXT),
            "304": NOT_MODIFIED,
            "400": _said(BAD_FILTER),
        },
        "/register.csv?status=all",
    ),
    "/register.atom": _get(
        "The register's changes (Atom)",
        "An Atom feed of awards, expiries and revocations, newest first.",
        [*_filters("all"), *CONDITIONAL],
        {
            "200": _ok("The feed", "application/atom+xml", TEXT),
            "304": NOT_MODIFIED,
            "400": _said(BAD_FILTER),
        },
        "/register.atom?nation=England",
    ),
    "/register": _get(
        "The register (web page)",
        "The register for people, a page of 25 councils at a time, with the same filters.",
        [*_filters("current"), PAGE, *CONDITIONAL],
        {
            "200": _ok("A page of the register", "text/html", TEXT),
            "304": NOT_MODIFIED,
            "400": _said(BAD_FILTER),
            "404": _said("A page past the last"),
        },
        "/register?kind=District+council&sort=newest",
    ),
    "/councils/{gss_code}.json": _get(
        "A council",
        "A council and every award it has held, newest first (its page, for machines).",
        [_path("gss_code", "The council's GSS code", {"type": "string"}), *CONDITIONAL],
        {
            "200": _ok("The council", "application/json", "Council"),
            "304": NOT_MODIFIED,
            "404": _said("No council has this code", "application/json"),
        },
        "/councils/E06000001.json",
    ),
    "/verify/{certificate_number}.json": _get(
        "A verification",
        "A certificate's award, its status today (a revoked one with the public reason) and "
        "its council (the verification page, for machines).",
        [
            _path("certificate_number", "The certificate number", {"type": "string"}),
            *CONDITIONAL,
        ],
        {
            "200": _ok("The award", "application/json", "Verification"),
            "301": MOVED,
            "304": NOT_MODIFIED,
            "404": _said("No certificate has this number", "application/json"),
        },
        f"/verify/{NUMBER_EXAMPLE}.json",
    ),
    "/certificates/{certificate_number}.pdf": _get(
        "The certificate (PDF)",
        "The certificate as issued: it states only public facts.",
        [NUMBER, *CONDITIONAL],
        {
            "200": _ok("The certificate", "application/pdf", BINARY),
            "304": NOT_MODIFIED,
            "404": _said("No such certificate"),
            "410": _said("The award was revoked: its certificate is gone"),
            "503": _said("The certificate is being made: try again in a few minutes"),
        },
        f"/certificates/{NUMBER_EXAMPLE}.pdf",
    ),
    "/badges/{certificate_number}.svg": _badge("svg", "image/svg+xml"),
    "/badges/{certificate_number}.png": _badge("png", "image/png"),
    "/ob/issuer.json": _get(
        "Open Badges: the issuer",
        "The Open Badges 2.0 issuer profile of the organisation that runs the scheme.",
        [],
        {
            "200": {"description": "The issuer", "content": _content(JSON_LD, "Issuer")},
            "302": SEE_PAGE,
        },
        "/ob/issuer.json",
    ),
    "/ob/badgeclasses/{slug}.json": _get(
        "Open Badges: a badge class",
        "The Open Badges 2.0 badge class of a level of an edition.",
        [
            _path(
                "slug",
                "The edition's code and the level's, like 2026-accredited",
                {"type": "string"},
            )
        ],
        {
            "200": {"description": "The badge class", "content": _content(JSON_LD, "BadgeClass")},
            "302": SEE_PAGE,
            "404": _said("No such level", "application/json"),
        },
        "/ob/badgeclasses/2026-accredited.json",
    ),
    "/ob/assertions/{certificate_number}.json": _get(
        "Open Badges: an assertion",
        "The Open Badges 2.0 assertion of an award, for hosted verification.",
        [NUMBER, *CONDITIONAL],
        {
            "200": {**_ok("The assertion", JSON_LD, "Assertion")},
            "302": SEE_PAGE,
            "304": NOT_MODIFIED,
            "404": _said("No such certificate", "application/json"),
            "410": {
                "description": "The award was revoked",
                "content": _content(JSON_LD, "RevokedAssertion"),
            },
        },
        f"/ob/assertions/{NUMBER_EXAMPLE}.json",
    ),
    "/healthz": _get(
        "The health check",
        "Whether the service and the database answer (for monitoring).",
        [],
        {
            "200": {"description": "It answers", "content": _content("application/json", "Health")},
            "503": {
                "description": "The database does not",
                "content": _content("application/json", "Health"),
            },
        },
        "/healthz",
    ),
    "/openapi.json": _get(
        "This description",
        "This OpenAPI 3.1 description of the public data.",
        [],
        {
            "200": {
                "description": "The description",
                "content": _content("application/json", {"type": "object"}),
            }
        },
        "/openapi.json",
    ),
}


@functools.cache
def _version() -> str:
    return importlib.metadata.version("marks")


def description() -> dict[str, Any]:
    """The description, with this service's address as its server."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Social Media Friendly Mark: the public data",
            "version": _version(),
            "summary": "The register of councils that hold the Mark, and its certificates",
            "description": (
                "Contains public sector information licensed under the Open Government Licence "
                "v3.0. Council codes and names: Office for National Statistics. Contains data "
                "from mySociety's UK Local Authority Names and Codes, licensed under CC BY 4.0 "
                f"({CC_BY}). These URLs never change."
            ),
            "license": {"name": "Open Government Licence v3.0", "url": OGL},
        },
        "servers": [{"url": current_app.config["MARKS_BASE_URL"]}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "headers": HEADERS},
    }
