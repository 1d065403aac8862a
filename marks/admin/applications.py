"""Administrators: applications, assigning assessors, moderation, decisions, score exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import orm

from marks import presentation, workflow
from marks.admin import bp
from marks.admin.forms import AssignForm, DecisionForm, RevokeForm, UnassignForm
from marks.admin.records import MAX_PAGE
from marks.applying.applications import ordered_answers
from marks.assessing import assessment, decisions
from marks.assessing.assessment import AssessmentRefused
from marks.assessing.decisions import DecisionRefused
from marks.awarding import awards
from marks.extensions import db
from marks.forms import ConfirmForm, choices
from marks.models import (
    Application,
    Assignment,
    Award,
    Council,
    Criterion,
    Edition,
    Email,
    Level,
    User,
)
from marks.people import councils
from marks.permissions import ADMINISTRATOR, STAFF_SEE, access, staff_may_see, works_for
from marks.reporting.exports import edition_scores
from marks.scheme import issuer
from marks.states import ApplicationState

# The list's first view: every application, so that one never moves out of sight as its
# state changes; the others are the states, one each.
ALL = "all"
PAGE_SIZE = 50


@bp.get("/applications")
@access(ADMINISTRATOR)
def applications():
    state = request.args.get("state", ALL)
    if state != ALL and state not in {s.value for s in STAFF_SEE}:
        abort(404)
    q = request.args.get("q", "").strip()[:200]
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:  # a larger page would overflow the query's OFFSET
        abort(404)
    found = db.paginate(
        _matching(q, None if state == ALL else ApplicationState(state)),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )
    if page > max(found.pages, 1):
        abort(404)
    counts = dict(
        db.session.execute(
            sa.select(Application.state, sa.func.count())
            .join(Council, Council.id == Application.council_id)
            .where(*_of_councils(q))
            .group_by(Application.state)
        ).all()
    )

    def view(n: int | None = None, of: str = state) -> str:
        return url_for(
            "admin.applications",
            **({"state": of} if of != ALL else {}),
            **({"q": q} if q else {}),
            **({"page": n} if n and n > 1 else {}),
        )

    return render_template(
        "admin/applications.html",
        state=None if state == ALL else ApplicationState(state),
        views=[(ALL, "All", sum(counts.values()), view(of=ALL))]
        + [(s.value, s.label, counts.get(s, 0), view(of=s.value)) for s in STAFF_SEE],
        current=state,
        q=q,
        found=found,
        pagination=presentation.pagination(found.page, found.pages, view),
        needing=len(assessment.needing_assessors()),
        form=ConfirmForm(),
    )


def _of_councils(q: str) -> list[sa.ColumnElement[bool]]:
    """The conditions on an application joined to its council: one the staff see, of a
    council matching `q` (part of its name, or its GSS code) if there is one."""
    found = councils.name_or_code(q)
    return [Application.state.in_(STAFF_SEE), *([found] if found is not None else [])]


def _matching(q: str, state: ApplicationState | None = None) -> sa.Select:
    """The applications of councils matching `q`, in `state` or any: the oldest submission
    first in one state (a queue, worked from its front), the newest first among all."""
    statement = (
        sa.select(Application)
        .join(Council, Council.id == Application.council_id)
        .where(*_of_councils(q))
        .options(orm.contains_eager(Application.council), orm.selectinload(Application.edition))
    )
    if state is None:
        return statement.order_by(Application.submitted_at.desc(), Application.id.desc())
    return statement.where(Application.state == state).order_by(
        Application.submitted_at, Application.id
    )


@bp.post("/applications/auto-assign")
@access(ADMINISTRATOR)
def auto_assign():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    made = assessment.auto_assign(assessment.needing_assessors(), actor=current_user)
    db.session.commit()
    flash(
        f"{len(made)} assessors assigned." if made else "No application needed assessors.",
        "success",
    )
    return redirect(url_for("admin.applications"))


def _application(application_id: int) -> Application:
    application = db.get_or_404(Application, application_id)
    if not staff_may_see(application):
        abort(404)
    return application


@bp.get("/applications/<int:application_id>")
@access(ADMINISTRATOR)
def application(application_id: int):
    found = _application(application_id)
    return _detail(found, AssignForm())


def _detail(found: Application, form: AssignForm, status: int = 200):
    active = assessment.active_assignments(found)
    award = awards.award_for(found)
    taken = {a.assessor_id for a in active}
    workload = assessment.open_workload()
    form.offer(
        (a.id, _assessor_label(a, workload.get(a.id, 0)))
        for a in assessment.assessors()
        if a.id not in taken and assessment.why_not(found, a) is None
    )
    return render_template(
        "admin/application.html",
        application=found,
        assignments=[(a, workflow.available(a, current_user)) for a in active],
        # Checked at assignment, but people join councils since: say so, not "due".
        conflicted={a.id for a in active if works_for(a.assessor, found.council_id)},
        may_assign=found.state in assessment.ASSESSABLE,
        form=form,
        confirm=ConfirmForm(),
        actions=workflow.available(found, current_user),
        # The scores the decision rests on: once they are final, and after.
        moderation=decisions.moderation(found) if decisions.scores_are_final(found) else None,
        decision=decisions.decision_for(found),
        award=award,
        award_status=awards.status(award) if award else None,
    ), status


def _assessor_label(assessor: User, open_count: int) -> str:
    """Who they are (two people may share a name) and how much they have on."""
    plural = "" if open_count == 1 else "s"
    return f"{assessor.full_name} ({assessor.email}): {open_count} open assessment{plural}"


@bp.post("/applications/<int:application_id>/assign")
@access(ADMINISTRATOR)
def assign(application_id: int):
    found = _application(application_id)
    form = AssignForm()
    form.offer((a.id, a.full_name) for a in assessment.assessors())
    if form.validate_on_submit():
        assessor = db.get_or_404(User, form.assessor.data)
        try:
            assessment.assign(found, assessor, actor=current_user)
        except AssessmentRefused as error:
            form.assessor.errors.append(str(error))
            return _detail(found, form, 400)
        db.session.commit()
        flash(f"{assessor.full_name} has been assigned and emailed.", "success")
        return redirect(url_for("admin.application", application_id=found.id))
    return _detail(found, form, 400)


@bp.route(
    "/applications/<int:application_id>/assessors/<int:assignment_id>/unassign",
    methods=["GET", "POST"],
)
@access(ADMINISTRATOR)
def unassign(application_id: int, assignment_id: int):
    found = _application(application_id)
    assignment = db.get_or_404(Assignment, assignment_id)
    if assignment.application_id != found.id:
        abort(404)
    back = url_for("admin.application", application_id=found.id)
    if request.method == "GET" and "unassign" not in workflow.available(assignment, current_user):
        return redirect(back)  # submitted, or unassigned already: the page says which
    name = assignment.assessor.full_name
    form = UnassignForm(name)
    if form.validate_on_submit():
        try:
            assessment.unassign(assignment, form.reason.data, actor=current_user)
        except AssessmentRefused as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{name} has been unassigned and emailed.", "success")
            return redirect(back)
    return render_template(
        "admin/unassign.html", application=found, assignment=assignment, form=form
    ), 400 if form.errors else 200


@bp.route("/applications/<int:application_id>/decision", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def decide(application_id: int):
    found = _application(application_id)
    actions = workflow.available(found, current_user)
    if "approve" not in actions and "request_information" not in actions:
        return redirect(url_for("admin.application", application_id=found.id))
    moderation = decisions.moderation(found) if "approve" in actions else None
    form = DecisionForm()
    if moderation is None:  # under review: only more information can be asked for
        form.outcome.choices = choices(
            [("request_information", "Ask the council for more information")]
        )
    form.level.choices = choices((lv.id, lv.name) for lv in found.edition.levels)
    form.criteria.choices = choices((c.id, f"{c.code}: {c.title}") for c in found.edition.criteria)
    if request.method == "GET" and moderation is not None and moderation.computed_level:
        form.level.data = moderation.computed_level.id
    if form.validate_on_submit() and not _problems(found, form, moderation):
        if form.confirm.data:
            try:
                _record_decision(found, form)
            except DecisionRefused as error:
                db.session.rollback()
                form.outcome.errors.append(str(error))
            else:
                db.session.commit()
                flash("The decision has been recorded and the council emailed.", "success")
                return redirect(url_for("admin.application", application_id=found.id))
        else:
            try:
                previews = _previews(found, form)
            except DecisionRefused as error:
                form.outcome.errors.append(str(error))
            else:
                return render_template(
                    "admin/decision_preview.html", application=found, form=form, previews=previews
                )
    return render_template(
        "admin/decision.html",
        application=found,
        form=form,
        moderation=moderation,
        issuer_missing=issuer.missing(),
        # Under review there are no scores to moderate yet: the answers alone.
        answers=ordered_answers(found) if moderation is None else None,
    )


def _chosen(found: Application, form: DecisionForm) -> tuple[Level | None, list[Criterion]]:
    """The level and the criteria the form names, from the application's own edition."""
    level = next((lv for lv in found.edition.levels if lv.id == form.level.data), None)
    criteria = [c for c in found.edition.criteria if c.id in set(form.criteria.data or [])]
    return level, criteria


