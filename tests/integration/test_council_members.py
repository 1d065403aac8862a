"""The council's journey through HTTP: joining a council (its first member becomes the lead, later
ones ask and the lead approves), inviting colleagues, and who manages the members."""

from __future__ import annotations

import sqlalchemy as sa

from marks.extensions import db
from marks.models import Email
from marks.states import MembershipRole, MembershipState
from tests.integration import application_pages

# The fixtures, defined once in application_pages.py: named here so that pytest finds them.
edition = application_pages.edition
lead = application_pages.lead
signed_in = application_pages.signed_in


# --- Joining a council ------------------------------------------------------------------------


def test_the_first_member_of_a_council_becomes_its_lead(client, make, edition):
    council = make.council(name="Ynys Môn")
    user = make.user()
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
