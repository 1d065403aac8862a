"""Signed-in sessions, kept on the server.

Flask's session is a signed cookie: on its own, a copy of it taken before signing out would
still be signed in. So signing in makes a row here with a random key, the cookie carries the
key, and a request is signed in only while the row exists. Signing out deletes the row (every
copy of the cookie is then signed out); a password change or deactivation deletes all of the
person's rows. The cookie still ends after PERMANENT_SESSION_LIFETIME without a request
(Flask checks the signature's age on the server); a row also ends SESSION_MAX_AGE after
signing in, however busy the session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, g, session
from flask_login import current_user, login_user, logout_user

from marks.extensions import db
from marks.models import User, UserSession, utcnow

# The cookie's fields that hold the session's key, and when it started.
KEY = "session_key"
STARTED = "session_started"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _oldest_allowed():
    return utcnow() - current_app.config["SESSION_MAX_AGE"]


def start(user: User) -> None:
    """Sign the person in on this browser: a new session row, and a cookie that holds nothing
    from before (no fixation: whatever the cookie carried while signed out is dropped)."""
    key = secrets.token_urlsafe(32)
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.created_at < _oldest_allowed()
        )
    )
    db.session.add(UserSession(key_hash=_hash(key), user_id=user.id))
    db.session.flush()
    session.clear()
    # A new CSRF token too: the one this request cached belonged to the cleared session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(user)
    session[KEY] = key
    # When, for the time-out warning without a query (the cookie is signed: the row's time).
    session[STARTED] = utcnow().timestamp()
    session.permanent = True


def user_for(user_id: str, key: str | None) -> User | None:
    """The signed-in user of this request, if its session row still stands."""
    if not key or not user_id.isdigit():
        return None
    return db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            User.deactivated_at.is_(None),
            UserSession.key_hash == _hash(key),
            UserSession.created_at >= _oldest_allowed(),
        )
    )


def end() -> None:
    """Sign out this browser: its session row goes, so every copy of its cookie is signed out."""
    key = session.get(KEY)
    if key:
        db.session.execute(sa.delete(UserSession).where(UserSession.key_hash == _hash(key)))
    logout_user()
    session.clear()


def end_all(user: User) -> int:
    """End every session of the person, everywhere (a password change, deactivation).
    Returns how many ended."""
    result = db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    return result.rowcount


def _started() -> datetime | None:
    """When this browser's session started: the cookie says (it is signed), or, for a session
    from before the cookie carried it, the row. None when not signed in."""
    key = session.get(KEY)
    if not key or not current_user.is_authenticated:
        return None
    started = session.get(STARTED)
    if started is not None:
        return datetime.fromtimestamp(started, UTC)
    return db.session.scalar(
        sa.select(UserSession.created_at).where(UserSession.key_hash == _hash(key))
    )


def limit_ends_at() -> datetime | None:
    """When this browser's session will end however busy the person is: SESSION_MAX_AGE after
    signing in. Nothing extends it. None when not signed in."""
    started = _started()
    return None if started is None else started + current_app.config["SESSION_MAX_AGE"]


def ends_at() -> datetime | None:
    """When this browser's signed-in session will end if the person does nothing more: the
    cookie's idle limit from now (each request restarts it), or the limit from signing in,
    whichever comes first. None when not signed in."""
    limit = limit_ends_at()
    if limit is None:
        return None
    return min(utcnow() + current_app.config["PERMANENT_SESSION_LIFETIME"], limit)


def _seconds_until(end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - utcnow()).total_seconds()))


def seconds_left() -> int | None:
    """ends_at(), as whole seconds from now: what the time-out warning counts down."""
    return _seconds_until(ends_at())


def limit_seconds_left() -> int | None:
    """limit_ends_at(), as whole seconds from now: when the warning's count reaches this,
    "Stay signed in" can no longer help, and the warning says so."""
    return _seconds_until(limit_ends_at())
