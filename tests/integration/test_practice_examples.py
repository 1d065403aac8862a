"""The library of good practice's rules (marks/practice/examples.py): who may offer, publish,
return and withdraw an awarded council's answers, from which state, and what each leaves in the
database and the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marks import workflow
from marks.awarding import awards
from marks.extensions import db
from marks.models import AuditEvent, EvidenceFile, PracticeExample, practice_example_files
from marks.practice import examples
from marks.states import MembershipRole, PracticeState
from tests.helpers.practice import evidence


@pytest.fixture
def lead(award):
    return award.application.started_by


def _events(example: PracticeExample) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.action, e.from_state, e.to_state)
        for e in db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.subject_type == "PracticeExample", AuditEvent.subject_id == example.id
            )
            .order_by(AuditEvent.id)
        )
    ]


def test_the_lead_offers_answers_with_a_note_and_only_the_files_picked(award, lead):
    first, second = award.application.answers[:2]
    picked, _not_picked = evidence(first, "plan.pdf"), evidence(first, "minutes.pdf")

    offered = examples.offer(
        award,
        [first, second],
        actor=lead,
        note="  We would start with the comms team.  ",
        contact=" digital@x.gov.uk ",
        files=[picked],
    )

    assert [e.state for e in offered] == [PracticeState.OFFERED] * 2
    assert offered[0].note == "We would start with the comms team."
    assert offered[0].contact == "digital@x.gov.uk"
    assert [f.filename for f in offered[0].files] == ["plan.pdf"]
    assert offered[1].files == []
    assert offered[0].published_at is None
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "practice.offered")
    ).first()
    assert (event.council_id, event.data["criterion"]) == (award.council_id, first.criterion.code)


@pytest.mark.parametrize("who", ["member", "other_lead", "administrator"])
def test_only_the_council_s_lead_may_offer(make, award, who):
    person = {
        "member": lambda: make.member(council=award.council, role=MembershipRole.MEMBER),
        "other_lead": lambda: make.member(role=MembershipRole.LEAD),
        "administrator": make.administrator,
    }[who]()
    with pytest.raises(examples.PracticeRefused, match="lead"):
        examples.offer(award, award.application.answers[:1], actor=person)
    assert db.session.scalar(sa.select(sa.func.count(PracticeExample.id))) == 0


def test_a_file_of_another_answer_is_refused(award, lead):
    first, second = award.application.answers[:2]
    with pytest.raises(examples.PracticeRefused, match="not evidence"):
        examples.offer(award, [first], actor=lead, files=[evidence(second, "other.pdf")])


def test_published_by_an_administrator_then_returned_with_a_reason(make, award, lead):
    (example,) = examples.offer(award, award.application.answers[:1], actor=lead)
    admin = make.administrator()
    with pytest.raises(workflow.Refused):
        workflow.transition(example, "publish", actor=lead)

    workflow.transition(example, "publish", actor=admin)
    assert example.state == PracticeState.PUBLISHED
    assert example.published_at is not None

    with pytest.raises(examples.PracticeRefused, match="needs a reason"):
        workflow.transition(example, "return", actor=admin)
    workflow.transition(example, "return", actor=admin, reason="Take out the officer's name")
    assert (example.state, example.published_at) == (PracticeState.RETURNED, None)
    assert _events(example) == [
        ("practice.offered", None, "offered"),
        ("practice.publish", "offered", "published"),
        ("practice.returned", "published", "returned"),
    ]


def test_withdrawn_by_the_lead_at_any_time_and_offered_again(make, award, lead):
    (example,) = examples.offer(award, award.application.answers[:1], actor=lead, note="First")
    workflow.transition(example, "publish", actor=make.administrator())
    with pytest.raises(examples.PracticeRefused, match="withdraw it first"):
        examples.offer(award, award.application.answers[:1], actor=lead, note="Second")

    workflow.transition(example, "withdraw", actor=lead)
    assert (example.state, example.published_at) == (PracticeState.WITHDRAWN, None)

    (again,) = examples.offer(award, award.application.answers[:1], actor=lead, note="Second")
    assert again.id == example.id
    assert (again.state, again.note) == (PracticeState.OFFERED, "Second")
    assert _events(example)[-1] == ("practice.offered", "withdrawn", "offered")


def test_an_administrator_may_not_withdraw_in_the_council_s_name(make, award, lead):
    (example,) = examples.offer(award, award.application.answers[:1], actor=lead)
    with pytest.raises(examples.PracticeRefused):
        workflow.transition(example, "withdraw", actor=make.administrator())
    assert workflow.available(example, lead) == ["withdraw"]


def test_a_revoked_award_s_answers_are_neither_offered_nor_published(make, award, lead):
    (example,) = examples.offer(award, award.application.answers[:1], actor=lead)
    admin = make.administrator()
    awards.revoke(award, actor=admin, reason="Misconduct")
    with pytest.raises(examples.PracticeRefused, match="revoked"):
        workflow.transition(example, "publish", actor=admin)
    with pytest.raises(examples.PracticeRefused, match="revoked"):
        examples.offer(award, award.application.answers[1:2], actor=lead)


def test_the_database_refuses_a_published_example_without_a_date(award, lead):
    (example,) = examples.offer(award, award.application.answers[:1], actor=lead)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(PracticeExample)
            .where(PracticeExample.id == example.id)
            .values(state=PracticeState.PUBLISHED.value)
        )


def test_a_file_deleted_by_retention_leaves_the_example(award, lead):
    answer = award.application.answers[0]
    picked = evidence(answer, "plan.pdf")
    (example,) = examples.offer(award, [answer], actor=lead, files=[picked])
    db.session.execute(sa.delete(EvidenceFile).where(EvidenceFile.id == picked.id))
    db.session.expire_all()
    assert db.session.get(PracticeExample, example.id).files == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(practice_example_files)) == 0
