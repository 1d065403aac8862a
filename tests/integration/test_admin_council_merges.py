"""Administrators' councils through HTTP: a council with an award, renamed (the register says the
new name at once) and merged as a duplicate into the council to keep, with its members,
applications, awards, invitations and the councils within it."""

from __future__ import annotations

import sqlalchemy as sa

from marks.applying import applications, memberships
from marks.extensions import db
from marks.models import Application, AuditEvent, Award, Invitation
from marks.states import MembershipRole, MembershipState
from tests.integration.admin_council_pages import filled_in, post_form

# --- Merging --------------------------------------------------------------------------------------


def awarded_council(make, admin):
    """A council with a lead, an approved application and its award."""
    make.demo_edition()
    return make.award(admin=admin).council


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
