"""Nothing an assessor or an administrator types reaches any output unescaped: feedback,
notes and summaries, the reasons for a decision, a request for more information, a conflict
of interest, a revocation's public reason, and everything in an edition (codes, titles,
questions, guidance, rubrics, levels). The corpus and the readers of each output are in
tests/hostile.py; test_hostile_text.py says how the corpus is spread over the fields."""

from __future__ import annotations

import json
from itertools import zip_longest

import pytest
import sqlalchemy as sa
from defusedxml import ElementTree

from marks.applying import memberships
from marks.assessing import assessment
from marks.extensions import db
from marks.models import Application, Award, Edition, utcnow
from marks.reporting.exports import safe_cell
from marks.states import ApplicationState, AwardState, MembershipRole
from tests.helpers.applications import submitted_by
from tests.helpers.awards import award_to
from tests.helpers.pdfs import raw_text_of
from tests.hostile import (
    BLANKS,
    EVERY,
    NUL,
    TYPED,
    as_printed,
    assert_shown,
    atom_entries,
    audit_csv,
    check_email,
    checked,
    combined,
    csv_records,
    emails,
    long_text,
    one_line,
    packed,
    refused,
    refused_with_nul,
    send,
    xml_text,
)
from tests.pages import Page, PageClient, form_fields, signed_in


@pytest.fixture
def admin(make):
    return make.administrator(full_name="Ada Administrator")


# --- What assessors and administrators write ---------------------------------------------------


def test_assessors_feedback_and_notes_and_the_decisions_reasons(app, make, edition, admin):
    lead = make.member(role=MembershipRole.LEAD, full_name="Lena Lead")
    application = submitted_by(lead)
    codes = [c.code for c in edition.criteria]
    assessors = [make.assessor(), make.assessor()]
    assignments = [assessment.assign(application, a, actor=admin) for a in assessors]
    clients = [signed_in(app, a) for a in assessors]
    url = f"/assess/{assignments[0].id}"
    fields = (f"feedback_{codes[0]}", f"note_{codes[0]}", "summary")

    # A draft: what was typed is saved (trimmed) and shown again.
    for typed in (combined(), long_text(5000), *BLANKS):
        data = {**form_fields(clients[0].get(url), url), **dict.fromkeys(fields, typed)}
        assert clients[0].post(url, data={**data, "save": "Save as draft"}).status_code == 302
        page = checked(clients[0].get(url), "scores")
        for name in fields:
            assert page.field_value(name) == typed.strip(), name
    data = {**form_fields(clients[0].get(url), url), **dict.fromkeys(fields, long_text(5001))}
    page = clients[0].post(url, data={**data, "save": "Save as draft"})
    refused(page, "too long", dict.fromkeys(fields, long_text(5001)))
    refused_with_nul(clients[0], url, {"summary": NUL.text})

    # Both submit, each entry in a cell of its own: a feedback, then a note.
    written: dict[tuple[str, str], tuple[str, str]] = {}
    cells = iter(EVERY * 4)
    for assessor, client, assignment in zip(assessors, clients, assignments, strict=True):
        url = f"/assess/{assignment.id}"
        data = form_fields(client.get(url), url)
        for code in codes:
            feedback, note = next(cells), next(cells)
            written[assessor.email, code] = (feedback.strip(), note.strip())
            data |= {f"score_{code}": "3", f"feedback_{code}": feedback, f"note_{code}": note}
        data |= {"summary": combined(), "recommendation": "award", "submit_assessment": "Submit"}
        assert client.post(url, data=data).status_code == 302
    everything = [text for pair in written.values() for text in pair]
    checked(clients[0].get(f"/assess/{assignments[0].id}"), "the other's", *everything)
    admin_client = signed_in(app, admin)
    page = admin_client.get(f"/admin/applications/{application.id}")
    checked(page, "moderation", *everything)
    for record in csv_records(admin_client.get(f"/admin/editions/{edition.id}/scores.csv")):
        feedback, note = written[record["assessor"], record["criterion"]]
        assert record["feedback"] == safe_cell(feedback)
        assert record["private_note"] == safe_cell(note)

    # The decision, previewed as the email the council would get, what was typed kept.
    decide = f"/admin/applications/{application.id}/decision"
    for typed in (combined(), long_text(5000)):
        data = {"outcome": "reject", "reasons": typed, "reject_override_reason": typed}
        page = checked(send(admin_client, decide, {**data, "preview": "Preview"}), "preview")
        assert page.h1 == "Check the email before it goes"
        assert_shown(typed.strip(), page.soup.select_one("pre").get_text(), "preview")
        for name in ("reasons", "reject_override_reason"):
            assert page.soup.find("input", attrs={"name": name})["value"] == typed
    for typed in (*BLANKS, long_text(10001)):
        page = send(admin_client, decide, {"outcome": "reject", "reasons": typed})
        refused(page, "reasons", {"reasons": typed})
    refused_with_nul(admin_client, decide, {"outcome": "reject", "reasons": NUL.text})

    reasons, override = combined(), combined(TYPED[::-1])
    data = {"outcome": "reject", "reasons": reasons, "reject_override_reason": override}
    assert send(admin_client, decide, {**data, "confirm": "Confirm"}).status_code == 302
    assert application.state == ApplicationState.REJECTED
    feedback = [pair[0] for pair in written.values()]
    (email,) = emails("application_rejected", to=lead.email)
    check_email(email, reasons, *feedback)
    checked(admin_client.get(f"/admin/outbox/{email.id}"), "in the outbox", *EVERY, *feedback)
    preview = admin_client.request("GET", f"/admin/outbox/{email.id}/preview.html")
    assert preview.get_data(as_text=True) == email.body_html
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    status = f"/apply/applications/{application.id}/status"
    checked(signed_in(app, lead).get(status), "rejected", *EVERY, *feedback)
    assert safe_cell(reasons) in {r["reason"] for r in audit_csv(admin_client)}


