"""Reminders before an award expires: 90 and 30 days before, and on the day. `flask
send-reminders` runs daily; each reminder goes at most once per award and person (the
outbox's dedupe key makes a second one unstorable), so running it twice does no harm."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from marks import mail, notifications
from marks.awarding import awards
from marks.extensions import db
from marks.models import Award, Email, utcnow
from marks.states import AwardState

# (days before expiry, template): the most urgent that applies is the one sent.
REMINDERS = (
    (0, "award_expired"),
    (30, "award_expiring"),
    (awards.EXPIRING_SOON_DAYS, "award_expiring"),
)


def due(award: Award, today: date) -> int | None:
    """Which reminder the award is due today (its days before expiry), or None."""
    left = (award.expires_on - today).days
    for days, _ in REMINDERS:
        if left <= days:
            return days
    return None


def send(today: date | None = None) -> int:
    """Queue every reminder that is due and not yet sent; return how many. Flushes."""
    today = today or utcnow().date()
    awards = db.session.scalars(
        sa.select(Award).where(
            Award.state == AwardState.CURRENT,
            Award.expires_on <= today + timedelta(days=REMINDERS[-1][0]),
            # An award that expired long ago was reminded on the day; do not start again.
            Award.expires_on > today - timedelta(days=7),
        )
    ).all()
    queued = 0
    for award in awards:
        days = due(award, today)
        if days is None:
            continue
        template = dict(REMINDERS)[days]
        for person in notifications.council_members(award.application):
            key = f"reminder:{award.id}:{days}:{person.id}"
            if db.session.scalar(sa.select(Email.id).where(Email.dedupe_key == key)):
                continue
            mail.queue(
                person.email,
                template,
                dedupe_key=key,
                recipient=person,
                award=award,
                council=award.council,
                days=(award.expires_on - today).days,
                renew_url=mail.link("council.home"),
            )
            queued += 1
    return queued
