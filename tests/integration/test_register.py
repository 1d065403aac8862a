"""The public register and its open data: search and filters against known data, statuses at
their boundaries, the query count, the caches, CSV/JSON/Atom matching the HTML, every feed
strict Atom as feedparser reads it, and reminders sent once."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import feedparser
import pytest
import redis
import sqlalchemy as sa
from defusedxml import ElementTree

from marks.awarding import awards, reminders
from marks.extensions import db
from marks.models import Email, utcnow
from marks.presentation import govuk_date
from marks.register import search
from marks.states import AwardState, CouncilKind, Nation
from tests.conftest import RATELIMIT_KEY_PREFIX, app_config, app_with, redis_at
from tests.helpers.awards import award_to
from tests.hostile import EVERY
from tests.pages import PageClient

TODAY = utcnow().date()


@pytest.fixture
def register(make, edition):
    """Five councils: current, expiring soon, expired, revoked; one never awarded."""
    made = {
        "current": award_to(
            make,
            edition,
            "Ynys Môn Town Council",
            awarded=TODAY - timedelta(days=100),
            nation=Nation.WALES,
            kind=CouncilKind.COMMUNITY,
            level=1,
        ),
        "expiring": award_to(
            make, edition, "Ashby Parish Council", awarded=TODAY - timedelta(days=700)
        ),
        "expired": award_to(
            make, edition, "Barrow Parish Council", awarded=TODAY - timedelta(days=900)
        ),
        "revoked": award_to(
            make,
            edition,
            "Caerleon Town Council",
            awarded=TODAY - timedelta(days=50),
            state=AwardState.REVOKED,
        ),
    }
    make.council(name="Never Applied Parish Council")
    return made


def names(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.soup.select("tbody tr td:first-child a")]


def test_the_default_view_is_current_councils_with_figures(client, register):
    page = client.get("/register")
    assert page.h1 == "The register of the Social Media Friendly Mark"
    assert names(page) == ["Ashby Parish Council", "Ynys Môn Town Council"]
    assert "2 councils" in page.text
    assert "Expiring soon" in page.text
    assert "Now: 1 Accredited, 1 Accredited with distinction." in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "status=all",
            [
                "Ashby Parish Council",
                "Barrow Parish Council",
                "Caerleon Town Council",
                "Ynys Môn Town Council",
            ],
        ),
        ("status=expired", ["Barrow Parish Council"]),
        ("status=revoked", ["Caerleon Town Council"]),
        ("status=expiring-soon", ["Ashby Parish Council"]),
        ("q=YNYS+mon", ["Ynys Môn Town Council"]),  # case and accents aside
        ("q=môn+town", ["Ynys Môn Town Council"]),  # every word, anywhere
        ("q=parish&status=all", ["Ashby Parish Council", "Barrow Parish Council"]),
        ("nation=Wales", ["Ynys Môn Town Council"]),
        ("kind=Community+council", ["Ynys Môn Town Council"]),
        ("level=distinction", ["Ynys Môn Town Council"]),
        (
            "year=2026&status=all&sort=newest",
            [
                "Caerleon Town Council",
                "Ynys Môn Town Council",
                "Ashby Parish Council",
                "Barrow Parish Council",
            ],
        ),
        ("year=2025", []),
        ("q=never", []),
    ],
)
def test_search_and_filters(client, register, query, expected):
    page = client.get(f"/register?{query}")
    assert page.status == 200
    assert names(page) == expected


def test_an_empty_result_explains_why(client, register):
    page = client.get("/register?q=never")
    assert "0 councils" in page.text
    assert "never have applied for the Mark" in page.text
    assert page.soup.find("a", href="/verify")


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        "page=1000000000",
        "status=bogus",
        "sort=x",
        "year=abc",
        "nation=Mars",
        "kind=Castle",
    ],
)
def test_bad_query_parameters_are_a_clear_400(client, register, query):
    page = client.get(f"/register?{query}")
    assert page.status == 400
    assert page.h1 == "Sorry, there is a problem with your request"


def test_a_page_past_the_end_is_a_404(client, register):
    assert client.get("/register?page=2").status == 404


def test_status_boundaries_around_expiry(make, edition):
    award = award_to(make, edition, "Boundary Parish Council", awarded=date(2024, 3, 1))
    expiry = award.expires_on
    assert expiry == date(2026, 3, 1)
    assert awards.status(award, expiry - timedelta(days=91)) == "current"
    assert awards.status(award, expiry - timedelta(days=90)) == "expiring-soon"
    assert awards.status(award, expiry - timedelta(days=1)) == "expiring-soon"
    assert awards.status(award, expiry) == "expired"
    assert awards.status(award, expiry + timedelta(days=1)) == "expired"

    def register_status(on: date) -> str:
        [row] = search.page(search.Filters(status="all"), on).rows
        return row.status

    assert register_status(expiry - timedelta(days=91)) == "current"
    assert register_status(expiry - timedelta(days=90)) == "expiring-soon"
    assert register_status(expiry - timedelta(days=1)) == "expiring-soon"
    assert register_status(expiry) == "expired"


def test_a_renewal_supersedes_and_the_register_shows_the_new_award(client, make, edition):
    old = award_to(make, edition, "Renewing Parish Council", awarded=TODAY - timedelta(days=600))
    new = award_to(make, edition, "", awarded=TODAY - timedelta(days=5), council=old.council)
    old.state, old.superseded_by_id = AwardState.SUPERSEDED, new.id
    db.session.flush()
    page = client.get("/register?q=renewing")
    [row] = page.soup.select("tbody tr")
    assert new.awarded_on.strftime("%Y") in row.get_text()
    council = client.get(f"/councils/{old.council.gss_code}")
    assert "Superseded" in council.text and "Current" in council.text


def test_the_register_asks_the_database_a_fixed_number_of_times(
    app, client, register, make, edition
):
    for i in range(30):
        award_to(make, edition, f"Extra {i} Parish Council", awarded=TODAY - timedelta(days=10))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/register?status=all").status == 200
        first = len(statements)
        statements.clear()
        assert client.get("/register?status=all&page=2").status == 200
        second = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # The same few queries whatever the number of rows (31 councils here: no N+1).
    assert first <= 10 and second <= 10, (first, second)


def test_etag_last_modified_and_the_shared_cache(client, register, make):
    first = client.get("/register")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert client.get("/register", headers={"If-None-Match": etag}).status_code == 304
    # Any award change makes the register new.
    awards.revoke(register["current"], "Changed", actor=make.administrator())
    after = client.get("/register", headers={"If-None-Match": etag})
    assert after.status == 200
    assert after.headers["ETag"] != etag
    assert "Ynys Môn" not in " ".join(names(after))


def test_csv_json_and_atom_match_the_html(client, register):
    html = names(client.get("/register?status=all"))
    response = client.get("/register.csv?status=all")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["council"] for r in rows] == html
    revoked = next(r for r in rows if r["status"] == "revoked")
    assert revoked["revocation_reason"] == "'=cmd|' /C calc'!A0"  # never a formula
    assert {r["gss_code"] for r in rows} == {a.council.gss_code for a in register.values()}

    document = json.loads(client.get("/register.json?status=all").data)
    assert [c["council"] for c in document["councils"]] == html
    assert document["count"] == 4
    assert "Open Government Licence" in document["licence"]
    assert document["as_at"]
    expected = {a.certificate_number for a in register.values()}
    assert {c["certificate_number"] for c in document["councils"]} == expected

    atom = ElementTree.fromstring(client.get("/register.atom").data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in atom.findall("a:entry", ns)]
    assert "Caerleon Town Council: Mark revoked" in titles
    assert "Barrow Parish Council: Mark expired" in titles
    assert "Ynys Môn Town Council: awarded Accredited with distinction" in titles
    assert atom.findtext("a:updated", namespaces=ns)


BASE = "http://marks.test"


def strict_feed(client, path: str):
    """The feed at `path` as feedparser reads it, held to Atom 1.0 with nothing it had to
    forgive: each entry with an id, title, updated and link."""
    feed = feedparser.parse(client.get(path).data)
    assert feed.bozo == 0, f"{path}: {feed.get('bozo_exception')}"
    assert feed.version == "atom10", path
    for entry in feed.entries:
        assert entry.id and entry.title and entry.updated_parsed and entry.link, (path, entry)
    return feed


def self_link(feed) -> str:
    (href,) = [link.href for link in feed.feed.links if link.rel == "self"]
    return href


@pytest.mark.parametrize(
    ("query", "entries"),
    [
        ("", 6),  # every award: awarded, then revoked or expired
        ("?nation=Wales", 1),
        ("?nation=England", 5),
        ("?kind=Town+or+parish+council", 5),
        ("?kind=Community+council", 1),
        ("?level=distinction", 1),
        ("?status=current", 2),
        ("?status=expired", 2),
        ("?status=revoked", 2),
        ("?q=Barrow", 2),
        ("?q=Ynys&nation=Wales&kind=Community+council&level=distinction&status=current", 1),
    ],
)
def test_each_feed_is_strict_atom_whose_id_and_self_link_are_its_url(
    client, register, query, entries
):
    feed = strict_feed(client, f"/register.atom{query}")
    assert feed.feed.id == self_link(feed) == f"{BASE}/register.atom{query}"
    assert len(feed.entries) == entries
    # Its web page is the register of the same councils, in every status unless one is chosen.
    page = urlsplit(feed.feed.link)
    expected = parse_qs(query[1:])
    expected.setdefault("status", ["all"])
    if expected["status"] == ["current"]:  # the page's default
        del expected["status"]
    assert (page.path, parse_qs(page.query)) == ("/register", expected)
    assert all(entry.link.startswith(f"{BASE}/verify/") for entry in feed.entries)


@pytest.mark.parametrize("text", EVERY)
def test_a_feed_searched_for_hostile_text_is_strict_atom(client, register, text):
    feed = strict_feed(client, "/register.atom?" + urlencode({"q": text}))
    address = urlsplit(self_link(feed))
    assert feed.feed.id == self_link(feed)
    assert address.path == "/register.atom"
    assert parse_qs(address.query) == {"q": [" ".join(text.split())]}  # as searched for
    assert strict_feed(client, self_link(feed)[len(BASE) :]).feed.id == feed.feed.id


def test_the_open_data_page_documents_the_fields(client):
    page = client.get("/open-data")
    assert page.h1 == "Open data"
    for field in ("gss_code", "certificate_number", "status", "revocation_reason"):
        assert field in page.text


def test_reminders_go_once_each_at_90_30_and_0_days(make, edition):
    award = award_to(make, edition, "Reminded Parish Council", awarded=date(2024, 6, 1))
    expiry = award.expires_on
    lead = award.application.started_by

    def sent() -> list[str]:
        return list(
            db.session.scalars(
                sa.select(Email.subject).where(Email.to_address == lead.email).order_by(Email.id)
            )
        )

    assert reminders.send(expiry - timedelta(days=91)) == 0
    assert reminders.send(expiry - timedelta(days=90)) == 1
    assert reminders.send(expiry - timedelta(days=89)) == 0  # once only
    assert reminders.send(expiry - timedelta(days=30)) == 1
    assert reminders.send(expiry) == 1
    assert reminders.send(expiry) == 0
    assert sent() == [
        "Reminded Parish Council's Social Media Friendly Mark expires in 90 days",
        "Reminded Parish Council's Social Media Friendly Mark expires in 30 days",
        "Reminded Parish Council's Social Media Friendly Mark has expired",
    ]


def test_send_reminders_command(runner, make, edition):
    award_to(make, edition, "Command Parish Council", awarded=TODAY - timedelta(days=700))
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0 and "1 reminders queued" in first.output
    again = runner.invoke(args=["send-reminders"])
    assert "0 reminders queued" in again.output


def test_a_cached_page_is_sent_with_the_nonce_it_was_made_with(client, register):
    """Otherwise the browser blocks the page's one inline script."""
    for _ in range(2):  # rendered, then from the cache
        page = client.get("/register")
        header = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        inline = [s for s in page.soup.find_all("script") if not s.get("src")]
        assert inline and all(s["nonce"] == header for s in inline)


