"""Administrators' editions through HTTP: cloning, editing a draft, what changed, publishing
(then nothing changes), previewing, exporting and importing the data file."""

from __future__ import annotations

import io
import tomllib

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from marks.extensions import db
from marks.models import AuditEvent, Criterion, Edition, RubricDescriptor, Theme
from marks.scheme import edition_diff, edition_drafts, editions
from marks.states import EditionState
from tests.pages import Page, PageClient


@pytest.fixture
def demo(make) -> Edition:
    return make.demo_edition()


def clone(client: PageClient, source: Edition, code: str = "2027", year: str = "2027"):
    return client.submit(f"/admin/editions/{source.id}/clone", {"code": code, "year": year})


def criterion_fields(page: Page) -> dict[str, str]:
    """What the page's form holds now, as a person sees it (a date's parts as a list)."""
    form = page.soup.find("form", method="post")
    fields: dict = {}
    for tag in form.find_all(["input", "textarea"]):
        if tag.get("name") and tag.get("type") not in ("submit", "hidden", "file"):
            value = tag.get_text() if tag.name == "textarea" else tag.get("value", "")
            fields.setdefault(tag["name"], []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def edit(client: PageClient, url: str, changes: dict):
    """Open the form, change some fields, and send it with everything else as it was."""
    return client.submit(url, {**criterion_fields(client.get(url)), **changes})


def upload(client: PageClient, content: bytes):
    """Upload an edition file, encoded here in memory: the test client would spool a large body
    to a temporary file that nothing closes."""
    values = {
        "csrf_token": client.csrf_token(),
        "edition_file": FileStorage(io.BytesIO(content), "edition.toml"),
    }
    boundary, body = encode_multipart(values)
    return client.post(
        "/admin/editions/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def draft(signed_in, demo) -> Edition:
    response = clone(signed_in, demo)
    assert response.status_code == 302
    return editions.find("2027")


def test_the_list_shows_every_edition_and_the_current_one(signed_in, demo, draft):
    page = signed_in.get("/admin/editions")
    rows = [" ".join(r.get_text(" ").split()) for r in page.soup.select("tbody tr")]
    assert rows[0].startswith("Social Media Friendly Mark 2027 (2027) 2027 12 Draft")
    assert rows[1].startswith("Social Media Friendly Mark 2026 (2026) 2026 12 Current Clone")
    assert len(rows) == 2


def test_cloning_makes_a_draft_with_the_same_criteria(signed_in, demo, draft):
    assert draft.state == EditionState.DRAFT
    assert draft.cloned_from_id == demo.id
    assert draft.year == 2027 and draft.title == "Social Media Friendly Mark 2027"
    assert [(c.code, c.title, c.weight) for c in draft.criteria] == [
        (c.code, c.title, c.weight) for c in demo.criteria
    ]
    assert [d.descriptor for d in draft.criteria[0].descriptors] == [
        d.descriptor for d in demo.criteria[0].descriptors
    ]
    assert {c.id for c in draft.criteria}.isdisjoint({c.id for c in demo.criteria})
    page = signed_in.get(f"/admin/editions/{draft.id}")
    assert "is a new draft, cloned from 2026" in page.text
    assert "Nothing has changed yet" not in page.text  # the year and title did
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "edition.cloned"))
    assert event.subject_id == draft.id and event.data["cloned_from"] == "2026"


def test_a_clone_needs_a_new_code_and_a_year(signed_in, demo):
    page = clone(signed_in, demo, code="2026", year="1999")
    assert page.error_summary() == ["The year of the new edition must be 2000 to 2999"]
    page = clone(signed_in, demo, code="2026", year="2027")
    assert page.error_summary() == ["There is already an edition with the code 2026"]
    assert page.field_value("code") == "2026"
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 1


