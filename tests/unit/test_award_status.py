"""An award's status today, by one rule: from its state and its dates, never from a job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from marks.awarding import awards, reminders
from marks.states import AwardState, AwardStatus

TODAY = date(2027, 3, 1)


@dataclass
class Held:
    state: AwardState
    expires_on: date


@pytest.mark.parametrize(
    ("state", "days_left", "expected"),
    [
        (AwardState.CURRENT, 400, AwardStatus.CURRENT),
        (AwardState.CURRENT, awards.EXPIRING_SOON_DAYS + 1, AwardStatus.CURRENT),
        (AwardState.CURRENT, awards.EXPIRING_SOON_DAYS, AwardStatus.EXPIRING_SOON),
        (AwardState.CURRENT, 1, AwardStatus.EXPIRING_SOON),
        (AwardState.CURRENT, 0, AwardStatus.EXPIRED),
        (AwardState.REVOKED, 400, AwardStatus.REVOKED),
        (AwardState.SUPERSEDED, 10, AwardStatus.SUPERSEDED),
    ],
)
def test_status_today(state, days_left, expected):
    held = Held(state, TODAY + timedelta(days=days_left))
    assert awards.status(held, TODAY) == expected
    assert expected.holds == (expected in (AwardStatus.CURRENT, AwardStatus.EXPIRING_SOON))


def test_expiring_soon_begins_with_the_first_reminder():
    assert max(days for days, _ in reminders.REMINDERS) == awards.EXPIRING_SOON_DAYS
    assert AwardStatus.EXPIRING_SOON.label == "Expiring soon"