def test_each_visitor_sees_their_own_menu_whoever_came_first(app, client, register, make):
    """The shared cache keeps the page anonymous visitors see; a signed-in visitor's page
    shows them in its menu, so it is theirs alone and kept by no cache."""
    admin = make.administrator(email="register.admin@scheme.org")
    signed_in = PageClient(app)
    signed_in.sign_in(admin.email)
    mine = signed_in.get("/register")
    assert "Sign out" in mine.text
    assert "private" in mine.headers["Cache-Control"]
    assert "public" not in mine.headers["Cache-Control"]

    anonymous = client.get("/register")
    assert "Sign out" not in anonymous.text and "Sign in" in anonymous.text
    assert "public" in anonymous.headers["Cache-Control"]
    assert "Cookie" in anonymous.headers["Vary"]
    assert "Sign out" in signed_in.get("/register").text  # after the shared copy was made


@pytest.fixture
def redis_cached(app, database_url) -> Iterator[tuple[PageClient, Callable[[], int]]]:
    """The register cached in Redis, as deployed, under a prefix of this test's own; and how
    many entries it holds."""
    prefix = f"{RATELIMIT_KEY_PREFIX}-register-"
    config = app_config(database_url, **redis_at(6379, 15, 15), CACHE_KEY_PREFIX=prefix)
    store = redis.Redis(db=15)
    with app_with(app, config) as cached:
        try:
            yield PageClient(cached), lambda: len(store.keys(prefix + "*"))
        finally:
            if keys := store.keys(prefix + "*"):
                store.delete(*keys)


