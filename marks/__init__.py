"""The Social Media Friendly Mark: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_talisman import Talisman
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from marks import config as marks_config
from marks.extensions import cache, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
SERVICE_NAME = "Social Media Friendly Mark"

# No unsafe-inline anywhere: the one inline script of the GOV.UK template carries the nonce.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Browser features the service never uses, refused to every page (and anything it embeds).
PERMISSIONS_POLICY = {
    feature: "()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}


class IdConverter(IntegerConverter):
    """<int:...> in our URLs is a row id in an INTEGER column. A larger number matches no route
    (a 404): it would otherwise reach the database, which refuses it (a 500)."""

    def __init__(self, map, *args, max: int = 2**31 - 1, **kwargs) -> None:
        super().__init__(map, *args, max=max, **kwargs)


class SessionInterface(SecureCookieSessionInterface):
    """No Set-Cookie on a response that shared caches may keep (Cache-Control: public, e.g. the
    register): a signed-in session's cookie is refreshed on the next private page instead."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if response.cache_control.public and not session.modified:
            return
        super().save_session(app, session, response)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Settings come from the environment; `config` (tests) overrides them."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(marks_config.DEFAULTS)
    app.config.update(marks_config.from_environment(app.instance_path))
    app.config.update(config or {})
    marks_config.check(app.config)
    # Flask opens sessions with SECRET_KEY_FALLBACKS too; Flask-WTF's CSRF tokens follow.
    app.config.setdefault("WTF_CSRF_SECRET_KEY", marks_config.signing_keys(app.config))
    if "Redis" in str(app.config["CACHE_TYPE"]):
        app.config.setdefault("CACHE_OPTIONS", marks_config.REDIS_TIMEOUTS)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = marks_config.engine_options(app.config)
    app.config["SQLALCHEMY_BINDS"] = marks_config.binds(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///" + app.instance_path):
        # Development's SQLite file: the only thing the app writes beside its code, which in
        # production is root's and read-only to it (docs/deploy.md).
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # 7 lines a PDF otherwise

    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx: the client's address (rate limits), scheme and host from its headers.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = IdConverter  # before the blueprints add their routes
    _init_extensions(app)
    _init_templates(app)
    _register_blueprints(app)

    from marks import cli, errors, logs, permissions

    errors.register(app)
    permissions.register(app)
    cli.register(app)
    if app.config["MARKS_ENV"] != "development":
        logs.keep_tokens_out(app)  # development prints emails, links and all, to the log
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _make_sqlite_behave(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "marks" / "migrations"), render_as_batch=True)
    # Security headers. One Talisman per app: it keeps its settings on itself. Before the
    # extensions that may refuse a request (CSRF, rate limits): its before_request makes the
    # CSP nonce that their error pages need too.
    development = app.config["MARKS_ENV"] == "development"
    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=not development or app.config["PREFERRED_URL_SCHEME"] == "https",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
        frame_options="DENY",
        permissions_policy=PERMISSIONS_POLICY,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"

    from marks.people import sessions

    @login_manager.user_loader
    def load_user(user_id: str):
        return sessions.user_for(user_id, session.get(sessions.KEY))


def _make_sqlite_behave(engine: sa.Engine) -> None:
    """Foreign keys on, and real transactions (the driver's own BEGIN handling breaks
    SAVEPOINT, which the tests' rolled-back transactions rely on)."""

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN")


def _init_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
    WTFormsHelpers(app)

    from marks import presentation

    presentation.register(app)
    app.jinja_env.globals["service_name"] = SERVICE_NAME
    app.context_processor(_issuer)


def _issuer() -> dict[str, Any]:
    """Every page's footer names the scheme's issuer. A page shown because the database is
    down (an error page) shows it without."""
    from marks.scheme import issuer

    try:
        return {"issuer": issuer.current()}
    except sa.exc.SQLAlchemyError:
        return {"issuer": issuer.Issuer()}


def _register_blueprints(app: Flask) -> None:
    from marks.accounts.routes import bp as accounts
    from marks.admin import bp as admin
    from marks.assess.routes import bp as assess
    from marks.council.routes import bp as council
    from marks.public import bp as public
    from marks.public.practice import bp as practice
    from marks.public.register import bp as register

    app.register_blueprint(public)
    app.register_blueprint(register)
    app.register_blueprint(practice)
    app.register_blueprint(accounts)
    app.register_blueprint(council)
    app.register_blueprint(assess)
    app.register_blueprint(admin)
