"""The scheme's own staff: finding people, their roles (user, assessor, administrator),
deactivating accounts, and inviting assessors and administrators by email.

The scheme always keeps an active administrator: nobody can demote or deactivate the last
one, or themselves. A deactivated account can no longer sign in; everything it did stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from marks import audit, mail
from marks.config import signing_keys
from marks.extensions import db
from marks.models import Application, Assignment, Invitation, Membership, User, utcnow
from marks.people import sessions
from marks.states import InvitationKind, UserRole

PAGE_SIZE = 50
INVITATION_DAYS = 14
STATUSES = ("active", "deactivated")
STAFF_KINDS = (InvitationKind.ASSESSOR, InvitationKind.ADMINISTRATOR)

ROLE_LABELS = {
    UserRole.USER: "Council user",
    UserRole.ASSESSOR: "Assessor",
    UserRole.ADMINISTRATOR: "Administrator",
}
ROLE_HINTS = {
    UserRole.USER: "Can work on their council's application. No assessor or administrator pages.",
    UserRole.ASSESSOR: "Scores the applications an administrator assigns to them.",
    UserRole.ADMINISTRATOR: "Runs the scheme: assigns assessors, decides, manages people.",
}
# What "an assessor" or "an administrator" reads as in a sentence.
ROLE_NAMES = {
    UserRole.USER: "a council user",
    UserRole.ASSESSOR: "an assessor",
    UserRole.ADMINISTRATOR: "an administrator",
}


class StaffRefused(Exception):
    """Something an administrator (or an invited person) may not do, with a message to show."""


# --- Finding people -------------------------------------------------------------------------


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search_users(
    q: str = "", role: UserRole | None = None, status: str | None = None, page: int = 1
) -> UserPage:
    """One page of people, by name: two queries (the rows, and how many there are).

    Every word typed must be in the name or the email address, case aside."""
    terms: list[sa.ColumnElement[bool]] = []
    for word in q.lower().split():
        terms.append(
            sa.or_(
                sa.func.lower(User.full_name).contains(word, autoescape=True),
                User.email.contains(word, autoescape=True),
            )
        )
    if role is not None:
        terms.append(User.role == role)
    if status == "active":
        terms.append(User.deactivated_at.is_(None))
    elif status == "deactivated":
        terms.append(User.deactivated_at.is_not(None))
    elif status:
        raise ValueError(f"unknown status {status!r}")
    total = db.session.scalar(sa.select(sa.func.count(User.id)).where(*terms)) or 0
    users = db.session.scalars(
        sa.select(User)
        .where(*terms)
        .order_by(sa.func.lower(User.full_name), User.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return UserPage(list(users), total, page)


def memberships_of(user: User) -> list[Membership]:
    """Every council the user has belonged to or asked to join, newest first."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.user_id == user.id)
            .options(joinedload(Membership.council))
            .order_by(Membership.created_at.desc(), Membership.id.desc())
        )
    )


