"""Retention: personal data kept no longer than the privacy notice says. `flask
apply-retention` runs daily (docs/deploy/marks-retention.timer); each rule finds what is past
its period (a setting in marks/config.py DEFAULTS) and deletes or anonymises it, and each rule
that did something is audited, with its count. `--dry-run` reports the same counts and
changes nothing. Running it twice does nothing the second time: what a rule changed, it no
longer finds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from marks import audit
from marks.extensions import db
from marks.models import (
    Answer,
    Application,
    Assignment,
    AuditEvent,
    Email,
    EvidenceFile,
    Invitation,
    Membership,
    RecoveryCode,
    User,
    UserSession,
    utcnow,
)
from marks.people import personal_data
from marks.states import (
    OPEN_APPLICATION_STATES,
    ApplicationState,
    AssignmentState,
    EmailState,
    MembershipState,
    ReasonAudience,
    UserRole,
)


@dataclass(frozen=True)
class RetentionRule:
    """One kind of data and what happens to it when its period (the setting) has passed."""

    name: str
    setting: str
    what: str  # "{n} signed-in sessions past their time": n is the count
    done: str  # "deleted"
    find: Callable[[datetime], list[int]]  # the ids due, for the cut-off: what is counted
    apply: Callable[[list[int]], None]


@dataclass(frozen=True)
class Outcome:
    rule: RetentionRule
    ids: list[int]
    older_than: datetime

    @property
    def count(self) -> int:
        return len(self.ids)

    def said(self, dry_run: bool = False) -> str:
        what = self.rule.what.format(n=self.count)
        return f"{what} would be {self.rule.done}" if dry_run else f"{what} {self.rule.done}"


def run(*, dry_run: bool, now: datetime | None = None) -> list[Outcome]:
    """Apply every rule (or, dry_run, only find what each would do); one outcome per rule,
    in order. Flushes, in the caller's transaction."""
    now = now or utcnow()
    outcomes = []
    for rule in RULES:
        older_than = now - current_app.config[rule.setting]
        ids = rule.find(older_than)
        outcome = Outcome(rule, ids, older_than)
        if ids and not dry_run:
            rule.apply(ids)
            db.session.flush()
            audit.record(
                f"retention.{rule.name}",
                rule,
                actor=None,
                reason=outcome.said(),
                reason_audience=ReasonAudience.RECORD,
                count=outcome.count,
                older_than=older_than.isoformat(),
                **({"ids": ids} if rule.name in LISTED else {}),
            )
        outcomes.append(outcome)
    return outcomes


def _ids(statement: sa.Select) -> list[int]:
    return list(db.session.scalars(statement.order_by(sa.literal_column("1"))))


# --- Signed-in sessions past SESSION_MAX_AGE ------------------------------------------------


def _sessions_due(older_than: datetime) -> list[int]:
    return _ids(sa.select(UserSession.id).where(UserSession.created_at < older_than))


def _end_sessions(ids: list[int]) -> None:
    db.session.execute(sa.delete(UserSession).where(UserSession.id.in_(ids)))


# --- Invitations never accepted ------------------------------------------------------------


def _invitations_due(older_than: datetime) -> list[int]:
    return _ids(
        sa.select(Invitation.id).where(
            Invitation.accepted_at.is_(None), Invitation.expires_at < older_than
        )
    )


def _delete_invitations(ids: list[int]) -> None:
    # Their audit events named the address invited: it goes with the invitation.
    for event in db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.subject_type == "Invitation", AuditEvent.subject_id.in_(ids)
        )
    ):
        if event.data.get("email"):
            event.data = {**event.data, "email": None}
    db.session.execute(sa.delete(Invitation).where(Invitation.id.in_(ids)))


# --- Emails' words, once sent (or given up on) ---------------------------------------------


def _email_bodies_due(older_than: datetime) -> list[int]:
    return _ids(
        sa.select(Email.id).where(
            Email.state.in_([EmailState.SENT, EmailState.FAILED]),
            Email.body_text != "",
            sa.func.coalesce(Email.sent_at, Email.created_at) < older_than,
        )
    )


def _remove_email_bodies(ids: list[int]) -> None:
    db.session.execute(
        sa.update(Email).where(Email.id.in_(ids)).values(body_text="", body_html=None)
    )


# --- Accounts -------------------------------------------------------------------------------


def _referenced() -> sa.ColumnElement[bool]:
    """Something besides the account's own sign-in records and audit events points at it."""
    own = {"audit_events.actor_id", "user_sessions.user_id", "recovery_codes.user_id"}
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            for key in column.foreign_keys:
                if key.column.table.name == "users" and f"{table.name}.{column.name}" not in own:
                    found.append(sa.exists().where(column == User.id))
    return sa.or_(*found)


def _unconfirmed(older_than: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        User.email_confirmed_at.is_(None),
        User.erased_at.is_(None),
        User.role == UserRole.USER,
        User.created_at < older_than,
        sa.not_(_referenced()),
    )


def _unconfirmed_due(older_than: datetime) -> list[int]:
    return _ids(sa.select(User.id).where(_unconfirmed(older_than)))


