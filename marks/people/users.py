"""Accounts: creating users, passwords, email confirmation and password reset.

Links sent by email are signed and expiring (itsdangerous). A reset link carries a fingerprint
of the password hash it was issued against, so it works once: setting the password kills it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from marks import audit, mail
from marks.config import signing_keys
from marks.extensions import db
from marks.models import Council, Membership, User, utcnow
from marks.people import sessions
from marks.states import MembershipRole, MembershipState, ReasonAudience, UserRole


class LinkError(Exception):
    """A link from an email that is broken, expired or already used."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_HASH"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_fingerprint(user: User) -> str:
    return user.password_fingerprint


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None.

    An unknown email costs the same hashing work as a known one, so timing reveals nothing.
    """
    user = find_user(email)
    hasher = _hasher()
    if user is None:
        _waste_a_verification(hasher, password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    if not user.is_active:
        return None
    return user


_DUMMY_HASH: dict[str, str] = {}


def _waste_a_verification(hasher: PasswordHasher, password: str) -> None:
    key = repr(current_app.config["PASSWORD_HASH"])
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hasher.hash("not-a-real-password")
    with contextlib.suppress(VerificationError):
        hasher.verify(_DUMMY_HASH[key], password)


def create_user(
    email: str,
    full_name: str,
    password: str,
    *,
    role: UserRole = UserRole.USER,
    confirmed: bool = False,
    actor: User | None = None,
) -> User:
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, actor=actor or user, role=str(role))
    return user


def sign_up(email: str, full_name: str, password: str) -> None:
    """Create an account and email a confirmation link. If the email is taken, tell its owner
    by email instead: the person signing up sees the same page either way, after the same
    work (the password hashed, an email queued), so that not even the time it takes tells
    whether the address has an account. At most one of these emails goes to an address in
    each ACCOUNT_EMAIL_WINDOW, however often the form is sent."""
    user = find_user(email)
    if user is None:
        user = create_user(email, full_name, password)
        template, context = "confirm_email", _confirmation(user)
    else:
        hash_password(password)  # thrown away: the work that creating an account does
        template = "account_exists"
        context = {
            "sign_in_url": mail.link("accounts.sign_in"),
            "reset_url": mail.link("accounts.forgotten_password"),
        }
    mail.queue_once_per_window(
        user.email,
        template,
        series="sign-up",
        window=current_app.config["ACCOUNT_EMAIL_WINDOW"],
        user=user,
        **context,
    )


def send_confirmation(user: User) -> None:
    """Email a fresh confirmation link (to someone signing in who has not confirmed yet): at
    most one in each ACCOUNT_EMAIL_WINDOW, besides the one that signing up sent."""
    mail.queue_once_per_window(
        user.email,
        "confirm_email",
        series="confirm-again",
        window=current_app.config["ACCOUNT_EMAIL_WINDOW"],
        user=user,
        **_confirmation(user),
    )


def _confirmation(user: User) -> dict[str, Any]:
    token = _serializer("confirm-email").dumps({"user": user.id, "email": user.email})
    return {
        "confirm_url": mail.link("accounts.confirm_email", token=token),
        "hours": current_app.config["CONFIRM_EMAIL_MAX_AGE"] // 3600,
    }


def confirm_email(token: str) -> User:
    data = _load("confirm-email", token, current_app.config["CONFIRM_EMAIL_MAX_AGE"])
    user = db.session.get(User, data.get("user"))
    if user is None or user.email != data.get("email"):
        raise LinkError(expired=False)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("user.email_confirmed", user, actor=user)
    return user


def send_password_reset(email: str) -> None:
    """Email a reset link if the account exists; do nothing visible otherwise. At most one
    goes to an address in each ACCOUNT_EMAIL_WINDOW: the first link works until it is used."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    token = _serializer("reset-password").dumps(
        {"user": user.id, "fingerprint": password_fingerprint(user)}
    )
    mail.queue_once_per_window(
        user.email,
        "reset_password",
        series="reset-password",
        window=current_app.config["ACCOUNT_EMAIL_WINDOW"],
        user=user,
        reset_url=mail.link("accounts.reset_password", token=token),
        minutes=current_app.config["RESET_PASSWORD_MAX_AGE"] // 60,
    )


def user_for_reset(token: str) -> User:
    data = _load("reset-password", token, current_app.config["RESET_PASSWORD_MAX_AGE"])
    user = db.session.get(User, data.get("user"))
    if user is None or not user.is_active:
        raise LinkError(expired=False)
    if data.get("fingerprint") != password_fingerprint(user):
        raise LinkError(expired=False)  # used already, or the password changed since
    return user


def set_password(user: User, password: str, *, reason: str) -> None:
    """Set a new password. Every session of the person ends, everywhere: whoever knew the old
    password is signed out (a change signs its own browser in again)."""
    user.password_hash = hash_password(password)
    sessions.end_all(user)
    # A reset link proves the address, so a user who never confirmed it has now.
    if reason == "reset" and user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record(
        "user.password_changed",
        user,
        actor=user,
        reason=reason,
        reason_audience=ReasonAudience.RECORD,
    )
    mail.queue(user.email, "password_changed", user=user)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def record_sign_in(user: User) -> None:
    user.last_signed_in_at = utcnow()
    audit.record("user.signed_in", user, actor=user)


def add_to_council(
    user: User, council: Council, role: MembershipRole, *, actor: User | None
) -> Membership:
    """Make the user an active member of the council (staff commands and seeding)."""
    membership = Membership(
        user=user,
        council=council,
        role=role,
        state=MembershipState.ACTIVE,
        decided_at=utcnow(),
        decided_by_id=actor.id if actor else None,
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "membership.added",
        membership,
        actor=actor,
        council_id=council.id,
        to_state=str(MembershipState.ACTIVE),
        role=str(role),
    )
    return membership


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt=salt)


def _load(salt: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkError(expired=True) from error
    except BadSignature as error:
        raise LinkError(expired=False) from error
    if not isinstance(data, dict):
        raise LinkError(expired=False)
    return data
