"""The council's journey: joining a council, the application's task list, one page per
criterion, check your answers, submit, status, withdraw, and more information."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from marks import notifications, permissions, workflow
from marks.applying import applications, evidence, memberships, submission_copy
from marks.applying.applications import AnswerConflict, ApplicationRefused
from marks.applying.memberships import MembershipRefused
from marks.assessing import decisions
from marks.awarding import awards
from marks.council.forms import (
    AboutForm,
    AnswerForm,
    InviteForm,
    JoinForm,
    SubmitApplicationForm,
    WithdrawForm,
)
from marks.extensions import db
from marks.forms import ConfirmForm, choices, lines
from marks.models import Application, Council, EvidenceFile, Membership, utcnow
from marks.permissions import (
    SIGNED_IN,
    access,
    council_of,
    is_lead_of,
    load_application,
    may_see_evidence,
    replayable,
)
from marks.scheme import editions
from marks.scheme import issuer as scheme_issuer
from marks.states import MembershipState

bp = Blueprint("council", __name__, url_prefix="/apply")


def _my_council() -> Council:
    """The signed-in user's council, or off to join one."""
    council = council_of(current_user)
    if council is None:
        abort(redirect(url_for("council.join")))
    return council


# --- Joining ---------------------------------------------------------------------------------


@bp.get("/")
@access(SIGNED_IN)
def home():
    membership = current_user.membership
    if membership is None:
        return redirect(url_for("council.join"))
    if membership.state == MembershipState.REQUESTED:
        return render_template(
            "council/waiting.html",
            membership=membership,
            for_an_administrator=bool(memberships.first_of_their_council([membership])),
            contact_email=scheme_issuer.current().contact_email,
        )
    council = membership.council
    application = applications.open_application(council)
    latest = awards.latest_award(council)
    return render_template(
        "council/home.html",
        council=council,
        application=application,
        latest=latest,
        latest_status=awards.status(latest) if latest else None,
        renewal_opens=awards.renewal_opens(latest) if latest else None,
        today=utcnow().date(),
        may_change=application is not None and applications.may_change(application, current_user),
        # Each earlier application, with its award's status today where it made one.
        past=[
            (a, award, awards.status(award) if award else None)
            for a in applications.applications_of(council)
            if a.state not in applications.OPEN_APPLICATION_STATES
            for award in [awards.award_for(a)]
        ],
        award=applications.renewable_award(council),
        # Why no application can be started now, said instead of a button that would refuse.
        cannot_start=None if application else applications.start_problem(editions.current()),
        is_lead=is_lead_of(current_user, council.id),
        form=ConfirmForm(),
    )


@bp.route("/join", methods=["GET", "POST"])
@access(SIGNED_IN)
def join():
    if current_user.membership is not None:
        return redirect(url_for("council.home"))
    query = (request.values.get("q") or "").strip()[:100]
    results = memberships.search(query) if query else []
    form = JoinForm()
    form.council.choices = choices((c.id, c.name) for c in results)
    if form.validate_on_submit():
        council = db.get_or_404(Council, form.council.data)
        try:
            membership = memberships.ask_to_join(current_user, council)
        except MembershipRefused as error:
            form.council.errors.append(str(error))
        else:
            db.session.commit()
            if membership.state == MembershipState.ACTIVE:
                flash(f"You are now the lead for {council.name}.", "success")
            return redirect(url_for("council.home"))
    return render_template("council/join.html", form=form, query=query, results=results)


@bp.get("/members")
@access(SIGNED_IN)
def members():
    council = _my_council()
    members = memberships.active_members(council)
    requests = memberships.pending_requests(council)
    return render_template(
        "council/members.html",
        council=council,
        members=members,
        requests=requests,
        is_lead=is_lead_of(current_user, council.id),
        # What the person may do to each membership now, from its transition table.
        actions={m.id: workflow.available(m, current_user) for m in members + requests},
        form=ConfirmForm(),
    )


@bp.post("/members/<int:membership_id>/<any(approve, reject, remove):action>")
@access(SIGNED_IN)
def manage_member(membership_id: int, action: str):
    council = _my_council()
    membership = db.get_or_404(Membership, membership_id)
    if membership.council_id != council.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "remove":
            memberships.remove(membership, actor=current_user)
        else:
            memberships.decide(membership, approve=action == "approve", actor=current_user)
    except MembershipRefused as error:
        flash(str(error), "error")
        return redirect(url_for("council.members"))
    db.session.commit()
    name = membership.user.full_name
    done = {
        "approve": "has joined",
        "reject": "was not approved to join",
        "remove": "was removed from",
    }
    flash(f"{name} {done[action]} {council.name}.", "success")
    return redirect(url_for("council.members"))