def test_editing_a_criterion_and_the_settings_shows_in_the_diff(signed_in, demo, draft):
    md1 = draft.criteria[0]
    url = f"/admin/editions/{draft.id}/criteria/{md1.id}"
    page = signed_in.get(url)
    fields = criterion_fields(page)
    assert fields["title"] == "A social media policy that enables"
    assert fields["weight"] == "2"

    # An invalid weight: the error, and everything typed is shown again.
    typed = {**fields, "title": "A policy that enables", "weight": "0", "rubric_4": "Model."}
    page = signed_in.submit(url, typed)
    assert page.error_summary() == ["The weight must be a number greater than 0, like 1.5"]
    assert criterion_fields(page)["title"] == "A policy that enables"
    assert criterion_fields(page)["rubric_4"] == "Model."
    db.session.refresh(md1)
    assert md1.title == "A social media policy that enables"

    typed["weight"] = "2.5"
    typed["expected_evidence"] = "The policy\r\n\r\n  A briefing  \r\n"
    typed["guidance"] = fields["guidance"].replace("\n", "\r\n")  # as a browser sends it
    response = signed_in.submit(url, typed)
    assert response.status_code == 302
    db.session.refresh(md1)
    assert md1.title == "A policy that enables"
    assert md1.expected_evidence == ["The policy", "A briefing"]
    assert str(md1.weight.normalize()) == "2.5"
    assert md1.descriptors[4].descriptor == "Model."

    settings = f"/admin/editions/{draft.id}/settings"
    page = edit(signed_in, settings, {"pass_mark": "70"})
    assert page.error_summary() == [
        "The pass mark must be no higher than the lowest level's minimum (60%)"
    ]
    assert page.field_value("pass_mark") == "70"
    page = edit(
        signed_in,
        settings,
        {"pass_mark": "55", "opens_on": ["1", "4", "2027"], "closes_on": ["1", "3", "2027"]},
    )
    assert page.error_summary() == ["The closing date must be after the opening date"]
    response = edit(
        signed_in,
        settings,
        {"pass_mark": "55", "opens_on": ["1", "4", "2027"], "closes_on": ["31", "3", "2028"]},
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.pass_mark == 55
    assert draft.opens_at.isoformat() == "2027-03-31T23:00:00+00:00"  # midnight, BST

    changes = [(c.what, c.field or c.change, c.old, c.new) for c in edition_diff.diff(draft)]
    assert changes == [
        ("Settings", "Year", "2026", "2027"),
        ("Settings", "Title", "Social Media Friendly Mark 2026", "Social Media Friendly Mark 2027"),
        ("Settings", "Pass mark (%)", "60", "55"),
        ("Settings", "Opens", "Not set", "2027-03-31 23:00 UTC"),
        ("Settings", "Closes", "Not set", "2028-03-31 22:59 UTC"),
        (
            "MD1: A policy that enables",
            "Title",
            "A social media policy that enables",
            "A policy that enables",
        ),
        (
            "MD1: A policy that enables",
            "Evidence expected",
            "\n".join(demo.criteria[0].expected_evidence),
            "The policy\nA briefing",
        ),
        ("MD1: A policy that enables", "Weight", "2.0", "2.5"),
        (
            "MD1: A policy that enables",
            "Rubric: 4 (Exemplary)",
            demo.criteria[0].descriptors[4].descriptor,
            "Model.",
        ),
    ]
    page = signed_in.get(f"/admin/editions/{draft.id}")
    table = [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in page.soup.select("table.marks-changes tbody tr")
    ]
    assert table[2] == ["Settings", "Pass mark (%)", "60", "55"]
    assert table[-1][:2] == ["MD1: A policy that enables", "Rubric: 4 (Exemplary)"]
    assert len(table) == 9
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("edition.%"))
    ).all()
    assert actions.count("edition.criterion_changed") == 1
    assert actions.count("edition.settings_changed") == 1


