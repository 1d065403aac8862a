"""Two-factor sign-in: a 6-digit code from an authenticator app (TOTP, RFC 6238: 30-second
steps, one step either side accepted) and 10 single-use recovery codes. Administrators and
assessors must have it (permissions.must_use_two_factor); council users may turn it on.

The app's key is kept as the app has it (base32), not encrypted: unlike a password it must be
read back to compute codes, and the dependencies hold no authenticated encryption (a cipher
of our own would be worse than none). Encrypting it under a key derived from SECRET_KEY would
also tie every enrolment to SECRET_KEY: rotating it would lock every member of staff out.
Statement parameters never reach a log (config: hide_parameters).

A code is accepted once: the time step it was made for is stored, and a code for that step
or an earlier one is refused, in one UPDATE, so two requests racing with the same code cannot
both succeed. Recovery codes carry 80 random bits and only their SHA-256 is stored: at 80 bits
no hash can be searched backwards, so a slow hash (argon2, for passwords people choose) would
add nothing but the cost of 10 verifications per attempt; a fast one lets the database find
the code by equality.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app

from marks import audit, mail, permissions
from marks.extensions import db
from marks.models import RecoveryCode, User, utcnow
from marks.people import sessions

DIGITS = 6
STEP = 30  # seconds
WINDOW = 1  # steps either side of now: a clock a little out, a code typed as it changed
ISSUER = "Social Media Friendly Mark"
RECOVERY_CODES = 10
# Crockford's base32: no I, L, O or U to misread. 16 characters: 80 bits.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 16
_MISREAD = str.maketrans({"i": "1", "l": "1", "o": "0"})

# The demo's one key, for `flask seed-demo`'s staff (marks/seed/demo.py, README): anyone can make
# its codes, so it is refused outside development.
DEMO_KEY = "SOCIALMEDIAFRIENDLYMARKDEMOSTAFF"

WRONG = "Enter a correct code from your authenticator app, or a recovery code"
USED = "That code has been used already. Wait for your authenticator app to show a new one"
DEMO_KEY_REFUSED = (
    "Your two-factor sign-in uses the demo key, which works only in development. "
    "Ask an administrator to reset your two-factor sign-in"
)


class CodeRefused(Exception):
    """A code that does not sign the person in, with the message to show them."""


class TwoFactorRefused(Exception):
    """Something about two-factor sign-in a person may not do, with a message to show."""


# --- Keys -----------------------------------------------------------------------------------


def new_key() -> str:
    """A random key for an authenticator app: 160 bits, as RFC 4226 recommends."""
    return pyotp.random_base32()


def grouped(key: str) -> str:
    """The key in groups of 4, easier to type into an app by hand."""
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code(user: User, key: str) -> str:
    """A data: URI of the QR code an authenticator app scans to add the account (an SVG)."""
    uri = pyotp.TOTP(key, digits=DIGITS, interval=STEP).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=4)


def code_for(key: str, at: float | None = None) -> str:
    """The code an authenticator app shows at a time (now by default): for the demo and tests."""
    totp = pyotp.TOTP(key, digits=DIGITS, interval=STEP)
    return totp.at(time.time() if at is None else at)


def _demo_key_allowed() -> bool:
    return current_app.config["MARKS_ENV"] == "development"


def _refuse_demo_key(user: User, key: str) -> None:
    if key == DEMO_KEY and not _demo_key_allowed():
        current_app.logger.warning(
            "Refused a code for user %s: their key is the demo key, which works only in "
            "development",
            user.id,
        )
        raise CodeRefused(DEMO_KEY_REFUSED)


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _step_of(key: str, code: str, now: float | None) -> int | None:
    """The time step, within the window, whose code this is; None if none."""
    totp = pyotp.TOTP(key, digits=DIGITS, interval=STEP)
    current = int((time.time() if now is None else now) // STEP)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _claim(user: User, step: int) -> bool:
    """Record the step as used, unless it (or a later one) was: one UPDATE, race-free."""
    claimed = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.two_factor_last_step.is_(None), User.two_factor_last_step < step),
        )
        .values(two_factor_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return claimed.rowcount == 1


# --- Enrolling --------------------------------------------------------------------------------


def enrol(user: User, key: str, *, actor: User | None) -> None:
    """Give the user this key (seeding, and confirm_enrolment below)."""
    if key == DEMO_KEY and not _demo_key_allowed():
        raise TwoFactorRefused("The demo key works only in development")
    user.two_factor_key = key
    user.two_factor_enrolled_at = utcnow()
    user.two_factor_last_step = None
    db.session.flush()
    audit.record("user.two_factor_enrolled", user, actor=actor)


def confirm_enrolment(user: User, key: str, code: str, *, now: float | None = None) -> list[str]:
    """Turn two-factor sign-in on with the key the person's app now holds, once a code from
    the app shows it does; return the 10 new recovery codes, to show once."""
    if user.two_factor_enrolled:
        raise TwoFactorRefused("Two-factor sign-in is already turned on")
    cleaned = _clean(code)
    step = _step_of(key, cleaned, now) if cleaned.isdigit() and len(cleaned) == DIGITS else None
    if step is None:
        raise CodeRefused("Enter a correct code from your authenticator app")
    enrol(user, key, actor=user)
    user.two_factor_last_step = step
    db.session.flush()
    return _new_recovery_codes(user)


# --- Signing in ---------------------------------------------------------------------------------


def verify(user: User, code: str, *, now: float | None = None) -> str:
    """Check a code typed at sign-in: "app" for a code from the authenticator app, "recovery"
    for a recovery code (used up now); CodeRefused otherwise."""
    if not user.two_factor_enrolled:
        raise CodeRefused(WRONG)
    _refuse_demo_key(user, user.two_factor_key)
    cleaned = _clean(code)
    if cleaned.isdigit() and len(cleaned) == DIGITS:
        step = _step_of(user.two_factor_key, cleaned, now)
        if step is None:
            raise CodeRefused(WRONG)
        if not _claim(user, step):
            raise CodeRefused(USED)
        return "app"
    if len(cleaned) == _RECOVERY_LENGTH and _use_recovery_code(user, cleaned):
        audit.record("user.recovery_code_used", user, actor=user, left=recovery_codes_left(user))
        return "recovery"
    raise CodeRefused(WRONG)


# --- Recovery codes -----------------------------------------------------------------------------


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_clean(code).translate(_MISREAD).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(raw)))
    db.session.flush()
    return codes


def _use_recovery_code(user: User, cleaned: str) -> bool:
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def replace_recovery_codes(user: User) -> list[str]:
    """10 new recovery codes; the old ones stop working."""
    if not user.two_factor_enrolled:
        raise TwoFactorRefused("Turn on two-factor sign-in first")
    codes = _new_recovery_codes(user)
    audit.record("user.recovery_codes_replaced", user, actor=user)
    return codes


# --- Turning it off -------------------------------------------------------------------------------


def _forget(user: User) -> None:
    user.two_factor_key = None
    user.two_factor_enrolled_at = None
    user.two_factor_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset(user: User, *, actor: User | None) -> None:
    """A lost device: another administrator (or a command on the server, actor None) removes
    the key and the recovery codes; the person sets up a new one when they next sign in.
    Never the person alone, by email: that would make the email the only factor."""
    if actor is not None and not permissions.may_reset_two_factor(actor, user):
        if actor.id == user.id:
            raise TwoFactorRefused(
                "You cannot reset your own two-factor sign-in: ask another administrator"
            )
        raise TwoFactorRefused("Only an administrator can reset two-factor sign-in")
    if not user.two_factor_enrolled:
        raise TwoFactorRefused(f"{user.full_name} has not set up two-factor sign-in")
    _forget(user)
    # Whoever has the lost device may have a signed-in browser too: it is signed out.
    sessions.end_all(user)
    audit.record("user.two_factor_reset", user, actor=actor)
    mail.queue(user.email, "two_factor_reset", user=user)


def turn_off(user: User) -> None:
    """A council user turns it off for themselves (staff cannot: they must have it)."""
    if not permissions.may_turn_off_two_factor(user):
        raise TwoFactorRefused("Your role needs two-factor sign-in: you cannot turn it off")
    _forget(user)
    audit.record("user.two_factor_turned_off", user, actor=user)
    mail.queue(user.email, "two_factor_turned_off", user=user)
