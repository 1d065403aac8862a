"""The running app against its own OpenAPI description, with schemathesis: every documented
operation and parameter, on a real server whose database holds awards in every state
(current, expiring soon, expired, revoked, superseded), with no 5xx, and every answer's
status, type and body as described. Here with the browser tests, which serve the app for
real (no browser is driven: the integration tests' rolled-back session would hide the seed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marks.awarding import awards
from marks.extensions import db
from marks.models import Award
from marks.states import AwardStatus
from tests.browser.conftest import LiveServer, serving


def no_server_error(ctx, response, case):
    """not_a_server_error, but for the certificate not yet made: a 503 by design (with a
    Retry-After), as described; the national data set's awards have none yet."""
    if (
        response.status_code == 503
        and case.path == "/certificates/{certificate_number}.pdf"
        and any(name.lower() == "retry-after" for name in response.headers)
    ):
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _seed(app: Flask) -> None:
    """The demo (current, expired and revoked awards, with certificates), and councils of
    the national data set's mix (expiring soon, superseded; certificates not yet made)."""
    with app.app_context():
        for command in (["seed-demo"], ["seed-scale", "--councils", "600"]):
            result = app.test_cli_runner().invoke(args=command)
            assert result.exit_code == 0, result.output + repr(result.exception)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory, "openapi", seed=_seed) as server:
        yield server


# Schemathesis's pytest plugin does not run under pytest 9 (it sets Function._nodeid): each
# operation's strategy is given to Hypothesis here instead.
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def test_the_app_answers_as_it_describes(live: LiveServer):
    described = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    operations = [result.ok() for result in described.get_all_operations()]
    # Every path but the description's own, which schemathesis leaves out.
    assert {o.path for o in operations} == set(described.raw_schema["paths"]) - {"/openapi.json"}
    session = requests.Session()
    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy())
        def answers_as_described(case) -> None:
            case.call_and_validate(
                session=session, checks=CHECKS, excluded_checks=[not_a_server_error]
            )

        answers_as_described()


def numbers_by_status(app: Flask) -> dict[AwardStatus, str]:
    """A certificate number of each status there is."""
    found: dict[AwardStatus, str] = {}
    with app.app_context():
        for award in db.session.scalars(sa.select(Award).order_by(Award.id)):
            found.setdefault(awards.status(award), award.certificate_number)
        db.session.remove()
    return found


def test_every_state_answers_as_described(live: LiveServer):
    """Each operation on a certificate, for an award of each status, and each council's JSON:
    fuzzing finds few real numbers, so each is asked for here."""
    described = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    numbers = numbers_by_status(live.app)
    assert set(numbers) == set(AwardStatus), numbers
    session = requests.Session()
    for number in numbers.values():
        for path in described.raw_schema["paths"]:
            if "{certificate_number}" not in path:
                continue
            case = described[path]["GET"].Case(path_parameters={"certificate_number": number})
            case.call_and_validate(
                session=session, checks=CHECKS, excluded_checks=[not_a_server_error]
            )
        with live.app.app_context():
            gss_code = awards.find(number).council.gss_code
            db.session.remove()
        case = described["/councils/{gss_code}.json"]["GET"].Case(
            path_parameters={"gss_code": gss_code}
        )
        assert (
            case.call_and_validate(
                session=session, checks=CHECKS, excluded_checks=[not_a_server_error]
            ).status_code
            == 200
        )
