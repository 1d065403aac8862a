"""A person's personal data (UK GDPR): everything the service holds about them, in one file
for a subject access request, and erasure on request or when the account's retention period
has passed (marks/people/retention.py).

Erasing keeps the scheme's records honest: the user row stays, anonymised ("Erased person
#12"), so that audit events, decisions, scores and uploads keep an actor, and awards stay as
they were. What goes is what identifies the person: their name and email address (wherever
the service wrote them: emails, audit events, application contact details), their password,
second factor, sessions and invitations. The audit log is otherwise append-only; this is
the one change made to past events, as the law requires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from marks import audit
from marks.applying import memberships
from marks.extensions import db
from marks.logs import redact_tokens
from marks.models import (
    Answer,
    Application,
    Assessment,
    Assignment,
    AuditEvent,
    Criterion,
    Decision,
    Email,
    EvidenceFile,
    InformationRequest,
    Invitation,
    Membership,
    RecoveryCode,
    User,
    UserSession,
    utcnow,
)
from marks.people import sessions, staff
from marks.states import EmailState, MembershipState, ReasonAudience

# Not an Argon2 hash: no password matches it (people.authenticate treats it as a wrong one).
UNUSABLE_HASH = "!erased"
# A name shorter than this is not searched for in other people's text: it would match too
# much that is not about them.
SHORTEST_NAME_SCRUBBED = 5

ABOUT = (
    "Everything the Social Media Friendly Mark service holds about this person, exported "
    "for a subject access request under the UK GDPR (article 15). Dates are in UTC. "
    "'account' is their account; 'councils' the councils they belong or belonged to; "
    "'invitations_received' and 'invitations_sent' the invitations to and from them; "
    "'applications_started', 'applications_as_contact', 'answers_last_changed' and "
    "'evidence_files_uploaded' what they did in their council's applications (the files "
    "themselves are their council's: an administrator can download them from the "
    "application's page); 'assignments' the applications they were asked to assess, with "
    "their scores, feedback and private notes; 'decisions_made' and "
    "'information_requests_made' what they did as an administrator; 'emails' the emails "
    "sent to them (a link that would act for them is shown as [redacted]); 'audit_events' "
    "the audit log's record of what they did and what was done to their account. Their "
    "password, two-factor key and recovery codes are held only in a form that cannot be "
    "read back, and are not included."
)


def erased_name(user_id: int) -> str:
    return f"Erased person #{user_id}"


def erased_email(user_id: int) -> str:
    """Unique, lower case, and undeliverable: .invalid is reserved (RFC 2606)."""
    return f"erased-{user_id}@invalid"


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# --- Subject access -------------------------------------------------------------------------


def export(user: User, *, actor: User) -> dict[str, Any]:
    """Everything the service holds about the person, as plain JSON-ready data; the export
    is audited ("user.data_exported", by whom). Never a password hash, two-factor key,
    recovery code, session key or a link's token. Flushes."""
    recovery_codes = db.session.scalars(
        sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id)
    ).all()
    data: dict[str, Any] = {
        "about": ABOUT,
        "exported_at": _when(utcnow()),
        "service": current_app.config["MARKS_BASE_URL"],
        "account": {
            "id": user.id,
            "name": user.full_name,
            "email": user.email,
            "role": str(user.role),
            "created_at": _when(user.created_at),
            "email_confirmed_at": _when(user.email_confirmed_at),
            "last_signed_in_at": _when(user.last_signed_in_at),
            "deactivated_at": _when(user.deactivated_at),
            "erased_at": _when(user.erased_at),
            "two_factor_set_up_at": _when(user.two_factor_enrolled_at),
            "recovery_codes": [
                {"created_at": _when(c.created_at), "used_at": _when(c.used_at)}
                for c in recovery_codes
            ],
            "signed_in_sessions": [
                {"started_at": _when(s.created_at)}
                for s in db.session.scalars(
                    sa.select(UserSession)
                    .where(UserSession.user_id == user.id)
                    .order_by(UserSession.id)
                )
            ],
        },
        "councils": [
            {
                "council": m.council.name,
                "role": str(m.role),
                "state": str(m.state),
                "since": _when(m.created_at),
                "decided_at": _when(m.decided_at),
            }
            for m in staff.memberships_of(user)
        ],
        "invitations_received": [
            _invitation(i)
            for i in db.session.scalars(
                sa.select(Invitation).where(Invitation.email == user.email).order_by(Invitation.id)
            )
        ],
        "invitations_sent": [
            {**_invitation(i), "to": i.email}
            for i in db.session.scalars(
                sa.select(Invitation)
                .where(Invitation.invited_by_id == user.id)
                .order_by(Invitation.id)
            )
        ],
        "applications_started": [
            _application(a)
            for a in db.session.scalars(
                sa.select(Application)
                .where(Application.started_by_id == user.id)
                .order_by(Application.id)
            )
        ],
        "applications_as_contact": [
            {
                **_application(a),
                "contact_name": a.contact_name,
                "contact_email": a.contact_email,
                "contact_phone": a.contact_phone,
                "declaration_name": a.declaration_name,
            }
            for a in db.session.scalars(
                sa.select(Application)
                .where(
                    sa.or_(
                        Application.contact_email == user.email,
                        Application.contact_name == user.full_name,
                        Application.declaration_name == user.full_name,
                    )
                )
                .order_by(Application.id)
            )
        ],
        "answers_last_changed": [
            {
                "application_id": a.application_id,
                "criterion": criterion_code,
                "self_score": a.self_score,
                "narrative": a.narrative,
                "links": [link.url for link in a.links],
                "changed_at": _when(a.updated_at),
            }
            for a, criterion_code in db.session.execute(
                sa.select(Answer, Criterion.code)
                .join(Criterion, Criterion.id == Answer.criterion_id)
                .where(Answer.updated_by_id == user.id)
                .order_by(Answer.application_id, Criterion.code)
            )
        ],
        "evidence_files_uploaded": [
            {
                "id": f.id,
                "application_id": application_id,
                "filename": f.filename,
                "content_type": f.content_type,
                "size_bytes": f.size_bytes,
                "sha256": f.sha256,
                "uploaded_at": _when(f.created_at),
            }
            for f, application_id in db.session.execute(
                sa.select(EvidenceFile, Answer.application_id)
                .join(Answer, Answer.id == EvidenceFile.answer_id)
                .where(EvidenceFile.uploaded_by_id == user.id)
                .order_by(EvidenceFile.id)
            )
        ],
        "assignments": [_assignment(a) for a in staff.assignments_of(user)],
        "decisions_made": [
            {
                "application_id": d.application_id,
                "outcome": str(d.outcome),
                "reasons": d.reasons,
                "override_reason": d.override_reason,
                "decided_at": _when(d.decided_at),
            }
            for d in db.session.scalars(
                sa.select(Decision).where(Decision.decided_by_id == user.id).order_by(Decision.id)
            )
        ],
        "information_requests_made": [
            {
                "application_id": r.application_id,
                "message": r.message,
                "requested_at": _when(r.requested_at),
            }
            for r in db.session.scalars(
                sa.select(InformationRequest)
                .where(InformationRequest.requested_by_id == user.id)
                .order_by(InformationRequest.id)
            )
        ],
        "emails": [
            {
                "to": e.to_address,
                "subject": redact_tokens(e.subject),
                "body": redact_tokens(e.body_text) if e.body_text else None,
                "state": str(e.state),
                "written_at": _when(e.created_at),
                "sent_at": _when(e.sent_at),
            }
            for e in db.session.scalars(
                sa.select(Email).where(Email.to_address == user.email).order_by(Email.id)
            )
        ],
        "audit_events": [
            {
                "id": e.id,
                "at": _when(e.occurred_at),
                "action": e.action,
                "by_them": e.actor_id == user.id,
                "subject": f"{e.subject_type} {e.subject_id}",
                "from_state": e.from_state,
                "to_state": e.to_state,
                "reason": e.reason,
                "details": e.data,
            }
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(
                    sa.or_(
                        AuditEvent.actor_id == user.id,
                        sa.and_(
                            AuditEvent.subject_type == "User", AuditEvent.subject_id == user.id
                        ),
                    )
                )
                .order_by(AuditEvent.id)
            )
        ],
    }
    audit.record("user.data_exported", user, actor=actor)
    return data


