"""Examples in the library of good practice, made as the scheme makes them (the council's lead
offers an answer, an administrator publishes it) for awards made directly in the database
(tests/helpers/awards.py award_to, which makes their application without answers)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from marks import workflow
from marks.extensions import db
from marks.models import (
    Answer,
    Award,
    Criterion,
    EvidenceFile,
    EvidenceLink,
    Membership,
    PracticeExample,
    User,
)
from marks.permissions import is_lead_of
from marks.practice import examples


def lead_of(award: Award) -> User:
    return next(
        user
        for user in db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.council_id == award.council_id)
        )
        if is_lead_of(user, award.council_id)
    )


def answered(award: Award, code: str, narrative: str, links: tuple[str, ...] = ()) -> Answer:
    """The award's answer to the criterion `code`, written now (an award_to application has
    none), with its links."""
    criterion = db.session.scalar(
        sa.select(Criterion).where(
            Criterion.code == code, Criterion.theme.has(edition_id=award.edition_id)
        )
    )
    answer = Answer(
        application_id=award.application_id,
        criterion_id=criterion.id,
        narrative=narrative,
        self_score=3,
        updated_by_id=award.application.started_by_id,
    )
    db.session.add(answer)
    db.session.flush()
    for position, url in enumerate(links):
        db.session.add(EvidenceLink(answer_id=answer.id, url=url, position=position))
    db.session.flush()
    return answer


def evidence(answer: Answer, name: str, content: bytes | None = None) -> EvidenceFile:
    """An evidence file of the answer's, uploaded by its application's starter."""
    content = content or f"%PDF-1.4 {name}".encode()
    found = EvidenceFile(
        answer_id=answer.id,
        filename=name,
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by_id=answer.application.started_by_id,
    )
    db.session.add(found)
    db.session.flush()
    return found


def shared(
    award: Award,
    code: str,
    narrative: str,
    *,
    admin: User | None = None,
    note: str | None = None,
    contact: str | None = None,
    links: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
    unpicked: tuple[str, ...] = (),
) -> PracticeExample:
    """The award's answer to `code`, offered by the council's lead with the files named in
    `files` picked (those in `unpicked` uploaded too, not picked), and published by `admin`
    if one is given (else left waiting for review)."""
    answer = answered(award, code, narrative, links)
    picked = [evidence(answer, name) for name in files]
    for name in unpicked:
        evidence(answer, name, b"%PDF-1.4 not shared")
    (example,) = examples.offer(
        award, [answer], actor=lead_of(award), note=note, contact=contact, files=picked
    )
    if admin is not None:
        workflow.transition(example, "publish", actor=admin)
    db.session.flush()
    return example
