"""Factories that build valid scheme data in the test's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marks import councils, editions, people
from marks.extensions import db
from marks.models import Council, Edition, Membership, User, utcnow
from marks.states import CouncilKind, MembershipRole, MembershipState, Nation, UserRole
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
    password_hash = factory.LazyFunction(lambda: people.hash_password(DEMO_PASSWORD))
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


def administrator(**kwargs) -> User:
    return UserFactory(role=UserRole.ADMINISTRATOR, **_with_second_factor(kwargs))


def assessor(**kwargs) -> User:
    return UserFactory(role=UserRole.ASSESSOR, **_with_second_factor(kwargs))


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
    from marks import editions

    return editions.find("2026")
