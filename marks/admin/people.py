"""Administrators: people. Find users, see their councils and assignments, change their role,
deactivate and reactivate accounts, reset two-factor sign-in for a lost device, download a
person's personal data and erase it, and invite assessors and administrators."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, RadioField, SubmitField
from wtforms.validators import InputRequired

from marks import permissions, presentation
from marks.admin import bp
from marks.admin.forms import EraseForm
from marks.admin.records import MAX_PAGE
from marks.extensions import db
from marks.forms import ConfirmForm, choices, email_checks, strip
from marks.models import User
from marks.people import personal_data, staff, two_factor
from marks.people.staff import StaffRefused
from marks.people.two_factor import TwoFactorRefused
from marks.permissions import ADMINISTRATOR, access
from marks.states import InvitationKind, UserRole

STATUS_LABELS = {"active": "Active", "deactivated": "Deactivated"}


class RoleForm(FlaskForm):
    role = RadioField(
        "Role",
        choices=choices((r.value, staff.ROLE_LABELS[r]) for r in UserRole),
        validators=[InputRequired(message="Choose a role")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Change role", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=email_checks("Enter the email address of the person to invite"),
        description="We will email them a link. It works for 14 days.",
        widget=GovTextInput(),
    )
    kind = RadioField(
        "Invite them as",
        choices=choices((k.value, staff.ROLE_LABELS[UserRole(k.value)]) for k in staff.STAFF_KINDS),
        validators=[
            InputRequired(message="Choose whether to invite an assessor or an administrator")
        ],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


# --- The list -------------------------------------------------------------------------------


def _filters() -> dict[str, str]:
    """The list's filters from the query string; a value we do not know is a 400."""
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    if role and role not in {r.value for r in UserRole}:
        abort(400, description="There is no such role")
    if status and status not in staff.STATUSES:
        abort(400, description="Status must be active or deactivated")
    return {"q": q, "role": role, "status": status}


def _query(filters: dict[str, str], page: int = 1) -> dict[str, object]:
    """The filters as URL parameters, empty ones left out."""
    values: dict[str, object] = {k: v for k, v in filters.items() if v}
    if page != 1:
        values["page"] = page
    return values


@bp.get("/people")
@access(ADMINISTRATOR)
def people():
    filters = _filters()
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:  # a larger page would overflow the query's OFFSET
        abort(404)
    role = UserRole(filters["role"]) if filters["role"] else None
    found = staff.search_users(filters["q"], role, filters["status"], page)
    if page > found.pages:
        abort(404)
    return render_template(
        "admin/people/list.html",
        found=found,
        filters=filters,
        pagination=presentation.pagination(
            found.page, found.pages, lambda n: url_for("admin.people", **_query(filters, n))
        ),
        role_labels=staff.ROLE_LABELS,
        status_labels=STATUS_LABELS,
    )


# --- One person -----------------------------------------------------------------------------


def _person_page(
    user: User,
    role_form: RoleForm | None = None,
    refusal: str | None = None,
    status: int = 200,
    refused: str = "account",
):
    if role_form is None:
        role_form = RoleForm(formdata=None, data={"role": user.role.value})
    assignments = staff.assignments_of(user)
    return render_template(
        "admin/people/person.html",
        person=user,
        memberships=staff.memberships_of(user),
        assignments=assignments,
        open_assignments=[a for a in assignments if a.state == "active"],
        role_form=role_form,
        confirm=ConfirmForm(),
        refusal=refusal,
        refused=refused,
        may_reset_two_factor=permissions.may_reset_two_factor(current_user, user),
        role_labels=staff.ROLE_LABELS,
        role_hints=[staff.ROLE_HINTS[r] for r in UserRole],
        is_self=user.id == current_user.id,
        may_erase=personal_data.why_not_erase(user, current_user) is None,
    ), status


@bp.get("/people/<int:user_id>")
@access(ADMINISTRATOR)
def person(user_id: int):
    return _person_page(db.get_or_404(User, user_id))


@bp.post("/people/<int:user_id>/role")
@access(ADMINISTRATOR)
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _person_page(user, form, status=400)
    try:
        staff.change_role(user, UserRole(form.role.data), actor=current_user)
    except StaffRefused as error:
        form.role.errors.append(str(error))
        return _person_page(user, form, status=400)
    db.session.commit()
    flash(f"{user.full_name} is now {staff.ROLE_NAMES[user.role]}.", "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/people/<int:user_id>/deactivate")
@access(ADMINISTRATOR)
def deactivate_person(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        staff.deactivate(user, actor=current_user)
    except StaffRefused as error:
        return _person_page(user, refusal=str(error), status=400)
    db.session.commit()
    flash(f"{user.full_name}'s account is deactivated. They can no longer sign in.", "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/people/<int:user_id>/reactivate")
@access(ADMINISTRATOR)
def reactivate_person(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        staff.reactivate(user, actor=current_user)
    except StaffRefused as error:
        return _person_page(user, refusal=str(error), status=400)
    db.session.commit()
    flash(f"{user.full_name}'s account is active again. They can sign in.", "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/people/<int:user_id>/two-factor/reset")
@access(ADMINISTRATOR)
def reset_two_factor(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        two_factor.reset(user, actor=current_user._get_current_object())
    except TwoFactorRefused as error:
        return _person_page(user, refusal=str(error), refused="two-factor", status=400)
    db.session.commit()
    flash(
        f"{user.full_name}'s two-factor sign-in is reset. They will set it up again the next "
        "time they sign in. We have emailed them to say so.",
        "success",
    )
    return redirect(url_for("admin.person", user_id=user.id))


# --- Personal data: a subject access request, and erasure ----------------------------------


@bp.get("/people/<int:user_id>/personal-data.json")
@access(ADMINISTRATOR)
def person_data(user_id: int):
    user = db.get_or_404(User, user_id)
    data = personal_data.export(user, actor=current_user._get_current_object())
    db.session.commit()
    response = Response(personal_data.export_file(data), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="personal-data-{user.id}.json"'
    return response


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def erase_person(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EraseForm()
    refusal = personal_data.why_not_erase(user, current_user)
    if refusal is None and form.validate_on_submit():
        personal_data.erase(user, actor=current_user._get_current_object(), reason=form.reason.data)
        db.session.commit()
        flash(
            f"Their personal data is erased. The service now shows them as {user.full_name}.",
            "success",
        )
        return redirect(url_for("admin.person", user_id=user.id))
    if refusal is not None and request.method == "POST":
        abort(400, description=refusal)
    return render_template(
        "admin/people/erase.html",
        person=user,
        form=form,
        refusal=refusal,
        memberships=[m for m in staff.memberships_of(user) if m.state in ("requested", "active")],
    ), 400 if form.errors else 200


# --- Invitations ----------------------------------------------------------------------------


@bp.route("/people/invite", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def invite_staff():
    form = InviteForm()
    status = 200
    if form.validate_on_submit():
        try:
            invitation = staff.invite(
                form.email.data, InvitationKind(form.kind.data), actor=current_user
            )
        except StaffRefused as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"We have emailed an invitation to {invitation.email} to become "
                f"{staff.ROLE_NAMES[staff.role_for(invitation)]}.",
                "success",
            )
            return redirect(url_for("admin.invite_staff"))
    if form.errors:
        status = 400
    return render_template(
        "admin/people/invite.html",
        form=form,
        pending=staff.pending_invitations(),
        role_labels=staff.ROLE_LABELS,
        role_hints=[staff.ROLE_HINTS[UserRole(k.value)] for k in staff.STAFF_KINDS],
    ), status
