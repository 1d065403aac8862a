"""Accounts: sign up, confirm, sign in and out, forgotten and changed passwords.

No page tells whether an email address has an account: sign-up, sign-in and password reset
answer the same for known and unknown addresses.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from marks import people, permissions, two_factor
from marks.accounts.forms import (
    ChangePasswordForm,
    ForgottenPasswordForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from marks.council.forms import ConfirmForm
from marks.extensions import db, limiter
from marks.models import User
from marks.permissions import PUBLIC, SIGNED_IN, access

bp = Blueprint("accounts", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"
# A form the session lost on the way travels through sign-in in fields named replay-<name>.
REPLAY = "replay-"


def _failed_attempt(response) -> bool:
    return not g.get("signed_in", False)


def _sign_in_email_key() -> str:
    return "sign-in:" + people.normalise_email(request.form.get("email", ""))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("public.index")


@bp.route("/sign-up", methods=["GET", "POST"])
@access(PUBLIC)
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        people.sign_up(form.email.data, form.full_name.data, form.password.data)
        db.session.commit()
        session["check_email"] = people.normalise_email(form.email.data)
        return redirect(url_for("accounts.check_email"))
    return render_template("accounts/sign_up.html", form=form)


@bp.get("/sign-up/check-your-email")
@access(PUBLIC)
def check_email():
    return render_template("accounts/check_email.html", email=session.get("check_email"))


@bp.get("/confirm-email/<token>")
@access(PUBLIC)
def confirm_email(token: str):
    try:
        people.confirm_email(token)
    except people.LinkError as error:
        return render_template("accounts/link_problem.html", error=error, kind="confirm"), 400
    db.session.commit()
    flash("Your email address is confirmed. You can now sign in.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT"], methods=["POST"], deduct_when=_failed_attempt
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_EMAIL_LIMIT"],
    key_func=_sign_in_email_key,
    methods=["POST"],
    deduct_when=_failed_attempt,
)
def sign_in():
    form = SignInForm()
    replay = [
        (name.removeprefix(REPLAY), value)
        for name, values in request.form.lists()
        if name.startswith(REPLAY)
        for value in values
    ]
    if form.validate_on_submit():
        user = people.authenticate(form.email.data, form.password.data)
        if user is not None and user.email_confirmed_at is None:
            people.send_confirmation(user)
            db.session.commit()
            session["check_email"] = user.email
            return render_template("accounts/confirm_first.html", email=user.email)
        if user is not None:
            if two_factor_asked(user):
                db.session.commit()  # keeps a rehashed password, if any
                return ask_for_code(user, replay)
            _complete_sign_in(user)
            db.session.commit()
            if replay:
                return render_template(
                    "accounts/replay.html",
                    fields=replay,
                    target=_safe_next(request.args.get("next")),
                )
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # keeps a rehashed password, if any
        form.email.errors.append(SIGN_IN_FAILED)
    return render_template("accounts/sign_in.html", form=form, replay=replay)


def _complete_sign_in(user: User) -> None:
    """The one place a person becomes signed in: after the password, and the second factor
    when they have one (accounts/two_factor.py)."""
    session.pop(PENDING, None)
    login_user(user)
    g.signed_in = True
    session.permanent = True
    people.record_sign_in(user)


def sign_in_to_save():
    """The sign-in page for a form posted without a session (it expired, or the person signed
    out in another tab): it carries what was typed, to be saved once they are signed in.
    Files cannot travel this way: the page says so."""
    fields = [
        (name, value)
        for name, values in request.form.lists()
        if name != "csrf_token"
        for value in values
    ]
    return render_template(
        "accounts/sign_in.html",
        form=SignInForm(formdata=None),
        replay=fields,
        expired=True,
        had_files=bool(request.files),
        next_path=request.path,
    )


@bp.get("/sign-out")
@access(PUBLIC)
def sign_out():
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/forgotten-password", methods=["GET", "POST"])
@access(PUBLIC)
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT"], methods=["POST"])
def forgotten_password():
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        people.send_password_reset(form.email.data)
        db.session.commit()
        session["check_email"] = people.normalise_email(form.email.data)
        return redirect(url_for("accounts.reset_sent"))
    return render_template("accounts/forgotten_password.html", form=form)


@bp.get("/forgotten-password/check-your-email")
@access(PUBLIC)
def reset_sent():
    return render_template("accounts/reset_sent.html", email=session.get("check_email"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def reset_password(token: str):
    try:
        user = people.user_for_reset(token)
    except people.LinkError as error:
        return render_template("accounts/link_problem.html", error=error, kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        people.set_password(user, form.password.data, reason="reset")
        db.session.commit()
        logout_user()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/account")
@access(SIGNED_IN)
def account():
    enrolled = current_user.two_factor_enrolled
    return render_template(
        "accounts/account.html",
        user=current_user,
        codes_left=two_factor.recovery_codes_left(current_user) if enrolled else None,
        two_factor_required=permissions.must_use_two_factor(current_user),
        may_turn_off=permissions.may_turn_off_two_factor(current_user),
        confirm=ConfirmForm(),
    )


@bp.route("/account/change-password", methods=["GET", "POST"])
@access(SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not people.check_password(current_user, form.current.data):
            form.current.errors.append("Your current password is not correct")
        else:
            people.set_password(current_user, form.password.data, reason="changed")
            db.session.commit()
            login_user(current_user)  # the session follows the new password
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


from marks.accounts import invitations  # noqa: E402, F401
from marks.accounts.two_factor import PENDING, ask_for_code, two_factor_asked  # noqa: E402
