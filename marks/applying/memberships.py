"""Belonging to a council: asking to join, leads approving, invitations, removing members.

The first member of a council becomes its lead: at once if their confirmed email address is at
a domain an administrator recorded for the council, otherwise once an administrator approves
(nothing else shows that they work there). Later requests wait for the lead (or an
administrator). A user belongs to one council at a time (the database enforces it too).

A membership is created in its first state (asked for, or active at once); every change of
its state after that is a row of MEMBERSHIP below, made by workflow.transition().
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marks import audit, mail, notifications, permissions, workflow
from marks.assessing import assessment
from marks.config import signing_keys
from marks.extensions import db
from marks.models import Council, Invitation, Membership, User, utcnow
from marks.people import councils
from marks.states import InvitationKind, MembershipRole, MembershipState

INVITATION_DAYS = 14
SEARCH_LIMIT = 20


class MembershipRefused(workflow.Refused):
    """Something a person may not do with a membership, with a message to show them."""


# --- The table: every change of a membership's state ----------------------------------------

ONLY_MANAGERS = "Only the council's lead or an administrator can do that"
ANSWERED = "That request has already been answered"
NOT_A_MEMBER = "That person is not a member of the council"


def _keeps_a_lead(membership: Membership) -> str | None:
    """A council keeps at least one lead."""
    if membership.role == MembershipRole.LEAD and len(leads(membership.council)) == 1:
        return "A council must keep a lead: make someone else lead before removing this one"
    return None


def _decided(change: workflow.Change) -> None:
    change.thing.decided_at = change.at
    change.thing.decided_by_id = change.actor.id if change.actor is not None else None


def _approved(change: workflow.Change) -> None:
    """Joined: as its lead if decide() found the council without members (under its lock)."""
    _decided(change)
    change.thing.role = MembershipRole(change.details["role"])


MEMBERSHIP = workflow.machine(
    workflow.Machine(
        "membership",
        Membership,
        (
            workflow.Transition(
                "approve",
                frozenset({MembershipState.REQUESTED}),
                MembershipState.ACTIVE,
                permissions.may_manage_membership,
                forbidden=ONLY_MANAGERS,
                effect=_approved,
                emails=notifications.membership_decided,
                event="membership.approved",
                refusals={s: ANSWERED for s in MembershipState if s != MembershipState.REQUESTED},
            ),
            workflow.Transition(
                "reject",
                frozenset({MembershipState.REQUESTED}),
                MembershipState.REJECTED,
                permissions.may_manage_membership,
                forbidden=ONLY_MANAGERS,
                effect=_decided,
                emails=notifications.membership_decided,
                event="membership.rejected",
                refusals={s: ANSWERED for s in MembershipState if s != MembershipState.REQUESTED},
            ),
            workflow.Transition(
                "remove",
                frozenset({MembershipState.ACTIVE}),
                MembershipState.REMOVED,
                permissions.may_manage_membership,
                forbidden=ONLY_MANAGERS,
                when=_keeps_a_lead,
                effect=_decided,
                event="membership.removed",
                refusals={s: NOT_A_MEMBER for s in MembershipState if s != MembershipState.ACTIVE},
            ),
            # The service's own. Merging duplicate councils (councils.merge): a person with a
            # place in both keeps the one in the council kept.
            workflow.Transition(
                "remove_on_merge",
                frozenset({MembershipState.REQUESTED, MembershipState.ACTIVE}),
                MembershipState.REMOVED,
                workflow.SYSTEM,
                effect=_decided,
                event="membership.removed_on_merge",
            ),
            # Erasing a person's personal data (personal_data.erase) ends their membership,
            # and turns down a request they were waiting on.
            workflow.Transition(
                "remove_on_erasure",
                frozenset({MembershipState.ACTIVE}),
                MembershipState.REMOVED,
                workflow.SYSTEM,
                effect=_decided,
                event="membership.removed_on_erasure",
            ),
            workflow.Transition(
                "reject_on_erasure",
                frozenset({MembershipState.REQUESTED}),
                MembershipState.REJECTED,
                workflow.SYSTEM,
                effect=_decided,
                event="membership.rejected_on_erasure",
            ),
        ),
        refused=MembershipRefused,
        where=lambda membership: {"council_id": membership.council_id},
    )
)


def search(query: str) -> list[Council]:
    """Councils whose name contains every word typed, accents and case aside."""
    words = councils.search_name(query).split()
    if not words:
        return []
    statement = sa.select(Council).where(Council.merged_into_id.is_(None))
    for word in words:
        statement = statement.where(Council.search_name.contains(word, autoescape=True))
    return list(db.session.scalars(statement.order_by(Council.name).limit(SEARCH_LIMIT)))


def active_members(council: Council) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.council_id == council.id, Membership.state == MembershipState.ACTIVE)
            .order_by(Membership.role.desc(), Membership.id)
        )
    )


def pending_requests(council: Council | None = None) -> list[Membership]:
    statement = sa.select(Membership).where(Membership.state == MembershipState.REQUESTED)
    if council is not None:
        statement = statement.where(Membership.council_id == council.id)
    return list(db.session.scalars(statement.order_by(Membership.created_at)))


def first_of_their_council(requests: list[Membership]) -> set[int]:
    """The ids of the requests to join a council that has no members yet: only an
    administrator can answer them, and approving one makes its lead."""
    council_ids = {m.council_id for m in requests}
    with_members = set(
        db.session.scalars(
            sa.select(Membership.council_id).where(
                Membership.council_id.in_(council_ids),
                Membership.state == MembershipState.ACTIVE,
            )
        )
    )
    return {m.id for m in requests if m.council_id not in with_members}


def at_recorded_domain(user: User, council: Council) -> bool:
    """Whether the user's confirmed email address is at a domain recorded for the council.

    The domain must be one recorded, exactly: a subdomain of it may belong to someone else
    (a school, a partner organisation, a supplier), so it must be recorded on its own."""
    if user.email_confirmed_at is None:
        return False
    domain = user.email.rpartition("@")[2]
    return domain in councils.email_domain_names(council)


def leads(council: Council) -> list[User]:
    return [m.user for m in active_members(council) if m.role == MembershipRole.LEAD]


def ask_to_join(user: User, council: Council) -> Membership:
    """Join the council: as its lead if it has no members yet and the user's email address is
    at one of its recorded domains; otherwise as a request, which the council's leads answer,
    or, for a council with no members yet, an administrator."""
    if user.membership is not None:
        raise MembershipRefused("You already belong to a council, or have asked to join one")
    if council.merged_into_id is not None:
        raise MembershipRefused("That council has been merged into another: choose that one")
    _lock(council)
    members = active_members(council)
    first = not members
    becomes_lead = first and at_recorded_domain(user, council)
    membership = Membership(
        user=user,
        council=council,
        role=MembershipRole.LEAD if becomes_lead else MembershipRole.MEMBER,
        state=MembershipState.ACTIVE if becomes_lead else MembershipState.REQUESTED,
        decided_at=utcnow() if becomes_lead else None,
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "membership.joined_as_lead" if becomes_lead else "membership.requested",
        membership,
        actor=user,
        council_id=council.id,
        to_state=str(membership.state),
        **({"answered_by": "administrator"} if first and not becomes_lead else {}),
    )
    assessment.end_for_conflict(user, council.id, actor=user)  # they work there now
    if becomes_lead:
        return membership
    if first:
        for administrator in notifications.administrators():
            mail.queue(
                administrator.email,
                "membership_requested_first",
                recipient=administrator,
                requester=user,
                council=council,
                requests_url=mail.link("admin.membership_requests"),
            )
    for lead in (m.user for m in members if m.role == MembershipRole.LEAD):
        mail.queue(
            lead.email,
            "membership_requested",
            lead=lead,
            requester=user,
            council=council,
            members_url=mail.link("council.members"),
        )
    return membership


def _lock(council: Council) -> None:
    """Hold the council's row until the transaction ends: whether it has members yet (and so
    whether someone becomes its lead) is decided by one request at a time."""
    db.session.execute(sa.select(Council.id).where(Council.id == council.id).with_for_update())


def decide(membership: Membership, *, approve: bool, actor: User) -> None:
    """The lead (or an administrator) approves or turns down a request to join. The first
    member of a council, approved, becomes its lead (only an administrator can approve them:
    the council has no lead yet)."""
    _lock(membership.council)
    first = approve and not active_members(membership.council)
    workflow.transition(
        membership,
        "approve" if approve else "reject",
        actor=actor,
        role=str(MembershipRole.LEAD if first else MembershipRole.MEMBER),
    )


def remove(membership: Membership, *, actor: User) -> None:
    """Take a member out of the council. A council keeps at least one lead."""
    _lock(membership.council)  # so that two leads removing each other cannot leave it none
    workflow.transition(membership, "remove", actor=actor)


def end_for_merge(membership: Membership, *, actor: User) -> None:
    """The person has a place in the council the duplicate is merged into: they keep that."""
    workflow.transition(membership, "remove_on_merge", actor=actor)


def end_for_erasure(membership: Membership, *, actor: User | None) -> None:
    """The person's personal data is being erased: their membership ends, or their request is
    turned down. actor None: a command on the server."""
    action = (
        "remove_on_erasure" if membership.state == MembershipState.ACTIVE else "reject_on_erasure"
    )
    workflow.transition(membership, action, actor=actor)


def invite(council: Council, email: str, *, actor: User) -> Invitation:
    """Email a signed, expiring link that lets its holder join the council."""
    if not permissions.may_manage_members(actor, council.id):
        raise MembershipRefused("Only the council's lead or an administrator can invite people")
    email = email.strip().lower()
    invitation = Invitation(
        kind=InvitationKind.COUNCIL_MEMBER,
        email=email,
        council=council,
        invited_by=actor,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.sent", invitation, actor=actor, council_id=council.id, email=email)
    token = _serializer().dumps({"invitation": invitation.id, "email": email})
    mail.queue(
        email,
        "council_invitation",
        council=council,
        inviter=actor,
        accept_url=mail.link("council.accept_invitation", token=token),
        days=INVITATION_DAYS,
    )
    return invitation


def invitation_for(token: str) -> Invitation:
    """The invitation a link stands for; MembershipRefused if it is broken, used or expired."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_DAYS * 24 * 3600)
    except SignatureExpired as error:
        raise MembershipRefused("This invitation has expired: ask for a new one") from error
    except BadSignature as error:
        raise MembershipRefused("This invitation link does not work") from error
    if not isinstance(data, dict):
        raise MembershipRefused("This invitation link does not work")
    invitation = db.session.get(Invitation, data.get("invitation"))
    if invitation is None or invitation.email != data.get("email"):
        raise MembershipRefused("This invitation link does not work")
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise MembershipRefused("This invitation has already been used")
    if invitation.expires_at < utcnow():
        raise MembershipRefused("This invitation has expired: ask for a new one")
    return invitation


def accept(invitation: Invitation, user: User) -> Membership:
    if user.email != invitation.email:
        raise MembershipRefused(
            f"This invitation is for {invitation.email}. Sign in with that email address."
        )
    if user.membership is not None:
        raise MembershipRefused("You already belong to a council, or have asked to join one")
    invitation.accepted_at = utcnow()
    membership = Membership(
        user=user,
        council=invitation.council,
        role=MembershipRole.MEMBER,
        state=MembershipState.ACTIVE,
        decided_at=utcnow(),
        decided_by_id=invitation.invited_by_id,
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "membership.invitation_accepted",
        membership,
        actor=user,
        council_id=invitation.council_id,
        to_state=str(MembershipState.ACTIVE),
    )
    assessment.end_for_conflict(user, invitation.council_id, actor=user)  # they work there now
    return membership


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt="council-invitation")
