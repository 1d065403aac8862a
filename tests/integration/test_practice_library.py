"""The library of good practice's public pages (marks/public/practice.py, and its queries in
marks/practice/library.py): what they show of known examples, the search and filters, that a
withdrawn example or a revoked award's are gone from every page and feed at once, the picked
files and no others, the query count, and the ETags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from defusedxml import ElementTree

from marks import workflow
from marks.awarding import awards
from marks.awarding.badges import NOT_XML
from marks.extensions import db
from marks.models import utcnow
from marks.practice.examples import CONTACT_MAX
from marks.states import CouncilKind, Nation
from tests.helpers.awards import award_to
from tests.helpers.practice import lead_of, shared
from tests.helpers.queries import statements_during
from tests.hostile import checked, combined, one_line, packed

TODAY = utcnow().date()
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def library(make, edition, admin):
    """Three public examples of two councils, one waiting for review, one withdrawn."""
    mon = award_to(
        make,
        edition,
        "Ynys Môn Town Council",
        awarded=TODAY - timedelta(days=100),
        nation=Nation.WALES,
        kind=CouncilKind.COMMUNITY,
        level=1,
    )
    ashby = award_to(make, edition, "Ashby Parish Council", awarded=TODAY - timedelta(days=50))
    made = {
        "policy": shared(
            mon,
            "MD1",
            "Our policy was written with frontline staff.\n\nIt says what people can do.",
            admin=admin,
            note="Start with the staff: https://mon.example/policy",
            contact="comms@mon.example",
            links=("https://mon.example/policy.pdf",),
            files=("policy.pdf",),
            unpicked=("minutes.pdf",),
        ),
        "snow": shared(mon, "EN3", "In the snow we posted road closures every hour.", admin=admin),
        "chats": shared(ashby, "EN4", "We join #lgovsm every week, 100% of the time.", admin=admin),
        "waiting": shared(ashby, "SE1", "Waiting to be reviewed: secret draft."),
        "withdrawn": shared(ashby, "SE2", "Taken back: training plan.", admin=admin),
    }
    workflow.transition(made["withdrawn"], "withdraw", actor=lead_of(ashby))
    db.session.flush()
    made.update(mon=mon, ashby=ashby)
    return made


def body(response) -> str:
    """The text of a page or of another response (a feed)."""
    return (response.response if hasattr(response, "soup") else response).get_data(as_text=True)


def titles(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.soup.select(".marks-practice-summary a")]


def test_the_library_shows_published_examples_by_theme_and_criterion(client, library):
    page = client.get("/practice")
    assert page.h1 == "The library of good practice"
    assert "3 examples" in page.text
    headings = [h.get_text(strip=True) for h in page.soup.select("#results ~ h3, #results ~ h4")]
    assert headings == [
        "Myths debunked",
        "MD1: A social media policy that enables",
        "Engagement",
        "EN3: Social media in emergencies and service disruption",
        "EN4: Taking part in sector conversations and events",
    ]
    assert titles(page) == [
        "Ynys Môn Town Council",
        "Ynys Môn Town Council",
        "Ashby Parish Council",
    ]
    assert "Accredited with distinction, 2026" in page.text
    assert "Our policy was written with frontline staff" in page.text
    assert "secret draft" not in page.text and "training plan" not in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=SNOW", ["EN3"]),
        ("q=ynys+mon", ["MD1", "EN3"]),  # the council's name, accents folded
        ("q=staff", ["MD1"]),  # the note and the answer
        ("q=emergencies", ["EN3"]),  # the criterion's title
        ("q=100%25", ["EN4"]),  # a literal %, not a wildcard
        ("q=%25", ["EN4"]),
        ("q=_", []),  # a literal _, in no text
        ("q=draft", []),  # not published
        ("q=training", []),  # withdrawn
        ("theme=engagement", ["EN3", "EN4"]),
        ("theme=ENGAGEMENT", ["EN3", "EN4"]),
        ("nation=wales", ["MD1", "EN3"]),
        ("kind=Town+or+parish+council", ["EN4"]),
        ("level=distinction", ["MD1", "EN3"]),
        ("criterion=en4", ["EN4"]),
        ("theme=engagement&nation=Wales&q=road", ["EN3"]),
        ("theme=no-such-theme", []),
        ("unknown=1", ["MD1", "EN3", "EN4"]),
    ],
)
def test_search_and_filters(client, library, query, expected):
    page = client.get(f"/practice?{query}")
    assert page.status == 200, page.text
    codes = [  # each example's criterion: the heading it is listed under
        summary.find_previous("h4", class_="marks-practice-criterion")
        .get_text(strip=True)
        .partition(":")[0]
        for summary in page.soup.select(".marks-practice-summary")
    ]
    assert codes == expected, query


@pytest.mark.parametrize(
    "query", ["nation=Atlantis", "kind=castle", "level=<b>", "theme=a;b", "page=0", "page=x"]
)
def test_values_the_library_cannot_answer_are_a_400(client, library, query):
    assert client.get(f"/practice?{query}").status == 400


def test_an_example_s_page(client, library):
    example = library["policy"]
    page = client.get(f"/practice/{example.id}")
    assert page.h1 == "Ynys Môn Town Council: A social media policy that enables"
    council = page.soup.find("a", string="Ynys Môn Town Council")
    assert council["href"] == f"/councils/{library['mon'].council.gss_code}"
    assert "Accredited with distinction, awarded in 2026" in page.text
    assert "How does your social media policy enable staff" in page.text
    # The answer's paragraphs and links as the council wrote them, never followed.
    paragraphs = [p.get_text() for p in page.soup.select("main p.govuk-body")]
    assert "Our policy was written with frontline staff." in paragraphs
    links = {a["href"]: a.get("rel") for a in page.soup.select("main a")}
    assert links["https://mon.example/policy.pdf"] == ["nofollow", "noopener", "noreferrer"]
    assert links["https://mon.example/policy"] == ["nofollow", "noopener", "noreferrer"]
    assert "comms@mon.example" in page.text
    files = [a.get_text() for a in page.soup.select("a[download]")]
    assert files == ["policy.pdf"]


@pytest.mark.parametrize("which", ["waiting", "withdrawn"])
def test_an_example_that_is_not_published_is_not_found(client, library, which):
    assert client.get(f"/practice/{library[which].id}").status == 404
    assert client.get("/practice/999999").status == 404


def test_a_withdrawn_example_is_gone_from_every_page_and_feed_at_once(client, library):
    example = library["snow"]
    urls = ["/practice", "/practice?q=snow", "/practice.atom", "/practice.atom?theme=engagement"]
    gss = library["mon"].council.gss_code
    before = {url: client.get(url) for url in urls}
    for url, response in before.items():
        assert "road closures" in body(response), url
    assert "road closures" in client.get(f"/councils/{gss}").text
    assert client.get(f"/practice/{example.id}").status == 200

    workflow.transition(example, "withdraw", actor=lead_of(library["mon"]))
    db.session.flush()

    for url, response in before.items():
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 200, url
        assert "road closures" not in body(again), url
    assert "road closures" not in client.get(f"/councils/{gss}").text
    assert client.get(f"/practice/{example.id}").status == 404


def test_a_revoked_award_s_examples_vanish_and_keep_their_state(client, library, admin):
    policy = library["policy"]
    file_id = policy.files[0].id
    assert client.get(f"/practice/{policy.id}/files/{file_id}").status_code == 200
    awards.revoke(library["mon"], "Blocked social media for staff", actor=admin)
    db.session.flush()
    page = client.get("/practice")
    assert titles(page) == ["Ashby Parish Council"]
    assert client.get(f"/practice/{policy.id}").status == 404
    assert client.get(f"/practice/{policy.id}/files/{file_id}").status_code == 404
    assert "Ynys" not in body(client.get("/practice.atom"))
    assert policy.state == "published"


def test_only_a_picked_file_of_a_public_example_is_downloaded(client, library):
    policy = library["policy"]
    picked = policy.files[0]
    response = client.get(f"/practice/{policy.id}/files/{picked.id}")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 policy.pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="policy.pdf"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    again = client.get(
        f"/practice/{policy.id}/files/{picked.id}",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    unpicked = next(f for f in policy.answer.files if f.id != picked.id)
    assert client.get(f"/practice/{policy.id}/files/{unpicked.id}").status_code == 404
    # A picked file, through another example's address.
    assert client.get(f"/practice/{library['snow'].id}/files/{picked.id}").status_code == 404


def test_the_feed_per_theme_has_its_own_id_and_self_link(client, library):
    for query, entries in (("", 3), ("?theme=engagement", 2), ("?theme=Engagement&q=x", 2)):
        response = client.get(f"/practice.atom{query}")
        assert response.mimetype == "application/atom+xml"
        feed = ElementTree.fromstring(response.data)
        theme = "?theme=engagement" if query else ""
        own = f"http://marks.test/practice.atom{theme}"
        assert feed.findtext(f"{ATOM}id") == own
        assert feed.find(f"{ATOM}link[@rel='self']").get("href") == own
        found = feed.findall(f"{ATOM}entry")
        assert len(found) == entries, query
        ids = {e.findtext(f"{ATOM}id") for e in found}
        assert f"http://marks.test/practice/{library['snow'].id}" in ids


def test_pages_and_feeds_answer_304_until_something_changes(client, library, admin):
    for url in ("/practice", "/practice.atom", f"/practice/{library['policy'].id}"):
        first = client.get(url)
        assert first.headers["ETag"], url
        # Kept by anyone, and asked about again each time: a withdrawal shows at once.
        assert first.headers["Cache-Control"] == "public, max-age=0, must-revalidate", url
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
    first = client.get("/practice")
    shared(library["ashby"], "SE3", "Support for staff, every week.", admin=admin)
    again = client.get("/practice", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Support for staff" in again.text
    assert "Cookie" in first.headers["Vary"]


def test_the_criteria_page_links_to_other_councils_answers(client, library):
    page = client.get("/criteria")
    link = page.soup.find("a", href="/practice?criterion=MD1")
    assert link is not None and "1 example" in link.parent.get_text(" ")
    assert page.soup.find("a", href="/practice?criterion=EN3") is not None
    assert page.soup.find("a", href="/practice?criterion=SE1") is None  # only waiting
    assert page.soup.find("a", href="/practice?criterion=SE2") is None  # withdrawn


def test_a_council_s_page_lists_its_published_examples(client, library):
    page = client.get(f"/councils/{library['ashby'].council.gss_code}")
    shared_section = [a.get_text(strip=True) for a in page.soup.select(".marks-practice-summary a")]
    assert shared_section == ["EN4: Taking part in sector conversations and events"]


def test_the_library_is_linked_from_the_home_page_and_the_navigation(client, library):
    page = client.get("/")
    assert page.soup.select('a[href="/practice"]')


def test_the_library_reads_a_fixed_number_of_queries(client, library, make, edition, admin):
    def queries_for(url: str) -> int:
        return len(statements_during(lambda: client.get(url)))

    urls = ["/practice", "/practice.atom", f"/councils/{library['mon'].council.gss_code}"]
    few = {url: queries_for(url) for url in urls}
    for number in range(6):
        award = award_to(make, edition, f"Council {number}", awarded=TODAY)
        shared(award, "MD2", f"Answer {number}", admin=admin, links=("https://x.example",))
    shared(library["mon"], "MD3", "More of ours", admin=admin, files=("more.pdf",))
    many = {url: queries_for(url) for url in urls}
    assert few == many, (few, many)


def test_what_a_council_wrote_is_shown_as_typed_on_every_page_and_feed(
    client, make, edition, admin
):
    award = award_to(make, edition, "Hostile Parish Council", awarded=TODAY)
    text = combined()
    contacts = packed(CONTACT_MAX)
    codes = ("MD1", "MD2", "MD3", "MD4", "EN1", "EN2", "EN3", "EN4")[: len(contacts)]
    made = [
        shared(award, code, text, admin=admin, note=text, contact=contact)
        for code, contact in zip(codes, contacts, strict=True)
    ]
    library_page = checked(client.get("/practice"), "/practice")
    assert len(titles(library_page)) == len(made)
    checked(client.get("/practice?q=%3Cscript%3E"), "a search for markup")
    checked(client.get(f"/councils/{award.council.gss_code}"), "the council's page")
    for example, contact in zip(made, contacts, strict=True):
        page = checked(client.get(f"/practice/{example.id}"), f"example {example.id}")
        # As read (no space added where a web address became a link).
        shown = one_line(page.soup.main.get_text(""))
        assert one_line(text) in shown and one_line(contact) in shown, example.id
        assert shown.count(one_line(text)) == 2, "the answer and the note"
    feed = ElementTree.fromstring(client.get("/practice.atom").data)
    contents = [one_line(e.findtext(f"{ATOM}content")) for e in feed.iter(f"{ATOM}entry")]
    assert len(contents) == len(made)
    for content in contents:
        assert one_line(NOT_XML.sub("", text)) in content
