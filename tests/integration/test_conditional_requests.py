"""Conditional requests on every public download and page with an ETag or a Last-Modified
(RFC 9110 section 13): If-None-Match compared weakly, If-Modified-Since honoured when there is
no If-None-Match, and a 304 that carries the same caching headers as its 200, with no body.
Then the Atom feed's own id and self link for each filter."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import pytest
from defusedxml import ElementTree
from werkzeug.http import http_date, parse_date

from marks.awarding import awards
from marks.public import awards as award_views
from marks.public import register as register_views
from marks.register import search
from tests.pages import PageClient

JSON_LD = {"Accept": "application/ld+json"}
DATED = ["/register", "/register.csv", "/register.json", "/register.atom"]
ATOM = {"a": "http://www.w3.org/2005/Atom"}
BASE = "http://marks.test"


@pytest.fixture
def award(make):
    make.demo_edition()
    return make.award(admin=make.administrator())


def urls(award) -> list[tuple[str, dict[str, str]]]:
    number = award.certificate_number
    return [(url, {}) for url in DATED] + [
        (f"/certificates/{number}.pdf", {}),
        (f"/badges/{number}.svg", {}),
        (f"/badges/{number}.png?size=small", {}),
        (f"/ob/assertions/{number}.json", JSON_LD),
    ]


def get(client: PageClient, url: str, headers: dict[str, str], **more: str):
    response = client.request("GET", url, headers={**headers, **more})
    response.get_data()  # read to the end: a streamed CSV holds the database till then
    return response


def caching_headers(response) -> dict[str, object]:
    """The headers a 304 must repeat from its 200 (RFC 9110 15.4.5). Not Last-Modified: with
    an ETag a 304 need not send it, and Werkzeug leaves it out, with the body's own headers."""
    vary = {v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()}
    return {
        # Who may read it from another site: a verifier in a browser reads the 304 too.
        "Access-Control-Allow-Origin": response.headers.get("Access-Control-Allow-Origin"),
        "Cache-Control": response.headers.get("Cache-Control"),
        "ETag": response.headers.get("ETag"),
        "Vary": vary,
    }


def test_if_none_match_is_compared_weakly(client, award):
    for url, headers in urls(award):
        first = get(client, url, headers)
        assert first.status_code == 200, url
        etag = first.headers["ETag"]
        assert etag.startswith('"'), url
        for sent in (etag, f"W/{etag}", f'"another", W/{etag}', "*"):
            again = get(client, url, headers, **{"If-None-Match": sent})
            assert (url, sent, again.status_code) == (url, sent, 304)
            assert again.data == b"", url
        other = get(client, url, headers, **{"If-None-Match": 'W/"another"'})
        assert other.status_code == 200, url
        assert other.data == first.data, url


def test_a_304_carries_the_headers_of_its_200(client, award):
    for url, headers in urls(award):
        first = get(client, url, headers)
        assert first.headers.get("Cache-Control"), url  # every public response says
        if url != "/register":  # the same for everyone, signed in or not
            assert "Cookie" not in caching_headers(first)["Vary"], url
        again = get(client, url, headers, **{"If-None-Match": f"W/{first.headers['ETag']}"})
        assert again.status_code == 304, url
        assert caching_headers(again) == caching_headers(first), url
        assert again.data == b"", url


def test_a_304_is_answered_before_anything_is_made(client, award, monkeypatch):
    checked = urls(award)[:5]  # the register, its open data and the certificate
    etags = {url: get(client, url, headers).headers["ETag"] for url, headers in checked}

    def never(*args, **kwargs):
        raise AssertionError("made for a visitor who has it")

    for module, name in (
        (search, "page"),
        (search, "every_row"),
        (search, "summary"),
        (register_views, "_cache_get"),
        (award_views, "_stored_pdf"),
    ):
        monkeypatch.setattr(module, name, never)
    for url, headers in checked:
        again = get(client, url, headers, **{"If-None-Match": f"W/{etags[url]}"})
        assert again.status_code == 304, url


def test_if_modified_since_is_honoured_without_if_none_match(client, award):
    for url in DATED:
        first = get(client, url, {})
        modified = parse_date(first.headers["Last-Modified"])
        for since, status in (
            (modified, 304),
            (modified + timedelta(hours=1), 304),
            (modified - timedelta(seconds=1), 200),
        ):
            again = get(client, url, {}, **{"If-Modified-Since": http_date(since)})
            assert (url, since, again.status_code) == (url, since, status)
        if_modified = {"If-Modified-Since": first.headers["Last-Modified"]}
        # An If-None-Match that does not match wins over a date that does (RFC 9110 13.2.2).
        again = get(client, url, {}, **if_modified, **{"If-None-Match": '"another"'})
        assert again.status_code == 200, url
        again = get(client, url, {}, **if_modified)
        assert caching_headers(again) == caching_headers(first), url


def test_a_changed_award_is_sent_again(client, award, make):
    etags = {url: get(client, url, headers).headers["ETag"] for url, headers in urls(award)}
    awards.revoke(award, "Changed", actor=make.administrator())
    for url, headers in urls(award):
        again = get(client, url, headers, **{"If-None-Match": f"W/{etags[url]}"})
        assert again.status_code != 304, url


def feed(client: PageClient, query: str = "") -> tuple[str, str]:
    atom = ElementTree.fromstring(client.request("GET", f"/register.atom{query}").data)
    self_link = next(e for e in atom.findall("a:link", ATOM) if e.get("rel") == "self")
    return atom.findtext("a:id", namespaces=ATOM), self_link.get("href")


def test_each_filtered_feed_has_its_own_id_and_self_link(client, award):
    unfiltered = feed(client)
    assert unfiltered == (f"{BASE}/register.atom", f"{BASE}/register.atom")  # as ever
    assert feed(client, "?status=all&utm_source=x") == unfiltered  # the feed's own default
    england = feed(client, "?nation=England")
    assert england[1] == f"{BASE}/register.atom?nation=England"
    assert england[0] not in (unfiltered[0], feed(client, "?nation=Wales")[0])
    assert feed(client, "?nation=+england+&utm_source=x") == england  # as parsed
    current = feed(client, "?status=current&kind=town+or+parish+council")
    assert current[1].startswith(f"{BASE}/register.atom?")
    assert "status=current" in current[1]
    assert len({unfiltered, england, current}) == 3


def test_a_certificate_made_again_meanwhile_is_sent_under_its_own_etag(client, award, monkeypatch):
    """The facts name the certificate's hash as the request starts; if the mail worker makes
    it again before its bytes are read, the bytes sent are the new ones, and so is the ETag
    (never new bytes under the old tag, which a cache would keep)."""
    read_before = awards.facts

    def facts_read_before_it_was_made_again(number):
        return dataclasses.replace(read_before(number), certificate_sha256="0" * 64)

    monkeypatch.setattr(awards, "facts", facts_read_before_it_was_made_again)
    response = client.get(f"/certificates/{award.certificate_number}.pdf")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{hashlib.sha256(response.data).hexdigest()}"'
