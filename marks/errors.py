"""GOV.UK-styled error pages, and a JSON answer for the JSON endpoints."""

from __future__ import annotations

import sqlite3
import traceback
from dataclasses import dataclass, field

from flask import Flask, abort, current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from marks import permissions
from marks.extensions import db, login_manager

TEMPLATES = {400: "400", 403: "403", 404: "404", 405: "400", 413: "413", 429: "429"}


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # Nothing anyone types holds a NUL, and PostgreSQL refuses one in any string (a 500).
        fields = [*request.args.items(multi=True)]
        if request.method == "POST":
            fields += request.form.items(multi=True)
        if "\x00" in request.path or any("\x00" in k + v for k, v in fields):
            abort(400)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        rule = permissions.rule_for(request.endpoint) if request.endpoint else None
        if not current_user.is_authenticated and rule is not None and rule != permissions.PUBLIC:
            # The session expired with the form open (or another site posted it): sign in,
            # and the form is carried only if may_carry_through_sign_in().
            from marks.accounts.routes import sign_in_after_post

            return sign_in_after_post()
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400 or error.code not in TEMPLATES:
            return error
        # A 405 must say which methods the route does allow (RFC 9110, 15.5.6).
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        if request.path.endswith(".json"):
            return {"error": error.name}, error.code, headers
        response = render_template(f"errors/{TEMPLATES[error.code]}.html", error=error)
        return response, error.code, headers

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return render_template("errors/500.html"), 500

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_error(error: DBAPIError):
        """The database is away (down, unreachable, its connection cut) or full: nothing of the
        request was kept, and the page says so, keeping what was typed for another try."""
        full = is_disk_full(error)
        current_app.logger.error(
            "Database %s during %s %s: %s (%s) at %s",
            "full" if full else "unavailable",
            request.method,
            request.endpoint,  # not the path: it may hold a token
            type(error.orig).__name__,
            str(error.orig).strip().partition("\n")[0][:300],  # never the SQL's parameters
            _where(error),
        )
        _rollback()
        if full:
            _reload_user()  # the database still reads: the menu can show who is signed in
        else:
            login_manager._update_request_context_with_user(None)  # nobody can be read now
        status = 507 if full else 503
        headers = {"Retry-After": "60"} if status == 503 else {}
        if request.path.endswith(".json"):
            name = "Service Unavailable" if status == 503 else "Insufficient Storage"
            return {"error": name}, status, headers
        page = render_template(f"errors/{status}.html", kept=kept_from(request))
        return page, status, headers


# SQLITE_FULL, and PostgreSQL's disk_full (SQLSTATE 53100).
_DISK_FULL = {sqlite3.SQLITE_FULL, "53100"}


def is_disk_full(error: DBAPIError) -> bool:
    """Whether the database refused a write for want of space."""
    codes = {getattr(error.orig, "sqlite_errorcode", None), getattr(error.orig, "sqlstate", None)}
    return bool(codes & _DISK_FULL)


def _rollback() -> None:
    """One transaction per request: roll it all back. A connection that is gone cannot even
    do that, and need not: the server has dropped the transaction with it."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()


def _reload_user() -> None:
    try:
        if current_user.is_authenticated:
            _ = current_user.role  # expired by the rollback: read again
    except SQLAlchemyError:
        _rollback()
        login_manager._update_request_context_with_user(None)


def _where(error: BaseException) -> str:
    """The innermost line of the app's own code that the error went through."""
    ours = [f for f in traceback.extract_tb(error.__traceback__) if "/marks/" in f.filename]
    frame = ours[-1] if ours else None
    return f"{frame.filename.rsplit('/marks/', 1)[-1]}:{frame.lineno}" if frame else "?"


# Posted fields that are not typed by a person: carried by "Try again", never shown.
NOT_TYPED = {"version", "fingerprint", "remove_file"}
# The app's buttons (a button's name and label are posted): carried, never shown.
BUTTONS = {
    "submit",
    "save",
    "save_and_continue",
    "save_as_draft",
    "save_and_next",
    "submit_assessment",
    "upload",
    "preview",
    "confirm",
    "check",
    "apply",
}
# A form with a password in it is typed again, not carried through a page.
SECRETS = {"password", "current"}


@dataclass
class Kept:
    """What a failed POST carried, for the error page to show and send again."""

    action: str
    shown: list[tuple[str, str, str]] = field(default_factory=list)  # name, label, value
    carried: list[tuple[str, str]] = field(default_factory=list)  # name, value
    had_files: bool = False


def kept_from(posted) -> Kept | None:
    """What was typed into a form that could not be saved: the longer text shown (to copy, or
    to send again with "Try again"), everything else carried in hidden fields."""
    if posted.method != "POST" or not posted.form or SECRETS.intersection(posted.form):
        return None
    kept = Kept(
        action=posted.full_path if posted.query_string else posted.path,
        had_files=any(f.filename for f in posted.files.values()),
    )
    for name, values in posted.form.lists():
        if name == "csrf_token":
            continue
        for value in values:
            typed = name not in NOT_TYPED | BUTTONS and len(values) == 1
            if typed and (len(value) > 20 or any(c.isspace() for c in value)):
                label = name.replace("_", " ")
                kept.shown.append((name, label[:1].upper() + label[1:], value))
            else:
                kept.carried.append((name, value))
    return kept
