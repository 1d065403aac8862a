"""Administrators: the answers councils offer to the library of good practice, and each
offer's review: publish it, or return it to the council with a reason (a published one:
taken down)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marks import workflow
from marks.admin import bp
from marks.admin.forms import PracticeReviewForm
from marks.extensions import db
from marks.models import PracticeExample
from marks.permissions import ADMINISTRATOR, access
from marks.practice import examples
from marks.practice.examples import PracticeRefused
from marks.states import PracticeState

ALL = "all"


@bp.get("/practice")
@access(ADMINISTRATOR)
def practice_offers():
    state = request.args.get("state", ALL)
    if state != ALL and state not in {s.value for s in PracticeState}:
        abort(404)
    chosen = None if state == ALL else PracticeState(state)
    found = examples.for_review(chosen)
    views = [(ALL, "All")] + [(s.value, s.label) for s in PracticeState]
    return render_template(
        "admin/practice_offers.html",
        found=found,
        state=chosen,
        current=state,
        views=[
            (
                value,
                label,
                url_for("admin.practice_offers", **({"state": value} if value != ALL else {})),
            )
            for value, label in views
        ],
    )


@bp.route("/practice/<int:example_id>", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def practice_review(example_id: int):
    example = db.get_or_404(PracticeExample, example_id)
    actions = workflow.available(example, current_user)
    form = PracticeReviewForm()
    if form.validate_on_submit():
        action = "publish" if form.publish.data else "return"
        try:
            workflow.transition(
                example,
                action,
                actor=current_user,
                reason=form.reason.data if action == "return" else None,
                criterion=example.answer.criterion.code,
            )
        except PracticeRefused as error:
            db.session.rollback()
            (form.reason if action == "return" else form.publish).errors.append(str(error))
        else:
            db.session.commit()
            council, code = example.award.council.name, example.answer.criterion.code
            flash(
                f"{council}'s answer to {code} is published in the library."
                if action == "publish"
                else f"{council}'s answer to {code} has been returned to the council.",
                "success",
            )
            return redirect(url_for("admin.practice_offers"))
    return render_template(
        "admin/practice_review.html",
        form=form,
        example=example,
        actions=actions,
        reason=examples.return_reasons([example]).get(example.id),
    )
