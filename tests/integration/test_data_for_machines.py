"""A council and a verification, for machines: /councils/<gss_code>.json and
/verify/<certificate_number>.json say what the pages say, with the register's field names and
values, answer conditional requests, and keep what people typed as data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from marks.extensions import db
from marks.models import utcnow
from marks.states import AwardState, CouncilKind, Nation
from tests.helpers.awards import award_to
from tests.hostile import TYPED

TODAY = utcnow().date()


@pytest.fixture
def history(make, edition):
    """A council that renewed (its first award superseded) and whose renewal was revoked; and
    a council whose award expired."""
    old = award_to(
        make,
        edition,
        "Ynys Môn Town Council",
        awarded=TODAY - timedelta(days=800),
        nation=Nation.WALES,
        kind=CouncilKind.COMMUNITY,
    )
    new = award_to(
        make,
        edition,
        "",
        awarded=TODAY - timedelta(days=30),
        council=old.council,
        level=1,
        state=AwardState.REVOKED,
    )
    old.state, old.superseded_by_id = AwardState.SUPERSEDED, new.id
    expired = award_to(make, edition, "Barrow Parish Council", awarded=TODAY - timedelta(days=900))
    db.session.flush()
    return {"old": old, "new": new, "expired": expired}


def register_records(client) -> dict[str, dict]:
    document = json.loads(client.get("/register.json?status=all").data)
    return {record["certificate_number"]: record for record in document["councils"]}


def test_a_council_as_data_says_what_the_register_says(client, history):
    council = history["new"].council
    response = client.get(f"/councils/{council.gss_code}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    record = register_records(client)[history["new"].certificate_number]

    assert document["gss_code"] == council.gss_code
    assert document["name"] == record["council"] == "Ynys Môn Town Council"
    for field in ("short_name", "ons_name", "nation", "kind", "council_url"):
        assert document[field] == record[field], field
    assert document["nation"] == "Wales"
    assert document["kind"] == "Community council"
    assert document["council_url"].endswith(f"/councils/{council.gss_code}")
    assert "Open Government Licence" in document["licence"]

    # Newest first; the latest award's fields are the register's record's, value for value.
    newest, oldest = document["awards"]
    assert [newest["certificate_number"], oldest["certificate_number"]] == [
        history["new"].certificate_number,
        history["old"].certificate_number,
    ]
    assert newest == {name: record[name] for name in newest}
    assert newest["status"] == "revoked"
    assert newest["revocation_reason"] == history["new"].revocation_reason
    assert newest["revoked_on"] == newest["valid_until"] == TODAY.isoformat()
    assert oldest["status"] == "superseded"
    assert oldest["revoked_on"] is None


def test_a_verification_as_data_says_what_the_page_says(client, history):
    for which, status in (("new", "revoked"), ("old", "superseded"), ("expired", "expired")):
        award = history[which]
        response = client.get(f"/verify/{award.certificate_number}.json")
        assert response.status_code == 200, which
        document = response.get_json()
        assert document["certificate_number"] == award.certificate_number
        assert document["status"] == status
        assert document["level"] == award.level.name
        assert document["awarded_on"] == award.awarded_on.isoformat()
        assert document["expires_on"] == award.expires_on.isoformat()
        assert document["council"]["gss_code"] == award.council.gss_code
        assert document["council"]["name"] == award.council.name
        assert document["verification_url"].endswith(f"/verify/{award.certificate_number}")

    revoked = client.get(f"/verify/{history['new'].certificate_number}.json").get_json()
    assert revoked["revocation_reason"] == history["new"].revocation_reason
    assert revoked["revoked_on"] == TODAY.isoformat()
    # The same fields and values as the register's record of the same award.
    record = register_records(client)[history["new"].certificate_number]
    award_fields = {k: v for k, v in revoked.items() if k in record and k != "council"}
    assert award_fields == {name: record[name] for name in award_fields}


def test_the_json_is_not_swallowed_by_the_pages(client, history):
    number = history["expired"].certificate_number
    gss_code = history["expired"].council.gss_code
    assert client.get(f"/councils/{gss_code}").h1 == "Barrow Parish Council"
    assert client.get(f"/verify/{number}").h1 == f"Certificate {number}"
    assert client.get(f"/councils/{gss_code}.json").get_json()["gss_code"] == gss_code
    assert client.get(f"/verify/{number}.json").get_json()["certificate_number"] == number


def test_a_number_typed_the_sloppy_way_redirects_to_the_json(client, history):
    number = history["expired"].certificate_number
    year, sequence = number.split("-")[1:]
    response = client.get(f"/verify/smfm {year} {int(sequence)}.json")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/verify/{number}.json"


@pytest.mark.parametrize(
    "url", ["/verify/SMFM-2026-99999.json", "/verify/not-a-number.json", "/councils/E99999999.json"]
)
def test_unknown_is_a_404_in_json(client, history, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": "Not Found"}


@pytest.mark.parametrize("kind", ["council", "verify"])
def test_the_json_answers_conditional_requests(client, history, kind):
    award = history["new"]
    url = {
        "council": f"/councils/{award.council.gss_code}.json",
        "verify": f"/verify/{award.certificate_number}.json",
    }[kind]
    response = client.get(url)
    etag, last_modified = response.headers["ETag"], response.headers["Last-Modified"]
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("public")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    for headers in ({"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"}):
        again = client.get(url, headers=headers)
        assert again.status_code == 304, headers
        assert again.data == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == cache_control
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304

    # A change the document shows makes another copy.
    award.council.name = "Ynys Môn Community Council"
    db.session.flush()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Ynys Môn Community Council" in changed.get_data(as_text=True)


def test_what_people_typed_stays_data(client, make, edition):
    award = award_to(make, edition, "Hostile Parish Council", awarded=TODAY, kind=CouncilKind.OTHER)
    for hostile in TYPED:
        award.council.name = hostile.text[:200]
        award.state, award.revoked_at = AwardState.REVOKED, utcnow()
        award.revocation_reason = hostile.text
        db.session.flush()
        council = client.get(f"/councils/{award.council.gss_code}.json")
        assert council.headers["X-Content-Type-Options"] == "nosniff"
        document = council.get_json()
        assert document["name"] == hostile.text[:200], hostile.id
        assert document["awards"][0]["revocation_reason"] == hostile.text, hostile.id
        verified = client.get(f"/verify/{award.certificate_number}.json").get_json()
        assert verified["revocation_reason"] == hostile.text, hostile.id
        assert verified["council"]["name"] == hostile.text[:200], hostile.id


def test_the_pages_link_to_their_data(client, history):
    award = history["expired"]
    page = client.get(f"/councils/{award.council.gss_code}")
    assert page.soup.find("a", string="This page as data (JSON)")["href"] == (
        f"/councils/{award.council.gss_code}.json"
    )
    page = client.get(f"/verify/{award.certificate_number}")
    assert page.soup.find("a", string="This page as data (JSON)")["href"] == (
        f"/verify/{award.certificate_number}.json"
    )
