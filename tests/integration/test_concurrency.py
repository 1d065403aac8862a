"""What happens when two people act at the same moment, on a database of its own where commits
are real (run on PostgreSQL by CI, and on SQLite): no lost update, no duplicate, nothing
half-done."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from marks import create_app, mail
from marks.applying import applications, memberships
from marks.applying.applications import AnswerConflict
from marks.assessing import assessment, decisions
from marks.awarding import awards
from marks.extensions import close_connections, db, limiter
from marks.models import (
    Answer,
    Application,
    Assessment,
    AuditEvent,
    Award,
    Council,
    Criterion,
    Decision,
    Email,
    Level,
    Membership,
    User,
)
from marks.people import councils, users
from marks.states import (
    ApplicationState,
    AssessmentState,
    AwardState,
    MembershipRole,
    MembershipState,
)
from tests import factories
from tests.conftest import app_config, reset_database, separate_database
from tests.helpers.applications import complete_application, score_all, submitted_by
from tests.helpers.servers import Inbox, free_port
from tests.pages import PageClient

pytestmark = [pytest.mark.slow, pytest.mark.real_database]

POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))
postgresql_only = pytest.mark.skipif(
    not POSTGRESQL,
    reason="SQLite holds no read across another's commit (a writer waits for every reader): "
    "the PostgreSQL pass (TEST_DATABASE_URL, run by CI) runs this test.",
)


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    database = separate_database(tmp_path_factory, "concurrency")
    app = create_app(app_config(database.url))
    reset_database(app)
    yield app
    with app.app_context():
        db.session.remove()
        close_connections()
    database.drop()


def at_once(app, *work: Callable[[], object]) -> list[object]:
    """Run each function in its own thread and app context (its own session), released
    together; return what each returned or raised."""
    barrier = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(i: int, fn: Callable[[], object]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = fn()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def ready_applications(app, count: int) -> tuple[list[int], list[int]]:
    """`count` applications ready for decision, and two administrators; committed."""
    with app.app_context():
        if factories.editions_loaded() is None:
            factories.demo_edition()
        admins = [factories.administrator(), factories.administrator()]
        ids = []
        for _ in range(count):
            application = complete_application(factories)
            for value in (3, 3):
                score_all(
                    assessment.assign(application, factories.assessor(), actor=admins[0]), value
                )
            assert application.state == ApplicationState.READY_FOR_DECISION
            ids.append(application.id)
        db.session.commit()
        return ids, [a.id for a in admins]


def approve(application_id: int, admin_id: int) -> Callable[[], object]:
    def work() -> object:
        application = db.session.get(Application, application_id)
        level = db.session.scalar(
            sa.select(Level)
            .where(Level.edition_id == application.edition_id)
            .order_by(Level.min_percent)
        )
        return decisions.approve(application, actor=db.session.get(User, admin_id), level=level)

    return work


def test_two_administrators_approving_at_once_make_one_decision_and_one_award(real_app):
    [application_id], admins = ready_applications(real_app, 1)
    results = at_once(real_app, *(approve(application_id, a) for a in admins))
    winners = [r for r in results if isinstance(r, Award)]
    assert len(winners) == 1, results
    with real_app.app_context():
        decided = db.session.scalars(
            sa.select(Decision).where(Decision.application_id == application_id)
        ).all()
        awards = db.session.scalars(
            sa.select(Award).where(Award.application_id == application_id)
        ).all()
        assert len(decided) == 1 and len(awards) == 1
        assert db.session.get(Application, application_id).state == ApplicationState.APPROVED
        approved_emails = db.session.scalar(
            sa.select(sa.func.count(Email.id)).where(Email.template == "application_approved")
        )
        assert approved_emails == 1  # the loser's email went with its rolled-back transaction


def test_approvals_at_once_take_different_certificate_numbers(real_app):
    ids, admins = ready_applications(real_app, 2)
    results = at_once(real_app, approve(ids[0], admins[0]), approve(ids[1], admins[1]))
    # SQLite serialises writers: a loser may be told the database was busy; never a duplicate.
    with real_app.app_context():
        numbers = db.session.scalars(
            sa.select(Award.certificate_number).where(Award.application_id.in_(ids))
        ).all()
    assert len(numbers) == len(set(numbers)) == sum(isinstance(r, Award) for r in results) >= 1


def test_two_mail_workers_never_send_an_email_twice(real_app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    real_app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        with real_app.app_context():
            db.session.execute(sa.delete(Email))
            for i in range(30):
                db.session.add(
                    Email(to_address=f"p{i}@x.gov.uk", subject=f"S{i}", body_text="B", template="t")
                )
            db.session.commit()
        results = at_once(real_app, mail.send_queued, mail.send_queued)
    finally:
        real_app.config.update(MAIL_BACKEND="log")
        controller.stop()
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(r[0] for r in results) == 30
    recipients = [m.rcpt_tos[0] for m in inbox.messages]
    assert sorted(recipients) == sorted(f"p{i}@x.gov.uk" for i in range(30))
    with real_app.app_context():
        states = db.session.scalars(sa.select(Email.state)).all()
        assert set(states) == {"sent"}


def test_two_members_saving_the_same_answer_at_once_lose_nothing(real_app):
    """Both read version 1 and save: one is saved, the other is told of the conflict (on
    SQLite it may instead be told the database was busy); never a silent overwrite."""
    with real_app.app_context():
        if factories.editions_loaded() is None:
            factories.demo_edition()
        lead = factories.member(role=MembershipRole.LEAD)
        colleague = factories.member(council=lead.membership.council)
        application = applications.start(lead.membership.council, actor=lead)
        answer_id, version = application.answers[0].id, application.answers[0].version
        people = [lead.id, colleague.id]
        db.session.commit()

    def save(user_id: int, words: str) -> Callable[[], object]:
        def work() -> object:
            answer = db.session.get(Answer, answer_id)
            applications.save_answer(
                answer,
                version=version,
                actor=db.session.get(User, user_id),
                self_score=2,
                narrative=words,
                links=[],
            )
            return words

        return work

    results = at_once(real_app, save(people[0], "The lead's words"), save(people[1], "Mine"))
    saved = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(saved) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], AnswerConflict | StaleDataError | OperationalError), refused
    with real_app.app_context():
        answer = db.session.get(Answer, answer_id)
        assert answer.narrative == saved[0]
        assert answer.version == version + 1


def test_the_last_assessor_submitting_while_more_information_is_asked_for(real_app):
    """The last assessment makes the application ready for decision; at the same moment an
    administrator asks the council for more information. Whatever the order, the application,
    the assessment and the audit log agree: nothing half-done."""
    with real_app.app_context():
        if factories.editions_loaded() is None:
            factories.demo_edition()
        admin = factories.administrator()
        application = complete_application(factories)
        first, last = (
            assessment.assign(application, factories.assessor(), actor=admin) for _ in range(2)
        )
        score_all(first, 3)
        score_all(last, 3, submit=False)
        ids = application.id, last.assessment.id, admin.id, last.assessor_id
        criterion_id = application.edition.criteria[0].id
        db.session.commit()
    application_id, assessment_id, admin_id, assessor_id = ids

    def submit_last() -> object:
        assessment.submit(
            db.session.get(Assessment, assessment_id), actor=db.session.get(User, assessor_id)
        )
        return "submitted"

    def ask_for_more() -> object:
        decisions.request_information(
            db.session.get(Application, application_id),
            [db.session.get(Criterion, criterion_id)],
            "Send your social media policy",
            actor=db.session.get(User, admin_id),
        )
        return "asked"

    results = at_once(real_app, submit_last, ask_for_more)
    # Both may succeed one after the other (an assessor may still submit once more information
    # has been asked for); when they overlap, the loser is refused and changes nothing.
    for result in results:
        assert result in ("submitted", "asked") or isinstance(
            result, StaleDataError | OperationalError
        ), results
    with real_app.app_context():
        application = db.session.get(Application, application_id)
        submitted = db.session.get(Assessment, assessment_id).state == AssessmentState.SUBMITTED
        transitions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.application_id == application_id)
            .order_by(AuditEvent.id)
        ).all()
    assert submitted == ("submitted" in results)
    assert ("application.request_information" in transitions) == ("asked" in results)
    assert transitions.count("assessment.submitted") == 1 + submitted  # the first assessor's
    if application.state == ApplicationState.READY_FOR_DECISION:
        assert submitted and "application.all_assessed" in transitions
        assert "application.request_information" not in transitions
    else:
        assert application.state == ApplicationState.INFO_REQUESTED
        if "application.all_assessed" in transitions:  # the submission first, then the request
            assert transitions.index("application.all_assessed") < transitions.index(
                "application.request_information"
            )


def test_simultaneous_sign_ups_for_one_address_send_one_email(real_app):
    """Each reads the outbox, finds no recent email and queues one: the database keeps only
    the first (on SQLite the other may be told the database was busy)."""
    with real_app.app_context():
        owner = factories.user().email
        db.session.commit()
    sign_ups = [lambda: users.sign_up(owner, "Someone", "a long password") for _ in range(3)]
    results = at_once(real_app, *sign_ups)
    assert all(r is None or isinstance(r, OperationalError) for r in results), results
    with real_app.app_context():
        subjects = db.session.scalars(sa.select(Email.subject).where(Email.to_address == owner))
        assert list(subjects) == ["You already have an account"]


def test_simultaneous_wrong_passwords_are_counted_before_any_is_checked(real_app, monkeypatch):
    """Ten wrong passwords for one address at the same moment, against the Redis-backed
    limit of five: five are checked and five refused, however they overlap. (Each check is
    slowed down, so that all ten arrive while the first are being checked.)"""
    limit = int(real_app.config["SIGN_IN_EMAIL_LIMIT"].split()[0])
    with real_app.app_context():
        limiter.reset()
        email = factories.user().email
        db.session.commit()
    checked = []
    real_verify = PasswordHasher.verify

    def slow_verify(self, hash, password):
        checked.append(password)
        time.sleep(0.3)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow_verify)
    browsers = []
    for _ in range(2 * limit):
        browser = real_app.test_client()
        form = browser.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        browsers.append((browser, token))
    barrier = threading.Barrier(len(browsers))
    answers: list[tuple[int, str]] = []

    def sign_in(browser, token: str) -> None:
        barrier.wait(timeout=10)
        fields = {"email": email, "password": "not the password", "csrf_token": token}
        response = browser.post("/sign-in", data=fields)
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=sign_in, args=b) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(checked) == limit, f"{len(checked)} passwords checked against a limit of {limit}"
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * limit + [429] * limit
    for status, body in answers:
        wanted = "Enter a correct email address and password" if status == 200 else "Too many"
        assert wanted in body


def test_two_first_people_of_a_council_at_once_make_one_lead(real_app):
    with real_app.app_context():
        council = factories.council()
        councils.record_email_domains(council, ["empty.gov.uk"], actor=None)
        ids = [factories.user(email=f"first{n}@empty.gov.uk").id for n in range(2)]
        db.session.commit()
        council_id = council.id

    def join(user_id: int) -> Callable[[], object]:
        return lambda: memberships.ask_to_join(
            db.session.get(User, user_id), db.session.get(Council, council_id)
        )

    at_once(real_app, *(join(i) for i in ids))
    with real_app.app_context():
        roles = db.session.execute(
            sa.select(Membership.role, Membership.state).where(Membership.council_id == council_id)
        ).all()
        # One leads; the other either waits for them or was refused (SQLite: busy), never two.
        assert [r for r in roles if r.role == MembershipRole.LEAD] == [
            (MembershipRole.LEAD, MembershipState.ACTIVE)
        ], roles


def test_two_leads_removing_each_other_at_once_leave_the_council_a_lead(real_app):
    """Each sees two leads, so each may remove the other; removed at once, the council would
    have none. remove() holds the council's row, so the second sees the first's removal."""
    with real_app.app_context():
        first = factories.member(role=MembershipRole.LEAD)
        council_id = first.membership.council_id
        second = factories.member(council=first.membership.council, role=MembershipRole.LEAD)
        pairs = [
            (first.id, second.membership.id),
            (second.id, first.membership.id),
        ]
        db.session.commit()

    def remove(actor_id: int, membership_id: int) -> Callable[[], object]:
        return lambda: memberships.remove(
            db.session.get(Membership, membership_id), actor=db.session.get(User, actor_id)
        )

    results = at_once(real_app, *(remove(*pair) for pair in pairs))
    with real_app.app_context():
        leads = db.session.scalars(
            sa.select(Membership.id).where(
                Membership.council_id == council_id,
                Membership.role == MembershipRole.LEAD,
                Membership.state == MembershipState.ACTIVE,
            )
        ).all()
        assert len(leads) == 1, results


# --- Awards: revoked once, superseded only while current ----------------------------------------


def current_award(app) -> tuple[str, int]:
    """A current award, committed: its certificate number and its council's lead's id."""
    [application_id], admins = ready_applications(app, 1)
    with app.app_context():
        award = approve(application_id, admins[0])()
        db.session.commit()
        return award.certificate_number, award.application.started_by_id


def award_events(number: str) -> list[str]:
    award = db.session.scalar(sa.select(Award).where(Award.certificate_number == number))
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.subject_type == "Award", AuditEvent.subject_id == award.id
            )
        )
    )


def test_four_administrators_revoking_one_award_at_once_revoke_it_once(real_app):
    """Four posts of the revoke form at the same moment: the first revokes the award; each
    other is told it was already revoked and writes nothing (on SQLite, where writers queue,
    a loser may instead be told the database was busy). One audit event, one set of emails."""
    number, lead_id = current_award(real_app)
    url = f"/admin/awards/{number}/revoke"
    browsers = []
    with real_app.app_context():
        limiter.reset()  # four sign-ins from one address, after the other tests'
        for _ in range(4):
            email = factories.administrator().email
            db.session.commit()
            client = PageClient(real_app)
            client.sign_in(email)
            token = client.get(url).soup.find("input", attrs={"name": "csrf_token"})["value"]
            browsers.append((client.http, token))
    barrier = threading.Barrier(len(browsers))
    answers: list[tuple[int, str]] = []

    def revoke(http, token: str, n: int) -> None:
        barrier.wait(timeout=10)
        response = http.post(url, data={"reason": f"Reason number {n}", "csrf_token": token})
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [
        threading.Thread(target=revoke, args=(http, token, n))
        for n, (http, token) in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(302) == 1, statuses
    for status, body in answers:
        if status == 200:
            assert "This award has already been revoked" in body
        else:
            assert status == 302 or (status == 503 and not POSTGRESQL), status
    with real_app.app_context():
        assert award_events(number).count("award.revoked") == 1
        award = db.session.scalar(sa.select(Award).where(Award.certificate_number == number))
        told = db.session.scalars(
            sa.select(Email.to_address).where(Email.template == "award_revoked")
        ).all()
        lead = db.session.get(User, lead_id)
        assert told.count(lead.email) == 1, told
        assert award.revocation_reason in {f"Reason number {n}" for n in range(4)}


@postgresql_only
def test_a_revocation_reads_the_award_again_once_it_holds_the_lock(real_app):
    """An award read as current, then revoked by someone else before this revocation locks it:
    refused as already revoked, nothing written."""
    number, _ = current_award(real_app)
    with real_app.app_context():
        admin = factories.administrator()
        db.session.commit()
        award = awards.find(number)
        assert award.state == AwardState.CURRENT
        with real_app.app_context():  # another person, with a session of their own
            awards.revoke(awards.find(number), "The first reason", actor=factories.administrator())
            db.session.commit()
        with pytest.raises(awards.AwardRefused, match="already been revoked"):
            awards.revoke(award, "The second reason", actor=admin)
        db.session.rollback()
        assert award_events(number).count("award.revoked") == 1
        assert awards.find(number).revocation_reason == "The first reason"


@postgresql_only
def test_a_renewal_does_not_supersede_an_award_revoked_meanwhile(real_app):
    """The renewal's approval read the award it renews as current; it was revoked before the
    approval changed it. The approval locks it, sees it revoked, and leaves it revoked."""
    number, lead_id = current_award(real_app)
    with real_app.app_context():
        lead = db.session.get(User, lead_id)
        renewal = submitted_by(lead)
        assert renewal.renews_award_id is not None
        admin = factories.administrator()
        for value in (3, 3):
            score_all(assessment.assign(renewal, factories.assessor(), actor=admin), value)
        db.session.commit()
        renewal_id, admin_id = renewal.id, admin.id
    with real_app.app_context():
        previous = awards.find(number)
        assert previous.state == AwardState.CURRENT  # read, and kept in this session
        with real_app.app_context():
            awards.revoke(awards.find(number), "Revoked meanwhile", actor=factories.administrator())
            db.session.commit()
        renewed = approve(renewal_id, admin_id)()
        db.session.commit()
        assert renewed.state == AwardState.CURRENT
    with real_app.app_context():
        previous = awards.find(number)
        assert previous.state == AwardState.REVOKED
        assert previous.superseded_by_id is None


def test_revoking_an_award_while_its_renewal_is_approved(real_app):
    """At the same moment: whichever comes first, the award ends revoked or superseded, never
    both, and the one that came second is refused (or, renewing, leaves it revoked)."""
    number, lead_id = current_award(real_app)
    with real_app.app_context():
        renewal = submitted_by(db.session.get(User, lead_id))
        admin = factories.administrator()
        for value in (3, 3):
            score_all(assessment.assign(renewal, factories.assessor(), actor=admin), value)
        other = factories.administrator()
        db.session.commit()
        renewal_id, admin_id, other_id = renewal.id, admin.id, other.id

    def revoke() -> object:
        awards.revoke(awards.find(number), "Revoked at once", actor=db.session.get(User, other_id))
        return "revoked"

    results = at_once(real_app, revoke, approve(renewal_id, admin_id))
    for result in results:
        assert (
            result == "revoked"
            or isinstance(result, Award | awards.AwardRefused)
            or (isinstance(result, OperationalError) and not POSTGRESQL)
        ), results
    with real_app.app_context():
        previous = awards.find(number)
        if "revoked" in results:
            assert previous.state == AwardState.REVOKED and previous.superseded_by_id is None
        else:
            assert previous.state == AwardState.SUPERSEDED
        events = award_events(number)
        assert events.count("award.revoked") == ("revoked" in results)
        assert events.count("award.superseded") == (previous.state == AwardState.SUPERSEDED)