def test_a_request_for_information_and_a_conflict_of_interest(app, make, edition, admin):
    lead = make.member(role=MembershipRole.LEAD, full_name="Lena Lead")
    application = submitted_by(lead)
    admin_client = signed_in(app, admin)

    # An assessor hands it back: the reason, as typed, to the administrators.
    conflicted = make.assessor()
    assignment = assessment.assign(application, conflicted, actor=admin)
    client = signed_in(app, conflicted)
    url = f"/assess/{assignment.id}/conflict"
    for typed in (*BLANKS, long_text(2001)):
        refused(send(client, url, {"reason": typed}), "conflict", {"reason": typed})
    refused_with_nul(client, url, {"reason": NUL.text})
    reason = combined()
    assert send(client, url, {"reason": reason}).headers["Location"] == "/assess/"
    (email,) = emails("conflict_declared", to=admin.email)
    check_email(email, reason)
    assert safe_cell(reason) in {r["reason"] for r in audit_csv(admin_client)}

    # More information: previewed, then sent.
    assessment.assign(application, make.assessor(), actor=admin)
    decide = f"/admin/applications/{application.id}/decision"
    asking = {"outcome": "request_information", "criteria": str(edition.criteria[0].id)}
    for typed in (combined(), long_text(10000)):
        page = send(admin_client, decide, {**asking, "message": typed, "preview": "Preview"})
        checked(page, "preview")
        assert_shown(typed.strip(), page.soup.select_one("pre").get_text(), "preview")
        assert page.soup.find("input", attrs={"name": "message"})["value"] == typed
    for typed in (*BLANKS, long_text(10001)):
        page = send(admin_client, decide, {**asking, "message": typed})
        refused(page, "message", {"message": typed})
    message = combined()
    assert (
        send(admin_client, decide, {**asking, "message": message, "confirm": "Confirm"}).status_code
        == 302
    )
    assert application.state == ApplicationState.INFO_REQUESTED
    (email,) = emails("information_requested", to=lead.email)
    check_email(email, message)
    council = signed_in(app, lead)
    checked(council.get(f"/apply/applications/{application.id}/status"), "status", *EVERY)
    checked(council.get(f"/apply/applications/{application.id}"), "task list", *EVERY)


# --- Revocation reasons --------------------------------------------------------------------------


