"""Emails in the outbox, as the mail tests need them."""

from __future__ import annotations

from marks import mail
from marks.models import Email


def queue_one(make) -> Email:
    """An email queued to a new person whose name looks like markup (and must stay text)."""
    user = make.user(full_name="Pat <Officer>")
    return mail.queue(user.email, "password_changed", user=user)