@bp.route("/members/invite", methods=["GET", "POST"])
@access(SIGNED_IN)
def invite():
    council = _my_council()
    if not is_lead_of(current_user, council.id):
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        memberships.invite(council, form.email.data, actor=current_user)
        db.session.commit()
        flash(f"We have emailed an invitation to {form.email.data.lower()}.", "success")
        return redirect(url_for("council.members"))
    return render_template("council/invite.html", form=form, council=council)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access(SIGNED_IN)
def accept_invitation(token: str):
    try:
        invitation = memberships.invitation_for(token)
    except MembershipRefused as error:
        return render_template("council/invitation_problem.html", message=str(error)), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            memberships.accept(invitation, current_user)
        except MembershipRefused as error:
            return render_template("council/invitation_problem.html", message=str(error)), 400
        db.session.commit()
        flash(f"You have joined {invitation.council.name}.", "success")
        return redirect(url_for("council.home"))
    return render_template("council/invitation.html", invitation=invitation, form=form)


# --- The application -------------------------------------------------------------------------


@bp.post("/start")
@access(SIGNED_IN)
def start():
    council = _my_council()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        application = applications.start(council, actor=current_user)
    except ApplicationRefused as error:
        flash(str(error), "error")
        return redirect(url_for("council.home"))
    db.session.commit()
    return redirect(url_for("council.task_list", application_id=application.id))


@bp.get("/applications/<int:application_id>")
@access(SIGNED_IN)
def task_list(application_id: int):
    application = load_application(application_id)
    if not applications.may_change(application, current_user):
        return redirect(url_for("council.status", application_id=application.id))
    return render_template(
        "council/task_list.html",
        application=application,
        about=applications.about_progress(application),
        themes=applications.themes_progress(application),
        request_for_information=applications.latest_request(application)
        if workflow.startable(application, "resubmit")
        else None,
        progress=applications.answer_progress,
        ready=not applications.incomplete(application),
        form=ConfirmForm(),
    )


@bp.route("/applications/<int:application_id>/about", methods=["GET", "POST"])
@access(SIGNED_IN)
@replayable  # typing lost to an expired session is carried through sign-in
def about(application_id: int):
    application = load_application(application_id)
    if not workflow.may(application, "submit", current_user):
        return redirect(url_for("council.status", application_id=application.id))
    form = AboutForm(obj=application)
    if form.validate_on_submit():
        applications.save_about(
            application,
            actor=current_user,
            **{
                k: form[k].data
                for k in (
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                    "website",
                    "social_accounts",
                )
            },
        )
        db.session.commit()
        if form.save_as_draft.data:
            flash("Your council's details have been saved.", "success")
            return redirect(url_for("council.about", application_id=application.id))
        return redirect(url_for("council.task_list", application_id=application.id))
    return render_template("council/about.html", form=form, application=application)


@bp.route("/applications/<int:application_id>/criteria/<code>", methods=["GET", "POST"])
@access(SIGNED_IN)
@replayable  # typing lost to an expired session is carried through sign-in
def criterion(application_id: int, code: str):
    application = load_application(application_id)
    answer = applications.answer_for(application, code) or abort(404)
    if not applications.can_edit_answer(application, answer):
        return redirect(url_for("council.status", application_id=application.id))
    form = AnswerForm(obj=None if request.method == "POST" else answer)
    _describe_answer_form(form, answer)
    if request.method == "GET":
        form.links.data = "\n".join(link.url for link in answer.links)
    if form.validate_on_submit():
        new_file, refused = _uploaded_file(form, application)
        if form.upload.data and new_file is None and not refused:
            refused = "Select a file to upload"
        if refused:
            form.evidence_file.errors.append(refused)
        else:
            try:
                applications.save_answer(
                    answer,
                    version=int(form.version.data or 0),
                    actor=current_user,
                    self_score=form.self_score.data,
                    narrative=form.narrative.data or "",
                    links=lines(form.links.data),
                    new_file=new_file,
                    remove_file_ids=[form.remove_file.data] if form.remove_file.data else [],
                )
                db.session.commit()
            except (AnswerConflict, StaleDataError):
                db.session.rollback()
                return _conflict(application, code, form), 409
            except ApplicationRefused as error:
                db.session.rollback()
                form.evidence_file.errors.append(str(error))
            else:
                return _after_saving_answer(application, answer, form)
    return _criterion_page(form, application, answer)


