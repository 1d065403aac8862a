"""Retention (marks/people/retention.py, `flask apply-retention`): each rule removes what is
past its period and nothing else; a dry run changes nothing and reports the counts the run then
applies; each rule that did something is audited; a second run does nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from marks import mail
from marks.applying import applications, memberships
from marks.applying.evidence import CheckedFile
from marks.assessing import assessment
from marks.config import DEFAULTS
from marks.extensions import db
from marks.models import (
    Application,
    AuditEvent,
    Email,
    EvidenceFile,
    Invitation,
    User,
    UserSession,
    utcnow,
)
from marks.people import personal_data, retention, staff
from marks.states import EmailState, MembershipRole
from tests.helpers.applications import complete_application
from tests.integration.personal_data_world import every_text_value

DAY = timedelta(days=1)
NOW = utcnow()


def ago(setting: str, more: bool = True):
    """Just past the setting's period (more), or just within it."""
    return NOW - DEFAULTS[setting] + (-DAY if more else DAY)


def counts(outcomes) -> dict[str, int]:
    return {o.rule.name: o.count for o in outcomes}


def application_with_a_file(make) -> Application:
    lead = make.member(role=MembershipRole.LEAD)
    application = applications.start(lead.membership.council, actor=lead)
    answer = application.answers[0]
    applications.save_answer(
        answer,
        version=answer.version,
        actor=lead,
        self_score=None,
        narrative="",
        links=[],
        new_file=CheckedFile("policy.pdf", "application/pdf", 9, "0" * 64, b"%PDF-1.4 "),
    )
    return application


def files_of(application: Application) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(EvidenceFile.filename)
            .join(EvidenceFile.answer)
            .where(EvidenceFile.answer.has(application_id=application.id))
        )
    )


def withdrawn(make, when) -> Application:
    application = application_with_a_file(make)
    applications.withdraw(application, actor=application.started_by, reason=None)
    db.session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.application_id == application.id, AuditEvent.to_state == "withdrawn")
        .values(occurred_at=when)
    )
    return application


def decided(make, when) -> Application:
    application = application_with_a_file(make)
    db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id)
        .values(state="rejected", submitted_at=when, decided_at=when)
    )
    return application


@pytest.fixture
def world(make):
    """Two of everything the rules look at: one just past its period, one just within it,
    and the exceptions each rule makes."""
    make.demo_edition()
    admin = make.administrator()
    w: dict[str, object] = {"admin": admin}
    people = [make.user(), make.user()]
    for who, when in zip(
        people, (ago("SESSION_MAX_AGE"), ago("SESSION_MAX_AGE", False)), strict=True
    ):
        db.session.add(
            UserSession(key_hash=who.email.ljust(64, "x")[:64], user_id=who.id, created_at=when)
        )
    w["sessions"] = people

    council = make.council()
    old, recent, accepted = (
        memberships.invite(council, f"{n}@testbury.gov.uk", actor=admin)
        for n in ("old", "new", "took")
    )
    old.expires_at = ago("RETAIN_EXPIRED_INVITATIONS")
    recent.expires_at = ago("RETAIN_EXPIRED_INVITATIONS", False)
    accepted.expires_at, accepted.accepted_at = ago("RETAIN_EXPIRED_INVITATIONS"), NOW
    w["invitations"] = (old, recent, accepted)

    sent_old, sent_recent, failed_old, queued_old = (
        mail.queue(f"{n}@testbury.gov.uk", "password_changed", user=admin)
        for n in ("sent-old", "sent-new", "failed-old", "queued-old")
    )
    for email, when in (
        (sent_old, ago("RETAIN_EMAIL_BODIES")),
        (sent_recent, ago("RETAIN_EMAIL_BODIES", False)),
    ):
        email.state, email.sent_at, email.created_at = EmailState.SENT, when, when
    failed_old.state, failed_old.last_error = EmailState.FAILED, "550 no such person"
    failed_old.created_at = queued_old.created_at = ago("RETAIN_EMAIL_BODIES")
    w["emails"] = (sent_old, sent_recent, failed_old, queued_old)

    unconfirmed = [
        make.user(email_confirmed_at=None, created_at=ago("RETAIN_UNCONFIRMED_ACCOUNTS", more))
        for more in (True, False)
    ]
    asked = make.user(email_confirmed_at=None, created_at=ago("RETAIN_UNCONFIRMED_ACCOUNTS"))
    memberships.ask_to_join(asked, make.council())  # referenced: not deleted, kept for review
    for who in unconfirmed:
        mail.queue(who.email, "confirm_email", user=who, confirm_url="https://x/confirm-email/t")
    w["unconfirmed"] = (*unconfirmed, asked)

    inactive, active = (
        make.user(last_signed_in_at=ago("RETAIN_INACTIVE_ACCOUNTS", more)) for more in (True, False)
    )
    busy_assessor = make.assessor(last_signed_in_at=ago("RETAIN_INACTIVE_ACCOUNTS"))
    assessment.assign(complete_application(make), busy_assessor, actor=admin)
    busy_lead = make.member(
        role=MembershipRole.LEAD, last_signed_in_at=ago("RETAIN_INACTIVE_ACCOUNTS")
    )
    applications.start(busy_lead.membership.council, actor=busy_lead)
    w["inactive"] = (inactive, active, busy_assessor, busy_lead)

    w["withdrawn"] = (
        withdrawn(make, ago("RETAIN_WITHDRAWN_EVIDENCE")),
        withdrawn(make, ago("RETAIN_WITHDRAWN_EVIDENCE", False)),
    )
    w["decided"] = (
        decided(make, ago("RETAIN_DECIDED_EVIDENCE")),
        decided(make, ago("RETAIN_DECIDED_EVIDENCE", False)),
    )
    db.session.flush()
    return w