def test_publishing_makes_the_edition_immutable(signed_in, demo, draft):
    page = signed_in.get(f"/admin/editions/{draft.id}/publish")
    assert "Once published, the edition cannot change" in page.text
    response = signed_in.submit(f"/admin/editions/{draft.id}/publish", {})
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.state == EditionState.PUBLISHED and draft.published_at is not None
    assert editions.current() == draft

    md1 = draft.criteria[0]
    token = signed_in.csrf_token()
    for url, data in [
        (f"/admin/editions/{draft.id}/settings", {"title": "Changed", "pass_mark": "50"}),
        (f"/admin/editions/{draft.id}/criteria/{md1.id}", {"title": "Changed", "weight": "3"}),
        (f"/admin/editions/{draft.id}/publish", {}),
    ]:
        page = signed_in.post(url, data={"csrf_token": token, **data})
        assert page.status_code == 400
        assert "A published edition cannot change: clone it to make a new one" in page.text
        response = signed_in.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/admin/editions/{draft.id}"
    db.session.refresh(draft)
    db.session.refresh(md1)
    assert draft.title == "Social Media Friendly Mark 2027" and draft.pass_mark == 60
    assert md1.title == "A social media policy that enables"
    page = signed_in.get(f"/admin/editions/{draft.id}")
    assert "A published edition cannot change" in page.text
    assert not page.soup.find("a", string="Change")
    with pytest.raises(editions.EditionRefused, match="published edition cannot change"):
        edition_drafts.update_theme(draft.themes[0], actor=None, title="x", summary="")


def test_an_incomplete_draft_cannot_be_published(signed_in, demo, draft, admin):
    edition_drafts.add_theme(draft, actor=admin, code="new", title="A new theme")
    db.session.commit()
    page = signed_in.get(f"/admin/editions/{draft.id}/publish")
    assert "Add a criterion to the theme A new theme" in page.text
    page = signed_in.post(
        f"/admin/editions/{draft.id}/publish", data={"csrf_token": signed_in.csrf_token()}
    )
    assert "Add a criterion to the theme A new theme" in page.text
    db.session.refresh(draft)
    assert draft.state == EditionState.DRAFT


def test_the_preview_shows_the_criteria_as_a_council_sees_them(signed_in, demo):
    page = signed_in.get(f"/admin/editions/{demo.id}/preview")
    assert page.h1 == "Preview of Social Media Friendly Mark 2026"
    md1 = demo.criteria[0]
    assert f"{md1.code}: {md1.title}" in page.text
    assert md1.question in page.text
    assert md1.expected_evidence[0] in page.text
    assert f"4: Exemplary {md1.descriptors[4].descriptor}" in page.text


def test_export_and_import_round_trip(signed_in, demo):
    response = signed_in.get(f"/admin/editions/{demo.id}/export.toml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = tomllib.loads(response.get_data(as_text=True))
    rebuilt = editions.build(data)
    assert editions.to_data(rebuilt) == editions.to_data(demo)

    # The same file is refused under its own code, and imported under a new one.
    text = response.get_data()
    page = upload(signed_in, text)
    assert page.error_summary() == [
        "There is already an edition with the code 2026: change the code in the file"
    ]
    renamed = text.replace(b'code = "2026"', b'code = "2026-copy"', 1)
    response = upload(signed_in, renamed)
    assert response.status_code == 302
    imported = editions.find("2026-copy")
    assert imported.state == EditionState.DRAFT and imported.cloned_from_id is None
    expected = editions.to_data(demo)
    expected["edition"]["code"] = "2026-copy"
    assert editions.to_data(imported) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"format = 2\n", "The file must say format = 1 on its first line"),
        (b"this is not toml", "The file is not valid TOML"),
        (b"\xff\xfe", "The file must be saved as UTF-8 text"),
        (b"format = 1\n[edition]\ncode = 'x'\n", "The edition file is not valid"),
        (b"#" * (1024 * 1024 + 1), "The file must be smaller than 1MB"),
    ],
)
def test_a_bad_file_is_refused(signed_in, content, message):
    page = upload(signed_in, content)
    assert page.error_summary()[0].startswith(message)
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 0


def test_only_administrators_see_editions(client, make, demo):
    criterion = demo.criteria[0]
    urls = [
        "/admin/editions",
        "/admin/editions/import",
        f"/admin/editions/{demo.id}",
        f"/admin/editions/{demo.id}/clone",
        f"/admin/editions/{demo.id}/settings",
        f"/admin/editions/{demo.id}/criteria/{criterion.id}",
        f"/admin/editions/{demo.id}/publish",
        f"/admin/editions/{demo.id}/preview",
        f"/admin/editions/{demo.id}/export.toml",
        f"/admin/editions/{demo.id}/themes/new",
        f"/admin/editions/{demo.id}/themes/{criterion.theme.id}/criteria/new",
        f"/admin/editions/{demo.id}/themes/{criterion.theme.id}/remove",
        f"/admin/editions/{demo.id}/criteria/{criterion.id}/remove",
    ]
    for user in (make.user(), make.assessor(), make.member()):
        client.sign_in(user.email)
        token = client.csrf_token()
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, data={"csrf_token": token}).status_code in (404, 405), url
        client.sign_out()
    assert editions.find("2027") is None