def test_unknown_parameters_make_no_new_cache_entries(redis_cached, register):
    """Each distinct query string was kept for a day: anyone could fill Redis."""
    client, entries = redis_cached
    first = client.get("/register")
    made = entries()
    assert made >= 1
    for n in range(50):
        page = client.get(f"/register?{secrets.token_hex(4)}={secrets.token_hex(8)}&n={n}")
        assert page.status == 200
        assert page.headers["ETag"] == first.headers["ETag"]
    assert entries() == made


def test_the_same_filters_in_another_order_or_case_are_one_entry(redis_cached, register):
    client, entries = redis_cached
    first = client.get("/register?status=all&nation=Wales&sort=newest")
    assert names(first) == ["Ynys Môn Town Council"]
    made = entries()
    for query in (
        "sort=newest&nation=Wales&status=all",
        "nation=wales&status=ALL&sort=Newest",
        "status=all&nation=WALES&sort=newest&page=1&q=",
        "status=all&nation=Wales&sort=newest&utm_source=newsletter",
    ):
        page = client.get(f"/register?{query}")
        assert names(page) == ["Ynys Môn Town Council"], query
        assert page.headers["ETag"] == first.headers["ETag"], query
    assert entries() == made
    # Other filters are another entry.
    assert names(client.get("/register?status=all&nation=England&sort=name"))
    assert entries() == made + 1


