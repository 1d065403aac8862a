"""Configuration, read from the environment. Tests pass their own mapping to create_app()."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """The app refuses to start with settings that would be unsafe: every problem found, one a
    line, so that a server's settings are put right in one go."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict[str, Any]:
    """Settings for the running app. MARKS_ENV is "development" (the default) or "production"."""
    env = os.environ.get("MARKS_ENV", "development")
    development = env == "development"
    default_db = "sqlite:///" + str(Path(instance_path) / "marks.sqlite3")
    return {
        "MARKS_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or ("dev-only-secret" if development else None),
        # Earlier keys, while the links and sessions they signed run out (see signing_keys).
        "SECRET_KEY_FALLBACKS": _words(os.environ.get("SECRET_KEY_FALLBACKS", "")),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL") or default_db),
        "MARKS_BASE_URL": os.environ.get("MARKS_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "log" if development else "smtp"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_SENDER": os.environ.get(
            "MAIL_SENDER", "Social Media Friendly Mark <noreply@example.org>"
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get(
            "RATELIMIT_STORAGE_URI", "memory://" if development else "redis://127.0.0.1:6379/0"
        ),
        # Rendered register pages: shared by every worker in production.
        "CACHE_TYPE": os.environ.get("CACHE_TYPE", "SimpleCache" if development else "RedisCache"),
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL", "redis://127.0.0.1:6379/1"),
        "CACHE_DEFAULT_TIMEOUT": 24 * 3600,
        "CACHE_KEY_PREFIX": "marks-register-",
        "SESSION_COOKIE_SECURE": not development,
        "REMEMBER_COOKIE_SECURE": not development,
        "FORCE_HTTPS": _bool("FORCE_HTTPS", not development),
        # "https" sends HSTS in development too (production always does, over HTTPS).
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        # How many reverse proxies in front set X-Forwarded-For, -Proto and -Host (0: trust none).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # The Ed25519 key (a PEM file) that signs the Open Badges 3.0 credentials; development
        # makes one in the instance folder (marks/awarding/did.py).
        "CREDENTIAL_SIGNING_KEY": os.environ.get("CREDENTIAL_SIGNING_KEY") or None,
        # The issuer's key and certificate that sign certificate PDFs (marks/awarding/signing.py):
        # PEM files, or a PKCS#12 file and its password. Development makes its own.
        **{name: os.environ.get(name) or None for name in CERTIFICATE_SIGNING},
    }


CERTIFICATE_SIGNING = (
    "CERTIFICATE_SIGNING_KEY",
    "CERTIFICATE_SIGNING_CERT",
    "CERTIFICATE_SIGNING_PKCS12",
    "CERTIFICATE_SIGNING_PASSWORD",
)


def _words(value: str) -> list[str]:
    """A list from a setting: separated by commas, spaces or both."""
    return [word for word in re.split(r"[\s,]+", value) if word]


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever the URL's scheme says (Heroku-style URLs too)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Redis that does not answer within a second counts as down (marks/operations/outages.py): the pages
# go on without it rather than wait. (The cache's, in create_app: only Redis takes them.)
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}

# Settings that hold whatever the environment: safe cookies, limits, the scheme's rules.
DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Signed-in sessions end after 4 hours without a request.
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=4),
    # However busy, a signed-in session ends this long after signing in (marks/people/sessions.py):
    # the longest a copied cookie could last. Longer than 20 hours, so that this limit, which
    # cannot be extended, meets WCAG 2.2.1 by its 20-hour exception; the 4 hours above can be
    # extended as often as needed ("Stay signed in"). docs/deploy.md gives the reasoning.
    "SESSION_MAX_AGE": timedelta(hours=24),
    # The time-out warning (templates/_timeout_warning.html) shows this long before either.
    "SESSION_WARNING": timedelta(minutes=5),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Statement parameters (password hashes, emails with sign-in links) never reach a log or
    # an error message.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "DATABASE_CONNECT_TIMEOUT": 5,  # seconds (PostgreSQL)
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: no lost forms
    "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
    "EVIDENCE_MAX_FILE_BYTES": 10 * 1024 * 1024,
    "EVIDENCE_MAX_APPLICATION_BYTES": 50 * 1024 * 1024,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": REDIS_TIMEOUTS,
    "RATELIMIT_KEY_PREFIX": "marks",
    # Attempts, each counted before it is tried (marks/people/attempts.py): per client address, and
    # per email address. No window is longer than the 15 minutes the 429 page says to wait.
    "SIGN_IN_LIMIT": "10 per minute",  # failed sign-ins only
    "SIGN_IN_EMAIL_LIMIT": "5 per 15 minutes",
    "SIGN_UP_LIMIT": "10 per 15 minutes",
    "SIGN_UP_EMAIL_LIMIT": "3 per 15 minutes",
    "RESET_PASSWORD_LIMIT": "10 per 15 minutes",
    "RESET_PASSWORD_EMAIL_LIMIT": "3 per 15 minutes",
    # At most one sign-up email, and one password reset email, to an address in this time,
    # however often the forms are sent (the pages say to try again after 15 minutes).
    "ACCOUNT_EMAIL_WINDOW": timedelta(minutes=15),
    # Wrong two-factor codes, per person (and SIGN_IN_LIMIT per client address).
    "SIGN_IN_CODE_LIMIT": "5 per 15 minutes",
    # Between a right password and the code: then the password again.
    "SIGN_IN_CODE_MAX_AGE": 15 * 60,
    "CONFIRM_EMAIL_MAX_AGE": 3 * 24 * 3600,
    "RESET_PASSWORD_MAX_AGE": 3600,
    # Argon2id, OWASP's recommended minimum (tests lower it for speed).
    "PASSWORD_HASH": {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1},
    # How long personal data is kept: `flask apply-retention` (marks/people/retention.py), run
    # daily, removes what is older. The privacy notice (templates/public/privacy.html) says the
    # same.
    "RETAIN_EMAIL_BODIES": timedelta(days=90),  # after sending: the row stays, not its words
    "RETAIN_UNCONFIRMED_ACCOUNTS": timedelta(days=30),  # sign-ups never confirmed: deleted
    "RETAIN_INACTIVE_ACCOUNTS": timedelta(days=3 * 365),  # since last signing in: erased
    "RETAIN_EXPIRED_INVITATIONS": timedelta(days=30),  # after the link expired: deleted
    "RETAIN_WITHDRAWN_EVIDENCE": timedelta(days=182),  # files of a withdrawn application
    "RETAIN_DECIDED_EVIDENCE": timedelta(days=6 * 365),  # files, after the decision
}


