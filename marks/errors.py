"""GOV.UK-styled error pages, and a JSON answer for the JSON endpoints."""

from __future__ import annotations

from flask import Flask, abort, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from marks import permissions
from marks.extensions import db

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
            # The session expired with the form open: sign in again, then save it.
            from marks.accounts.routes import sign_in_to_save

            return sign_in_to_save()
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
