"""The council's journey through HTTP: joining a council (its first member becomes the lead, later
ones ask and the lead approves), inviting colleagues, and who manages the members."""

from __future__ import annotations

import sqlalchemy as sa

from marks.applying import memberships
from marks.extensions import db
from marks.models import CouncilEmailDomain, Email
from marks.states import MembershipRole, MembershipState
from tests.integration import application_pages

# The fixtures, defined once in application_pages.py: named here so that pytest finds them.
lead = application_pages.lead
signed_in = application_pages.signed_in


# --- Joining a council ------------------------------------------------------------------------


def test_the_first_member_of_a_council_at_its_email_domain_becomes_its_lead(client, make, edition):
    council = make.council(
        name="Ynys Môn", email_domains=[CouncilEmailDomain(domain="ynysmon.llyw.cymru")]
    )
    user = make.user(email="swyddog@ynysmon.llyw.cymru")
    client.sign_in(user.email)
    assert client.get("/apply/").headers["Location"] == "/apply/join"
    page = client.get("/apply/join?q=ynys+mon")
    assert [label.get_text(strip=True) for label in page.soup.select(".govuk-radios__label")] == [
        "Ynys Môn"
    ]
    response = client.submit("/apply/join?q=ynys+mon", {"council": str(council.id)}, form=1)
    assert response.status_code == 302
    membership = user.membership
    assert (membership.council, membership.role, membership.state) == (
        council,
        MembershipRole.LEAD,
        MembershipState.ACTIVE,
    )
    assert "You are now the lead for Ynys Môn" in client.get("/apply/").text
    assert db.session.scalar(sa.select(Email.id)) is None  # nobody needed to approve it


def test_the_first_person_without_the_councils_email_domain_waits_for_an_administrator(
    client, app, make, edition, admin
):
    council = make.council(name="Ynys Môn")
    stranger = make.user(email="someone@freemail.example")
    client.sign_in(stranger.email)
    client.submit("/apply/join?q=ynys+mon", {"council": str(council.id)}, form=1)
    membership = stranger.membership
    assert (membership.role, membership.state) == (MembershipRole.MEMBER, MembershipState.REQUESTED)
    page = client.get("/apply/")
    assert page.h1 == "Waiting for approval"
    assert "Nobody from Ynys Môn has joined yet" in page.text
    assert "an administrator will check that you work there" in page.text
    assert client.get("/apply/members").headers["Location"] == "/apply/join"
    told = db.session.scalar(sa.select(Email).where(Email.to_address == admin.email))
    assert told.subject == f"{stranger.full_name} has asked to join Ynys Môn"
    assert "Nobody from Ynys Môn has joined yet" in told.body_text

    admin_client = type(client)(app)
    admin_client.sign_in(admin.email)
    page = admin_client.get("/admin/membership-requests")
    form = page.soup.find("form", action=f"/admin/membership-requests/{membership.id}/approve")
    assert "No members yet" in form.find_parent("tr").get_text(" ")
    response = admin_client.post(form["action"], data={"csrf_token": form.find("input")["value"]})
    assert response.status_code == 302
    assert (membership.role, membership.state) == (MembershipRole.LEAD, MembershipState.ACTIVE)
    assert client.get("/apply/").h1 == "Ynys Môn"


def test_an_administrator_can_turn_down_a_councils_first_person(client, app, make, admin):
    council = make.council(name="Ynys Môn")
    stranger = make.user(email="someone@freemail.example")
    client.sign_in(stranger.email)
    client.submit("/apply/join?q=ynys+mon", {"council": str(council.id)}, form=1)
    membership = stranger.membership
    assert membership.state == MembershipState.REQUESTED

    admin_client = type(client)(app)
    admin_client.sign_in(admin.email)
    page = admin_client.get("/admin/membership-requests")
    form = page.soup.find("form", action=f"/admin/membership-requests/{membership.id}/reject")
    admin_client.post(form["action"], data={"csrf_token": form.find("input")["value"]})
    assert membership.state == MembershipState.REJECTED
    assert stranger.membership is None
    assert memberships.active_members(council) == []
    told = db.session.scalar(
        sa.select(Email).where(
            Email.to_address == stranger.email, Email.template == "membership_rejected"
        )
    )
    assert told is not None


def test_later_members_ask_and_the_lead_approves(client, app, make, lead):
    council = lead.membership.council
    newcomer = make.user()
    client.sign_in(newcomer.email)
    client.submit(f"/apply/join?q={council.name}", {"council": str(council.id)}, form=1)
    assert newcomer.membership.state == MembershipState.REQUESTED
    assert client.get("/apply/").h1 == "Waiting for approval"
    told = db.session.scalar(sa.select(Email).where(Email.to_address == lead.email))
    assert told.subject == f"{newcomer.full_name} has asked to join {council.name}"

    lead_client = type(client)(app)
    lead_client.sign_in(lead.email)
    page = lead_client.get("/apply/members")
    assert newcomer.email in page.text
    form = page.soup.find("form", action=f"/apply/members/{newcomer.membership.id}/approve")
    assert form is not None
    response = lead_client.post(form["action"], data={"csrf_token": form.find("input")["value"]})
    assert response.status_code == 302
    assert newcomer.membership.state == MembershipState.ACTIVE
    assert client.get("/apply/").h1 == council.name


def test_only_the_lead_manages_members(client, make, lead):
    member = make.member(council=lead.membership.council)
    client.sign_in(member.email)
    page = client.get("/apply/members")
    assert page.soup.find("form", action=lambda a: a and a.endswith("/remove")) is None
    assert client.get("/apply/members/invite").status == 404
    other = make.member(council=lead.membership.council)
    response = client.post(
        f"/apply/members/{other.membership.id}/remove", data={"csrf_token": client.csrf_token()}
    )
    assert response.status_code == 302
    assert other.membership.state == MembershipState.ACTIVE
    assert "Only the council" in client.get("/apply/members").text


def test_a_lead_cannot_manage_another_councils_members(signed_in, make):
    stranger = make.member()
    response = signed_in.post(
        f"/apply/members/{stranger.membership.id}/remove",
        data={"csrf_token": signed_in.csrf_token()},
    )
    assert response.status == 404
    assert stranger.membership.state == MembershipState.ACTIVE


def test_invitations_let_colleagues_join(client, app, make, lead):
    client.sign_in(lead.email)
    response = client.submit("/apply/members/invite", {"email": "Colleague@Testbury.gov.uk"})
    assert response.status_code == 302
    email = db.session.scalar(
        sa.select(Email).where(Email.to_address == "colleague@testbury.gov.uk")
    )
    link = email.body_text.split("http://marks.test", 1)[1].split()[0]

    colleague = make.user(email="colleague@testbury.gov.uk")
    other = make.user(email="someone.else@testbury.gov.uk")
    other_client = type(client)(app)
    other_client.sign_in(other.email)
    refused = other_client.submit(link, {})
    assert refused.status == 400
    assert "This invitation is for colleague@testbury.gov.uk" in refused.text

    colleague_client = type(client)(app)
    colleague_client.sign_in(colleague.email)
    assert colleague_client.get(link).h1 == f"Join {lead.membership.council.name}"
    assert colleague_client.submit(link, {}).status_code == 302
    assert colleague.membership.council == lead.membership.council
    assert colleague_client.get(link).status == 400  # used once


def test_the_lead_cannot_remove_the_last_lead(signed_in, lead):
    page = signed_in.get("/apply/members")
    assert page.soup.find("form", action=f"/apply/members/{lead.membership.id}/remove") is None
