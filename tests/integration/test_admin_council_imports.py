"""Administrators' councils through HTTP: importing a CSV, with a preview of what will change,
applied only as previewed; a bad file says every problem and changes nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from marks.extensions import db
from marks.models import AuditEvent
from marks.states import CouncilKind, Nation
from tests.integration.admin_council_pages import (
    by_code,
    council_count,
    multipart_body,
    post_form,
)
from tests.pages import PageClient

HEADER = "gss_code,name,kind,nation,parent_gss_code,parent_name\n"


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
    assert " ".join(counts.split()) == "add 2 councils update 2 councils leave 0 councils unchanged"
    added = [r.get_text("|", strip=True) for r in page.soup.select("#added tbody tr")]
    # The file's names are ONS names: councils in the names file are called by their own.
    assert added == [
        "S12000033|Aberdeen City Council|Scottish council|Scotland|None",
        "E04000001|Seaton <Carew> Parish|Town or parish council|England|E06000001",
    ]
    updated = [r.get_text("|", strip=True) for r in page.soup.select("#updated tbody tr")]
    assert updated == [
        "E06000001|Hartlepool|Name|Hartlepool|→|becomes|Hartlepool Borough Council",
        "Short name|None|→|becomes|Hartlepool",
        "ONS name|None|→|becomes|Hartlepool Borough",
        "E06000002|Middlesbrough|Name|Middlesbrough|→|becomes|Middlesbrough Borough Council",
        "Short name|None|→|becomes|Middlesbrough",
        "ONS name|None|→|becomes|Middlesbrough",
    ]
    assert "Seaton &lt;Carew&gt; Parish" in page.response.get_data(as_text=True)
    # The preview wrote nothing.
    assert council_count() == before
    assert by_code("E06000001").name == "Hartlepool"

    response = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/councils"
    assert council_count() == before + 2
    assert by_code("E06000001").name == "Hartlepool Borough Council"
    assert by_code("E06000001").search_name == (
        "hartlepool / hartlepool borough council / hartlepool borough"
    )
    assert by_code("S12000033").nation == Nation.SCOTLAND
    assert by_code("E04000001").parent.gss_code == "E06000001"
    page = signed_in.get("/admin/councils")
    assert "Councils imported: 2 added, 2 updated, 0 unchanged." in page.text
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)
    ).all()
    assert sorted(a for a in actions if a.startswith("council.")) == [
        "council.added",
        "council.added",
        "council.edited",
        "council.edited",
    ]

    # The same file again: nothing to change, and no button to press.
    page = upload(signed_in, csv)
    assert "There is nothing to change" in page.text
    assert page.soup.main.find("form", method="post") is None


def test_an_import_is_previewed_again_if_the_councils_changed_meanwhile(signed_in, make):
    council = make.council(gss_code="E06000001", name="Hartlepool", kind=CouncilKind.UNITARY)
    csv = HEADER + "E06000001,Hartlepool Borough,Unitary authority,England,,\n"
    page = upload(signed_in, csv)
    assert [r.get_text("|", strip=True) for r in page.soup.select("#updated tbody tr")] == [
        "E06000001|Hartlepool|Name|Hartlepool|→|becomes|Hartlepool Borough Council",
        "Short name|None|→|becomes|Hartlepool",
        "ONS name|None|→|becomes|Hartlepool Borough",
    ]
    council.name, council.search_name = "Hartlepool BC", "hartlepool bc"
    db.session.flush()

    page = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert page.h1 == "Check the changes before they are made"
    assert "The councils have changed since you checked the file" in page.text
    assert [r.get_text("|", strip=True) for r in page.soup.select("#updated tbody tr")] == [
        "E06000001|Hartlepool BC|Name|Hartlepool BC|→|becomes|Hartlepool Borough Council",
        "Short name|None|→|becomes|Hartlepool",
        "ONS name|None|→|becomes|Hartlepool Borough",
    ]
    assert council.name == "Hartlepool BC"
    response = post_form(signed_in, page, {"apply": "Apply these changes"}, multipart=True)
    assert response.status_code == 302
    assert (council.name, council.ons_name) == ("Hartlepool Borough Council", "Hartlepool Borough")


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