# docs/deploy/marks.env's placeholders all start so ("replace-with-64-hex-characters").
PLACEHOLDER = "replace-with"
# A key shorter than this is refused outside development: 32 characters of
# secrets.token_hex() are 128 bits, the least a signing key should have.
MIN_KEY_LENGTH = 32
# ... and one of fewer different characters ("0000...", "abab..."), however long, since
# whatever made it was not random. (Of 32 random hex characters, fewer than 8 different
# ones is a chance of about 1 in 20 million; of 64, nil.)
MIN_KEY_CHARACTERS = 8
GENERATE_KEY = 'python3 -c "import secrets; print(secrets.token_hex(32))"'

# The settings that docs/deploy/marks.env gives an example of, which each server must make its
# own, and what they are. Left as the template has them, emails would go nowhere, or from an
# address the council does not own, with links (and certificates, for good) naming a site
# that is not theirs, and Redis would refuse the app. Only the template's values, or what
# still holds one of its placeholders, are refused: any other is the council's.
REDIS_ADDRESS = "Redis's address, with the password of its requirepass (URL-encoded)"
TEMPLATE_EXAMPLES = {
    "MARKS_BASE_URL": ("https://mark.example.org", "the service's public address"),
    "MAIL_SERVER": ("smtp.example.org", "your SMTP relay"),
    "MAIL_PASSWORD": (
        "replace-with-the-relay-password",
        "the relay's password (a relay with no login: leave both MAIL_USERNAME and "
        "MAIL_PASSWORD empty)",
    ),
    "MAIL_SENDER": (
        "Social Media Friendly Mark <noreply@mark.example.org>",
        "an address on a domain of yours",
    ),
    "RATELIMIT_STORAGE_URI": (
        "redis://:replace-with-the-redis-password@127.0.0.1:6379/0",
        REDIS_ADDRESS,
    ),
    "CACHE_REDIS_URL": (
        "redis://:replace-with-the-redis-password@127.0.0.1:6379/1",
        REDIS_ADDRESS,
    ),
}


def key_problem(key: str | bytes) -> str | None:
    """Why a secret key is unsafe to sign with, or None. Never quotes the key: it is logged."""
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if text.strip().lower().startswith(PLACEHOLDER):
        return "is the placeholder from the settings template"
    if len(text) < MIN_KEY_LENGTH:
        return f"is {len(text)} characters long: it needs {MIN_KEY_LENGTH} at least"
    if len(set(text)) < MIN_KEY_CHARACTERS:
        return f"has only {len(set(text))} different characters: it is not random"
    return None


