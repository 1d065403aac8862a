"""People and councils: users, councils and their email domains, memberships, invitations."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marks.extensions import db
from marks.models.base import UTCDateTime, created_column, in_states, state_column, utcnow
from marks.states import (
    CouncilKind,
    InvitationKind,
    MembershipRole,
    MembershipState,
    Nation,
    UserRole,
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[UserRole] = state_column(UserRole, default=UserRole.USER)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_column()
    # Two-factor sign-in (marks/people/two_factor.py): the authenticator app's key, base32, and the
    # last time step a code was accepted for, so that no code works twice.
    two_factor_key: Mapped[str | None] = mapped_column(sa.String(64))
    two_factor_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    two_factor_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Their personal data was erased (marks/people/personal_data.py): the row stays, anonymised, so
    # that the scheme's records keep an actor.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id"
    )

    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.CheckConstraint(
            "(two_factor_key IS NULL) = (two_factor_enrolled_at IS NULL)",
            name="two_factor_key_iff_enrolled",
        ),
        sa.CheckConstraint(
            "erased_at IS NULL OR deactivated_at IS NOT NULL", name="erased_is_deactivated"
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to inactive users
        return self.deactivated_at is None

    @property
    def password_fingerprint(self) -> str:
        """Changes whenever the password does: a reset link works once."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def is_administrator(self) -> bool:
        return self.role == UserRole.ADMINISTRATOR

    @property
    def is_assessor(self) -> bool:
        return self.role == UserRole.ASSESSOR

    @property
    def membership(self) -> Membership | None:
        """The user's current (requested or active) membership: one council at a time."""
        for m in self.memberships:
            if m.state in (MembershipState.REQUESTED, MembershipState.ACTIVE):
                return m
        return None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def two_factor_enrolled(self) -> bool:
        return self.two_factor_key is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RecoveryCode(db.Model):
    """A single-use code that signs its owner in without the authenticator app. Only its
    SHA-256 is kept: see two_factor.hash_recovery_code."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_column()
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("uq_recovery_codes_user_code", "user_id", "code_hash", unique=True),)


class Council(db.Model):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    gss_code: Mapped[str] = mapped_column(sa.String(9), unique=True)
    # The name people use, the council's official name ("Hull City Council"): what every page,
    # certificate, badge and email prints.
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # The short name ("Kingston upon Hull"), which the register sorts by, and the ONS
    # statistical name ("Kingston upon Hull, City of"); councils added by hand may have neither.
    short_name: Mapped[str | None] = mapped_column(sa.String(200))
    ons_name: Mapped[str | None] = mapped_column(sa.String(200))
    # Every name above, lower case, accents folded, the one it sorts by first: what searches
    # match against and the register sorts by (councils.search_names).
    search_name: Mapped[str] = mapped_column(sa.String(200), index=True)
    kind: Mapped[CouncilKind] = state_column(CouncilKind)
    nation: Mapped[Nation] = state_column(Nation)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("councils.id"))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("councils.id"))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Council | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    email_domains: Mapped[list[CouncilEmailDomain]] = relationship(
        back_populates="council",
        cascade="all, delete-orphan",
        order_by="CouncilEmailDomain.domain",
    )

    __table_args__ = (
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_self"
        ),
    )

    def __repr__(self) -> str:
        return f"<Council {self.gss_code}>"


class CouncilEmailDomain(db.Model):
    """A domain the council's staff have email addresses at, recorded by an administrator: the
    first person to join a council with no members becomes its lead at once only from one.
    Two councils may share one (shared-services councils give their staff one address)."""

    __tablename__ = "council_email_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"))
    domain: Mapped[str] = mapped_column(sa.String(253))
    created_at: Mapped[datetime] = created_column()

    council: Mapped[Council] = relationship(back_populates="email_domains")

    __table_args__ = (
        sa.UniqueConstraint("council_id", "domain"),
        sa.CheckConstraint("domain = lower(domain)", name="domain_lower_case"),
        sa.CheckConstraint("domain NOT LIKE '%@%' AND domain LIKE '%_._%'", name="domain_only"),
    )


class Membership(db.Model):
    """A user's place in a council. A user belongs to one council at a time."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id"), index=True)
    role: Mapped[MembershipRole] = state_column(MembershipRole, default=MembershipRole.MEMBER)
    state: Mapped[MembershipState] = state_column(MembershipState)
    created_at: Mapped[datetime] = created_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    council: Mapped[Council] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_memberships_one_council_per_user",
            "user_id",
            unique=True,
            sqlite_where=sa.text(
                in_states("state", MembershipState.REQUESTED, MembershipState.ACTIVE)
            ),
            postgresql_where=sa.text(
                in_states("state", MembershipState.REQUESTED, MembershipState.ACTIVE)
            ),
        ),
        sa.CheckConstraint(
            "role = 'member' OR "
            + in_states("state", MembershipState.ACTIVE, MembershipState.REMOVED),
            name="lead_is_active",
        ),
    )


class Invitation(db.Model):
    """An invitation by email: to join a council, or to become an assessor or administrator."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvitationKind] = state_column(InvitationKind)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    council_id: Mapped[int | None] = mapped_column(sa.ForeignKey("councils.id"))
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    council: Mapped[Council | None] = relationship()
    invited_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'council_member') = (council_id IS NOT NULL)", name="council_iff_member"
        ),
        sa.CheckConstraint("accepted_at IS NULL OR revoked_at IS NULL", name="accepted_or_revoked"),
    )


class UserSession(db.Model):
    """A signed-in session, kept on the server. The browser's session cookie holds only a
    random key to it (stored here hashed), so ending the row ends every copy of the cookie:
    signing out, a password change and deactivation end sessions for good."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = created_column()

    user: Mapped[User] = relationship()
