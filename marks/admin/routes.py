"""Administrators: the home page, the outbox, and requests to join a council."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marks import mail, presentation, workflow
from marks.admin import bp
from marks.admin.records import MAX_PAGE
from marks.applying import memberships
from marks.extensions import db
from marks.forms import ConfirmForm
from marks.models import Email, Membership
from marks.permissions import ADMINISTRATOR, access
from marks.practice import examples
from marks.states import EmailState

PAGE_SIZE = 50


@bp.get("/")
@access(ADMINISTRATOR)
def index():
    counts = dict(
        db.session.execute(sa.select(Email.state, sa.func.count()).group_by(Email.state)).all()
    )
    return render_template(
        "admin/index.html",
        email_counts=counts,
        states=EmailState,
        waiting=len(memberships.pending_requests()),
        practice_waiting=examples.waiting_count(),
    )


@bp.get("/outbox")
@access(ADMINISTRATOR)
def outbox():
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:  # a larger page would overflow the query's OFFSET
        abort(404)
    emails = db.paginate(
        sa.select(Email).order_by(Email.id.desc()), page=page, per_page=PAGE_SIZE, error_out=True
    )
    pagination = presentation.pagination(
        emails.page,
        emails.pages,
        lambda n: url_for("admin.outbox", **({"page": n} if n > 1 else {})),
    )
    return render_template(
        "admin/outbox.html",
        emails=emails,
        shown=[mail.shown(email) for email in emails.items],
        pagination=pagination,
    )


@bp.get("/outbox/<int:email_id>")
@access(ADMINISTRATOR)
def email(email_id: int):
    found = db.get_or_404(Email, email_id)
    return render_template(
        "admin/email.html",
        email=mail.shown(found),
        actions=workflow.available(found, current_user),
    )


@bp.get("/membership-requests")
@access(ADMINISTRATOR)
def membership_requests():
    requests = memberships.pending_requests()
    return render_template(
        "admin/membership_requests.html",
        requests=requests,
        first=memberships.first_of_their_council(requests),
        form=ConfirmForm(),
    )


@bp.post("/membership-requests/<int:membership_id>/<any(approve, reject):action>")
@access(ADMINISTRATOR)
def decide_membership(membership_id: int, action: str):
    membership = db.get_or_404(Membership, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        memberships.decide(membership, approve=action == "approve", actor=current_user)
    except memberships.MembershipRefused as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        outcome = "approved" if action == "approve" else "turned down"
        flash(
            f"{membership.user.full_name}'s request to join {membership.council.name} "
            f"was {outcome}.",
            "success",
        )
    return redirect(url_for("admin.membership_requests"))
