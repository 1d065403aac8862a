"""Two-factor sign-in: the code step after the password, setting it up (at sign-in for staff
who have none yet, or from the account page), recovery codes, and turning it off.

Between the password and the code the session holds a pending sign-in (who, the password's
fingerprint, since when), never a signed-in user: no signed-in page lets it in.
"""

from __future__ import annotations

import time

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from marks import permissions
from marks.accounts.forms import SetUpCodeForm, SignInCodeForm
from marks.accounts.routes import (
    _complete_sign_in,
    _safe_next,
    after_sign_in,
    bp,
    carried_through_sign_in,
    save_what_was_carried,
)
from marks.extensions import db
from marks.forms import ConfirmForm
from marks.models import User
from marks.people import attempts, two_factor
from marks.people.two_factor import CodeRefused, TwoFactorRefused
from marks.permissions import PUBLIC, SIGNED_IN, access
from marks.scheme import issuer as scheme_issuer

PENDING = "pending_sign_in"
NEW_KEY = "two_factor_new_key"  # the key being set up, until a code confirms it


def two_factor_asked(user: User) -> bool:
    """Whether signing in takes a code after the password (or setting one up first)."""
    return user.two_factor_enrolled or permissions.must_use_two_factor(user)


def ask_for_code(user: User, replay: list[tuple[str, str]]):
    """The password was right: hold the sign-in until the second factor (or its set-up)."""
    session[PENDING] = {
        "user": user.id,
        "fingerprint": user.password_fingerprint,
        "since": int(time.time()),
    }
    session.pop(NEW_KEY, None)
    target = request.args.get("next")
    if not user.two_factor_enrolled:
        return redirect(url_for("accounts.set_up_sign_in_code", next=target))
    if replay:  # a form the session lost travels on through the code page
        return _code_page(SignInCodeForm(formdata=None), replay)
    return redirect(url_for("accounts.sign_in_code", next=target))


def _pending_user() -> User | None:
    """Who is between their password and their code, if anyone still is."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > current_app.config["SIGN_IN_CODE_MAX_AGE"]:
        return None
    user = db.session.get(User, pending.get("user"))
    if (
        user is None
        or not user.is_active
        or user.email_confirmed_at is None
        or user.password_fingerprint != pending.get("fingerprint")
    ):
        return None
    return user


def _sign_in_again():
    session.pop(PENDING, None)
    flash("Sign in again: you took too long, or you have not entered your password.", "info")
    return redirect(url_for("accounts.sign_in", next=request.args.get("next")))


# --- Rate limits ------------------------------------------------------------------------------


def _counted(user: User) -> None:
    """Count a code attempt first, as passwords are (marks/people/attempts.py): per client
    address and per person, over every page that takes a code. Past the limit: the "Too many
    attempts" page, and the code is not checked."""
    if not attempts.allowed("sign-in-code", user.email):
        abort(429)


def _refused(form, error: Exception) -> None:
    form.code.errors.append(str(error))


# --- The code step ------------------------------------------------------------------------------


def _code_page(form: SignInCodeForm, replay: list[tuple[str, str]]):
    form.code.data = ""  # a code is never shown again, right or wrong
    return render_template(
        "accounts/sign_in_code.html",
        form=form,
        replay=replay,
        contact_email=scheme_issuer.current().contact_email,
    )


@bp.route("/sign-in/code", methods=["GET", "POST"])
@access(PUBLIC)
def sign_in_code():
    user = _pending_user()
    if user is None or not user.two_factor_enrolled:
        return _sign_in_again()
    form = SignInCodeForm()
    replay, target = carried_through_sign_in()
    if form.validate_on_submit():
        _counted(user)
        try:
            how = two_factor.verify(user, form.code.data)
        except CodeRefused as error:
            _refused(form, error)
        else:
            attempts.refund("sign-in-code", user.email)
            _complete_sign_in(user)
            db.session.commit()
            if how == "recovery":
                left = two_factor.recovery_codes_left(user)
                flash(
                    f"You used a recovery code: it will not work again. You have {left} left. "
                    "If you have lost your device, turn two-factor sign-in off and on again "
                    "from your account, or, for staff, ask an administrator to reset it.",
                    "info",
                )
            if replay:
                return save_what_was_carried(replay, target)
            return redirect(after_sign_in(user))
    return _code_page(form, replay)


# --- Setting it up ------------------------------------------------------------------------------


def _set_up(user: User, *, signing_in: bool, done: str):
    """The set-up page: a QR code and the key as text, then a code from the app to show it
    has the key. The key waits in the session until then. Right: the recovery codes, once."""
    key = session.get(NEW_KEY) or two_factor.new_key()
    session[NEW_KEY] = key
    form = SetUpCodeForm()
    if form.validate_on_submit():
        _counted(user)
        try:
            codes = two_factor.confirm_enrolment(user, key, form.code.data)
        except CodeRefused as error:
            _refused(form, error)
        else:
            attempts.refund("sign-in-code", user.email)
            session.pop(NEW_KEY, None)
            if signing_in:
                _complete_sign_in(user)
            db.session.commit()
            return render_template(
                "accounts/recovery_codes.html", codes=codes, done=done, first=True
            )
    form.code.data = ""
    return render_template(
        "accounts/set_up_code.html",
        form=form,
        qr_code=two_factor.qr_code(user, key),
        key=two_factor.grouped(key),
        required=permissions.must_use_two_factor(user),
        signing_in=signing_in,
    )


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
@access(PUBLIC)
def set_up_sign_in_code():
    """Staff with no second factor yet, right after their password."""
    user = _pending_user()
    if user is None or user.two_factor_enrolled:
        return _sign_in_again()
    return _set_up(user, signing_in=True, done=after_sign_in(user))


@bp.route("/account/two-factor/set-up", methods=["GET", "POST"])
@access(SIGNED_IN)
def set_up_two_factor():
    """A council user turning it on, or staff signed in before they needed it."""
    if current_user.two_factor_enrolled:
        return redirect(url_for("accounts.account"))
    target = request.args.get("next")
    done = _safe_next(target) if target else url_for("accounts.account")
    return _set_up(current_user._get_current_object(), signing_in=False, done=done)


@bp.post("/account/two-factor/recovery-codes")
@access(SIGNED_IN)
def replace_recovery_codes():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.account"))
    try:
        codes = two_factor.replace_recovery_codes(current_user._get_current_object())
    except TwoFactorRefused as error:
        flash(str(error), "info")
        return redirect(url_for("accounts.account"))
    db.session.commit()
    return render_template(
        "accounts/recovery_codes.html", codes=codes, done=url_for("accounts.account"), first=False
    )


@bp.post("/account/two-factor/turn-off")
@access(SIGNED_IN)
def turn_off_two_factor():
    if ConfirmForm().validate_on_submit():
        try:
            two_factor.turn_off(current_user._get_current_object())
        except TwoFactorRefused as error:
            flash(str(error), "info")
        else:
            db.session.commit()
            flash("Two-factor sign-in is off. You sign in with your password alone.", "success")
    return redirect(url_for("accounts.account"))
