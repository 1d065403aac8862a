"""Accounts: sign up, confirm, sign in and out, forgotten and changed passwords.

No page tells whether an email address has an account: sign-up, sign-in and password reset
answer the same for known and unknown addresses. Each of the three is an attempt, counted
before it is tried, per client address and per email address (marks/people/attempts.py).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
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
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.urls import iri_to_uri

from marks import permissions
from marks.accounts.forms import (
    ChangePasswordForm,
    ForgottenPasswordForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from marks.errors import BUTTONS, NOT_TYPED
from marks.extensions import db
from marks.forms import ConfirmForm
from marks.models import User
from marks.people import attempts, sessions, two_factor, users
from marks.permissions import PUBLIC, SIGNED_IN, access

bp = Blueprint("accounts", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"
# A form the session lost on the way travels through sign-in in fields named replay-<name>,
# if permissions.may_carry_through_sign_in() allows it.
REPLAY = "replay-"
# Not carried: the old session's token, and a file's removal (an action, not typing: and files
# cannot travel this way either).
NOT_CARRIED = {"csrf_token", "remove_file"}
NOTHING_SAVED = "You were not signed in, so nothing was saved."


def after_sign_in(user: User) -> str:
    """Where signing in leads: the page asked for (`next`) if it is safe, else the person's
    own home (permissions.home_of)."""
    return _safe_next(request.args.get("next"), home=url_for(permissions.home_of(user)))


def _safe_next(target: str | None, home: str | None = None) -> str:
    """Where to go after signing in: a page of this site, or else `home` (the public home
    page unless given). Never an open redirect, whatever a browser makes of the address: it
    drops tabs and line breaks and takes a backslash for a slash, so any of those (or any
    other space or control character) is refused rather than cleaned; then the address must
    be a path with no scheme or host, that one of the app's routes answers."""
    home = home or url_for("public.index")
    if not target or "\\" in target or any(_blank(c) for c in target):
        return home
    address = iri_to_uri(target)  # a header is ASCII: a wide slash is just %EF%BC%8F then
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or "//" in parts.path:
        return home
    try:
        current_app.create_url_adapter(request).match(unquote(parts.path))
    except NotFound:
        return home
    except (MethodNotAllowed, RequestRedirect):
        pass  # a page of the site all the same (a form's address; a missing final slash)
    return address


def _blank(character: str) -> bool:
    """Whitespace, or a control, format or unassigned character (category C*)."""
    return character.isspace() or unicodedata.category(character).startswith("C")


