"""The assessor's pages: their queue, scoring an application against the rubric, and
declaring a conflict of interest. Assessors see only their own assignments (404 otherwise),
and the other assessors' scores only once they have submitted their own."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from marks import permissions
from marks.applying import applications
from marks.assess.forms import ConflictForm, scoring_form
from marks.assessing import assessment
from marks.assessing.assessment import AssessmentConflict, AssessmentRefused, CriterionScore
from marks.extensions import db
from marks.permissions import ASSESSOR, access, load_assignment, replayable
from marks.states import AssessmentState, Recommendation

bp = Blueprint("assess", __name__, url_prefix="/assess")


@bp.get("/")
@access(ASSESSOR)
def dashboard():
    queue = assessment.queue_of(current_user)
    done = sum(a.assessment.state == AssessmentState.SUBMITTED for a in queue)
    return render_template("assess/dashboard.html", queue=queue, done=done)


def _form_for(assignment):
    edition = assignment.application.edition
    codes = tuple(c.code for c in edition.criteria)
    return scoring_form(codes, tuple(edition.scale_labels))


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@access(ASSESSOR)
@replayable  # scores and feedback lost to an expired session are carried
def score(assignment_id: int):
    assignment = load_assignment(assignment_id)
    mine = assignment.assessment
    application = assignment.application
    applications.preload(application)
    Form = _form_for(assignment)
    form = Form(data=None if request.method == "POST" else _initial(mine))
    if mine.state == AssessmentState.IN_PROGRESS and form.validate_on_submit():
        try:
            assessment.save(
                mine,
                version=int(form.version.data or 0),
                actor=current_user,
                scores={
                    c.code: CriterionScore(
                        int(form[f"score_{c.code}"].data) if form[f"score_{c.code}"].data else None,
                        form[f"feedback_{c.code}"].data or "",
                        form[f"note_{c.code}"].data or "",
                    )
                    for c in application.edition.criteria
                },
                recommendation=Recommendation(form.recommendation.data)
                if form.recommendation.data
                else None,
                summary=form.summary.data or "",
            )
            if form.submit_assessment.data:
                problems = assessment.problems(mine)
                if problems:
                    db.session.commit()  # keep the draft, then say what is missing
                    shown = Form(data=_initial(mine))
                    for message, field in problems:  # beside each field, and in the summary
                        shown[field].errors = [message]
                    return _page(assignment, shown)
                assessment.submit(mine, actor=current_user)
            db.session.commit()
        except (AssessmentConflict, StaleDataError):
            db.session.rollback()
            flash(
                "This assessment was saved in another window while you worked on it. "
                "It is shown below as saved: make your changes again.",
                "error",
            )
            return redirect(url_for("assess.score", assignment_id=assignment.id))
        except AssessmentRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("assess.score", assignment_id=assignment.id))
        if form.submit_assessment.data:
            flash(
                "Your assessment has been submitted. You can now see the other scores.", "success"
            )
            return redirect(url_for("assess.score", assignment_id=assignment.id))
        if form.save_and_next.data:
            following = _next_unfinished(assignment)
            if following is not None:
                flash("Your scores have been saved.", "success")
                return redirect(url_for("assess.score", assignment_id=following.id))
            flash(
                "Your scores have been saved. You have no other applications to assess.", "success"
            )
            return redirect(url_for("assess.dashboard"))
        flash("Your scores have been saved as a draft.", "success")
        return redirect(url_for("assess.score", assignment_id=assignment.id))
    return _page(assignment, form)


def _initial(mine) -> dict:
    data = {"version": mine.version, "summary": mine.summary}
    if mine.recommendation:
        data["recommendation"] = mine.recommendation.value
    for code, s in assessment.scores_by_code(mine).items():
        data[f"score_{code}"] = None if s.score is None else str(s.score)
        data[f"feedback_{code}"] = s.feedback
        data[f"note_{code}"] = s.private_note
    return data


def _page(assignment, form):
    application = assignment.application
    others = []
    if permissions.may_see_other_scores(current_user, assignment):
        others = [
            a
            for a in assessment.submitted_assessments(application)
            if a.id != assignment.assessment.id
        ]
    request_for_information = applications.latest_request(application)
    changes = (
        {c.criterion.code: c for c in applications.changes(request_for_information)}
        if request_for_information is not None and request_for_information.responded_at
        else {}
    )
    return render_template(
        "assess/score.html",
        assignment=assignment,
        application=application,
        answers={a.criterion.code: a for a in application.answers},
        form=form,
        others=others,
        other_scores=[assessment.scores_by_code(a) for a in others],
        changes=changes,
        submitted=assignment.assessment.state == AssessmentState.SUBMITTED,
        may_hand_back=assessment.is_open(application),
    )


def _next_unfinished(current):
    for assignment in assessment.queue_of(current_user):
        if (
            assignment.id != current.id
            and assignment.assessment.state == AssessmentState.IN_PROGRESS
        ):
            return assignment
    return None


@bp.route("/<int:assignment_id>/conflict", methods=["GET", "POST"])
@access(ASSESSOR)
def conflict(assignment_id: int):
    assignment = load_assignment(assignment_id)
    closed = assessment.why_closed(assignment.application)
    if closed:  # no form that cannot succeed
        flash(closed, "error")
        return redirect(url_for("assess.score", assignment_id=assignment.id))
    form = ConflictForm()
    if form.validate_on_submit():
        try:
            assessment.declare_conflict(assignment, form.reason.data, actor=current_user)
        except AssessmentRefused as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"You have handed back {assignment.application.council.name}'s application. "
                "The administrators will assign someone else.",
                "success",
            )
            return redirect(url_for("assess.dashboard"))
    return render_template("assess/conflict.html", form=form, assignment=assignment)