def cells_of(page, council: str) -> dict[str, str]:
    """The register's row of a council, by its column headers, as the cells read."""
    headers = [th.get_text(strip=True) for th in page.soup.select("thead th")]
    for row in page.soup.select("tbody tr"):
        cells = [" ".join(td.get_text(" ").split()) for td in row.select("td")]
        if cells[0].startswith(council):
            return dict(zip(headers, cells, strict=True))
    raise AssertionError(f"no row for {council}")


def test_a_revoked_or_expired_award_says_when_it_ended_not_valid_until(client, register):
    revoked, expired = register["revoked"], register["expired"]
    page = client.get("/register?status=all")
    shown = cells_of(page, "Caerleon Town Council")
    assert shown["Valid until"] == f"Revoked on {govuk_date(revoked.revoked_at)}"
    assert govuk_date(revoked.expires_on) not in page.text  # a future date it never reaches
    assert shown["Status"] == "Revoked"
    shown = cells_of(page, "Barrow Parish Council")
    assert shown["Valid until"] == f"Expired on {govuk_date(expired.expires_on)}"
    current = register["current"]
    shown = cells_of(page, "Ynys Môn Town Council")
    assert shown["Valid until"] == govuk_date(current.expires_on)

    # The council's own page on the register says the same.
    council = client.get(f"/councils/{revoked.council.gss_code}")
    [row] = council.soup.select("tbody tr")
    assert f"Revoked on {govuk_date(revoked.revoked_at)}" in row.get_text(" ")
    assert govuk_date(revoked.expires_on) not in council.text


def test_a_renewed_award_says_when_it_was_renewed(client, make, edition):
    old = award_to(make, edition, "Renewing Parish Council", awarded=TODAY - timedelta(days=700))
    new = award_to(make, edition, "", awarded=TODAY - timedelta(days=5), council=old.council)
    old.state, old.superseded_by_id = AwardState.SUPERSEDED, new.id
    db.session.flush()
    page = client.get(f"/councils/{old.council.gss_code}")
    rows = [" ".join(r.get_text(" ").split()) for r in page.soup.select("tbody tr")]
    assert f"Renewed on {govuk_date(new.awarded_on)}" in rows[1]
    assert govuk_date(old.expires_on) not in rows[1]


def test_the_open_data_says_until_when_an_award_holds_with_the_columns_kept(client, register):
    rows = list(csv.DictReader(io.StringIO(client.get("/register.csv?status=all").text)))
    columns = list(rows[0])
    # The columns published before stay, in their places: new ones come after them.
    published = (
        "gss_code,council,nation,kind,certificate_number,level,edition,awarded_on,expires_on,"
        "status,revoked_on,revocation_reason,verification_url,council_url"
    )
    assert ",".join(columns[:14]) == published
    by_council = {r["council"]: r for r in rows}
    revoked = by_council["Caerleon Town Council"]
    assert revoked["valid_until"] == register["revoked"].revoked_at.date().isoformat()
    assert revoked["valid_until"] == revoked["revoked_on"]
    current = by_council["Ynys Môn Town Council"]
    assert current["valid_until"] == current["expires_on"]
    expired = by_council["Barrow Parish Council"]
    assert expired["valid_until"] == expired["expires_on"]
    document = json.loads(client.get("/register.json?status=all").data)
    [record] = [c for c in document["councils"] if c["council"] == "Caerleon Town Council"]
    assert record["valid_until"] == revoked["revoked_on"]
    assert "valid_until" in client.get("/open-data").text
