"""Administrators: the records the service keeps of itself. The audit log (filtered, paged,
exported as CSV) and, for the outbox, sending a failed email again and previewing its HTML."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from sqlalchemy.orm import aliased
from wtforms import Form, SelectField, StringField, ValidationError
from wtforms.validators import Length

from marks import mail, presentation
from marks.admin import bp
from marks.extensions import db
from marks.forms import ConfirmForm, choices, strip
from marks.logs import redact_tokens
from marks.models import AuditEvent, Council, Edition, Email, Membership, User
from marks.people.councils import search_name
from marks.permissions import ADMINISTRATOR, access
from marks.presentation import LONDON, events
from marks.reporting.exports import csv_line

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
LARGEST_ID = 2**31 - 1  # an INTEGER column: anything larger can match nothing

# An email's HTML as its recipient would see it, and nothing more: no script, no request to
# another site, no form, not framed; sandboxed, so it cannot act as this site either.
PREVIEW_POLICY = {
    "default-src": "'none'",
    "style-src": "'unsafe-inline'",
    "img-src": "'self' data:",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
    "sandbox": "",
}


def talisman_options(**options: Any):
    """Per-view options for the app's Talisman, which sets every response's security headers
    after the view (so a header the view sets itself is overwritten). This is what Talisman's
    own `talisman(...)` decorator does; its instance lives inside create_app."""

    def decorate(view):
        view.talisman_view_options = options
        return view

    return decorate


# --- The audit log ------------------------------------------------------------------------------


def _date(field) -> date | None:
    if not field.data:
        return None
    try:
        return datetime.strptime(field.data, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError(f"{field.label.text} must be a real date, like 2026-03-27") from None


class AuditFilterForm(Form):
    """The audit log's filters: a GET form, kept in the URL (no CSRF: it changes nothing)."""

    application = StringField(
        "Application ID",
        filters=[strip],
        validators=[Length(max=20, message="Application ID must be a number, like 42")],
        widget=GovTextInput(),
    )
    council = StringField(
        "Council",
        description="A GSS code, like E06000001, or part of the council's name",
        filters=[strip],
        validators=[Length(max=100, message="Council must be 100 characters or fewer")],
        widget=GovTextInput(),
    )
    user = StringField(
        "User's email address",
        description="Part of the address is enough, like “hartlepool.gov.uk”",
        filters=[strip],
        validators=[Length(max=320, message="Email address must be 320 characters or fewer")],
        widget=GovTextInput(),
    )
    action = SelectField("Action", validate_choice=False, widget=GovSelect())
    date_from = StringField(
        "Date from",
        description="For example, 2026-03-27",
        filters=[strip],
        widget=GovTextInput(),
    )
    date_to = StringField(
        "Date to",
        description="For example, 2026-03-31",
        filters=[strip],
        widget=GovTextInput(),
    )

    def validate_application(self, field) -> None:
        if field.data and not (field.data.isdigit() and int(field.data) <= LARGEST_ID):
            raise ValidationError("Application ID must be a number, like 42")

    def validate_action(self, field) -> None:
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Choose an action from the list")

    def validate_date_from(self, field) -> None:
        _date(field)

    def validate_date_to(self, field) -> None:
        end, start = _date(field), None
        try:
            start = _date(self.date_from)
        except ValidationError:
            return  # that field says so
        if start and end and end < start:
            raise ValidationError("Date to must be the same as or after date from")

    def filters(self) -> AuditFilters:
        """The filters, once the form is valid."""
        return AuditFilters(
            application=int(self.application.data) if self.application.data else None,
            council=self.council.data or "",
            user=self.user.data or "",
            action=self.action.data or "",
            date_from=_date(self.date_from),
            date_to=_date(self.date_to),
        )


@dataclass(frozen=True)
class AuditFilters:
    application: int | None = None
    council: str = ""
    user: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def query_string(self, **extra: object) -> dict[str, object]:
        """As URL parameters, with those not in use left out."""
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}
        params.update(extra)
        return {k: v for k, v in params.items() if v not in ("", None)}