EXPECTED = {
    "sessions_ended": 1,
    "invitations_deleted": 1,
    "email_bodies_removed": 2,
    "unconfirmed_accounts_deleted": 1,
    "inactive_accounts_erased": 1,
    "withdrawn_evidence_deleted": 1,
    "decided_evidence_deleted": 1,
}


def snapshot() -> list:
    """Everything the database holds as text, and how many rows of each table."""
    rows = {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    return [rows, sorted(map(str, every_text_value()))]


def test_a_dry_run_changes_nothing_and_reports_what_the_run_does(world):
    before = snapshot()
    dry = retention.run(dry_run=True)
    assert counts(dry) == EXPECTED
    assert snapshot() == before

    done = retention.run(dry_run=False)
    assert counts(done) == EXPECTED
    assert [o.ids for o in done] == [o.ids for o in dry]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("retention.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.data["count"], e.actor_id) for e in events] == [
        (f"retention.{name}", n, None) for name, n in EXPECTED.items()
    ]
    assert events[0].reason == "1 signed-in sessions past their time deleted"

    again = retention.run(dry_run=False)
    assert set(counts(again).values()) == {0}
    assert db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action.like("retention.%"))
    ) == len(EXPECTED)


def test_sessions_past_their_time_end(world):
    retention.run(dry_run=False)
    left = db.session.scalars(sa.select(UserSession.user_id)).all()
    assert left == [world["sessions"][1].id]


def test_invitations_never_accepted_go_a_month_after_expiring(world):
    old_id = world["invitations"][0].id
    retention.run(dry_run=False)
    assert {i.email for i in db.session.scalars(sa.select(Invitation))} == {
        "new@testbury.gov.uk",
        "took@testbury.gov.uk",
    }
    (sent,) = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.subject_type == "Invitation", AuditEvent.subject_id == old_id
        )
    )
    assert sent.data["email"] is None
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "retention.invitations_deleted")
    )
    assert event.data["ids"] == [old_id]


def test_emails_keep_their_row_and_lose_their_words(world, client):
    ids = [e.id for e in world["emails"]]  # sent long ago, lately; failed, queued long ago
    retention.run(dry_run=False)
    emails = [db.session.get(Email, i) for i in ids]
    assert [bool(e.body_text) for e in emails] == [False, True, False, True]
    assert emails[0].body_html is None and emails[2].body_html is None
    assert emails[0].to_address == "sent-old@testbury.gov.uk"
    assert emails[0].subject and emails[0].sent_at is not None
    with pytest.raises(mail.ResendRefused, match="Its message was removed"):
        mail.resend(emails[2], actor=world["admin"])
    client.sign_in(world["admin"].email)
    page = client.get(f"/admin/outbox/{ids[2]}")
    assert "The message was removed, as the privacy notice says" in page.text
    assert "Resend the email" not in page.text


def test_accounts_never_confirmed_go_after_a_month(world):
    old, recent, asked = world["unconfirmed"]
    old_id, old_email = old.id, old.email
    retention.run(dry_run=False)
    assert db.session.get(User, old_id) is None
    assert db.session.get(User, recent.id) is not None
    assert db.session.get(User, asked.id) is not None  # asked to join a council: kept
    assert not db.session.scalars(sa.select(Email).where(Email.to_address == old_email)).all()
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_id == old_id)).all()
    assert [v for v in every_text_value() if old_email in v[2]] == []


def test_accounts_unused_for_three_years_are_erased_unless_needed(world):
    inactive, active, busy_assessor, busy_lead = world["inactive"]
    email = inactive.email
    retention.run(dry_run=False)
    assert db.session.get(User, inactive.id).full_name == f"Erased person #{inactive.id}"
    for kept in (active, busy_assessor, busy_lead):
        assert db.session.get(User, kept.id).erased_at is None
    assert [v for v in every_text_value() if email in v[2]] == []
    erased = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.erased"))
    assert erased.actor_id is None
    assert erased.reason == "Retention: no sign-in for more than 1095 days"