@bp.route("/sign-up", methods=["GET", "POST"])
@access(PUBLIC)
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        if not attempts.allowed("sign-up", form.email.data):
            abort(429)
        users.sign_up(form.email.data, form.full_name.data, form.password.data)
        db.session.commit()
        session["check_email"] = users.normalise_email(form.email.data)
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
        users.confirm_email(token)
    except users.LinkError as error:
        return render_template("accounts/link_problem.html", error=error, kind="confirm"), 400
    db.session.commit()
    flash("Your email address is confirmed. You can now sign in.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@access(PUBLIC)
def sign_in():
    form = SignInForm()
    replay, target = carried_through_sign_in()
    if form.validate_on_submit():
        if not attempts.allowed("sign-in", form.email.data):
            abort(429)
        user = users.authenticate(form.email.data, form.password.data)
        # Not yet confirmed, it still counts: each such attempt emails a link.
        if user is not None and user.email_confirmed_at is None:
            users.send_confirmation(user)
            db.session.commit()
            session["check_email"] = user.email
            return render_template("accounts/confirm_first.html", email=user.email)
        if user is not None:
            attempts.refund("sign-in", form.email.data)  # the password was right
            if two_factor_asked(user):
                db.session.commit()  # keeps a rehashed password, if any
                return ask_for_code(user, replay)
            _complete_sign_in(user)
            db.session.commit()
            if replay:
                return save_what_was_carried(replay, target)
            return redirect(after_sign_in(user))
        db.session.commit()  # keeps a rehashed password, if any
        form.email.errors.append(SIGN_IN_FAILED)
    return render_template("accounts/sign_in.html", form=form, replay=replay)


def _complete_sign_in(user: User) -> None:
    """The one place a person becomes signed in: after the password, and the second factor
    when they have one (accounts/two_factor.py). A new session: nothing of the pending
    sign-in, or of anything else from before, is kept."""
    sessions.start(user)
    users.record_sign_in(user)


def carried_through_sign_in() -> tuple[list[tuple[str, str]], str | None]:
    """The fields of a form the session lost that this request carries (the sign-in page's,
    or the code page's after it), and where they may be saved; none if they may not."""
    target = _replay_target(request.args.get("next"))
    return (_carried_fields() if target else []), target


def save_what_was_carried(fields: list[tuple[str, str]], target: str):
    """The page that shows what a form the session lost will save, once signed in."""
    return render_template(
        "accounts/replay.html", fields=fields, shown=_what_will_be_saved(fields), target=target
    )


def _replay_target(next_arg: str | None) -> str | None:
    """Where the sign-in form's carried fields may be sent once the person is signed in, if
    anywhere. Checked again here, not only when the form was carried: the hidden fields and
    `next` are in the browser's hands. The target must be a @replayable view, and the sign-in
    form itself posted from this site."""
    if request.method != "POST" or not permissions.from_this_site():
        return None
    target = _safe_next(next_arg)
    return target if permissions.is_replayable_path(target) else None


def _carried_fields() -> list[tuple[str, str]]:
    return [
        (name.removeprefix(REPLAY), value)
        for name, values in request.form.lists()
        if name.startswith(REPLAY) and name.removeprefix(REPLAY) not in NOT_CARRIED
        for value in values
    ]


def _what_will_be_saved(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The carried fields a person typed or chose, labelled from their names, for the page
    that asks them to save (the buttons and versions travel too, but are not theirs to check)."""
    shown = []
    for name, value in fields:
        if name in NOT_TYPED | BUTTONS:
            continue
        label = name.replace("_", " ")
        shown.append((label[:1].upper() + label[1:], value))
    return shown


def sign_in_after_post():
    """The answer to a form posted without a session (it expired, or the person signed out in
    another tab; or another site's page posted it). One of this site's own forms of a
    @replayable view is carried through the sign-in page, to be shown and saved once the person
    is signed in; anything else gets the plain sign-in page, which carries nothing and says so.
    Files cannot travel this way: the page says so."""
    if not permissions.may_carry_through_sign_in():
        flash(NOTHING_SAVED, "info")
        return redirect(url_for("accounts.sign_in", next=_page_it_was_sent_from()))
    fields = [
        (name, value)
        for name, values in request.form.lists()
        if name not in NOT_CARRIED
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


@bp.record_once
def _answer_signed_out_posts(state) -> None:
    state.app.extensions[permissions.SIGNED_OUT_POST] = sign_in_after_post


def _page_it_was_sent_from() -> str | None:
    """The page of this site the form was on, to go back to once signed in; None for a form
    another site posted."""
    site = request.host_url
    referrer = request.referrer or ""
    if permissions.from_this_site() and referrer.startswith(site):
        return "/" + referrer.removeprefix(site)
    return None


@bp.route("/sign-out", methods=["GET", "POST"])
@access(PUBLIC)
def sign_out():
    """A POST with the CSRF token signs out: no other site can sign people out. A GET (an old
    link or bookmark) asks first."""
    form = ConfirmForm()
    if form.validate_on_submit():
        sessions.end()
        db.session.commit()
        flash("You have signed out.", "success")
        return redirect(url_for("accounts.sign_in"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/sign_out.html", form=form)


@bp.route("/forgotten-password", methods=["GET", "POST"])
@access(PUBLIC)
def forgotten_password():
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        if not attempts.allowed("reset-password", form.email.data):
            abort(429)
        users.send_password_reset(form.email.data)
        db.session.commit()
        session["check_email"] = users.normalise_email(form.email.data)
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
        user = users.user_for_reset(token)
    except users.LinkError as error:
        return render_template("accounts/link_problem.html", error=error, kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        users.set_password(user, form.password.data, reason="reset")
        sessions.end()
        db.session.commit()
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


@bp.post("/account/stay-signed-in")
@access(SIGNED_IN)
def stay_signed_in():
    """The time-out warning's "Stay signed in": any request restarts the session's idle time
    (its cookie is set again), this one on purpose, with the CSRF token. Answers the warning's
    script with the seconds now left; a form sent without it goes back to the page."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    session.modified = True
    if request.accept_mimetypes.best == "application/json":
        return {"seconds_left": sessions.seconds_left()}
    flash("You are still signed in.", "success")
    return redirect(_page_it_was_sent_from() or url_for("accounts.account"))


@bp.route("/account/change-password", methods=["GET", "POST"])
@access(SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not users.check_password(current_user, form.current.data):
            form.current.errors.append("Your current password is not correct")
        else:
            user = current_user._get_current_object()
            users.set_password(user, form.password.data, reason="changed")
            sessions.start(user)  # every other session has ended; this browser stays in
            db.session.commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


from marks.accounts import invitations  # noqa: E402, F401
from marks.accounts.two_factor import ask_for_code, two_factor_asked  # noqa: E402