def test_revocation_reasons_are_public_and_shown_as_typed(app, make, edition, admin):
    client = signed_in(app, admin)
    revoked: list[Award] = []
    today = utcnow().date()
    for number, reason in enumerate([*packed(2000), long_text(2000)]):
        award = award_to(make, edition, f"Revoked Town Council {number}", awarded=today)
        url = f"/admin/awards/{award.certificate_number}/revoke"
        if number == 0:
            for typed in (*BLANKS, long_text(2001)):
                refused(send(client, url, {"reason": typed}), "revoke", {"reason": typed})
            refused_with_nul(client, url, {"reason": NUL.text})
        assert send(client, url, {"reason": reason}).status_code == 302
        assert award.state == AwardState.REVOKED
        assert award.revocation_reason == reason.strip()
        revoked.append(award)

    public = PageClient(app)
    records = csv_records(public.get("/register.csv?status=all"))
    by_number = {r["certificate_number"]: r for r in records}
    councils = json.loads(public.get("/register.json?status=all").data)["councils"]
    as_json = {r["certificate_number"]: r for r in councils}
    summaries = " ".join(atom_entries(public).values())
    for award in revoked:
        number, reason = award.certificate_number, award.revocation_reason
        checked(public.get(f"/verify/{number}"), f"verify {number}", reason)
        checked(public.get(f"/councils/{award.council.gss_code}"), f"council {number}", reason)
        page = public.get(f"/certificates/{number}.pdf")
        assert page.status == 410
        checked(page, f"certificate {number}", reason)
        gone = public.get(f"/ob/assertions/{number}.json")
        assert gone.status_code == 410
        assert json.loads(gone.data)["revocationReason"] == reason
        assert by_number[number]["revocation_reason"] == safe_cell(reason)
        assert as_json[number]["revocation_reason"] == reason
        assert one_line(xml_text(reason)) in summaries
        (email,) = emails("award_revoked", to=memberships.leads(award.council)[0].email)
        check_email(email, reason)


# --- What administrators write in an edition ------------------------------------------------------