def test_a_draft_theme_and_its_levels_can_change_and_a_published_one_cannot(app, make):
    from marks.extensions import db as database
    from marks.scheme import editions as domain
    from tests.pages import DEMO_PASSWORD, PageClient

    published = make.demo_edition()
    draft = domain.clone(published, "2027", 2027, actor=None)
    admin = make.administrator()
    client = PageClient(app)
    client.sign_in(admin.email, DEMO_PASSWORD)

    theme = draft.themes[0]
    url = f"/admin/editions/{draft.id}/themes/{theme.id}"
    page = client.submit(url, {"title": "", "summary": "Kept"})
    assert page.error_summary() == ["Enter the theme's title"]
    assert page.field_value("summary") == "Kept"
    assert client.submit(url, {"title": "Myths, debunked", "summary": "Kept"}).status_code == 302
    database.session.refresh(theme)
    assert theme.title == "Myths, debunked"

    url = f"/admin/editions/{draft.id}/levels"
    page = client.submit(
        url, {"name_0": "Accredited", "min_0": "90", "name_1": "Distinction", "min_1": "85"}
    )
    assert page.error_summary() == ["Each level's minimum must be higher than the one before it"]
    response = client.submit(
        url,
        {"name_0": "Accredited", "min_0": "65", "name_1": "Accredited with honours", "min_1": "90"},
    )
    assert response.status_code == 302
    database.session.expire_all()
    assert [
        (lv.name, lv.min_percent) for lv in sorted(draft.levels, key=lambda lv: lv.min_percent)
    ] == [
        ("Accredited", 65),
        ("Accredited with honours", 90),
    ]

    # A published edition: the pages send you back, and a forged post changes nothing.
    published_theme = published.themes[0]
    response = client.get(f"/admin/editions/{published.id}/themes/{published_theme.id}")
    assert response.status_code == 302
    refused = client.post(
        f"/admin/editions/{published.id}/themes/{published_theme.id}",
        data={"csrf_token": client.csrf_token(), "title": "Changed", "summary": ""},
    )
    assert refused.status == 400
    database.session.refresh(published_theme)
    assert published_theme.title == "Myths debunked"
    refused = client.post(
        f"/admin/editions/{published.id}/levels",
        data={
            "csrf_token": client.csrf_token(),
            "name_0": "X",
            "min_0": "60",
            "name_1": "Y",
            "min_1": "85",
        },
    )
    assert refused.status == 400
    assert published.levels[0].name == "Accredited"


# --- Adding and removing themes and criteria --------------------------------------------------


def link(page: Page, text: str) -> str | None:
    """The address of the link that reads `text` (its visually hidden words included)."""
    for a in page.soup.find_all("a"):
        if " ".join(a.get_text(" ").split()) == text:
            return a["href"]
    return None


