"""Administrators' councils through HTTP: the list, adding and editing, and who may see the
councils pages. Merging duplicates is in test_admin_council_merges.py, importing a CSV with a
preview of what will change in test_admin_council_imports.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.applying import memberships
from marks.extensions import db
from marks.models import AuditEvent
from marks.states import CouncilKind, MembershipRole, Nation
from tests.integration.admin_council_pages import by_code, council_count, filled_in, post_form
from tests.pages import Page


def names(page: Page) -> list[str]:
    return [a.get_text(strip=True) for a in page.soup.select("tbody tr td:first-child a")]


# --- The list -----------------------------------------------------------------------------------


def test_the_list_searches_by_name_or_code_and_filters(signed_in, make):
    make.council(
        gss_code="W06000001",
        name="Ynys Môn",
        kind=CouncilKind.WELSH_PRINCIPAL,
        nation=Nation.WALES,
    )
    make.council(gss_code="E06000010", name="Kingston upon Hull, City of")
    make.council(
        gss_code="S12000033",
        name="Aberdeen City",
        kind=CouncilKind.SCOTTISH,
        nation=Nation.SCOTLAND,
    )

    page = signed_in.get("/admin/councils")
    assert page.h1 == "Councils"
    assert "3 councils" in page.text
    assert names(page) == ["Aberdeen City", "Kingston upon Hull, City of", "Ynys Môn"]
    assert page.soup.find("a", href="/admin/membership-requests")
    assert page.soup.find("a", href="/admin/councils/new")
    assert page.soup.find("a", href="/admin/councils/import")

    page = signed_in.get("/admin/councils?q=ynys+mon")
    assert names(page) == ["Ynys Môn"]
    assert "1 council" in page.text
    assert page.soup.find("input", attrs={"name": "q"})["value"] == "ynys mon"
    assert names(signed_in.get("/admin/councils?q=HULL+city")) == ["Kingston upon Hull, City of"]
    assert names(signed_in.get("/admin/councils?q=e06000010")) == ["Kingston upon Hull, City of"]
    assert names(signed_in.get("/admin/councils?nation=Scotland")) == ["Aberdeen City"]
    kind = CouncilKind.WELSH_PRINCIPAL.value
    assert names(signed_in.get(f"/admin/councils?kind={kind}")) == ["Ynys Môn"]
    assert names(signed_in.get("/admin/councils?nation=Wales&kind=Scottish+council")) == []
    page = signed_in.get("/admin/councils?q=nowhere")
    assert "0 councils" in page.text
    assert "No council matches" in page.text
    # A value that is not a nation is no filter at all.
    assert len(names(signed_in.get("/admin/councils?nation=Atlantis"))) == 3


def test_the_list_has_pages_of_50_and_shows_merged_councils(signed_in, make):
    kept = make.council(name="Aaa Kept Council")
    make.council(name="Aab Duplicate Council", merged_into_id=kept.id)
    for _ in range(49):
        make.council()

    page = signed_in.get("/admin/councils")
    assert "51 councils" in page.text
    rows = page.soup.select("tbody tr")
    assert len(rows) == 50
    assert "Merged into Aaa Kept Council" in rows[1].get_text(" ", strip=True)
    assert rows[1].find("a", href=f"/admin/councils/{kept.gss_code}")
    assert page.soup.select_one(".govuk-pagination__next a")["href"] == "/admin/councils?page=2"

    page = signed_in.get("/admin/councils?page=2")
    assert len(page.soup.select("tbody tr")) == 1
    assert signed_in.get("/admin/councils?page=3").status == 404
    assert signed_in.get("/admin/councils?page=0").status == 404
    assert signed_in.get("/admin/councils?q=zzz&page=2").status == 404


def test_a_councils_page_counts_what_belongs_to_it(signed_in, make):
    county = make.council(gss_code="E10000002", name="Buckinghamshire", kind=CouncilKind.COUNTY)
    council = make.council(gss_code="E07000004", name="Aylesbury Vale", parent_id=county.id)
    lead = make.member(council=council, role=MembershipRole.LEAD)
    make.member(council=council)
    asking = make.user()
    memberships.ask_to_join(asking, council)

    page = signed_in.get("/admin/councils/E07000004")
    assert page.h1 == "Aylesbury Vale"
    text = page.text
    assert "GSS code E07000004" in text
    assert "Sits within Buckinghamshire (E10000002)" in text
    assert "Members 2" in text
    assert "Requests to join 1" in text
    assert "Applications 0" in text
    assert "Awards 0" in text
    assert page.soup.find("a", href="/admin/councils/E10000002")
    assert page.soup.find("a", href="/admin/councils/E07000004/edit")
    assert page.soup.find("a", href="/admin/councils/E07000004/merge")
    assert "Councils within it 1" in signed_in.get("/admin/councils/E10000002").text
    assert signed_in.get("/admin/councils/e07000004").h1 == "Aylesbury Vale"
    assert signed_in.get("/admin/councils/E99999999").status == 404
    assert lead.membership.council_id == council.id


# --- Adding and editing -------------------------------------------------------------------------


def test_an_administrator_adds_a_council(signed_in, admin, make):
    make.council(gss_code="E07000223", name="Adur", kind=CouncilKind.DISTRICT)
    page = signed_in.get("/admin/councils/new")
    assert page.h1 == "Add a council"
    response = signed_in.submit(
        "/admin/councils/new",
        {
            "gss_code": " e04012345 ",
            "name": "Lancing Parish Council",
            "kind": CouncilKind.TOWN_OR_PARISH.value,
            "nation": Nation.ENGLAND.value,
            "parent_gss_code": "E07000223",
            "website": "https://www.lancingparishcouncil.gov.uk",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/councils/E04012345"
    added = by_code("E04012345")
    assert added.name == "Lancing Parish Council"
    assert added.search_name == "lancing parish council"
    assert added.kind == CouncilKind.TOWN_OR_PARISH
    assert added.parent.gss_code == "E07000223"
    assert added.website == "https://www.lancingparishcouncil.gov.uk"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.added"))
    assert (event.subject_id, event.actor_id, event.council_id) == (added.id, admin.id, added.id)
    page = signed_in.get("/admin/councils/E04012345")
    assert "Lancing Parish Council (E04012345) has been added." in page.text


def test_a_taken_gss_code_is_refused_and_what_was_typed_kept(signed_in, make):
    make.council(gss_code="S12000033", name="Aberdeen City")
    before = council_count()
    page = signed_in.submit(
        "/admin/councils/new",
        {
            "gss_code": "S12000033",
            "name": "Aberdeen <City> Council",
            "kind": CouncilKind.SCOTTISH.value,
            "nation": Nation.SCOTLAND.value,
            "parent_gss_code": "",
            "website": "https://www.aberdeencity.gov.uk",
        },
    )
    assert page.status == 200
    message = (
        "The GSS code S12000033 is already used by Aberdeen City: check the code, or edit "
        "that council"
    )
    assert page.error_summary() == [message]
    assert page.soup.title.get_text().startswith("Error: Add a council")
    assert page.field_value("gss_code") == "S12000033"
    assert page.field_value("name") == "Aberdeen <City> Council"
    assert page.field_value("website") == "https://www.aberdeencity.gov.uk"
    assert page.soup.find("option", selected=True)["value"] == CouncilKind.SCOTTISH.value
    assert page.soup.find("input", attrs={"name": "nation", "checked": True})["value"] == "Scotland"
    assert council_count() == before


def test_the_add_form_says_what_is_missing_or_wrong(signed_in):
    page = signed_in.submit(
        "/admin/councils/new",
        {"gss_code": "12345", "name": "", "kind": "", "parent_gss_code": "E0700", "website": "x"},
    )
    assert page.error_summary() == [
        "Enter a GSS code in the correct format: a letter and 8 digits, like S12000033",
        "Enter the council's official name",
        "Choose the kind of council",
        "Choose the nation the council is in",
        "Enter the parent council's GSS code in the correct format: a letter and 8 digits, "
        "like E07000223",
        "Enter a web address in the correct format, like https://www.example.gov.uk",
    ]
    page = signed_in.submit(
        "/admin/councils/new",
        {
            "gss_code": "N09000001",
            "name": "Antrim and Newtownabbey",
            "kind": CouncilKind.NORTHERN_IRISH.value,
            "nation": Nation.NORTHERN_IRELAND.value,
            "parent_gss_code": "N99999999",
        },
    )
    assert page.error_summary() == ["There is no council with the GSS code N99999999"]
    assert by_code("N09000001") is None


def test_an_administrator_edits_a_council(signed_in, admin, make):
    council = make.council(gss_code="W06000001", name="Isle of Anglesey", nation=Nation.WALES)
    page = signed_in.get("/admin/councils/W06000001/edit")
    assert page.h1 == "Change Isle of Anglesey's details"
    assert page.field_value("name") == "Isle of Anglesey"
    assert page.soup.find("input", attrs={"name": "gss_code"}) is None  # never changed
    changed = {"name": "Ynys Môn", "kind": CouncilKind.WELSH_PRINCIPAL.value}
    response = post_form(signed_in, page, {**filled_in(page), **changed})
    assert response.status_code == 302
    assert (council.name, council.search_name) == ("Ynys Môn", "ynys mon")
    assert council.kind == CouncilKind.WELSH_PRINCIPAL
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.edited"))
    assert event.data["changes"] == {
        "name": ["Isle of Anglesey", "Ynys Môn"],
        "kind": [CouncilKind.TOWN_OR_PARISH.value, CouncilKind.WELSH_PRINCIPAL.value],
    }
    assert event.actor_id == admin.id
    assert "Ynys Môn's details have been saved." in signed_in.get("/admin/councils/W06000001").text

    # A council cannot sit within itself.
    page = signed_in.get("/admin/councils/W06000001/edit")
    page = post_form(signed_in, page, {**filled_in(page), "parent_gss_code": "W06000001"})
    assert page.error_summary() == [
        "A council cannot be its own parent, or the parent of its parent"
    ]
    assert council.parent_id is None


# --- Who may see them -----------------------------------------------------------------------------


def urls(code: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/admin/councils"),
        ("GET", "/admin/councils/new"),
        ("POST", "/admin/councils/new"),
        ("GET", f"/admin/councils/{code}"),
        ("GET", f"/admin/councils/{code}/edit"),
        ("POST", f"/admin/councils/{code}/edit"),
        ("GET", f"/admin/councils/{code}/merge"),
        ("POST", f"/admin/councils/{code}/merge"),
        ("GET", "/admin/councils/import"),
        ("POST", "/admin/councils/import"),
    ]


@pytest.mark.parametrize("role", ["council_lead", "assessor", "user"])
def test_only_administrators_see_the_councils_pages(client, make, role):
    council = make.council()
    person = {
        "council_lead": lambda: make.member(council=council, role=MembershipRole.LEAD),
        "assessor": make.assessor,
        "user": make.user,
    }[role]()
    client.sign_in(person.email)
    token = client.csrf_token()
    for method, url in urls(council.gss_code):
        data = {"csrf_token": token, "into": council.gss_code, "name": "Taken over"}
        response = client.request(method, url, data=data if method == "POST" else None)
        assert response.status_code == 404, f"{method} {url}"
    assert council.name != "Taken over"


def test_anonymous_people_are_asked_to_sign_in(client, make):
    council = make.council()
    for method, url in urls(council.gss_code):
        if method == "POST":  # sent to sign in, carrying nothing: an administrative action
            data = {"name": "Taken over", "into": council.gss_code}
            response = client.request(
                method, url, data=data, headers={"Sec-Fetch-Site": "same-origin"}
            )
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/sign-in"), url
    for method, url in urls(council.gss_code):
        if method == "GET":
            response = client.request(method, url)
            assert response.status_code == 302, url
            assert "/sign-in?next=" in response.headers["Location"]
    assert council.name != "Taken over"
    assert council.merged_into_id is None