def _criterion_page(form: AnswerForm, application: Application, answer, **extra):
    return render_template(
        "council/criterion.html",
        form=form,
        application=application,
        answer=answer,
        # What the assessors asked, while the answer is reopened for it.
        request_for_information=applications.latest_request(application)
        if answer.reopened
        else None,
        **extra,
    )


@bp.post("/applications/<int:application_id>/criteria/<code>/unchanged")
@access(SIGNED_IN)
def confirm_unchanged(application_id: int, code: str):
    application = load_application(application_id)
    answer = applications.answer_for(application, code) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not applications.may_change(application, current_user):
        return redirect(url_for("council.status", application_id=application.id))
    try:
        applications.confirm_unchanged(answer, actor=current_user)
    except ApplicationRefused as error:
        flash(str(error), "error")
        return redirect(url_for("council.task_list", application_id=application.id))
    db.session.commit()
    flash(f"{answer.criterion.code} will be sent again as it is.", "success")
    return redirect(url_for("council.task_list", application_id=application.id))


def _describe_answer_form(form: AnswerForm, answer) -> None:
    edition = answer.application.edition
    form.self_score.choices = choices(
        (score, f"{score} – {label}") for score, label in enumerate(edition.scale_labels)
    )
    form.narrative.word_limit = applications.word_limit(answer.criterion)
    if request.method == "POST" and form.self_score.raw_data == []:
        form.self_score.data = None


def _uploaded_file(form: AnswerForm, application: Application):
    upload = form.evidence_file.data
    if upload is None or not getattr(upload, "filename", ""):
        return None, None
    max_file_bytes = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    content = upload.read(max_file_bytes + 1)  # enough to know it is too big
    try:
        checked = evidence.check(
            upload.filename,
            content,
            already_stored_bytes=applications.evidence_bytes(application),
            max_file_bytes=max_file_bytes,
            max_application_bytes=current_app.config["EVIDENCE_MAX_APPLICATION_BYTES"],
        )
    except evidence.EvidenceRefused as error:
        return None, str(error)
    return checked, None


def _after_saving_answer(application: Application, answer, form: AnswerForm):
    here = url_for("council.criterion", application_id=application.id, code=answer.criterion.code)
    if form.remove_file.data:
        flash("The file has been removed.", "success")
        return redirect(here)
    uploaded = form.evidence_file.data and getattr(form.evidence_file.data, "filename", "")
    if uploaded:
        flash(f"{answer.files[-1].filename} has been uploaded.", "success")
    if form.upload.data:
        return redirect(here)
    if form.save_as_draft.data:
        flash("Your answer has been saved as a draft.", "success")
        return redirect(here)
    problems = applications.answer_problems(answer)
    if problems:
        # Saved, but not complete: say what is missing, keeping everything typed, in the one
        # error summary (that it was saved too, unless there was nothing to save).
        form.version.data = answer.version
        for message, field in problems:
            form[field].errors.append(message)
        started = applications.answer_progress(answer) != applications.Progress.NOT_STARTED
        return _criterion_page(
            form,
            application,
            answer,
            error_description="Your answer has been saved, but it is not complete yet."
            if started
            else None,
        )
    return redirect(_next_page(application, answer))


def _next_page(application: Application, answer) -> str:
    """The next criterion in the same theme, or back to the task list."""
    theme_answers = [
        a
        for a in applications.ordered_answers(application)
        if a.criterion.theme_id == answer.criterion.theme_id
        and applications.can_edit_answer(application, a)
    ]
    codes = [a.criterion.code for a in theme_answers]
    position = codes.index(answer.criterion.code)
    if position + 1 < len(codes):
        return url_for("council.criterion", application_id=application.id, code=codes[position + 1])
    return url_for("council.task_list", application_id=application.id)


def _conflict(application: Application, code: str, form: AnswerForm):
    db.session.expire_all()
    answer = applications.answer_for(db.session.get(Application, application.id), code)
    return render_template(
        "council/conflict.html",
        application=answer.application,
        answer=answer,
        yours=form,
        yours_links=lines(form.links.data),
        form=ConfirmForm(),
    )


