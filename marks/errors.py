"""GOV.UK-styled error pages, and a JSON answer for the JSON endpoints."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from marks import permissions
from marks.extensions import db

TEMPLATES = {400: "400", 403: "403", 404: "404", 405: "400", 413: "413", 429: "429"}


def register(app: Flask) -> None:
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
        if request.path.endswith(".json"):
            return {"error": error.name}, error.code
        response = render_template(f"errors/{TEMPLATES[error.code]}.html", error=error)
        return response, error.code

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return render_template("errors/500.html"), 500
