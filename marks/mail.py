"""The outbox: emails are queued in the same transaction as the change they tell of, and sent
later by `flask send-mail`, which retries failures with a back-off and gives up loudly."""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app
from jinja2 import TemplateNotFound

from marks.extensions import db
from marks.logs import redact_tokens
from marks.models import Email, User, utcnow
from marks.scheme import issuer as scheme_issuer
from marks.states import EmailState

MAX_ATTEMPTS = 6
# How long a worker holds an email it is sending before another may try it.
LEASE = timedelta(minutes=10)


def queue(to: str, template: str, *, dedupe_key: str | None = None, **context: Any) -> Email:
    """Queue the email rendered from templates/emails/<template>.txt (blocks subject, body).

    Flushed in the caller's transaction: if that rolls back, the email was never queued.
    """
    subject, body, html = render(template, **context)
    email = Email(
        to_address=to,
        subject=subject,
        body_text=body,
        body_html=html,
        template=template,
        dedupe_key=dedupe_key,
    )
    db.session.add(email)
    db.session.flush()
    if current_app.config["MAIL_BACKEND"] == "log":
        current_app.logger.info("Email queued to %s: %s\n%s", to, subject, body)
    return email


def queue_once_per_window(
    to: str, template: str, *, series: str, window: timedelta, **context: Any
) -> Email | None:
    """Queue the email unless one of the same series (the emails of one form: a sign-up's,
    say) went to this address less than `window` ago; None if it did. So that sending a form
    again and again cannot fill someone's inbox.

    Exact one request after another, as the outbox is read first; and under simultaneous
    requests too: each email of a series takes the dedupe key of its address and its slot of
    time (`window` long), which the database stores only once, so of two requests racing in
    one slot only the first queues its email. Flushes, in the caller's transaction.
    """
    now = utcnow()
    slot = int(now.timestamp() // window.total_seconds())
    address = hashlib.sha256(to.encode()).hexdigest()[:32]  # an address may be 320 characters
    this_slot, last_slot = (f"{series}:{address}:{n}" for n in (slot, slot - 1))
    recent = sa.select(Email.id).where(
        Email.dedupe_key.in_([this_slot, last_slot]), Email.created_at > now - window
    )
    if db.session.scalar(recent.limit(1)) is not None:
        return None
    try:
        with db.session.begin_nested():
            return queue(to, template, dedupe_key=this_slot, **context)
    except sa.exc.IntegrityError:
        return None  # queued by another request a moment ago


def link(endpoint: str, **values: Any) -> str:
    """An absolute link to a page of the service, for an email: from a request or a command."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["MARKS_BASE_URL"] + path


def render(template: str, **context: Any) -> tuple[str, str, str | None]:
    """(subject, plain text, HTML or None) from templates/emails/<template>.txt and, if it
    exists, <template>.html (which Jinja escapes: nothing typed reaches it raw)."""
    context.setdefault("base_url", current_app.config["MARKS_BASE_URL"])
    issuer = scheme_issuer.current()
    context.setdefault("contact_email", issuer.contact_email)
    context.setdefault("issuer_name", issuer.name)
    context.setdefault("issuer_website", issuer.website)
    env = current_app.jinja_env
    text = env.get_template(f"emails/{template}.txt")
    ctx = text.new_context(context)
    # One line, without control characters: a header carries nothing else.
    subject = " ".join("".join(text.blocks["subject"](ctx)).split())
    subject = "".join(c for c in subject if unicodedata.category(c) != "Cc")
    body = "".join(text.blocks["body"](ctx)).strip() + "\n"
    try:
        html = env.get_template(f"emails/{template}.html").render(context, subject=subject)
    except TemplateNotFound:
        html = None
    return subject, body, html


@dataclass(frozen=True)
class Shown:
    """An email as the outbox shows it to administrators: every link's token redacted (a link
    that signs someone in, resets a password, confirms an address or accepts an invitation
    lets whoever reads it act as the addressee), and whether any was. Only what the pages
    show is here; the stored email keeps its links, and the worker sends them."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    state: EmailState
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    links_hidden: bool


def shown(email: Email) -> Shown:
    """The email as administrators may see it (see Shown)."""
    readable = [email.subject, email.body_text, email.body_html, email.last_error]
    subject, body_text, body_html, last_error = (
        None if text is None else redact_tokens(text) for text in readable
    )
    return Shown(
        id=email.id,
        to_address=email.to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        state=email.state,
        attempts=email.attempts,
        last_error=last_error,
        created_at=email.created_at,
        sent_at=email.sent_at,
        links_hidden=body_text != email.body_text or body_html != email.body_html,
    )


class ResendRefused(Exception):
    """An email that cannot be sent again, with a message for people."""