@bp.route("/applications/<int:application_id>/check", methods=["GET", "POST"])
@access(SIGNED_IN)
def check(application_id: int):
    application = load_application(application_id)
    if not workflow.may(application, "submit", current_user):
        return redirect(url_for("council.status", application_id=application.id))
    applications.preload(application)
    form = SubmitApplicationForm()
    problems = applications.incomplete(application)
    if form.validate_on_submit() and not problems:
        try:
            applications.submit(
                application, actor=current_user, declaration_name=form.declaration_name.data
            )
        except ApplicationRefused as error:
            form.declaration.errors.append(str(error))
        else:
            db.session.commit()
            return redirect(url_for("council.submitted", application_id=application.id))
    return render_template(
        "council/check.html",
        form=form,
        application=application,
        answers=applications.ordered_answers(application),
        problems=problems if request.method == "POST" else [],
    )


@bp.get("/applications/<int:application_id>/submitted")
@access(SIGNED_IN)
def submitted(application_id: int):
    application = load_application(application_id)
    if application.submitted_at is None:
        return redirect(url_for("council.task_list", application_id=application.id))
    return render_template("council/submitted.html", application=application)


def _as_submitted(application_id: int) -> Application:
    """The application with all its answers, once submitted; before that, its task list."""
    application = load_application(application_id)
    if application.submitted_at is None:
        abort(redirect(url_for("council.task_list", application_id=application.id)))
    applications.preload(application)
    return application


@bp.get("/applications/<int:application_id>/submission")
@access(SIGNED_IN)
def submission(application_id: int):
    application = _as_submitted(application_id)
    return render_template(
        "council/submission.html",
        application=application,
        answers=applications.ordered_answers(application),
    )


@bp.get("/applications/<int:application_id>/submission.pdf")
@access(SIGNED_IN)
def submission_pdf(application_id: int):
    application = _as_submitted(application_id)
    pdf = submission_copy.render_pdf(submission_copy.copy_of(application))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": evidence.content_disposition(
                f"{application.council.name} application {application.reference}.pdf"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.get("/applications/<int:application_id>/status")
@access(SIGNED_IN)
def status(application_id: int):
    application = load_application(application_id)
    award = awards.award_for(application)
    return render_template(
        "council/status.html",
        application=application,
        history=applications.history(application, current_user),
        request_for_information=applications.latest_request(application),
        actions=workflow.available(application, current_user),
        # Answering a request for more information (resubmit waits until each is answered).
        answering=workflow.startable(application, "resubmit")
        and applications.may_change(application, current_user),
        decision=decisions.decision_for(application),
        award=award,
        award_status=awards.status(award) if award else None,
        today=utcnow().date(),
        feedback=notifications.feedback(application)
        if permissions.may_read_feedback(current_user, application)
        else [],
    )


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@access(SIGNED_IN)
def withdraw(application_id: int):
    application = load_application(application_id)
    if not workflow.may(application, "withdraw", current_user):
        return redirect(url_for("council.status", application_id=application.id))
    form = WithdrawForm()
    if form.validate_on_submit():
        applications.withdraw(
            application, actor=current_user, reason=(form.reason.data or "").strip()
        )
        db.session.commit()
        flash("Your application has been withdrawn.", "success")
        return redirect(url_for("council.status", application_id=application.id))
    return render_template("council/withdraw.html", form=form, application=application)


@bp.post("/applications/<int:application_id>/resubmit")
@access(SIGNED_IN)
def resubmit(application_id: int):
    application = load_application(application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        applications.resubmit(application, actor=current_user)
    except ApplicationRefused as error:
        flash(str(error), "error")
        return redirect(url_for("council.task_list", application_id=application.id))
    db.session.commit()
    flash("Your answers have been sent to the assessors.", "success")
    return redirect(url_for("council.status", application_id=application.id))


@bp.get("/applications/<int:application_id>/files/<int:file_id>")
@access(SIGNED_IN)
def evidence_file(application_id: int, file_id: int):
    application = db.get_or_404(Application, application_id)
    file = db.get_or_404(EvidenceFile, file_id)
    if file.answer.application_id != application.id or not may_see_evidence(
        current_user, application
    ):
        abort(404)
    return Response(
        file.content,
        mimetype=file.content_type,
        headers={
            "Content-Disposition": evidence.content_disposition(file.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


# They add their routes to bp.
from marks.council import practice, social_media  # noqa: E402, F401