def _problems(
    found: Application, form: DecisionForm, moderation: decisions.Moderation | None
) -> bool:
    """Put what stops the chosen decision beside its fields (decisions.problems says what);
    True if anything does. Asked before the preview, so that the preview can be confirmed."""
    level, criteria = _chosen(found, form)
    problems = decisions.problems(
        moderation,
        form.outcome.data,
        level=level,
        override_reason=form.override(),
        reasons=form.reasons.data or "",
        reject_override_reason=form.override(),
        criteria=criteria,
        message=form.message.data or "",
    )
    for message, field in problems:
        form[field].errors.append(message)
    return bool(problems)


def _record_decision(found: Application, form: DecisionForm) -> None:
    override = form.override() or None
    level, criteria = _chosen(found, form)
    if form.outcome.data == "approve":
        if level is None:
            abort(404)
        decisions.approve(found, actor=current_user, level=level, override_reason=override)
    elif form.outcome.data == "reject":
        decisions.reject(
            found, actor=current_user, reasons=form.reasons.data, override_reason=override
        )
    else:
        decisions.request_information(found, criteria, form.message.data, actor=current_user)


def _previews(found: Application, form: DecisionForm) -> list[tuple[str, str, str]]:
    """The emails the decision would send: (to, subject, text). Made by making the decision
    inside a savepoint and undoing it, so that the preview is what the council will read, from
    the code that sends it (the award's certificate number included). Nothing is saved."""
    last = db.session.scalar(sa.select(sa.func.max(Email.id))) or 0
    savepoint = db.session.begin_nested()
    try:
        _record_decision(found, form)
        queued = db.session.scalars(sa.select(Email).where(Email.id > last).order_by(Email.id))
        return [(email.to_address, email.subject, email.body_text) for email in queued]
    finally:
        savepoint.rollback()


@bp.get("/editions/<int:edition_id>/scores.csv")
@access(ADMINISTRATOR)
def edition_scores_csv(edition_id: int):
    edition = db.get_or_404(Edition, edition_id)
    return Response(
        edition_scores(edition.id),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="scores-{edition.code}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.get("/awards", endpoint="awards")
@access(ADMINISTRATOR)
def awards_list():
    listed = db.session.scalars(sa.select(Award).order_by(Award.created_at.desc())).all()
    return render_template(
        "admin/awards.html", listed=[(award, awards.status(award)) for award in listed]
    )


@bp.route("/awards/<number>/revoke", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def revoke_award(number: str):
    award = awards.find(number) or abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            awards.revoke(award, form.reason.data, actor=current_user)
        except awards.AwardRefused as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"{award.certificate_number} has been revoked and the council emailed.", "success"
            )
            return redirect(url_for("admin.awards"))
    return render_template("admin/revoke.html", award=award, form=form)