def _delete_unconfirmed(ids: list[int]) -> None:
    emails = list(db.session.scalars(sa.select(User.email).where(User.id.in_(ids))))
    db.session.execute(sa.delete(Email).where(Email.to_address.in_(emails)))
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.actor_id.in_(ids)))
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id.in_(ids)))
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id.in_(ids)))
    db.session.execute(
        sa.delete(User).where(User.id.in_(ids)).execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def _last_active() -> sa.ColumnElement[datetime]:
    return sa.func.coalesce(User.last_signed_in_at, User.email_confirmed_at, User.created_at)


def _inactive_due(older_than: datetime) -> list[int]:
    """Accounts with no sign-in for the period, not yet erased, and not needed now: nobody
    assessing an application or belonging to a council with an application open, and never
    the last active administrator. An unconfirmed sign-up that the rule above deletes is not
    counted twice."""
    busy_assessor = sa.exists().where(
        Assignment.assessor_id == User.id, Assignment.state == AssignmentState.ACTIVE
    )
    busy_member = (
        sa.exists()
        .where(
            Membership.user_id == User.id,
            Membership.state == MembershipState.ACTIVE,
            Application.council_id == Membership.council_id,
            Application.state.in_(sorted(OPEN_APPLICATION_STATES)),
        )
        .correlate(User)
    )
    due = _ids(
        sa.select(User.id).where(
            User.erased_at.is_(None),
            _last_active() < older_than,
            sa.not_(busy_assessor),
            sa.not_(busy_member),
            sa.not_(_unconfirmed(older_than)),
        )
    )
    administrators = db.session.execute(
        sa.select(User.id)
        .where(User.role == UserRole.ADMINISTRATOR, User.deactivated_at.is_(None))
        .order_by(_last_active().desc(), User.id.desc())
    ).scalars()
    administrators = list(administrators)
    if administrators and set(administrators) <= set(due):
        due.remove(administrators[0])  # the one most recently active stays
    return due


def _erase_inactive(ids: list[int]) -> None:
    period = current_app.config["RETAIN_INACTIVE_ACCOUNTS"].days
    for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)).all():
        personal_data.erase(
            user, actor=None, reason=f"Retention: no sign-in for more than {period} days"
        )


# --- Evidence files -------------------------------------------------------------------------


def _files_of(applications: sa.ColumnElement[bool]) -> list[int]:
    return _ids(
        sa.select(EvidenceFile.id)
        .join(Answer, Answer.id == EvidenceFile.answer_id)
        .join(Application, Application.id == Answer.application_id)
        .where(applications)
    )


def _withdrawn_files_due(older_than: datetime) -> list[int]:
    withdrawn_at = (
        sa.select(sa.func.max(AuditEvent.occurred_at))
        .where(
            AuditEvent.application_id == Application.id,
            AuditEvent.to_state == str(ApplicationState.WITHDRAWN),
        )
        .correlate(Application)
        .scalar_subquery()
    )
    return _files_of(
        sa.and_(
            Application.state == ApplicationState.WITHDRAWN,
            sa.func.coalesce(withdrawn_at, Application.updated_at) < older_than,
        )
    )


def _decided_files_due(older_than: datetime) -> list[int]:
    return _files_of(Application.decided_at < older_than)


def _delete_files(ids: list[int]) -> None:
    db.session.execute(
        sa.delete(EvidenceFile)
        .where(EvidenceFile.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


RULES = (
    RetentionRule(
        "sessions_ended",
        "SESSION_MAX_AGE",
        "{n} signed-in sessions past their time",
        "deleted",
        _sessions_due,
        _end_sessions,
    ),
    RetentionRule(
        "invitations_deleted",
        "RETAIN_EXPIRED_INVITATIONS",
        "{n} invitations never accepted, expired",
        "deleted",
        _invitations_due,
        _delete_invitations,
    ),
    RetentionRule(
        "email_bodies_removed",
        "RETAIN_EMAIL_BODIES",
        "{n} emails' words",
        "removed (who to, subject and dates kept)",
        _email_bodies_due,
        _remove_email_bodies,
    ),
    RetentionRule(
        "unconfirmed_accounts_deleted",
        "RETAIN_UNCONFIRMED_ACCOUNTS",
        "{n} accounts never confirmed",
        "deleted",
        _unconfirmed_due,
        _delete_unconfirmed,
    ),
    RetentionRule(
        "inactive_accounts_erased",
        "RETAIN_INACTIVE_ACCOUNTS",
        "{n} accounts with no sign-in for the period",
        "erased",
        _inactive_due,
        _erase_inactive,
    ),
    RetentionRule(
        "withdrawn_evidence_deleted",
        "RETAIN_WITHDRAWN_EVIDENCE",
        "{n} evidence files of withdrawn applications",
        "deleted",
        _withdrawn_files_due,
        _delete_files,
    ),
    RetentionRule(
        "decided_evidence_deleted",
        "RETAIN_DECIDED_EVIDENCE",
        "{n} evidence files of applications decided long ago",
        "deleted",
        _decided_files_due,
        _delete_files,
    ),
)
# Rules whose audit event lists the ids: few, and each worth finding again.
LISTED = {
    "invitations_deleted",
    "unconfirmed_accounts_deleted",
    "inactive_accounts_erased",
    "withdrawn_evidence_deleted",
    "decided_evidence_deleted",
}
