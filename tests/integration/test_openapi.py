"""The OpenAPI 3.1 description of the public data (/openapi.json) and its readable page
(/about-the-data/api): a valid description, its enums those the code accepts, every path on
the page, and the JSON the service sends matching its schemas."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31

from marks.models import utcnow
from marks.register import search
from marks.states import AwardState, AwardStatus, CouncilKind, Nation
from tests.helpers.awards import award_to

TODAY = utcnow().date()


@pytest.fixture
def description(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.data)


def validator(description: dict, name: str) -> jsonschema_rs.Validator:
    """A validator of one of the description's schemas, its references resolved within it."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": description["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def test_the_description_is_openapi_3_1(description, app):
    jsonschema_rs.validator_for(OPENAPI_31).validate(description)
    for name, schema in description["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name  # 2020-12, the dialect 3.1 uses
    assert description["openapi"].startswith("3.1")
    assert description["servers"] == [{"url": app.config["MARKS_BASE_URL"]}]
    assert description["info"]["version"]
    assert description["info"]["license"]["name"] == "Open Government Licence v3.0"
    assert "CC BY 4.0" in description["info"]["description"]


def test_its_enums_are_what_the_code_accepts(description):
    register = {
        p["name"]: p["schema"] for p in description["paths"]["/register.json"]["get"]["parameters"]
    }
    assert register["nation"]["enum"] == [n.value for n in Nation]
    assert register["kind"]["enum"] == [k.value for k in CouncilKind]
    assert register["status"]["enum"] == list(search.STATUS_FILTERS)
    assert register["sort"]["enum"] == list(search.SORTS)
    assert set(register) == {
        "q",
        "nation",
        "kind",
        "level",
        "status",
        "year",
        "sort",
        "If-None-Match",
        "If-Modified-Since",
    }
    page = {p["name"] for p in description["paths"]["/register"]["get"]["parameters"]}
    assert {"q", "nation", "kind", "level", "status", "year", "sort", "page"} <= page
    # Every value it names is one the register takes.
    for nation in Nation:
        assert search.Filters.parse({"nation": nation.value}).nation == nation.value
    status = description["components"]["schemas"]["Award"]["properties"]["status"]
    assert status["enum"] == [s.value for s in AwardStatus]


def test_the_page_shows_every_path(client, description):
    page = client.get("/about-the-data/api")
    assert page.h1 == "The register's data for programs"
    assert description["paths"], "nothing described"
    shown = {code.get_text() for code in page.soup.select("main code")}
    for path, item in description["paths"].items():
        assert f"GET {path}" in shown, path
        example = item["get"]["x-example"]
        assert page.soup.find("a", href=example), example
        for parameter in item["get"]["parameters"]:
            assert parameter["description"] in page.text, (path, parameter["name"])
    # The fields of a council's JSON, each with what it holds.
    for field in ("awards[].revocation_reason", "awards[].valid_until", "short_name"):
        assert page.soup.find("th", string=field), field
    linked = {a["href"] for a in client.get("/about-the-data").soup.select("main a")}
    assert "/about-the-data/api" in linked
    assert "/about-the-data/api" in {
        a["href"] for a in client.get("/open-data").soup.select("main a")
    }


def test_the_json_sent_matches_its_schemas(client, description, make, edition):
    current = award_to(make, edition, "Current Town Council", awarded=TODAY - timedelta(days=10))
    revoked = award_to(
        make, edition, "Revoked Town Council", awarded=TODAY, state=AwardState.REVOKED
    )
    expired = award_to(make, edition, "Expired Town Council", awarded=TODAY - timedelta(days=800))
    validator(description, "Register").validate(
        json.loads(client.get("/register.json?status=all").data)
    )
    for award in (current, revoked, expired):
        council = client.get(f"/councils/{award.council.gss_code}.json").get_json()
        validator(description, "Council").validate(council)
        verified = client.get(f"/verify/{award.certificate_number}.json").get_json()
        validator(description, "Verification").validate(verified)
    validator(description, "Health").validate(client.get("/healthz").get_json())
    validator(description, "Error").validate(client.get("/councils/E99999999.json").get_json())


def test_the_description_answers_conditional_requests(client):
    response = client.get("/openapi.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public")
    again = client.get("/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