def assignments_of(user: User) -> list[Assignment]:
    """Every application the user has been assigned to assess, newest first."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.assessor_id == user.id)
            .options(
                joinedload(Assignment.application).joinedload(Application.council),
                joinedload(Assignment.assessment),
            )
            .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
        )
    )


# --- Roles and deactivation -----------------------------------------------------------------


def check_actor(user: User, actor: User | None, doing: str) -> None:
    """actor None is a command run on the server, which may do anything an administrator may.
    An erased account is never used again (marks/people/personal_data.py)."""
    if user.is_erased:
        raise StaffRefused(f"{user.full_name}'s personal data was erased: the account stays closed")
    if actor is None:
        return
    if not (actor.is_active and actor.is_administrator):
        raise StaffRefused("Only an administrator can do that")
    if actor.id == user.id:
        raise StaffRefused(f"You cannot {doing} your own account: ask another administrator")


def keep_an_administrator(user: User) -> None:
    """Refuse if the user is the only active administrator. The administrators' rows are
    locked first, so two administrators demoting each other at once cannot both succeed."""
    if not (user.is_administrator and user.is_active):
        return
    others = db.session.scalars(
        sa.select(User.id)
        .where(User.role == UserRole.ADMINISTRATOR, User.deactivated_at.is_(None))
        .with_for_update()
    ).all()
    if not set(others) - {user.id}:
        raise StaffRefused(
            f"{user.full_name} is the only active administrator. "
            "Make someone else an administrator first"
        )


def _set_role(user: User, role: UserRole, actor: User | None, **data: object) -> None:
    if user.role == role:
        raise StaffRefused(f"{user.full_name} is already {ROLE_NAMES[role]}")
    if role != UserRole.ADMINISTRATOR:
        keep_an_administrator(user)
    before = user.role
    user.role = role
    db.session.flush()
    audit.record(
        "user.role_changed",
        user,
        actor=actor,
        from_state=str(before),
        to_state=str(role),
        **data,
    )


def change_role(user: User, role: UserRole, actor: User | None) -> None:
    """Make the user a council user, an assessor or an administrator."""
    check_actor(user, actor, "change the role of")
    _set_role(user, UserRole(role), actor)


def deactivate(user: User, actor: User | None) -> None:
    """Stop the account signing in (its sessions end too). Its history stays."""
    check_actor(user, actor, "deactivate")
    if not user.is_active:
        raise StaffRefused(f"{user.full_name}'s account is already deactivated")
    keep_an_administrator(user)
    user.deactivated_at = utcnow()
    sessions.end_all(user)
    db.session.flush()
    audit.record("user.deactivated", user, actor=actor, from_state="active", to_state="deactivated")


def reactivate(user: User, actor: User | None) -> None:
    """Let a deactivated account sign in again."""
    check_actor(user, actor, "reactivate")
    if user.is_active:
        raise StaffRefused(f"{user.full_name}'s account is already active")
    user.deactivated_at = None
    db.session.flush()
    audit.record("user.reactivated", user, actor=actor, from_state="deactivated", to_state="active")


# --- Invitations ----------------------------------------------------------------------------


def invite(email: str, kind: InvitationKind, actor: User) -> Invitation:
    """Email a signed link, valid 14 days, that makes its holder an assessor or administrator.

    The person may already have an account (accepting changes its role) or create one with
    this address first. A new invitation replaces any earlier one to the same address."""
    kind = InvitationKind(kind)
    if kind not in STAFF_KINDS:
        raise StaffRefused("Choose whether to invite an assessor or an administrator")
    if not (actor.is_active and actor.is_administrator):
        raise StaffRefused("Only an administrator can invite assessors and administrators")
    email = email.strip().lower()
    role = UserRole(kind.value)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None and existing.role == role:
        raise StaffRefused(f"{email} is already {ROLE_NAMES[role]}")
    if existing is not None and not existing.is_active:
        raise StaffRefused(f"The account for {email} is deactivated: reactivate it first")
    now = utcnow()
    replaced = db.session.scalars(
        sa.select(Invitation).where(
            Invitation.email == email,
            Invitation.kind.in_(STAFF_KINDS),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ).all()
    for earlier in replaced:
        earlier.revoked_at = now
    invitation = Invitation(
        kind=kind,
        email=email,
        invited_by=actor,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.sent",
        invitation,
        actor=actor,
        email=email,
        kind=str(kind),
        replaced=[i.id for i in replaced],
    )
    token = _serializer().dumps({"invitation": invitation.id, "email": email})
    mail.queue(
        email,
        "staff_invitation",
        inviter=actor,
        role_name=ROLE_NAMES[role],
        accept_url=mail.link("accounts.accept_staff_invitation", token=token),
        sign_up_url=mail.link("accounts.sign_up"),
        days=INVITATION_DAYS,
    )
    return invitation


def pending_invitations() -> list[Invitation]:
    """Staff invitations not yet accepted, replaced or expired, newest first."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.kind.in_(STAFF_KINDS),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .options(joinedload(Invitation.invited_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def invitation_for(token: str) -> Invitation:
    """The invitation a link stands for; StaffRefused if it is broken, used or expired."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_DAYS * 24 * 3600)
    except SignatureExpired as error:
        raise StaffRefused(
            "This invitation has expired: ask an administrator for a new one"
        ) from error
    except BadSignature as error:
        raise StaffRefused("This invitation link does not work") from error
    if not isinstance(data, dict):
        raise StaffRefused("This invitation link does not work")
    invitation = db.session.get(Invitation, data.get("invitation"))
    if (
        invitation is None
        or invitation.kind not in STAFF_KINDS
        or invitation.email != data.get("email")
    ):
        raise StaffRefused("This invitation link does not work")
    if invitation.accepted_at is not None:
        raise StaffRefused("This invitation has already been used")
    if invitation.revoked_at is not None:
        raise StaffRefused(
            "This invitation has been replaced by a newer one: use the link in the latest email"
        )
    if invitation.expires_at < utcnow():
        raise StaffRefused("This invitation has expired: ask an administrator for a new one")
    return invitation


def role_for(invitation: Invitation) -> UserRole:
    return UserRole(invitation.kind.value)


def why_not_accept(invitation: Invitation, user: User) -> str | None:
    """Why the user cannot accept the invitation, or None if they can."""
    if user.email != invitation.email:
        return f"This invitation is for {invitation.email}. Sign in with that email address"
    if user.role == role_for(invitation):
        return f"You are already {ROLE_NAMES[user.role]}"
    return None


def accept(invitation: Invitation, user: User) -> None:
    """The invited person, signed in with the invited address, takes on the role."""
    refusal = why_not_accept(invitation, user)
    if refusal is not None:
        raise StaffRefused(refusal)
    _set_role(user, role_for(invitation), user, invitation=invitation.id)
    invitation.accepted_at = utcnow()
    db.session.flush()
    audit.record(
        "invitation.accepted",
        invitation,
        actor=user,
        to_state=str(role_for(invitation)),
        user=user.id,
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt="staff-invitation")
