"""A person who has done everything the service keeps a record of, and the other people around
them: for the tests of the subject access export and of erasure (test_personal_data.py), and
of retention (test_retention.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marks.applying import applications, memberships
from marks.applying.evidence import CheckedFile
from marks.assessing import assessment, decisions
from marks.extensions import db
from marks.models import Application, Email, User, UserSession, utcnow
from marks.people import staff, two_factor, users
from marks.states import EmailState, InvitationKind, MembershipRole
from tests.helpers.applications import score_all

NAME = "Rhiannon Pryce-Jones"
EMAIL = "rhiannon.pryce@testbury.gov.uk"
PHONE = "01632 960 123"


@dataclass
class World:
    person: User  # a council's lead, who applied and was awarded the Mark
    application: Application
    admin: User
    assessor: User
    colleague: User
    recovery_codes: list[str]
    reset_token: str
    secrets: list[str]  # what no export may ever hold


def build(make) -> World:
    """The person: signed up, confirmed, set up two-factor sign-in, signed in, led their
    council, invited a colleague, was invited to be an assessor, filled in, uploaded to and
    submitted the application (as its contact), answered a request for more information,
    had a password reset sent. Staff: an administrator who assigned, asked, decided; an
    assessor who scored. The Mark was awarded."""
    make.demo_edition()
    admin = make.administrator(full_name="Ada Admin", email="ada@association.org.uk")
    person = make.member(role=MembershipRole.LEAD, full_name=NAME, email=EMAIL)
    colleague = make.member(council=person.membership.council, full_name="Colin Colleague")
    two_factor.enrol(person, two_factor.new_key(), actor=person)
    recovery_codes = two_factor.replace_recovery_codes(person)
    db.session.add(UserSession(key_hash="a" * 64, user_id=person.id))
    db.session.flush()

    application = applications.start(person.membership.council, actor=person)
    applications.save_about(
        application,
        actor=person,
        contact_name=NAME,
        contact_email=EMAIL,
        contact_phone=PHONE,
        website="https://www.testbury.gov.uk",
        social_accounts="https://x.com/testbury",
    )
    for n, answer in enumerate(application.answers):
        applications.save_answer(
            answer,
            version=answer.version,
            actor=person,
            self_score=3,
            narrative=f"Our policy, written by {NAME}, lets staff post.",
            links=["https://www.testbury.gov.uk/policy"],
            new_file=CheckedFile(f"{NAME} policy.pdf", "application/pdf", 9, "0" * 64, b"%PDF-1.4 ")
            if n == 0
            else None,
        )
    applications.submit(application, actor=person, declaration_name=NAME)

    assessor = make.assessor(full_name="Asha Assessor")
    others = [assessor, make.assessor()]
    for who in others:
        score_all(assessment.assign(application, who, actor=admin), 3)
    criterion = application.edition.criteria[0]
    decisions.request_information(
        application, [criterion], f"{NAME}, please add your training plan.", actor=admin
    )
    answer = applications.answer_for(application, criterion.code)
    applications.save_answer(
        answer,
        version=answer.version,
        actor=person,
        self_score=4,
        narrative="Now with a training plan.",
        links=[],
    )
    applications.resubmit(application, actor=person)
    for assignment in assessment.active_assignments(application):
        score_all(assignment, 3)
    decisions.approve(application, actor=admin, level=application.edition.levels[0])

    memberships.invite(person.membership.council, "new.colleague@testbury.gov.uk", actor=person)
    staff.invite(EMAIL, InvitationKind.ASSESSOR, actor=admin)
    users.send_password_reset(EMAIL)
    reset_email = db.session.scalars(
        sa.select(Email).where(Email.to_address == EMAIL, Email.template == "reset_password")
    ).one()
    reset_token = re.search(r"/reset-password/(\S+)", reset_email.body_text).group(1)
    # Everything sent by the worker but the reset email.
    db.session.execute(
        sa.update(Email)
        .where(Email.id != reset_email.id)
        .values(state=EmailState.SENT, sent_at=utcnow(), attempts=1)
    )
    db.session.flush()
    secrets = [
        person.password_hash,
        person.two_factor_key,
        reset_token,
        "a" * 64,
        *recovery_codes,
        *(two_factor.hash_recovery_code(c) for c in recovery_codes),
    ]
    return World(
        person=person,
        application=application,
        admin=admin,
        assessor=assessor,
        colleague=colleague,
        recovery_codes=recovery_codes,
        reset_token=reset_token,
        secrets=secrets,
    )


def every_text_value() -> list[tuple[str, str, Any]]:
    """(table, column, value) of every text and JSON value in the database (but binary
    files), as text: where a person's name or email address could be."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, sa.String | sa.JSON) and not isinstance(c.type, sa.Enum)
        ]
        for column in columns:
            for (value,) in db.session.execute(sa.select(sa.cast(column, sa.Text))):
                if value:
                    found.append((table.name, column.name, value))
    return found


def mentions(needles: list[str]) -> list[tuple[str, str, Any]]:
    """Where any of the texts appears, case aside (in JSON, escaped or not)."""
    import json

    wanted = [n.lower() for n in needles] + [json.dumps(n)[1:-1].lower() for n in needles]
    return [
        (table, column, value)
        for table, column, value in every_text_value()
        if any(w in value.lower() for w in wanted)
    ]