def signing_keys(config: dict[str, Any]) -> list[str | bytes]:
    """The keys that links and forms are checked against, oldest first: the fallbacks, then
    SECRET_KEY, which alone signs (itsdangerous signs with the last and accepts any)."""
    return [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]


def check(config: dict[str, Any]) -> None:
    """Refuse to start where a setting would be unsafe, naming every such setting at once."""
    problems = problems_with(config)
    if problems:
        raise ConfigurationError(*problems)


def problems_with(config: dict[str, Any]) -> list[str]:
    """What is wrong with the settings: a sentence for each problem."""
    problems = []
    production = config.get("MARKS_ENV") != "development"
    if not config.get("SECRET_KEY"):
        problems.append(f"SECRET_KEY is not set. Set it to a long random value ({GENERATE_KEY}).")
    elif production and (problem := key_problem(config["SECRET_KEY"])):
        problems.append(
            f"SECRET_KEY {problem}. Anyone who guessed it could sign in as anyone: set it "
            f"to a long random value of your own ({GENERATE_KEY})."
        )
    if not production:
        return problems
    for number, key in enumerate(config.get("SECRET_KEY_FALLBACKS") or [], 1):
        problem = key_problem(key)
        if problem:
            problems.append(
                f"SECRET_KEY_FALLBACKS: key {number} {problem}. A fallback still opens "
                "sessions and links: leave out a key anyone could guess (everyone it "
                f"signed in signs in again). New keys: {GENERATE_KEY}."
            )
    for name, (example, what) in TEMPLATE_EXAMPLES.items():
        value = str(config.get(name) or "").strip().rstrip("/").lower()
        if value == example.lower() or PLACEHOLDER in value:
            shown = "" if "PASSWORD" in name else f" ({example})"
            problems.append(
                f"{name} holds the settings template's example{shown}: set it to "
                f"{what} in /etc/marks/marks.env."
            )
    if config.get("MAIL_USE_SSL") and config.get("MAIL_USE_TLS"):
        problems.append(
            "MAIL_USE_SSL and MAIL_USE_TLS are both set: choose one. MAIL_USE_SSL=1 for a "
            "relay that speaks TLS at once (port 465), MAIL_USE_TLS=1 for STARTTLS (587 or 25)."
        )
    if config.get("MAIL_USERNAME") and not config.get("MAIL_PASSWORD"):
        # mail.py logs in whenever there is a user name: every email would fail at the relay.
        problems.append(
            "MAIL_USERNAME is set but MAIL_PASSWORD is empty: the relay would refuse every "
            "email's login. Set the relay's password, or, for a relay with no login, leave "
            "both MAIL_USERNAME and MAIL_PASSWORD empty."
        )
    from marks.awarding import did, signing  # pyHanko, read only where it is needed

    if problem := did.settings_problem(config):
        problems.append(problem)

    if problem := signing.settings_problem(config):
        problems.append(problem)
    if config.get("MAIL_BACKEND") == "log":
        problems.append(
            "MAIL_BACKEND=log writes whole emails, with their sign-in links, to the log: it is "
            "for development only. Set MAIL_BACKEND=smtp and the MAIL_ settings."
        )
    return problems


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options for the configured database: on PostgreSQL, a connection
    attempt gives up after CONNECT_TIMEOUT seconds, so a server that silently drops packets
    cannot hang every worker."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": config["DATABASE_CONNECT_TIMEOUT"],
            **options.get("connect_args", {}),
        }
    return options


# The engine the certificate and badge downloads read an award's facts through, on
# PostgreSQL: see awards.facts().
DOWNLOADS = "downloads"


def binds(config: dict[str, Any]) -> dict[str, Any]:
    """The engines besides the main one. On PostgreSQL, one for the downloads' lookups, whose
    connections never begin a transaction. psycopg forgets every prepared statement when a
    transaction rolls back, and every request that only reads ends with a rollback: on the
    main engine's connections the downloads' join of six tables was planned again on every
    download (a millisecond, most of the download's time). This engine only reads, one
    statement at a time, and never writes."""
    binds = dict(config.get("SQLALCHEMY_BINDS") or {})
    url = config["SQLALCHEMY_DATABASE_URI"]
    if str(url).startswith("postgresql") and DOWNLOADS not in binds:
        binds[DOWNLOADS] = {
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
            "url": url,
            "isolation_level": "AUTOCOMMIT",
            "pool_size": 2,  # a worker serves a request at a time (more overflow, then close)
        }
    return binds