def _uk_midnight(day: date) -> datetime:
    """The start of a day as the audit log shows it (UK time), for comparing with UTC times."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def _conditions(filters: AuditFilters) -> tuple[list, bool, bool]:
    """The WHERE terms, and whether they need the users and the councils joined."""
    terms: list = []
    if filters.application is not None:
        terms.append(AuditEvent.application_id == filters.application)
    if filters.council:
        words = search_name(filters.council).split()
        terms.append(
            sa.or_(
                Council.gss_code == filters.council.upper(),
                sa.and_(*(Council.search_name.contains(w, autoescape=True) for w in words)),
            )
        )
    if filters.user:
        terms.append(User.email.contains(filters.user.lower(), autoescape=True))
    if filters.action:
        terms.append(AuditEvent.action == filters.action)
    if filters.date_from:
        terms.append(AuditEvent.occurred_at >= _uk_midnight(filters.date_from))
    if filters.date_to:
        terms.append(AuditEvent.occurred_at < _uk_midnight(filters.date_to + timedelta(days=1)))
    return terms, bool(filters.user), bool(filters.council)


# Whom or what an event is about, named: a person (an account, or a council membership) or an
# edition. Joined in the one query of the page, as each is at most one row.
_SUBJECT_USER = aliased(User)
_MEMBER = aliased(User)
_SUBJECT_NAME = sa.func.coalesce(_SUBJECT_USER.full_name, _MEMBER.full_name, Edition.title)


def _events(filters: AuditFilters) -> sa.Select:
    """Matching events with their actor, council and subject's name, newest first. The log is
    append-only, so the id follows the order events were written in, and it is indexed."""
    terms, _, _ = _conditions(filters)
    return (
        sa.select(AuditEvent, User, Council, _SUBJECT_NAME)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Council, Council.id == AuditEvent.council_id)
        .outerjoin(
            _SUBJECT_USER,
            sa.and_(AuditEvent.subject_type == "User", _SUBJECT_USER.id == AuditEvent.subject_id),
        )
        .outerjoin(
            Membership,
            sa.and_(
                AuditEvent.subject_type == "Membership", Membership.id == AuditEvent.subject_id
            ),
        )
        .outerjoin(_MEMBER, _MEMBER.id == Membership.user_id)
        .outerjoin(
            Edition,
            sa.and_(AuditEvent.subject_type == "Edition", Edition.id == AuditEvent.subject_id),
        )
        .where(*terms)
        .order_by(AuditEvent.id.desc())
    )


def _count(filters: AuditFilters) -> int:
    terms, needs_users, needs_councils = _conditions(filters)
    statement = sa.select(sa.func.count(AuditEvent.id)).select_from(AuditEvent)
    if needs_users:
        statement = statement.join(User, User.id == AuditEvent.actor_id)
    if needs_councils:
        statement = statement.join(Council, Council.id == AuditEvent.council_id)
    return db.session.scalar(statement.where(*terms))


def actions() -> list[str]:
    """Every action the log holds, for the filter."""
    return list(db.session.scalars(sa.select(AuditEvent.action).distinct().order_by("action")))


def _subject_is_actor(event: AuditEvent) -> bool:
    return event.subject_type == "User" and event.subject_id == event.actor_id


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    actor: User | None
    council: Council | None
    subject_name: str | None = None

    @property
    def subject(self) -> str:
        event = self.event
        return event.subject_type + (f" {event.subject_id}" if event.subject_id else "")

    @property
    def sentence(self) -> str:
        """What happened, in words (marks/presentation/events.py)."""
        event = self.event
        return events.sentence(
            event.action,
            events.Said(
                actor=self.actor.full_name if self.actor else "The service",
                council=self.council.name if self.council else "a council",
                subject=self.subject_name or "",
                data=event.data or {},
                own=_subject_is_actor(event),
            ),
        )

    @property
    def states(self) -> list[dict]:
        """The state it left and the one it reached, as govukTag parameters (either may be
        missing: something made, or a change of no state)."""
        event = self.event
        return [
            events.state_tag(event.subject_type, state) if state else None
            for state in (event.from_state, event.to_state)
        ]

    @property
    def details(self) -> list[tuple[str, str]]:
        return events.detail_rows(self.event.data)

    @property
    def readers(self) -> str:
        return events.readers(self.event.reason_audience)

    @property
    def reason(self) -> str:
        """Why, as the person wrote it; a link's token in it redacted, as everywhere else."""
        return redact_tokens(self.event.reason or "")

    @property
    def data(self) -> str:
        """The event's details as compact JSON ("" if none), any link's token redacted: for
        the CSV."""
        if not self.event.data:
            return ""
        text = json.dumps(self.event.data, ensure_ascii=False, sort_keys=True, default=str)
        return redact_tokens(text)