def export_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def _invitation(invitation: Invitation) -> dict[str, Any]:
    return {
        "kind": str(invitation.kind),
        "council": invitation.council.name if invitation.council else None,
        "sent_at": _when(invitation.created_at),
        "expires_at": _when(invitation.expires_at),
        "accepted_at": _when(invitation.accepted_at),
        "replaced_at": _when(invitation.revoked_at),
    }


def _application(application: Application) -> dict[str, Any]:
    return {
        "application_id": application.id,
        "council": application.council.name,
        "state": str(application.state),
        "started_at": _when(application.created_at),
    }


def _assignment(assignment: Assignment) -> dict[str, Any]:
    assessment: Assessment | None = assignment.assessment
    return {
        "application_id": assignment.application_id,
        "council": assignment.application.council.name,
        "state": str(assignment.state),
        "assigned_at": _when(assignment.assigned_at),
        "conflict_reason": assignment.conflict_reason,
        "assessment": None
        if assessment is None
        else {
            "state": str(assessment.state),
            "recommendation": None
            if assessment.recommendation is None
            else str(assessment.recommendation),
            "summary": assessment.summary,
            "submitted_at": _when(assessment.submitted_at),
            "scores": [
                {
                    "criterion": score.criterion.code,
                    "score": score.score,
                    "feedback": score.feedback,
                    "private_note": score.private_note,
                }
                for score in sorted(assessment.scores, key=lambda s: s.criterion.code)
            ],
        },
    }