def banner(page: Page) -> str:
    return " ".join(page.soup.select_one(".govuk-notification-banner").get_text(" ").split())


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_an_administrator_adds_a_theme_to_a_draft(signed_in, admin, draft):
    url = link(signed_in.get(f"/admin/editions/{draft.id}"), "Add a theme")
    assert url == f"/admin/editions/{draft.id}/themes/new"
    assert signed_in.get(url).h1 == "Add a theme"

    page = signed_in.submit(url, {"code": "", "title": "", "summary": "Kept"})
    assert page.error_summary() == ["Enter a code for the theme", "Enter the theme's title"]
    assert page.field_value("summary") == "Kept"

    typed = {"code": "engagement", "title": "Measuring impact", "summary": "What it achieves."}
    page = signed_in.submit(url, typed)
    assert page.error_summary() == ["This edition already has a theme with the code engagement"]
    assert "This edition already has a theme" in page.soup.select_one("#code-error").get_text()
    assert {name: page.field_value(name) for name in typed} == typed
    page = signed_in.submit(url, {**typed, "code": "measuring impact"})
    assert page.error_summary() == [
        "The code can only have letters, numbers, and hyphens, full stops or underscores "
        "between them, like measuring-impact"
    ]
    assert events("edition.theme_added") == []
    db.session.refresh(draft)
    assert len(draft.themes) == 3

    response = signed_in.submit(url, {**typed, "code": " measuring-impact "})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/editions/{draft.id}"
    page = signed_in.get(response.headers["Location"])
    assert banner(page) == "Success The theme Measuring impact has been added. Add its criteria."
    db.session.refresh(draft)
    theme = draft.themes[-1]
    assert (theme.code, theme.title, theme.summary, theme.criteria) == (
        "measuring-impact",
        "Measuring impact",
        "What it achieves.",
        [],
    )
    assert link(page, "Add a criterion to Measuring impact") is not None
    (event,) = events("edition.theme_added")
    assert (event.actor_id, event.subject_id) == (admin.id, theme.id)
    assert event.data == {"edition": "2027", "theme": "measuring-impact"}
    assert ("Theme Measuring impact", "added") in [
        (c.what, c.change) for c in edition_diff.diff(draft)
    ]


def test_an_administrator_adds_a_criterion_to_a_theme(signed_in, admin, draft):
    theme = draft.themes[2]
    url = link(signed_in.get(f"/admin/editions/{draft.id}"), "Add a criterion to Staff empowerment")
    assert url == f"/admin/editions/{draft.id}/themes/{theme.id}/criteria/new"
    assert signed_in.get(url).h1 == "Add a criterion to Staff empowerment"

    page = signed_in.submit(url, {"code": "", "title": ""})
    assert page.error_summary() == ["Enter a code for the criterion", "Enter the criterion's title"]
    typed = {"code": "MD1", "title": "Sharing what works"}
    page = signed_in.submit(url, typed)
    assert page.error_summary() == ["This edition already has a criterion with the code MD1"]
    assert {name: page.field_value(name) for name in typed} == typed
    page = signed_in.submit(url, {**typed, "code": "SE5-sharing-what-works"})
    assert page.error_summary() == ["The code must be 20 characters or fewer"]
    assert page.field_value("code") == "SE5-sharing-what-works"
    assert events("edition.criterion_added") == []
    assert len(draft.criteria) == 12

    response = signed_in.submit(url, {**typed, "code": "SE5"})
    assert response.status_code == 302
    db.session.refresh(theme)
    added = theme.criteria[-1]
    assert response.headers["Location"] == f"/admin/editions/{draft.id}/criteria/{added.id}"
    page = signed_in.get(response.headers["Location"])
    assert page.h1 == "Change SE5: Sharing what works"
    assert banner(page) == (
        "Success SE5: Sharing what works has been added. "
        "Write its question, guidance, evidence and rubric."
    )
    assert (added.code, added.title, added.position, added.weight) == (
        "SE5",
        "Sharing what works",
        5,
        1,
    )
    assert [d.descriptor for d in added.descriptors] == [""] * 5
    (event,) = events("edition.criterion_added")
    assert (event.actor_id, event.subject_id) == (admin.id, added.id)
    assert event.data == {"edition": "2027", "criterion": "SE5"}
    page = signed_in.get(f"/admin/editions/{draft.id}/publish")
    assert "Write the question and guidance for SE5: Sharing what works" in page.text


def test_an_administrator_removes_a_criterion_from_a_draft(signed_in, admin, draft):
    se4 = draft.criteria[-1]
    se4_id, label = se4.id, f"SE4: {se4.title}"
    url = f"/admin/editions/{draft.id}/criteria/{se4_id}/remove"
    assert link(signed_in.get(f"/admin/editions/{draft.id}"), f"Remove {label}") == url
    page = signed_in.get(f"/admin/editions/{draft.id}/criteria/{se4.id}")
    assert link(page, "Remove this criterion") == url

    page = signed_in.get(url)
    assert page.h1 == f"Remove {label}"
    assert "Staff empowerment" in page.text and se4.question in page.text
    assert events("edition.criterion_removed") == []  # a GET changes nothing

    response = signed_in.submit(url, {})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/editions/{draft.id}"
    page = signed_in.get(response.headers["Location"])
    assert banner(page) == f"Success {label} has been removed."
    assert db.session.get(Criterion, se4_id) is None
    rubric = sa.select(sa.func.count()).where(RubricDescriptor.criterion_id == se4_id)
    assert db.session.scalar(rubric) == 0
    (event,) = events("edition.criterion_removed")
    assert (event.actor_id, event.subject_id) == (admin.id, se4_id)
    assert event.data == {"edition": "2027", "criterion": "SE4"}
    assert (label, "removed") in [(c.what, c.change) for c in edition_diff.diff(draft)]
    assert signed_in.get(url).status_code == 404


