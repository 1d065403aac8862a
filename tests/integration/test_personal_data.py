"""A person's personal data: the subject access export an administrator downloads, and erasure
(marks/people/personal_data.py, marks/admin/people.py). The person in personal_data_world.py
has done everything the service keeps a record of."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from marks.extensions import db
from marks.models import (
    Answer,
    Application,
    Assessment,
    AuditEvent,
    Award,
    Decision,
    Email,
    EvidenceFile,
    Invitation,
    Membership,
    RecoveryCode,
    User,
    UserSession,
)
from marks.people import personal_data, staff, users
from marks.states import EmailState, MembershipState
from tests.integration import personal_data_world
from tests.integration.personal_data_world import EMAIL, NAME, PHONE, mentions


@pytest.fixture
def world(make):
    return personal_data_world.build(make)


@pytest.fixture
def signed_in(client, world):
    client.sign_in(world.admin.email)
    return client


def download(client, user_id: int):
    response = client.request("GET", f"/admin/people/{user_id}/personal-data.json")
    assert response.status_code == 200
    return response


# --- The export -----------------------------------------------------------------------------


def test_the_export_is_one_json_file_kept_by_no_cache_and_audited(signed_in, world):
    response = download(signed_in, world.person.id)
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="personal-data-{world.person.id}.json"'
    )
    assert response.cache_control.no_store
    data = json.loads(response.get_data(as_text=True))
    assert data["about"].startswith("Everything the Social Media Friendly Mark service holds")
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.data_exported")
    ).all()
    assert (event.actor_id, event.subject_type, event.subject_id) == (
        world.admin.id,
        "User",
        world.person.id,
    )


def test_the_export_holds_every_kind_of_data_about_a_council_lead(signed_in, world):
    data = json.loads(download(signed_in, world.person.id).get_data(as_text=True))
    account = data["account"]
    assert (account["name"], account["email"], account["role"]) == (NAME, EMAIL, "user")
    assert account["two_factor_set_up_at"] is not None
    assert len(account["recovery_codes"]) == 10
    assert len(account["signed_in_sessions"]) >= 1
    assert [(c["role"], c["state"]) for c in data["councils"]] == [("lead", "active")]
    assert [i["kind"] for i in data["invitations_received"]] == ["assessor"]
    assert [i["to"] for i in data["invitations_sent"]] == ["new.colleague@testbury.gov.uk"]
    assert [a["application_id"] for a in data["applications_started"]] == [world.application.id]
    (contact,) = data["applications_as_contact"]
    assert (contact["contact_name"], contact["contact_phone"]) == (NAME, PHONE)
    assert contact["declaration_name"] == NAME
    answers = data["answers_last_changed"]
    assert len(answers) == len(world.application.answers)
    assert "Now with a training plan." in [a["narrative"] for a in answers]
    (upload,) = data["evidence_files_uploaded"]
    assert upload["filename"] == f"{NAME} policy.pdf"
    templates = {e["subject"] for e in data["emails"]}
    assert len(templates) >= 3  # approval, invitation, password reset, ...
    assert all(e["to"] == EMAIL for e in data["emails"])
    actions = {e["action"] for e in data["audit_events"]}
    assert {
        "user.two_factor_enrolled",
        "application.started",
        "application.submit",
        "invitation.sent",
    } <= actions
    assert data["assignments"] == data["decisions_made"] == []


def test_the_export_holds_an_assessors_and_an_administrators_work(signed_in, world):
    data = json.loads(download(signed_in, world.assessor.id).get_data(as_text=True))
    (assignment,) = data["assignments"]
    assert assignment["application_id"] == world.application.id
    scores = assignment["assessment"]["scores"]
    assert scores and all(s["private_note"].startswith("Note on") for s in scores)

    data = json.loads(download(signed_in, world.admin.id).get_data(as_text=True))
    assert [d["outcome"] for d in data["decisions_made"]] == ["approved"]
    (request,) = data["information_requests_made"]
    assert request["message"] == f"{NAME}, please add your training plan."
    assert [i["to"] for i in data["invitations_sent"]] == [EMAIL]


def test_the_export_holds_no_secret(signed_in, world):
    text = download(signed_in, world.person.id).get_data(as_text=True)
    for secret in world.secrets:
        assert secret not in text
    assert "[redacted]" in text  # the reset link's token, in the email
    for field in ("password", "two_factor_key", "key_hash", "code_hash"):
        assert f'"{field}"' not in text


def test_only_administrators_download_it(client, world):
    client.sign_in(world.colleague.email)
    response = client.request("GET", f"/admin/people/{world.person.id}/personal-data.json")
    assert response.status_code == 404
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.data_exported")
    ).all()


# --- Erasure --------------------------------------------------------------------------------


def erase(client, user_id: int, reason: str = "They asked by email on 3 March 2026."):
    page = client.get(f"/admin/people/{user_id}/erase")
    return page, client.submit(f"/admin/people/{user_id}/erase", {"reason": reason})


def test_the_confirmation_page_says_what_happens_and_needs_a_reason(signed_in, world):
    page = signed_in.get(f"/admin/people/{world.person.id}/erase")
    assert page.h1 == f"Erase {NAME}’s personal data"
    assert f"erased-{world.person.id}@invalid" in page.text
    assert "they leave " + world.person.membership.council.name in page.text
    assert "Erasing cannot be undone." in page.text
    page = signed_in.submit(f"/admin/people/{world.person.id}/erase", {"reason": ""})
    assert page.status == 400
    assert page.error_summary() == ["Say why you are erasing their personal data"]
    assert db.session.get(User, world.person.id).erased_at is None


def test_erasing_leaves_nothing_personal_and_keeps_the_schemes_records(signed_in, world):
    person_id = world.person.id
    award = db.session.scalar(sa.select(Award).where(Award.application_id == world.application.id))
    before = {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (AuditEvent, Answer, EvidenceFile, Assessment, Decision, Award)
    }
    own_events = db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.actor_id == person_id)
    )
    assert mentions([EMAIL, NAME, PHONE])  # everywhere, before

    _, response = erase(signed_in, person_id)
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"])
    assert page.h1 == f"Erased person #{person_id}"
    assert f"The service now shows them as Erased person #{person_id}." in page.text
    assert "Their personal data was erased on" in page.text
    assert "Reactivate" not in page.text and "Change role" not in page.text

    # Nothing personal remains, in any table: not the email address, the name or the phone.
    assert mentions([EMAIL, NAME, PHONE]) == []
    person = db.session.get(User, person_id)
    assert (person.full_name, person.email) == (
        f"Erased person #{person_id}",
        f"erased-{person_id}@invalid",
    )
    assert person.erased_at is not None and person.deactivated_at is not None
    assert person.two_factor_key is None
    assert users.authenticate(f"erased-{person_id}@invalid", "anything at all") is None
    for model in (RecoveryCode, UserSession):
        assert not db.session.scalars(sa.select(model).where(model.user_id == person_id)).all()
    assert not db.session.scalars(sa.select(Invitation).where(Invitation.kind == "assessor")).all()
    (membership,) = db.session.scalars(sa.select(Membership).where(Membership.user_id == person_id))
    assert membership.state == MembershipState.REMOVED
    emails = db.session.scalars(sa.select(Email).where(Email.to_address.like("erased-%"))).all()
    assert emails and all(e.body_text == "" and e.body_html is None for e in emails)
    assert {e.state for e in emails} == {EmailState.SENT}  # the reset email, unsent, is gone
    assert not db.session.scalars(sa.select(Email).where(Email.template == "reset_password")).all()
    application = db.session.get(Application, world.application.id)
    assert application.contact_phone is None
    assert application.declaration_name == f"Erased person #{person_id}"

    # The scheme's records stay, with the anonymised person as their actor.
    after = {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (AuditEvent, Answer, EvidenceFile, Assessment, Decision, Award)
    }
    # user.erased, and their membership ended (membership.removed_on_erasure)
    assert after == {**before, "AuditEvent": before["AuditEvent"] + 2}
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.actor_id == person_id))
        == own_events
    )
    assert application.started_by_id == person_id
    assert db.session.get(Award, award.id).certificate_number == award.certificate_number
    (erased,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.erased"))
    assert (erased.actor_id, erased.subject_id) == (world.admin.id, person_id)
    assert erased.reason == "They asked by email on 3 March 2026."
    assert erased.data["memberships"] == 1 and erased.data["sessions"] == 1
    (ended,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "membership.removed_on_erasure")
    )
    assert (ended.actor_id, ended.subject_id) == (world.admin.id, membership.id)
    assert (ended.from_state, ended.to_state) == ("active", "removed")


def test_erased_people_are_shown_as_erased_in_the_audit_log_and_the_lists(signed_in, world):
    person_id = world.person.id
    erase(signed_in, person_id)
    log = signed_in.get("/admin/audit")
    assert f"Erased person #{person_id}" in log.text
    assert NAME not in log.text and EMAIL not in log.text
    people_page = signed_in.get("/admin/people?status=deactivated")
    row = people_page.soup.select_one("tbody tr")
    assert f"Erased person #{person_id}" in row.get_text() and "Erased" in row.get_text()
    csv_text = signed_in.request("GET", "/admin/audit.csv").get_data(as_text=True)
    assert NAME not in csv_text and EMAIL not in csv_text


@pytest.mark.parametrize("who", ["self", "already erased"])
def test_erasure_is_refused(signed_in, world, who):
    if who == "self":
        target = world.admin
        refusal = "You cannot erase your own account: ask another administrator"
    else:
        target = world.colleague
        personal_data.erase(target, actor=world.admin, reason="Asked")
        refusal = f"Erased person #{target.id}'s personal data has already been erased"
    name = target.full_name
    page = signed_in.get(f"/admin/people/{target.id}/erase")
    assert refusal + "." in page.text
    assert page.soup.select_one("main form") is None
    response = signed_in.request(
        "POST",
        f"/admin/people/{target.id}/erase",
        data={"csrf_token": signed_in.csrf_token(), "reason": "Asked"},
    )
    assert response.status_code == 400
    assert db.session.get(User, target.id).full_name == name


def test_the_last_active_administrator_is_never_erased(world):
    """Only a command on the server could try: an administrator erasing another leaves one."""
    with pytest.raises(staff.StaffRefused, match="only active administrator"):
        personal_data.erase(world.admin, actor=None, reason="Retention")
    assert db.session.get(User, world.admin.id).erased_at is None


def test_erasing_needs_the_csrf_token(signed_in, world):
    response = signed_in.request(
        "POST", f"/admin/people/{world.person.id}/erase", data={"reason": "Asked"}
    )
    assert response.status_code == 400
    assert db.session.get(User, world.person.id).erased_at is None


def test_an_erased_account_cannot_be_reactivated_or_given_a_role(world):
    personal_data.erase(world.colleague, actor=world.admin, reason="Asked")
    for change in (
        lambda: staff.reactivate(world.colleague, actor=world.admin),
        lambda: staff.change_role(world.colleague, "assessor", actor=world.admin),
    ):
        with pytest.raises(staff.StaffRefused, match="was erased"):
            change()
