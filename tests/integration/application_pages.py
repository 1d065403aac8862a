"""A council's lead, signed in, and the first steps of an application through the council's
pages: starting it, an answer's form data, a criterion's URL. Shared by test_council_members.py,
test_council_journey.py and test_council_answers.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marks.extensions import db
from marks.models import Application
from marks.states import MembershipRole


@pytest.fixture
def lead(make, edition):
    return make.member(role=MembershipRole.LEAD)


@pytest.fixture
def signed_in(client, lead):
    client.sign_in(lead.email)
    return client


def start(client) -> Application:
    response = client.submit("/apply/", {})
    assert response.status_code == 302, getattr(response, "text", "")
    return db.session.scalar(sa.select(Application).order_by(Application.id.desc()))


def answer_data(**overrides) -> dict:
    data = {
        "self_score": "3",
        "narrative": "We publish an enabling policy and review it every year.",
        "links": "https://www.testbury.gov.uk/social-media-policy",
        "save_and_continue": "Save and continue",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def criterion_url(application: Application, code: str) -> str:
    return f"/apply/applications/{application.id}/criteria/{code}"