def test_the_last_active_administrator_is_never_erased(make):
    alone = make.administrator(last_signed_in_at=ago("RETAIN_INACTIVE_ACCOUNTS"))
    assert counts(retention.run(dry_run=True))["inactive_accounts_erased"] == 0
    retention.run(dry_run=False)
    assert alone.erased_at is None
    make.administrator(last_signed_in_at=NOW)  # someone else runs the scheme now
    assert counts(retention.run(dry_run=False))["inactive_accounts_erased"] == 1
    assert db.session.get(User, alone.id).is_erased


def test_evidence_of_withdrawn_and_long_decided_applications_is_deleted(world):
    (old_withdrawn, new_withdrawn), (old_decided, new_decided) = (
        world["withdrawn"],
        world["decided"],
    )
    retention.run(dry_run=False)
    assert files_of(old_withdrawn) == files_of(old_decided) == []
    assert files_of(new_withdrawn) == files_of(new_decided) == ["policy.pdf"]
    # The applications themselves stay: the scheme's record.
    assert db.session.get(Application, old_decided.id).state == "rejected"


def test_the_command_dry_runs_runs_and_runs_again(runner, world):
    dry = runner.invoke(args=["apply-retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "sessions_ended: 1 signed-in sessions past their time would be deleted" in dry.output
    assert dry.output.rstrip().endswith("Dry run: nothing was changed")
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("retention.%"))
    ).all()
    done = runner.invoke(args=["apply-retention"])
    assert done.exit_code == 0, done.output
    assert (
        "inactive_accounts_erased: 1 accounts with no sign-in for the period erased" in done.output
    )
    found = dict(re.findall(r"^(\w+): (\d+) ", done.output, re.MULTILINE))
    assert {k: int(v) for k, v in found.items()} == EXPECTED
    again = runner.invoke(args=["apply-retention"])
    assert set(re.findall(r"^\w+: (\d+) ", again.output, re.MULTILINE)) == {"0"}


def test_the_privacy_notice_states_the_periods_the_service_keeps(client):
    page = client.get("/privacy")
    said = page.text
    assert "deleted 30 days after it was made" in said
    assert DEFAULTS["RETAIN_UNCONFIRMED_ACCOUNTS"] == timedelta(days=30)
    assert "not signed in to for 3 years is erased" in said
    assert DEFAULTS["RETAIN_INACTIVE_ACCOUNTS"] == timedelta(days=3 * 365)
    assert "deleted 90 days after they are sent" in said
    assert DEFAULTS["RETAIN_EMAIL_BODIES"] == timedelta(days=90)
    assert "deleted 30 days after its link expired" in said
    assert DEFAULTS["RETAIN_EXPIRED_INVITATIONS"] == timedelta(days=30)
    assert "24 hours after you sign in" in said
    assert DEFAULTS["SESSION_MAX_AGE"] == timedelta(hours=24)
    assert "6 months after it is withdrawn, and 6 years after it is decided" in said
    assert DEFAULTS["RETAIN_WITHDRAWN_EVIDENCE"] == timedelta(days=182)
    assert DEFAULTS["RETAIN_DECIDED_EVIDENCE"] == timedelta(days=6 * 365)


def test_the_privacy_notice_says_how_long_the_logs_keep_ip_addresses_and_why(client):
    """The server's logs hold visitors' IP addresses: the journal 90 days
    (docs/deploy/journald-marks.conf), nginx's 14 (Debian's logrotate, as the guide says)."""
    said = " ".join(client.get("/privacy").text.split())
    assert "IP address" in said
    assert "kept for 90 days" in said and "the web server’s own for 14 days" in said
    assert "to keep the service secure and to stop abuse" in said
    deploy = Path(__file__).resolve().parents[2] / "docs" / "deploy"
    assert "MaxRetentionSec=90day" in (deploy / "journald-marks.conf").read_text()
    assert "turns over daily and\nkeeps for 14 days" in (deploy.parent / "deploy.md").read_text()


def test_an_erased_person_is_not_erased_again_by_retention(make):
    make.administrator(last_signed_in_at=NOW)
    gone = make.user(last_signed_in_at=ago("RETAIN_INACTIVE_ACCOUNTS"))
    personal_data.erase(gone, actor=None, reason="Asked")
    assert counts(retention.run(dry_run=True))["inactive_accounts_erased"] == 0
    with pytest.raises(staff.StaffRefused):
        personal_data.erase(gone, actor=None, reason="Again")
