"""The council's journey through HTTP: answers that are never lost (saved with gaps, as a draft,
against a colleague's change, through an expired session) and evidence files (checked, served
safely, limited in size, removed), none of it open to another council."""

from __future__ import annotations

import io

from marks.applying import applications
from tests.integration import application_pages
from tests.integration.application_pages import answer_data, criterion_url, start

# What a browser sends with this site's own forms: only those are carried through sign-in.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# The fixtures, defined once in application_pages.py: named here so that pytest finds them.
lead = application_pages.lead
signed_in = application_pages.signed_in


# --- Answers ----------------------------------------------------------------------------------


def test_save_and_continue_saves_and_moves_on(signed_in, lead):
    application = start(signed_in)
    response = signed_in.submit(criterion_url(application, "MD1"), answer_data())
    assert response.headers["Location"] == criterion_url(application, "MD2")
    answer = applications.answer_for(application, "MD1")
    assert answer.self_score == 3
    assert answer.narrative.startswith("We publish an enabling policy")
    assert [link.url for link in answer.links] == [
        "https://www.testbury.gov.uk/social-media-policy"
    ]
    # The last criterion of a theme goes back to the task list.
    response = signed_in.submit(criterion_url(application, "MD4"), answer_data())
    assert response.headers["Location"] == f"/apply/applications/{application.id}"


def test_a_failed_validation_keeps_every_answer(signed_in, lead):
    application = start(signed_in)
    typed = answer_data(self_score="2", narrative="Words I must not lose", links="not a link")
    page = signed_in.submit(criterion_url(application, "MD1"), typed)
    assert page.status == 200
    assert page.error_summary() == ["“not a link” is not a web address: start it with https://"]
    assert page.field_value("narrative") == "Words I must not lose"
    assert page.field_value("links") == "not a link"
    checked = page.soup.find("input", attrs={"name": "self_score", "checked": True})
    assert checked["value"] == "2"


def test_save_and_continue_with_gaps_saves_and_says_what_is_missing(signed_in, lead):
    application = start(signed_in)
    page = signed_in.submit(
        criterion_url(application, "MD1"), answer_data(self_score=None, narrative="Half done")
    )
    assert page.status == 200
    assert page.error_summary() == ["Select a self-score"]
    assert "Your answer has been saved, but it is not complete yet" in page.text
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative == "Half done"
    assert applications.answer_progress(answer) == applications.Progress.IN_PROGRESS


def test_save_as_draft_never_validates_completeness(signed_in, lead, edition):
    application = start(signed_in)
    limit = applications.word_limit(edition.criteria[0])
    too_long = " ".join(["word"] * (limit + 5))
    response = signed_in.submit(
        criterion_url(application, "MD1"),
        answer_data(
            self_score=None,
            narrative=too_long,
            save_and_continue=None,
            save_as_draft="Save as draft",
        ),
    )
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    assert applications.count_words(answer.narrative) == limit + 5
    page = signed_in.get(criterion_url(application, "MD1"))
    assert "Your answer has been saved as a draft" in page.text
    assert page.field_value("narrative") == too_long
    assert page.soup.select_one(".govuk-character-count")["data-maxwords"] == str(limit)


def test_two_members_editing_the_same_answer_get_a_conflict(client, app, make, lead):
    colleague = make.member(council=lead.membership.council)
    client.sign_in(lead.email)
    application = start(client)
    other = type(client)(app)
    other.sign_in(colleague.email)

    url = criterion_url(application, "MD1")
    mine = client.get(url)
    theirs = other.get(url)
    token = lambda page: page.soup.find("input", attrs={"name": "csrf_token"})["value"]  # noqa: E731
    version = mine.field_value("version")
    assert version == theirs.field_value("version")

    saved = other.post(
        url,
        data={
            "csrf_token": token(theirs),
            "version": version,
            **answer_data(narrative="Their words <script>alert(1)</script>"),
        },
    )
    assert saved.status_code == 302
    page = client.post(
        url,
        data={"csrf_token": token(mine), "version": version, **answer_data(narrative="My words")},
    )
    assert page.status == 409
    assert page.h1 == "Someone else has changed this answer"
    assert "Their words <script>alert(1)</script>" in page.text and "My words" in page.text
    assert "<script>alert(1)" not in page.response.get_data(as_text=True)
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative == "Their words <script>alert(1)</script>"

    # Keeping mine resends my words against the version now saved.
    form = page.soup.find("form", action=url)
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    assert client.post(url, data=fields).status_code == 302
    assert answer.narrative == "My words"