def resend(email: Email, *, actor: User) -> None:
    """Queue a failed email again, with a fresh count of attempts, for the worker to send
    (workflow.EMAIL's resend: an administrator's, audited as email.resent). Flushes."""
    from marks import workflow  # the engine is above the outbox: it queues emails through it

    workflow.transition(
        email,
        "resend",
        actor=actor,
        to_address=email.to_address,
        template=email.template,
        # None: not a failed email, which the table refuses.
        last_error=email.last_error and redact_tokens(email.last_error),
    )


def send_queued(limit: int = 100) -> tuple[int, int]:
    """Send what is due, committing as it goes; returns (sent, failed this run).

    Each email is first claimed with a conditional UPDATE that pushes its next attempt a
    lease into the future: only one worker's UPDATE can match, on PostgreSQL and SQLite
    alike, so two workers never send the same email. A worker that dies mid-send leaves the
    lease to expire, and the email is tried again.
    """
    now = utcnow()
    due = sa.or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now)
    ids = db.session.scalars(
        sa.select(Email.id)
        .where(Email.state == EmailState.QUEUED, due)
        .order_by(Email.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for email_id in ids:
        claimed = db.session.execute(
            sa.update(Email)
            .where(Email.id == email_id, Email.state == EmailState.QUEUED, due)
            .values(attempts=Email.attempts + 1, next_attempt_at=utcnow() + LEASE)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue  # another worker has it
        outgoing = db.session.execute(
            sa.select(*Outgoing.COLUMNS).where(Email.id == email_id)
        ).one()
        db.session.commit()  # hold no lock while talking to the mail server
        email = Outgoing(*outgoing)
        try:
            deliver(email)
        except (OSError, smtplib.SMTPException) as error:
            result = {"last_error": f"{type(error).__name__}: {error}"}
            if email.attempts >= MAX_ATTEMPTS or refused_for_good(error):
                result["state"] = EmailState.FAILED
            else:
                result["next_attempt_at"] = utcnow() + timedelta(minutes=2**email.attempts)
            failed += 1
        else:
            result = {"state": EmailState.SENT, "sent_at": utcnow(), "last_error": None}
            sent += 1
        db.session.execute(sa.update(Email).where(Email.id == email_id).values(**result))
        db.session.commit()
    return sent, failed


def refused_for_good(error: Exception) -> bool:
    """Whether the mail server refused this email permanently (a 5xx reply to its recipient
    or its content: no such mailbox, message rejected): sending it again would be refused
    again, so it fails now, for an administrator to see in the outbox. A refused sign-in or
    sender is the service's own set-up, which affects every email and can be put right: those
    are tried again, as is any 4xx reply (try later)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


@dataclass(frozen=True)
class Outgoing:
    """An email as the worker sends it: plain values, read in a moment, no row held."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    attempts: int
    created_at: datetime

    COLUMNS = (
        Email.id,
        Email.to_address,
        Email.subject,
        Email.body_text,
        Email.body_html,
        Email.attempts,
        Email.created_at,
    )


def sender_domain(sender: str) -> str:
    """The domain of the From address ("... <noreply@mark.example.org>": mark.example.org)."""
    return parseaddr(sender)[1].rpartition("@")[2].lower() or "localhost"


def message_id(email: Email | Outgoing, domain: str) -> str:
    """The email's Message-ID, on the sender's domain (as receivers' filters expect), the same
    however often it is sent (a retry, or sent again from the outbox, is the same message),
    and unique across installations and restores: the row id and when it was queued, hashed
    so that neither shows."""
    queued = email.created_at
    if queued.tzinfo is not None:  # PostgreSQL's; SQLite's is naive, in UTC too
        queued = queued.astimezone(UTC).replace(tzinfo=None)
    seed = f"{email.id}|{queued.isoformat()}|{email.to_address}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"<marks.{digest[:32]}@{domain}>"


def deliver(email: Email | Outgoing) -> None:
    """Hand one email to the configured backend: "smtp", or "log" (development)."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "log":
        current_app.logger.info(
            "Email to %s: %s\n%s", email.to_address, email.subject, email.body_text
        )
        return
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)  # now: when this attempt hands it over
    message["Message-ID"] = message_id(email, sender_domain(config["MAIL_SENDER"]))
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    # Checked against the system's trusted certificates and the relay's name: the relay's
    # password and every emailed link cross this connection.
    context = ssl.create_default_context()
    server, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if config["MAIL_USE_SSL"]:  # TLS from the first byte (port 465)
        connection = smtplib.SMTP_SSL(server, port, timeout=30, context=context)
    else:
        connection = smtplib.SMTP(server, port, timeout=30)
    with connection as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=context)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
        # Accepted: whatever the server answers to QUIT cannot unsend it, so it must not make
        # the email fail and go again (leaving the block would raise on anything but 221).
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
