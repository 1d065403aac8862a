"""The access matrix's actions axis, generated from the transition tables (marks/workflow.py):
every action of every table, by each of the six kinds of person, from every state it may not
start from, is refused and changes nothing; and from the states it may start from, by each
person its row does not allow. A table added without a way to build its thing here fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from marks import mail, workflow
from marks.applying import memberships
from marks.assessing import assessment
from marks.extensions import db
from marks.models import (
    Application,
    Assessment,
    Assignment,
    AuditEvent,
    Award,
    Edition,
    Email,
    Membership,
    PracticeExample,
)
from marks.practice import examples
from marks.scheme import editions
from marks.states import MembershipRole
from tests.helpers.applications import complete_application

KINDS = ("anonymous", "member", "lead", "another council's lead", "assessor", "administrator")
COUNCIL = {"member", "lead"}
# Who may make each action, written here apart from the tables: the tables are checked against
# it. None: the service's own (workflow.SYSTEM), made as a consequence of another action.
WHO = {
    ("application", "submit"): COUNCIL,
    ("application", "withdraw"): COUNCIL,
    ("application", "start_review"): {"administrator"},
    ("application", "all_assessed"): None,
    ("application", "request_information"): {"administrator"},
    ("application", "resubmit"): COUNCIL,
    ("application", "approve"): {"administrator"},
    ("application", "reject"): {"administrator"},
    ("assignment", "declare_conflict"): {"assessor"},  # the assigned assessor
    ("assignment", "end_for_conflict"): None,
    ("assignment", "unassign"): {"administrator"},  # before the assessor submits
    ("assessment", "submit"): {"assessor"},
    ("assessment", "reopen"): None,
    ("award", "revoke"): {"administrator"},
    ("award", "supersede"): None,
    ("membership", "approve"): {"lead", "administrator"},
    ("membership", "reject"): {"lead", "administrator"},
    ("membership", "remove"): {"lead", "administrator"},
    ("membership", "remove_on_merge"): None,
    ("membership", "remove_on_erasure"): None,
    ("membership", "reject_on_erasure"): None,
    ("edition", "publish"): {"administrator"},
    ("edition", "publish_loaded"): None,
    ("email", "resend"): {"administrator"},
    ("practice", "offer"): {"lead"},  # again, once returned or withdrawn
    ("practice", "publish"): {"administrator"},
    ("practice", "return"): {"administrator"},
    ("practice", "withdraw"): {"lead"},
}


@dataclass
class World:
    thing: Any
    people: dict[str, Any]


def _people(make, council, assessor=None) -> dict[str, Any]:
    return {
        "anonymous": AnonymousUserMixin(),
        "member": make.member(council=council),
        "lead": memberships.leads(council)[0],
        "another council's lead": make.member(role=MembershipRole.LEAD),
        "assessor": assessor or make.assessor(),
        "administrator": make.administrator(),
    }


def _application(make) -> World:
    application = complete_application(make)
    return World(application, _people(make, application.council))


def _assignment(make) -> World:
    application = complete_application(make)
    assignment = assessment.assign(application, make.assessor(), actor=make.administrator())
    return World(assignment, _people(make, application.council, assignment.assessor))


def _assessment(make) -> World:
    world = _assignment(make)
    return World(world.thing.assessment, world.people)


def _award(make) -> World:
    award = make.award()
    return World(award, _people(make, award.council))


def _membership(make) -> World:
    lead = make.member(role=MembershipRole.LEAD)
    joining = make.member(council=lead.membership.council)
    return World(joining.membership, _people(make, lead.membership.council))


def _edition(make) -> World:
    draft = editions.clone(editions.find("2026"), "2027", 2027, actor=None)
    return World(draft, _people(make, make.member(role=MembershipRole.LEAD).membership.council))


def _email(make) -> World:
    lead = make.member(role=MembershipRole.LEAD)
    email = mail.queue(lead.email, "password_changed", user=lead)
    return World(email, _people(make, lead.membership.council))


def _practice_example(make) -> World:
    award = make.award()
    lead = memberships.leads(award.council)[0]
    (example,) = examples.offer(award, award.application.answers[:1], actor=lead)
    return World(example, _people(make, award.council))


BUILDERS: dict[type, Callable[[Any], World]] = {
    Application: _application,
    Assignment: _assignment,
    Assessment: _assessment,
    Award: _award,
    Membership: _membership,
    Edition: _edition,
    Email: _email,
    PracticeExample: _practice_example,
}


def test_every_table_is_in_the_matrix():
    assert set(BUILDERS) == set(workflow.MACHINES)
    rows = {(m.subject, t.action) for m in workflow.MACHINES.values() for t in m.transitions}
    assert rows == set(WHO)


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
        db.session.scalar(sa.select(sa.func.count(Email.id))),
    )


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda model: model.__name__)
def test_every_action_is_refused_from_every_state_and_by_everyone_its_row_does_not_allow(
    make, edition, model
):
    world = BUILDERS[model](make)
    table = workflow.MACHINES[model]
    thing, original = world.thing, world.thing.state
    db.session.flush()
    states = type(original)
    wrong: list[str] = []
    tried = 0
    with db.session.no_autoflush:  # each state is set on the row in memory only
        before = _counts()
        for t in table.transitions:
            who = WHO[table.subject, t.action]
            assert (who is None) == (t.may is workflow.SYSTEM), (t.action, "the service's own?")
            for state in states:
                thing.state = state
                for kind in KINDS:
                    person = world.people[kind]
                    if state in t.sources and who is not None and kind in who:
                        if not t.may(person, thing):
                            wrong.append(f"{t.action} from {state} by {kind}: refused")
                        continue  # theirs to make: the tables' own tests make them
                    if state in t.sources and who is None:
                        continue  # the service's own: never offered to a person
                    tried += 1
                    try:
                        workflow.transition(thing, t.action, actor=person, reason="Because")
                    except table.refused:
                        pass
                    except Exception as error:  # accepted, then broke
                        wrong.append(f"{t.action} from {state} by {kind}: {error!r}")
                    else:
                        wrong.append(f"{t.action} from {state} by {kind}: accepted")
                    if thing.state != state:
                        wrong.append(f"{t.action} from {state} by {kind}: state changed")
        thing.state = original
        assert _counts() == before, "a refused action wrote an audit event or an email"
    assert wrong == []
    assert tried >= len(table.transitions) * len(KINDS)
