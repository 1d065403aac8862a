"""What the tests of the administrators' people pages share: an administrator signed in, and
the audit events and emails left by what was done. Used by test_admin_people.py and
test_admin_staff_invitations.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.extensions import db
from marks.models import AuditEvent, Email, Invitation, User


def events(action: str, subject: User | Invitation | None = None) -> list[AuditEvent]:
    statement = sa.select(AuditEvent).where(AuditEvent.action == action)
    if subject is not None:
        statement = statement.where(
            AuditEvent.subject_type == type(subject).__name__,
            AuditEvent.subject_id == subject.id,
        )
    return list(db.session.scalars(statement.order_by(AuditEvent.id)))


def emails_to(address: str) -> list[Email]:
    return list(
        db.session.scalars(sa.select(Email).where(Email.to_address == address).order_by(Email.id))
    )


@pytest.fixture
def admin(make):
    return make.administrator(full_name="Ada Admin", email="ada@association.org.uk")


@pytest.fixture
def signed_in(client, admin):
    client.sign_in(admin.email)
    return client
