"""Accepting an invitation to become an assessor or administrator (sent from the
administrators' people pages). The person signs in with the invited address, then accepts."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from marks.accounts.routes import bp
from marks.extensions import db
from marks.forms import ConfirmForm
from marks.people import staff
from marks.people.staff import StaffRefused
from marks.permissions import SIGNED_IN, access
from marks.scheme import issuer as scheme_issuer
from marks.states import UserRole

LANDING = {UserRole.ASSESSOR: "assess.dashboard", UserRole.ADMINISTRATOR: "admin.index"}


def _problem(message: str):
    return render_template(
        "admin/people/invitation_problem.html",
        message=message,
        contact_email=scheme_issuer.current().contact_email,
    ), 400


@bp.route("/account/invitations/<token>", methods=["GET", "POST"])
@access(SIGNED_IN)
def accept_staff_invitation(token: str):
    try:
        invitation = staff.invitation_for(token)
    except StaffRefused as error:
        return _problem(str(error))
    refusal = staff.why_not_accept(invitation, current_user)
    if refusal is not None:
        return _problem(refusal)
    role = staff.role_for(invitation)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            # The user itself, not Flask-Login's proxy: it is the audit event's subject.
            staff.accept(invitation, current_user._get_current_object())
        except StaffRefused as error:
            return _problem(str(error))
        db.session.commit()
        flash(f"You are now {staff.ROLE_NAMES[role]}.", "success")
        return redirect(url_for(LANDING[role]))
    return render_template(
        "admin/people/invitation.html",
        invitation=invitation,
        form=form,
        role=role,
        role_name=staff.ROLE_NAMES[role],
        current_role=current_user.role,
        current_role_name=staff.ROLE_NAMES[current_user.role],
    )