def form_data(page: Page) -> dict:
    """What the page's form holds, as a browser would send it back (a date's parts a list)."""
    fields: dict = {}
    for tag in page.soup.find("form", method="post").find_all(["input", "textarea"]):
        if tag.get("name") and tag.get("type") not in ("submit", "file", "radio"):
            value = tag.get_text() if tag.name == "textarea" else tag.get("value", "")
            fields.setdefault(tag["name"], []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def test_edition_codes(app, make, edition, admin):
    client = signed_in(app, admin)
    url = f"/admin/editions/{edition.id}/clone"
    for typed in [*packed(40), *BLANKS, long_text(41)]:
        page = send(client, url, {"code": typed, "year": "2027"})
        refused(page, f"code {typed!r}", {"code": typed.strip()})
    refused_with_nul(client, url, {"code": NUL.text, "year": "2027"})
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 1
    # What a code may be: letters, digits, and - . _ between them.
    response = send(client, url, {"code": "2027.v2_draft-1", "year": "2027"})
    assert response.status_code == 302
    draft = db.session.scalar(sa.select(Edition).where(Edition.code == "2027.v2_draft-1"))
    assert client.get(f"/admin/editions/{draft.id}/scores.csv").status_code == 200
    # A new theme's and a new criterion's: the same characters, as long as their columns.
    base = f"/admin/editions/{draft.id}"
    new_theme, new_criterion = (
        f"{base}/themes/new",
        f"{base}/themes/{draft.themes[0].id}/criteria/new",
    )
    for url, longest in [(new_theme, 60), (new_criterion, 20)]:
        for typed in [*packed(longest), *BLANKS, long_text(longest + 1)]:
            page = send(client, url, {"code": typed, "title": "A title"})
            refused(page, f"{url} code {typed!r}", {"code": typed.strip()})
    assert send(client, new_theme, {"code": "impact.v2_new-1", "title": "I"}).status_code == 302
    response = send(client, new_criterion, {"code": "MI1.a_b-2", "title": "I"})
    assert response.status_code == 302
    assert (
        checked(client.get(response.headers["Location"]), "new criterion").h1
        == "Change MI1.a_b-2: I"
    )


def test_what_administrators_write_in_an_edition(app, make, edition, admin):
    client = signed_in(app, admin)
    response = send(client, f"/admin/editions/{edition.id}/clone", {"code": "2027", "year": "2027"})
    draft = db.session.get(Edition, int(response.headers["Location"].rsplit("/", 1)[1]))
    base = f"/admin/editions/{draft.id}"
    criterion, theme = draft.criteria[0], draft.themes[0]
    rubric = [f"rubric_{score}" for score in range(draft.scale_max + 1)]
    # The one-line fields (a title, a level's name) and the textareas of each form.
    forms = {
        f"{base}/settings": ("title", ["summary"]),
        f"{base}/criteria/{criterion.id}": ("title", ["question", "guidance", *rubric]),
        f"{base}/themes/{theme.id}": ("title", ["summary"]),
        f"{base}/levels": ("name_0", []),
    }
    filled = {url: form_data(client.get(url)) for url in forms}

    def typed_into(url: str, line: str, text: str) -> dict[str, str]:
        title, areas = forms[url]
        return {**filled[url], title: line, **dict.fromkeys(areas, text)}

    saved = {}
    for title, level in zip_longest(packed(200), packed(100), fillvalue=long_text(200)):
        for url in forms:
            saved[url] = level if url.endswith("/levels") else title
            response = send(client, url, typed_into(url, saved[url], combined()))
            assert response.status_code == 302, f"{url} {saved[url]!r}"
        checked(client.get(base), "edition", title.strip(), level.strip())
        checked(client.get(f"{base}/preview"), "preview", title.strip(), *EVERY)
    for url in forms:  # shown again as saved
        title, areas = forms[url]
        page = checked(client.get(url), url)
        assert page.field_value(title) == saved[url].strip(), url
        for name in areas:
            assert one_line(page.field_value(name)) == one_line(combined()), f"{url} {name}"
    for typed in (*BLANKS, long_text(201)):
        for url in forms:
            page = send(client, url, typed_into(url, typed, typed))
            refused(page, f"{url} {typed!r}", {forms[url][0]: typed.strip()})
    refused_with_nul(client, f"{base}/settings", {"title": NUL.text})

    # Published, and a council awarded under it: the texts in every output.
    level_names = ['"><img src=x onerror=alert(1)>]]>&amp;', "\u202egnp.exe \x1b[31m \U0001f600"]
    texts = {
        f"{base}/settings": {"title": "Edition <script>alert(1)</script> {{7*7}}"},
        f"{base}/themes/{theme.id}": {"title": "Theme </style><style>body{display:none}</style>"},
        f"{base}/levels": {"name_0": level_names[0], "name_1": level_names[1]},
        f"{base}/criteria/{criterion.id}": {
            "title": "Criterion ' autofocus onfocus='alert(1)' x='",
            "expected_evidence": combined(),
        },
    }
    for url, changes in texts.items():
        assert send(client, url, {**form_data(client.get(url)), **changes}).status_code == 302
    assert send(client, f"{base}/publish", {}).status_code == 302
    lead = make.member(role=MembershipRole.LEAD, full_name="Lena Lead")
    council = signed_in(app, lead)
    assert council.submit("/apply/", {}).status_code == 302
    application = db.session.scalar(sa.select(Application).order_by(Application.id.desc()))
    assert application.edition_id == draft.id
    page = council.get(f"/apply/applications/{application.id}/criteria/{criterion.code}")
    checked(page, "the criterion as a council sees it", criterion.title, *EVERY)
    award = make.award(make.council(), admin=admin, level=-1, score=4)
    level, title = award.level.name, draft.title
    assert level == level_names[1]

    public = PageClient(app)
    number = award.certificate_number
    checked(public.get(f"/verify/{number}"), "verify", level, title)
    checked(public.get("/register"), "register", level)
    svg = public.get(f"/badges/{number}.svg").get_data(as_text=True)
    face = ElementTree.fromstring(svg.encode())  # well-formed, whatever the level is called
    assert as_printed(xml_text(level)) in as_printed("".join(face.itertext()))
    ob = json.loads(public.get(f"/ob/badgeclasses/{draft.code}-{award.level.code}.json").data)
    assert ob["name"] == f"Social Media Friendly Mark 2027: {level}"
    assert title in ob["description"]
    assert texts[f"{base}/themes/{theme.id}"]["title"] in ob["criteria"]["narrative"]
    assert json.loads(public.get("/register.json").data)["councils"][0]["level"] == level
    (row,) = csv_records(public.get("/register.csv"))
    assert row["level"] == safe_cell(level)
    assert one_line(f"{award.council.name}: awarded {xml_text(level)}") in atom_entries(public)
    printed = as_printed(raw_text_of(public.get(f"/certificates/{number}.pdf").data))
    assert as_printed(level) in printed and as_printed(title) in printed
    (email,) = emails("application_approved", to=memberships.leads(award.council)[0].email)
    check_email(email, title, level)