def test_a_theme_is_removed_only_when_it_has_no_criteria(signed_in, admin, draft):
    empty = edition_drafts.add_theme(draft, actor=admin, code="impact", title="Measuring impact")
    db.session.commit()
    empty_id = empty.id
    myths = draft.themes[0]
    page = signed_in.get(f"/admin/editions/{draft.id}")
    url = f"/admin/editions/{draft.id}/themes/{empty_id}/remove"
    assert link(page, "Remove the theme Measuring impact") == url
    assert link(page, "Remove the theme Myths debunked") is None

    # A theme with criteria: the page says why not, and a forged post is refused.
    full = f"/admin/editions/{draft.id}/themes/{myths.id}/remove"
    why = "Myths debunked has 4 criteria: remove them first"
    page = signed_in.get(full)
    assert page.h1 == "Remove the theme Myths debunked"
    assert why in page.text and not page.soup.select("main form")
    page = signed_in.post(full, data={"csrf_token": signed_in.csrf_token()})
    assert page.status == 400 and why in page.text
    db.session.refresh(draft)
    assert [t.code for t in draft.themes] == [
        "myths-debunked",
        "engagement",
        "staff-empowerment",
        "impact",
    ]
    assert len(myths.criteria) == 4
    assert events("edition.theme_removed") == []

    page = signed_in.get(url)
    assert page.h1 == "Remove the theme Measuring impact"
    response = signed_in.submit(url, {})
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"])
    assert banner(page) == "Success The theme Measuring impact has been removed."
    assert db.session.get(Theme, empty_id) is None
    (event,) = events("edition.theme_removed")
    assert (event.actor_id, event.subject_id) == (admin.id, empty_id)
    assert event.data == {"edition": "2027", "theme": "impact"}


def test_a_published_edition_takes_no_theme_or_criterion(signed_in, admin, demo):
    theme, criterion = demo.themes[0], demo.criteria[0]
    page = signed_in.get(f"/admin/editions/{demo.id}")
    assert link(page, "Add a theme") is None
    assert not [
        a for a in page.soup.find_all("a") if a.get_text(strip=True).startswith(("Add", "Remove"))
    ]
    token = signed_in.csrf_token()
    base = f"/admin/editions/{demo.id}"
    for url, data in [
        (f"{base}/themes/new", {"code": "impact", "title": "Measuring impact"}),
        (f"{base}/themes/{theme.id}/criteria/new", {"code": "MD9", "title": "New"}),
        (f"{base}/criteria/{criterion.id}/remove", {}),
        (f"{base}/themes/{theme.id}/remove", {}),
    ]:
        response = signed_in.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == base
        page = signed_in.post(url, data={"csrf_token": token, **data})
        assert page.status_code == 400, url
        assert "A published edition cannot change: clone it to make a new one" in page.text
    db.session.refresh(demo)
    assert (len(demo.themes), len(demo.criteria)) == (3, 12)
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert [a for a in actions if a.endswith(("_added", "_removed"))] == []
    for change in (
        lambda: edition_drafts.add_theme(demo, actor=admin, code="impact", title="Impact"),
        lambda: edition_drafts.add_criterion(theme, actor=admin, code="MD9", title="New"),
        lambda: edition_drafts.remove_criterion(criterion, actor=admin),
        lambda: edition_drafts.remove_theme(theme, actor=admin),
    ):
        with pytest.raises(editions.EditionRefused, match="published edition cannot change"):
            change()
