"""The council's lead shares its awarded answers with other councils: offers them to the
library of good practice (all at once, or one with its files, note and contact), offers one
again once returned, and withdraws one at any time. Its other members see where each stands."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marks import workflow
from marks.applying import applications
from marks.awarding import awards
from marks.council.forms import OfferAnswerForm, OfferAnswersForm
from marks.council.routes import bp
from marks.extensions import db
from marks.forms import ConfirmForm, choices
from marks.models import Answer, Application, Award
from marks.permissions import SIGNED_IN, access, load_application
from marks.practice import examples
from marks.practice.examples import PracticeRefused
from marks.states import PracticeState


def _awarded(application_id: int) -> tuple[Application, Award]:
    """The application in the URL and its award; an application with none has nothing to
    share: its status page."""
    application = load_application(application_id)
    award = awards.award_for(application)
    if award is None:
        abort(redirect(url_for("council.status", application_id=application.id)))
    return application, award


def _answer(application: Application, code: str) -> Answer:
    return applications.answer_for(application, code) or abort(404)


@bp.route("/applications/<int:application_id>/practice", methods=["GET", "POST"])
@access(SIGNED_IN)
def practice(application_id: int):
    application, award = _awarded(application_id)
    answers = applications.ordered_answers(application)
    shared = examples.examples_of(award)
    problem = examples.offer_problem(award, current_user)
    not_shared = [a for a in answers if a.criterion_id not in shared]
    form = OfferAnswersForm()
    form.answers.choices = choices(
        (a.id, f"{a.criterion.code}: {a.criterion.title}") for a in not_shared
    )
    if request.method == "GET":
        form.answers.data = [a.id for a in not_shared]  # all ticked, to untick what to keep
    if not problem and form.validate_on_submit():
        chosen = [a for a in not_shared if a.id in form.answers.data]
        try:
            offered = examples.offer(
                award,
                chosen,
                actor=current_user,
                note=form.note.data,
                contact=form.contact.data,
            )
        except PracticeRefused as error:
            db.session.rollback()
            form.answers.errors.append(str(error))
        else:
            db.session.commit()
            flash(_offered_message(len(offered)), "success")
            return redirect(url_for("council.practice", application_id=application.id))
    return render_template(
        "council/practice.html",
        form=form,
        application=application,
        award=award,
        answers=answers,
        shared=shared,
        reasons=examples.return_reasons(shared.values()),
        problem=problem,
    )


def _offered_message(count: int) -> str:
    which = "answer has" if count == 1 else f"{count} answers have"
    return f"Your {which} been offered. The scheme's administrators will review them."


@bp.route("/applications/<int:application_id>/practice/<code>", methods=["GET", "POST"])
@access(SIGNED_IN)
def practice_answer(application_id: int, code: str):
    application, award = _awarded(application_id)
    answer = _answer(application, code)
    example = examples.examples_of(award).get(answer.criterion_id)
    form = OfferAnswerForm(
        data={
            "note": example.note,
            "contact": example.contact,
            "files": [f.id for f in example.files],
        }
        if example is not None
        else None
    )
    form.files.choices = choices((f.id, f.filename) for f in answer.files)
    form.submit.label.text = _offer_button(example)
    problem = examples.offer_problem(award, current_user)
    if example is not None and example.state == PracticeState.PUBLISHED:
        problem = problem or "It is published: to change it, withdraw it, then offer it again."
    if not problem and form.validate_on_submit():
        try:
            examples.offer(
                award,
                [answer],
                actor=current_user,
                note=form.note.data,
                contact=form.contact.data,
                files=[f for f in answer.files if f.id in form.files.data],
            )
        except PracticeRefused as error:
            db.session.rollback()
            form.files.errors.append(str(error))
        else:
            db.session.commit()
            saved = example is not None and example.state == PracticeState.OFFERED
            flash(
                f"Your changes to {code} have been saved."
                if saved
                else f"Your answer to {code} has been offered. The scheme's administrators "
                "will review it.",
                "success",
            )
            return redirect(url_for("council.practice", application_id=application.id))
    return render_template(
        "council/practice_answer.html",
        form=form,
        application=application,
        award=award,
        answer=answer,
        example=example,
        reason=examples.return_reasons([example]).get(example.id) if example else None,
        actions=workflow.available(example, current_user) if example else [],
        problem=problem,
        withdraw_form=ConfirmForm(),
    )


def _offer_button(example) -> str:
    if example is None:
        return "Offer this answer"
    if example.state == PracticeState.OFFERED:
        return "Save changes"
    return "Offer it again"


@bp.post("/applications/<int:application_id>/practice/<code>/withdraw")
@access(SIGNED_IN)
def practice_withdraw(application_id: int, code: str):
    application, award = _awarded(application_id)
    answer = _answer(application, code)
    example = examples.examples_of(award).get(answer.criterion_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    was_published = example.state == PracticeState.PUBLISHED
    try:
        workflow.transition(example, "withdraw", actor=current_user, criterion=code)
    except PracticeRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(
            url_for("council.practice_answer", application_id=application.id, code=code)
        )
    db.session.commit()
    flash(
        f"Your answer to {code} has been withdrawn"
        + (": it is gone from the library." if was_published else "."),
        "success",
    )
    return redirect(url_for("council.practice", application_id=application.id))
