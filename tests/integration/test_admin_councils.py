"""Administrators' councils through HTTP: the list, adding, editing, merging duplicates, and
importing a CSV with a preview of what will change."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from marks import applications, assessment, decisions, memberships
from marks.extensions import db
from marks.models import Application, AuditEvent, Award, Council, Invitation
from marks.states import (
    CouncilKind,
    MembershipRole,
    MembershipState,
    Nation,
)
from tests.pages import Page, PageClient
from tests.unit.test_assessment import complete_application, score_all

HEADER = "gss_code,name,kind,nation,parent_gss_code,parent_name\n"


@pytest.fixture
def admin(make):
    return make.administrator()


@pytest.fixture
def signed_in(client, admin) -> PageClient:
    client.sign_in(admin.email)
    return client


def council_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Council.id)))


def by_code(code: str) -> Council | None:
    return db.session.scalar(sa.select(Council).where(Council.gss_code == code))


def names(page: Page) -> list[str]:
    return [a.get_text(strip=True) for a in page.soup.select("tbody tr td:first-child a")]


def post_form(client: PageClient, page: Page, data: dict | None = None, *, multipart=False):
    """Send the page's POST form as a browser would: its hidden fields (a name given more than
    once is sent more than once), what the person typed, and the button they pressed."""
    form = page.soup.find("form", method="post")
    fields: dict[str, list[str]] = {}
    for tag in form.find_all("input", attrs={"type": "hidden"}):
        fields.setdefault(tag["name"], []).append(tag.get("value", ""))
    fields.update({k: v if isinstance(v, list | tuple) else [v] for k, v in (data or {}).items()})
    if not multipart:
        return client.post(form["action"], data=fields)
    return client.post(form["action"], **multipart_body(MultiDict(fields)))


def multipart_body(values) -> dict:
    """A multipart body encoded here, in memory: the test client would spool a large one to a
    temporary file that nothing closes."""
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def filled_in(page: Page) -> dict[str, str]:
    """What the page's POST form holds as it is shown: its text fields, checked radios and
    selected options (hidden fields are sent by post_form)."""
    form = page.soup.find("form", method="post")
    data = {}
    for tag in form.find_all("input", attrs={"type": ["text", "url"]}):
        data[tag["name"]] = tag.get("value", "")
    for tag in form.find_all("input", attrs={"type": "radio", "checked": True}):
        data[tag["name"]] = tag["value"]
    for select in form.find_all("select"):
        chosen = select.find("option", selected=True)
        data[select["name"]] = chosen["value"] if chosen else ""
    return data


def upload(client: PageClient, text: str | bytes, filename: str = "councils.csv"):
    page = client.get("/admin/councils/import")
    token = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    content = text.encode() if isinstance(text, str) else text
    values = {
        "csrf_token": token,
        "csv_file": FileStorage(io.BytesIO(content), filename, content_type="text/csv"),
        "check": "x",
    }
    return client.post("/admin/councils/import", **multipart_body(values))


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
        "Enter the council's name",
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


# --- Merging --------------------------------------------------------------------------------------


def awarded_council(make, admin):
    """A council with a lead, an approved application and its award."""
    edition = make.demo_edition()
    application = complete_application(make)
    for value in (3, 3):
        score_all(assessment.assign(application, make.assessor(), actor=admin), value)
    decisions.approve(application, actor=admin, level=edition.levels[0])
    return application.council


def test_a_new_name_reaches_the_register_at_once(signed_in, admin, make):
    council = awarded_council(make, admin)
    old_name = council.name
    assert old_name in signed_in.get("/register").text  # now in the register's cache

    page = signed_in.get(f"/admin/councils/{council.gss_code}/edit")
    response = post_form(signed_in, page, {**filled_in(page), "name": "Renamed Borough Council"})
    assert response.status_code == 302
    text = signed_in.get("/register").text
    assert "Renamed Borough Council" in text
    assert old_name not in text


def test_merging_moves_members_applications_and_awards(signed_in, admin, make):
    duplicate = awarded_council(make, admin)
    duplicate_lead = memberships.leads(duplicate)[0]
    asking = make.user()
    memberships.ask_to_join(asking, duplicate)
    memberships.invite(duplicate, "new.person@example.gov.uk", actor=admin)
    parish = make.council(parent_id=duplicate.id)
    kept = make.council(gss_code="E06000047", name="County Durham")
    kept_lead = make.member(council=kept, role=MembershipRole.LEAD)
    draft = applications.start(kept, actor=kept_lead)
    award = db.session.scalar(sa.select(Award).where(Award.council_id == duplicate.id))

    page = signed_in.get(f"/admin/councils/{duplicate.gss_code}/merge")
    assert page.h1 == f"Merge {duplicate.name} into another council"
    page = post_form(signed_in, page, {"into": "e06000047", "check": "Continue"})
    assert page.h1 == f"Merge {duplicate.name} into County Durham"
    assert "Members 1" in page.text
    assert "Requests to join 1" in page.text
    assert "Applications 1" in page.text
    assert "Awards 1" in page.text
    assert "Invitations 1" in page.text
    assert "Councils within it 1" in page.text
    assert duplicate.merged_into_id is None  # nothing has moved yet

    response = post_form(signed_in, page, {"confirm": "Merge the councils"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/councils/E06000047"
    assert duplicate.merged_into_id == kept.id
    assert duplicate_lead.membership.council_id == kept.id
    assert duplicate_lead.membership.state == MembershipState.ACTIVE
    assert asking.membership.council_id == kept.id
    assert asking.membership.state == MembershipState.REQUESTED
    assert kept_lead.membership.council_id == kept.id
    assert award.council_id == kept.id and award.is_latest
    assert {a.id for a in db.session.scalars(sa.select(Application))} == {
        a.id
        for a in db.session.scalars(sa.select(Application).where(Application.council_id == kept.id))
    }
    assert draft.council_id == kept.id
    assert db.session.scalar(sa.select(Invitation.council_id)) == kept.id
    assert parish.parent_id == kept.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.merged"))
    assert event.data["duplicate"] == duplicate.gss_code
    assert event.data["into"] == "E06000047"
    assert (event.subject_id, event.council_id, event.actor_id) == (duplicate.id, kept.id, admin.id)

    page = signed_in.get("/admin/councils/E06000047")
    assert (
        f"{duplicate.name} ({duplicate.gss_code}) has been merged into County Durham" in page.text
    )
    assert "Members 2" in page.text
    assert "Awards 1" in page.text
    page = signed_in.get(f"/admin/councils/{duplicate.gss_code}")
    assert "This council has been merged into County Durham (E06000047)" in page.text
    assert page.soup.find("a", href=f"/admin/councils/{duplicate.gss_code}/merge") is None
    page = signed_in.get(f"/admin/councils?q={duplicate.gss_code}")
    row = " ".join(page.soup.select_one("tbody tr").get_text(" ").split())
    assert row.endswith("Merged into County Durham")


def test_a_merge_is_refused_when_both_councils_have_an_application_in_progress(
    signed_in, admin, make
):
    make.demo_edition()
    duplicate_lead = make.member(role=MembershipRole.LEAD)
    duplicate = duplicate_lead.membership.council
    kept_lead = make.member(role=MembershipRole.LEAD)
    kept = kept_lead.membership.council
    applications.start(duplicate, actor=duplicate_lead)
    applications.start(kept, actor=kept_lead)

    page = signed_in.get(f"/admin/councils/{duplicate.gss_code}/merge")
    page = post_form(signed_in, page, {"into": kept.gss_code, "check": "Continue"})
    refusal = (
        "Both councils have an application in progress: withdraw or decide one of them before "
        f"merging {duplicate.name} into {kept.name}"
    )
    assert page.error_summary() == [refusal]
    assert page.field_value("into") == kept.gss_code

    # Pressing "Merge" anyway (an application started since the check) changes nothing.
    token = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    page = signed_in.post(
        f"/admin/councils/{duplicate.gss_code}/merge",
        data={"csrf_token": token, "into": kept.gss_code, "confirm": "Merge the councils"},
    )
    assert page.error_summary() == [refusal]
    assert duplicate.merged_into_id is None
    assert duplicate_lead.membership.council_id == duplicate.id
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Application.council_id == duplicate.id))
        == 1
    )
    assert (
        db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "council.merged"))
        is None
    )


def test_a_merge_needs_another_council_that_is_not_merged(signed_in, make):
    duplicate = make.council()
    gone = make.council(merged_into_id=make.council().id)
    url = f"/admin/councils/{duplicate.gss_code}/merge"
    for into, message in [
        ("", "Enter the GSS code of the council to keep"),
        ("E99999999", "There is no council with the GSS code E99999999"),
        (
            duplicate.gss_code,
            "A council cannot be merged into itself: give the GSS code of the one to keep",
        ),
        (
            gone.gss_code,
            f"{gone.name} has been merged into another council: merge into that one instead",
        ),
    ]:
        page = signed_in.submit(url, {"into": into, "check": "Continue"})
        assert page.error_summary() == [message]
    assert "has already been merged" in signed_in.get(f"/admin/councils/{gone.gss_code}/merge").text


# --- Importing ------------------------------------------------------------------------------------


def test_council_import_preview_then_apply(signed_in, admin, make):
    make.council(
        gss_code="E06000001", name="Hartlepool", kind=CouncilKind.UNITARY, nation=Nation.ENGLAND
    )
    make.council(
        gss_code="E06000002", name="Middlesbrough", kind=CouncilKind.UNITARY, nation=Nation.ENGLAND
    )
    csv = (
        HEADER + "S12000033,Aberdeen City,Scottish council,Scotland,,\n"
        "E06000001,Hartlepool Borough,Unitary authority,England,,\n"
        "E06000002,Middlesbrough,Unitary authority,England,,\n"
        "E04000001,Seaton <Carew> Parish,Town or parish council,England,E06000001,Hartlepool\n"
    )
    before = council_count()

    page = upload(signed_in, "\ufeff" + csv)  # as Excel saves "CSV UTF-8"
    assert page.h1 == "Check the changes before they are made"
    counts = page.soup.select_one("#import-counts").get_text(" ", strip=True)
    assert " ".join(counts.split()) == "add 2 councils update 1 council leave 1 council unchanged"
    added = [r.get_text("|", strip=True) for r in page.soup.select("#added tbody tr")]
    assert added == [
        "S12000033|Aberdeen City|Scottish council|Scotland|None",
        "E04000001|Seaton <Carew> Parish|Town or parish council|England|E06000001",
    ]
    updated = [r.get_text("|", strip=True) for r in page.soup.select("#updated tbody tr")]
    assert updated == ["E06000001|Hartlepool|Name|Hartlepool|→|becomes|Hartlepool Borough"]
    assert "Seaton &lt;Carew&gt; Parish" in page.response.get_data(as_text=True)
    # The preview wrote nothing.
    assert council_count() == before
    assert by_code("E06000001").name == "Hartlepool"

    response = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/councils"
    assert council_count() == before + 2
    assert by_code("E06000001").name == "Hartlepool Borough"
    assert by_code("E06000001").search_name == "hartlepool borough"
    assert by_code("S12000033").nation == Nation.SCOTLAND
    assert by_code("E04000001").parent.gss_code == "E06000001"
    page = signed_in.get("/admin/councils")
    assert "Councils imported: 2 added, 1 updated, 1 unchanged." in page.text
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)
    ).all()
    assert sorted(a for a in actions if a.startswith("council.")) == [
        "council.added",
        "council.added",
        "council.edited",
    ]

    # The same file again: nothing to change, and no button to press.
    page = upload(signed_in, csv)
    assert "There is nothing to change" in page.text
    assert page.soup.find("form", method="post") is None


def test_an_import_is_previewed_again_if_the_councils_changed_meanwhile(signed_in, make):
    council = make.council(gss_code="E06000001", name="Hartlepool", kind=CouncilKind.UNITARY)
    csv = HEADER + "E06000001,Hartlepool Borough,Unitary authority,England,,\n"
    page = upload(signed_in, csv)
    assert [r.get_text("|", strip=True) for r in page.soup.select("#updated tbody tr")] == [
        "E06000001|Hartlepool|Name|Hartlepool|→|becomes|Hartlepool Borough"
    ]
    council.name, council.search_name = "Hartlepool BC", "hartlepool bc"
    db.session.flush()

    page = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert page.h1 == "Check the changes before they are made"
    assert "The councils have changed since you checked the file" in page.text
    assert [r.get_text("|", strip=True) for r in page.soup.select("#updated tbody tr")] == [
        "E06000001|Hartlepool BC|Name|Hartlepool BC|→|becomes|Hartlepool Borough"
    ]
    assert council.name == "Hartlepool BC"
    response = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert response.status_code == 302
    assert council.name == "Hartlepool Borough"


def test_a_large_file_travels_through_the_preview_in_pieces(signed_in):
    # An extra column (ignored) makes the file larger than one form field may be (500kB).
    notes = "x" * 100_000
    csv = "gss_code,name,kind,nation,parent_gss_code,parent_name,notes\n" + "".join(
        f"S1200000{n},Council {n},Scottish council,Scotland,,,{notes}\n" for n in range(1, 8)
    )
    page = upload(signed_in, csv)
    pieces = page.soup.find_all("input", attrs={"name": "csv_text"})
    assert len(pieces) == 8
    assert "".join(p["value"] for p in pieces) == csv
    response = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert response.status_code == 302
    assert [by_code(f"S1200000{n}").name for n in (1, 7)] == ["Council 1", "Council 7"]


def test_a_bad_csv_lists_every_problem_and_changes_nothing(signed_in, make):
    make.council(gss_code="E06000001", name="Hartlepool")
    before = council_count()
    csv = (
        HEADER + "E0600000X,Nowhere,Unitary authority,England,,\n"
        "E06000002,,Moon base,Atlantis,,\n"
        "E06000002,Twice,Unitary authority,England,,\n"
    )
    page = upload(signed_in, csv)
    assert page.h1 == "Import councils from a CSV file"
    assert page.soup.title.get_text().startswith("Error: ")
    assert page.error_summary() == [
        "Line 2: 'E0600000X' is not a GSS code (a letter and 8 digits)",
        "Line 3: the council has no name",
        "Line 3: 'Moon base' is not a kind of council we know",
        "Line 3: 'Atlantis' is not a UK nation",
        "Line 4: E06000002 appears more than once",
    ]
    message = page.soup.select_one(".govuk-error-message").get_text(" ", strip=True)
    assert "The file has 5 problems: correct the file and upload it again" in message

    page = upload(signed_in, HEADER + "E07000999,Somewhere,District council,England,E10000999,\n")
    assert page.error_summary() == ["E07000999: parent E10000999 is not a known council"]
    page = upload(signed_in, "gss_code,name\n")
    assert page.error_summary() == [
        "The file has no column named kind",
        "The file has no column named nation",
        "The file has no column named parent_gss_code",
        "The file has no column named parent_name",
    ]
    page = upload(
        signed_in, (HEADER + "W06000001,Ynys Môn,Unitary authority,Wales,,\n").encode("latin-1")
    )
    assert page.error_summary() == [
        "The file must be saved as UTF-8: in Excel, choose “CSV UTF-8” when you save it"
    ]
    page = upload(signed_in, HEADER + "E06000003," + "x" * 200_000 + "\n")
    assert page.error_summary() == [
        "Line 2: this is not CSV we can read (field larger than field limit (131072))"
    ]
    page = upload(signed_in, HEADER + "x" * (2 * 1024 * 1024))
    assert page.error_summary() == ["The file must be smaller than 2MB"]
    page = signed_in.submit("/admin/councils/import", {"check": "Check the file"})
    assert page.error_summary() == ["Choose a CSV file to upload"]
    assert council_count() == before


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
    # Posted forms first: the redirects below each leave a message for the sign-in page.
    for method, url in urls(council.gss_code):
        if method == "POST":  # the sign-in page, keeping what was typed until they sign in
            page = client.post(url, data={"name": "Taken over", "into": council.gss_code})
            assert page.h1 == "Sign in", url
    for method, url in urls(council.gss_code):
        if method == "GET":
            response = client.request(method, url)
            assert response.status_code == 302, url
            assert "/sign-in?next=" in response.headers["Location"]
    assert council.name != "Taken over"
    assert council.merged_into_id is None
