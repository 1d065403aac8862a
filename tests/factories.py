"""Factories that build valid scheme data in the test's session."""

from __future__ import annotations

from datetime import datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marks.applying import applications
from marks.assessing import assessment, decisions
from marks.extensions import db
from marks.models import Application, Assignment, Award, Council, Edition, Membership, User, utcnow
from marks.people import councils, users
from marks.scheme import editions
from marks.states import CouncilKind, MembershipRole, MembershipState, Nation, UserRole
from tests.helpers.applications import score_all, submitted_by
from tests.pages import DEMO_PASSWORD, TEST_KEY


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@council{n}.gov.uk")
    full_name = factory.Faker("name", locale="en_GB")
    password_hash = factory.LazyFunction(lambda: users.hash_password(DEMO_PASSWORD))
    role = UserRole.USER
    email_confirmed_at = factory.LazyFunction(utcnow)


class CouncilFactory(_Base):
    class Meta:
        model = Council

    gss_code = factory.Sequence(lambda n: f"E04{n:06d}")
    name = factory.Sequence(lambda n: f"Testbury Parish Council {n}")
    search_name = factory.LazyAttribute(lambda c: councils.search_name(c.name))
    kind = CouncilKind.TOWN_OR_PARISH
    nation = Nation.ENGLAND


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    council = factory.SubFactory(CouncilFactory)
    role = MembershipRole.MEMBER
    state = MembershipState.ACTIVE


def user(**kwargs) -> User:
    return UserFactory(**kwargs)


def _with_second_factor(kwargs: dict) -> dict:
    """Staff have two-factor sign-in, with the key whose codes the tests make (TEST_KEY)."""
    if kwargs.get("two_factor_key", TEST_KEY) is None:
        return kwargs
    return {"two_factor_key": TEST_KEY, "two_factor_enrolled_at": utcnow(), **kwargs}


def _staff(role: UserRole, kwargs: dict) -> User:
    return UserFactory(role=role, **_with_second_factor(kwargs))


def administrator(**kwargs) -> User:
    return _staff(UserRole.ADMINISTRATOR, kwargs)


def assessor(**kwargs) -> User:
    return _staff(UserRole.ASSESSOR, kwargs)


def council(**kwargs) -> Council:
    return CouncilFactory(**kwargs)


def member(council: Council | None = None, role=MembershipRole.MEMBER, **kwargs) -> User:
    """A confirmed user with an active membership of the council (a new one if none given)."""
    membership = MembershipFactory(
        council=council or CouncilFactory(), role=role, user=UserFactory(**kwargs)
    )
    return membership.user


def demo_edition(publish: bool = True) -> Edition:
    return editions.load(editions.DEMO_EDITION, publish=publish)


def editions_loaded() -> Edition | None:
    from marks.scheme import editions

    return editions.find("2026")


# --- Made through the domain, as people make them, under the current edition (load one first) ---


def application(lead: User | None = None) -> Application:
    """The lead's council's draft application (a new council and its lead if none given)."""
    lead = lead or member(role=MembershipRole.LEAD)
    return applications.start(lead.membership.council, actor=lead)


def submitted_application(lead: User | None = None) -> Application:
    """The lead's council's complete application, submitted (a new council and its lead if
    none given)."""
    return submitted_by(lead or member(role=MembershipRole.LEAD))


def assignment(
    application: Application | None = None,
    assessor: User | None = None,
    *,
    admin: User | None = None,
    due_at: datetime | None = None,
) -> Assignment:
    """An assessor (a new one if none given) assigned by an administrator to a submitted
    application (a new one if none given)."""
    return assessment.assign(
        application or submitted_application(),
        assessor or _staff(UserRole.ASSESSOR, {}),
        actor=admin or administrator(),
        due_at=due_at,
    )


def award(
    council: Council | None = None, *, admin: User | None = None, level: int = 0, score: int = 3
) -> Award:
    """The council's award (a new council's if none given), made as the scheme makes one: a new
    lead submits a complete application, two assessors score every criterion `score`, and the
    administrator approves it at the edition's level `level` (-1: the highest); the lead is
    told by email."""
    application = submitted_by(member(council=council, role=MembershipRole.LEAD))
    admin = admin or administrator()
    for _ in range(2):
        score_all(assignment(application, admin=admin), score)
    return decisions.approve(application, actor=admin, level=application.edition.levels[level])