# --- Erasure --------------------------------------------------------------------------------


def why_not_erase(user: User, actor: User | None) -> str | None:
    """Why the person cannot be erased (by actor; None: a command on the server), or None."""
    if user.is_erased:
        return f"{user.full_name}'s personal data has already been erased"
    try:
        staff.check_actor(user, actor, "erase")
        staff.keep_an_administrator(user)
    except staff.StaffRefused as error:
        return str(error)
    return None


def erase(user: User, *, actor: User | None, reason: str) -> dict[str, int]:
    """Erase the person's personal data in the caller's transaction (see the module's
    docstring); audited ("user.erased"). Returns how many of each thing went. Raises
    StaffRefused for oneself, the last active administrator, or someone already erased.
    Flushes."""
    refusal = why_not_erase(user, actor)
    if refusal is not None:
        raise staff.StaffRefused(refusal)
    old_email, old_name = user.email, user.full_name
    now = utcnow()
    counts: dict[str, int] = {}

    counts["sessions"] = sessions.end_all(user)
    counts["recovery_codes"] = db.session.execute(
        sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
    ).rowcount
    counts["invitations"] = db.session.execute(
        sa.delete(Invitation).where(Invitation.email == old_email)
    ).rowcount
    ended = db.session.scalars(
        sa.select(Membership).where(
            Membership.user_id == user.id,
            Membership.state.in_([MembershipState.REQUESTED, MembershipState.ACTIVE]),
        )
    ).all()
    for membership in ended:
        memberships.end_for_erasure(membership, actor=actor)
    counts["memberships"] = len(ended)
    # Emails not yet sent would go to nobody; those sent keep their row, not their words.
    counts["emails_unsent"] = db.session.execute(
        sa.delete(Email).where(Email.to_address == old_email, Email.state == EmailState.QUEUED)
    ).rowcount
    counts["emails_blanked"] = db.session.execute(
        sa.update(Email)
        .where(Email.to_address == old_email)
        .values(body_text="", body_html=None, last_error=sa.null())
    ).rowcount
    # A council's contact, when it was them: their phone number goes with their name.
    db.session.execute(
        sa.update(Application)
        .where(Application.contact_email == old_email)
        .values(contact_phone=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()

    user.full_name = erased_name(user.id)
    user.email = erased_email(user.id)
    user.password_hash = UNUSABLE_HASH
    user.two_factor_key = None
    user.two_factor_enrolled_at = None
    user.two_factor_last_step = None
    user.deactivated_at = user.deactivated_at or now
    user.erased_at = now
    db.session.flush()
    counts["mentions"] = scrub(
        {old_email: user.email, old_name: user.full_name}, skip_tables={"users"}
    )
    audit.record(
        "user.erased",
        user,
        actor=actor,
        to_state="erased",
        reason=reason,
        reason_audience=ReasonAudience.RECORD,
        **{name: n for name, n in counts.items() if n},
    )
    return counts


# --- Finding a person's name and email address in every table ------------------------------


def _patterns(replacements: dict[str, str]) -> list[tuple[str, re.Pattern[str], str]]:
    """(needle, pattern, replacement) for each email address or name worth searching for."""
    found = []
    for old, new in replacements.items():
        if "@" in old:
            pattern = re.compile(re.escape(old), re.IGNORECASE)
        elif len(old.strip()) >= SHORTEST_NAME_SCRUBBED:
            pattern = re.compile(rf"(?<!\w){re.escape(old.strip())}(?!\w)", re.IGNORECASE)
        else:
            continue
        found.append((old.strip(), pattern, new))
    return found


def _searchable_columns(skip_tables: set[str]) -> Iterator[tuple[sa.Table, sa.Column, bool]]:
    """(table, column, is_json) of every column that can hold text, enumerations aside."""
    for table in db.metadata.sorted_tables:
        if table.name in skip_tables:
            continue
        for column in table.columns:
            kind = column.type
            if isinstance(kind, sa.Enum):
                continue
            if isinstance(kind, sa.JSON):
                yield table, column, True
            elif isinstance(kind, sa.String):  # Text is a String
                yield table, column, False


def _replaced(value: Any, patterns: list[tuple[str, re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for _, pattern, new in patterns:
            value = pattern.sub(new, value)
        return value
    if isinstance(value, list):
        return [_replaced(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, patterns) for k, v in value.items()}
    return value


def scrub(replacements: dict[str, str], *, skip_tables: set[str] = frozenset()) -> int:
    """Replace each old text (an email address anywhere, a name as whole words) with its new
    one in every text and JSON column of every table but skip_tables; returns how many
    values changed. Rows are found by the database (case aside, and in JSON as the text is
    stored, escaped), changed here."""
    patterns = _patterns(replacements)
    if not patterns:
        return 0
    changed = 0
    db.session.flush()
    for table, column, is_json in _searchable_columns(set(skip_tables)):
        key = list(table.primary_key.columns)
        text = sa.cast(column, sa.Text) if is_json else column
        needles = {needle.lower() for needle, _, _ in patterns}
        if is_json:
            needles |= {json.dumps(n)[1:-1] for n in needles}
        matches = sa.or_(
            *(sa.func.lower(text).contains(needle, autoescape=True) for needle in needles)
        )
        for row in db.session.execute(sa.select(*key, column).where(matches)).all():
            *ids, value = row
            new = _replaced(value, patterns)
            if new == value:
                continue
            db.session.execute(
                sa.update(table)
                .where(*(k == v for k, v in zip(key, ids, strict=True)))
                .values({column.name: new})
            )
            changed += 1
    # The session's objects may hold the old text: read them again.
    db.session.expire_all()
    return changed
