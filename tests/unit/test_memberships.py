"""Memberships change state through memberships.MEMBERSHIP: what each row allows, refuses
(with the message people see), records and sends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks import workflow
from marks.applying import memberships
from marks.applying.memberships import MembershipRefused
from marks.extensions import db
from marks.models import AuditEvent, Email
from marks.people import personal_data
from marks.states import MembershipRole, MembershipState


@pytest.fixture
def admin(make):
    return make.administrator()


@pytest.fixture
def lead(make):
    return make.member(role=MembershipRole.LEAD)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_approving_a_councils_first_member_makes_them_its_lead(make, admin):
    council = make.council()
    asking = memberships.ask_to_join(make.user(), council)
    assert workflow.available(asking, admin) == ["approve", "reject"]
    memberships.decide(asking, approve=True, actor=admin)
    assert (asking.state, asking.role) == (MembershipState.ACTIVE, MembershipRole.LEAD)
    assert (asking.decided_by_id, asking.decided_at is not None) == (admin.id, True)
    (event,) = events("membership.approved")
    assert (event.from_state, event.to_state) == ("requested", "active")
    assert (event.data, event.council_id) == ({"role": "lead"}, council.id)
    told = db.session.scalar(sa.select(Email).where(Email.template == "membership_approved"))
    assert told.to_address == asking.user.email


def test_a_later_member_joins_as_a_member_and_a_request_is_answered_once(make, lead):
    asking = memberships.ask_to_join(make.user(), lead.membership.council)
    memberships.decide(asking, approve=True, actor=lead)
    assert (asking.state, asking.role) == (MembershipState.ACTIVE, MembershipRole.MEMBER)
    with pytest.raises(MembershipRefused, match=r"^That request has already been answered$"):
        memberships.decide(asking, approve=False, actor=lead)
    turned_down = memberships.ask_to_join(make.user(), lead.membership.council)
    memberships.decide(turned_down, approve=False, actor=lead)
    assert turned_down.state == MembershipState.REJECTED
    assert [e.data for e in events("membership.rejected")] == [{"role": "member"}]


def test_only_the_lead_or_an_administrator_manages_members(make, lead, admin):
    member = make.member(council=lead.membership.council)
    other = make.member(council=lead.membership.council)
    assert workflow.available(other.membership, member) == []
    assert workflow.available(other.membership, lead) == ["remove"]
    assert workflow.available(other.membership, admin) == ["remove"]
    with pytest.raises(MembershipRefused, match=r"^Only the council's lead or an administrator"):
        memberships.remove(other.membership, actor=member)
    stranger_lead = make.member(role=MembershipRole.LEAD)
    with pytest.raises(MembershipRefused, match=r"^Only the council's lead or an administrator"):
        memberships.remove(other.membership, actor=stranger_lead)
    removed = other.membership
    memberships.remove(removed, actor=lead)
    assert removed.state == MembershipState.REMOVED
    with pytest.raises(MembershipRefused, match=r"^That person is not a member of the council$"):
        memberships.remove(removed, actor=lead)
    (event,) = events("membership.removed")
    assert (event.actor_id, event.from_state, event.to_state) == (lead.id, "active", "removed")


def test_a_council_keeps_a_lead(make, lead, admin):
    assert workflow.available(lead.membership, admin) == []
    with pytest.raises(MembershipRefused, match=r"^A council must keep a lead"):
        memberships.remove(lead.membership, actor=admin)
    first = lead.membership
    second = make.member(council=first.council, role=MembershipRole.LEAD)
    memberships.remove(first, actor=second)
    assert first.state == MembershipState.REMOVED
    with pytest.raises(MembershipRefused, match=r"^A council must keep a lead"):
        memberships.remove(second.membership, actor=admin)


def test_erasing_a_person_ends_their_membership_or_turns_down_their_request(make, lead, admin):
    member = make.member(council=lead.membership.council).membership
    asking = memberships.ask_to_join(make.user(), lead.membership.council)
    personal_data.erase(member.user, actor=admin, reason="They asked")
    personal_data.erase(asking.user, actor=None, reason="They asked")
    assert member.state == MembershipState.REMOVED
    assert asking.state == MembershipState.REJECTED
    (removed,) = events("membership.removed_on_erasure")
    (rejected,) = events("membership.rejected_on_erasure")
    assert (removed.actor_id, removed.subject_id) == (admin.id, member.id)
    assert (rejected.actor_id, rejected.subject_id) == (None, asking.id)
    assert (asking.decided_by_id, asking.decided_at is not None) == (None, True)