def test_evidence_files_are_uploaded_checked_and_served_safely(signed_in, lead, app, make):
    application = start(signed_in)
    url = criterion_url(application, "MD1")
    page = signed_in.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    response = signed_in.post(
        url,
        data={
            **fields,
            "upload": "Upload file",
            "evidence_file": (io.BytesIO(PDF), "../../Policy.exe"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    [stored] = answer.files
    assert (stored.filename, stored.content_type) == ("Policy.pdf", "application/pdf")
    assert stored.content == PDF

    download = signed_in.get(f"/apply/applications/{application.id}/files/{stored.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    # A program renamed as a PDF is refused, and what was typed survives.
    page = upload(
        signed_in, application, "MD1", b"MZ\x90\x00" + bytes(200), "report.pdf", narrative="Keep me"
    )
    assert page.status == 200
    assert page.error_summary()[0].startswith("The selected file could not be read as a PDF")
    assert page.field_value("narrative") == "Keep me"
    assert len(answer.files) == 1

    # Another council's member cannot download it.
    stranger = make.member()
    other = type(signed_in)(app)
    other.sign_in(stranger.email)
    assert other.get(f"/apply/applications/{application.id}/files/{stored.id}").status_code == 404


def test_a_member_of_another_council_gets_404_everywhere(signed_in, app, make, lead):
    application = start(signed_in)
    stranger = make.member()
    other = type(signed_in)(app)
    other.sign_in(stranger.email)
    base = f"/apply/applications/{application.id}"
    for path in ("", "/about", "/criteria/MD1", "/check", "/status", "/withdraw", "/submitted"):
        assert other.get(base + path).status == 404, path
    token = other.csrf_token()
    response = other.post(base + "/criteria/MD1", data={"csrf_token": token, **answer_data()})
    assert response.status == 404
    assert applications.answer_for(application, "MD1").narrative == ""


def test_an_expired_session_does_not_lose_the_post(signed_in, lead):
    application = start(signed_in)
    url = criterion_url(application, "MD1")
    page = signed_in.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    signed_in.http.delete_cookie("session")  # the session expires while the form is open

    typed = answer_data(narrative="Two hours of careful writing")
    page = signed_in.post(url, data={**fields, **typed}, headers=SAME_ORIGIN)
    assert page.status == 200
    assert page.h1 == "Sign in"
    assert "Sign in again, then check them and save them" in page.text
    carried = {i["name"]: i["value"] for i in page.soup.select("input[name^=replay-]")}
    assert carried["replay-narrative"] == "Two hours of careful writing"
    assert "replay-csrf_token" not in carried
    assert applications.answer_for(application, "MD1").narrative == ""

    form = page.soup.find("form")
    hidden = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    page = signed_in.post(
        form["action"],
        data={**hidden, "email": lead.email, "password": "correct horse battery"},
        headers=SAME_ORIGIN,
    )
    assert page.h1 == "Save your answers"
    form = page.soup.find("form")
    assert form["action"] == url
    response = signed_in.post(
        url,
        data={i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 302
    answer = applications.answer_for(application, "MD1")
    assert answer.narrative == "Two hours of careful writing"
    assert answer.self_score == 3


def upload(client, application, code, content, filename="evidence.pdf", **typed):
    """Press "Upload file" on the criterion's page with the file chosen (and `typed`)."""
    url = criterion_url(application, code)
    page = client.get(url)
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    return client.post(
        url,
        data={
            **fields,
            **typed,
            "upload": "Upload file",
            "evidence_file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def test_evidence_size_limits_per_file_and_per_application(app, signed_in, lead):
    application = start(signed_in)
    padding = b"%" + b"x" * 1000 + b"\n"
    pdf = PDF[:-6] + padding * 2 + b"%%EOF\n"  # about 2KB
    limits = {"EVIDENCE_MAX_FILE_BYTES": 3 * 1024, "EVIDENCE_MAX_APPLICATION_BYTES": 5 * 1024}
    old = {k: app.config[k] for k in limits}
    app.config.update(limits)
    try:
        too_big = PDF[:-6] + padding * 4 + b"%%EOF\n"  # about 4KB
        page = upload(signed_in, application, "MD1", too_big)
        assert page.error_summary() == ["The selected file must be smaller than 3KB"]
        assert upload(signed_in, application, "MD1", pdf).status_code == 302
        assert upload(signed_in, application, "MD2", pdf).status_code == 302
        page = upload(signed_in, application, "MD3", pdf)
        assert page.error_summary()[0].startswith(
            "Adding this file would take your application's evidence over 5KB"
        )
    finally:
        app.config.update(old)
    assert applications.evidence_bytes(application) == 2 * len(pdf)


def test_removing_an_evidence_file_keeps_the_rest_of_the_answer(signed_in, lead):
    application = start(signed_in)
    upload(signed_in, application, "MD1", PDF, "policy.pdf")
    answer = applications.answer_for(application, "MD1")
    [stored] = answer.files
    page = signed_in.get(criterion_url(application, "MD1"))
    fields = {i["name"]: i.get("value", "") for i in page.soup.select("form input[type=hidden]")}
    response = signed_in.post(
        criterion_url(application, "MD1"),
        data={**fields, "narrative": "Typed before removing", "remove_file": str(stored.id)},
    )
    assert response.status_code == 302
    assert answer.files == []
    assert answer.narrative == "Typed before removing"
    assert "The file has been removed" in signed_in.get(criterion_url(application, "MD1")).text


def test_save_and_continue_on_an_empty_criterion_gives_one_message(signed_in, lead):
    application = start(signed_in)
    page = signed_in.submit(
        criterion_url(application, "MD1"), answer_data(self_score=None, narrative="", links="")
    )
    assert page.status == 200
    assert page.error_summary() == [
        "Select a self-score",
        "Describe what your council does for this criterion",
    ]
    # Nothing was typed, so nothing is said to be saved: the error summary is the one message.
    assert page.soup.select(".govuk-notification-banner") == []
    assert "has been saved" not in page.text


def test_an_incomplete_answer_is_said_saved_in_the_error_summary_alone(signed_in, lead):
    application = start(signed_in)
    page = signed_in.submit(
        criterion_url(application, "MD1"), answer_data(self_score=None, narrative="Half done")
    )
    assert page.soup.select(".govuk-notification-banner") == []
    summary = page.soup.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "Your answer has been saved, but it is not complete yet" in summary


def test_upload_file_with_no_file_chosen_says_so(signed_in, lead):
    application = start(signed_in)
    page = signed_in.submit(
        criterion_url(application, "MD1"),
        answer_data(narrative="Keep me", save_and_continue=None, upload="Upload file"),
    )
    assert page.status == 200
    assert page.error_summary() == ["Select a file to upload"]
    assert page.soup.select_one("#evidence_file-error") is not None
    assert page.field_value("narrative") == "Keep me"


def test_a_broken_file_named_as_a_pdf_is_told_it_could_not_be_read(signed_in, lead):
    application = start(signed_in)
    page = upload(signed_in, application, "MD1", b"this was a PDF once", "minutes.pdf")
    assert page.status == 200
    assert page.error_summary()[0].startswith("The selected file could not be read as a PDF")


def test_the_evidence_file_uses_the_govuk_file_upload_component(signed_in, lead):
    application = start(signed_in)
    page = signed_in.get(criterion_url(application, "MD1"))
    field = page.soup.select_one("input[type=file]")
    assert "govuk-file-upload" in field["class"]
    group = field.find_parent(class_="govuk-form-group")
    assert group.select_one("label.govuk-label")["for"] == field["id"]
    # Enhanced by GOV.UK Frontend's JavaScript (a drop zone and a styled button); a plain
    # file input without it.
    assert group.select_one("[data-module=govuk-file-upload]") is not None