def _page(filters: AuditFilters, number: int) -> tuple[list[Row], int]:
    """One page of the log, and how many events match: two queries, whatever the rows."""
    total = _count(filters)
    found = db.session.execute(
        _events(filters).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    ).all()
    return [Row(*found_row) for found_row in found], total


def _page_number() -> int:
    text = request.args.get("page", "1")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        abort(404)
    return int(text)


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.action.choices = choices(
        [("", "Any action"), *((a, events.action_name(a)) for a in actions())]
    )
    return form


@bp.get("/audit")
@access(ADMINISTRATOR)
def audit():
    number = _page_number()
    form = _filter_form()
    if not form.validate():
        return render_template("admin/records/audit.html", form=form, rows=None), 400
    filters = form.filters()
    rows, total = _page(filters, number)
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages:
        abort(404)
    return render_template(
        "admin/records/audit.html",
        form=form,
        rows=rows,
        total=total,
        number=number,
        pages=pages,
        pagination=presentation.pagination(
            number,
            pages,
            lambda n: url_for("admin.audit", **filters.query_string(page=n if n > 1 else None)),
        ),
        csv_query=filters.query_string(),
    )


CSV_COLUMNS = (
    "occurred_at",
    "actor_name",
    "actor_email",
    "action",
    "subject_type",
    "subject_id",
    "council_gss_code",
    "council",
    "application_id",
    "from_state",
    "to_state",
    "reason",
    "data",
)


def _csv_record(row: Row) -> tuple:
    event, actor, council = row.event, row.actor, row.council
    return (
        event.occurred_at.astimezone(UTC).isoformat(),
        actor.full_name if actor else "The service",
        actor.email if actor else "",
        event.action,
        event.subject_type,
        event.subject_id,
        council.gss_code if council else "",
        council.name if council else "",
        event.application_id,
        event.from_state,
        event.to_state,
        row.reason,
        row.data,
    )


@bp.get("/audit.csv")
@access(ADMINISTRATOR)
def audit_csv():
    form = _filter_form()
    if not form.validate():
        problems = [message for messages in form.errors.values() for message in messages]
        abort(400, description="; ".join(problems))
    filters = form.filters()

    def lines() -> Iterator[str]:
        yield csv_line(CSV_COLUMNS)
        result = db.session.execute(_events(filters).execution_options(yield_per=1000))
        for found in result:
            yield csv_line(_csv_record(Row(*found)))

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


# --- The outbox: sending a failed email again, and its HTML -----------------------------------


@bp.post("/outbox/<int:email_id>/resend")
@access(ADMINISTRATOR)
def resend_email(email_id: int):
    email = db.get_or_404(Email, email_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        mail.resend(email, actor=current_user)
    except mail.ResendRefused as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"The email to {email.to_address} will be sent again.", "success")
    return redirect(url_for("admin.email", email_id=email.id))


@bp.get("/outbox/<int:email_id>/preview.html")
@access(ADMINISTRATOR)
@talisman_options(
    content_security_policy=PREVIEW_POLICY,
    content_security_policy_nonce_in=[],
    frame_options="DENY",
)
def email_html(email_id: int):
    email = mail.shown(db.get_or_404(Email, email_id))
    if not email.body_html:
        abort(404)  # a plain-text email: its page shows all of it
    return Response(email.body_html, mimetype="text/html")
