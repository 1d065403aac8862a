"""A council's application: starting it (or a renewal), saving answers without ever losing
one, knowing what is complete, submitting, withdrawing, and answering requests for more
information. State changes go through workflow.transition(); this module flushes, never
commits."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marks import audit, permissions, workflow
from marks.applying import evidence
from marks.assessing import assessment
from marks.extensions import db
from marks.models import (
    Answer,
    AnswerRevision,
    Application,
    AuditEvent,
    Award,
    Council,
    Criterion,
    Edition,
    EvidenceFile,
    EvidenceLink,
    InformationRequest,
    Theme,
    User,
    utcnow,
)
from marks.presentation import govuk_date
from marks.scheme import editions
from marks.states import OPEN_APPLICATION_STATES, ApplicationState, AwardState

MAX_LINKS = 10


class ApplicationRefused(Exception):
    """Something that cannot be done to the application now, with a message for people."""


class AnswerConflict(Exception):
    """Someone else saved the answer since this person opened it."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("the answer changed since it was opened")
        self.answer = answer


class Progress(StrEnum):
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    # Reopened by a request for more information, and not yet saved again or confirmed.
    CHANGES_REQUESTED = "Changes requested"


# --- Finding and starting -------------------------------------------------------------------


def open_application(council: Council) -> Application | None:
    return db.session.scalar(
        sa.select(Application).where(
            Application.council_id == council.id,
            Application.state.in_(OPEN_APPLICATION_STATES),
        )
    )


def applications_of(council: Council) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.council_id == council.id)
            .order_by(Application.created_at.desc(), Application.id.desc())
        )
    )


def renewable_award(council: Council) -> Award | None:
    """The council's latest award that a renewal would supersede: current or expired."""
    return db.session.scalar(
        sa.select(Award)
        .where(Award.council_id == council.id, Award.state == AwardState.CURRENT)
        .order_by(Award.awarded_on.desc())
        .limit(1)
    )


def window_problem(edition: Edition, now: datetime | None = None) -> str | None:
    """Why submissions are not open for the edition now, or None if they are."""
    now = now or utcnow()
    if edition.opens_at is not None and now < edition.opens_at:
        return f"Applications for the {edition.title} open on {govuk_date(edition.opens_at)}."
    if edition.closes_at is not None and now > edition.closes_at:
        return (
            f"Applications for the {edition.title} closed on {govuk_date(edition.closes_at)}. "
            "You can apply when the next edition opens."
        )
    return None


def start_problem(edition: Edition | None) -> str | None:
    """Why no application can be started under the current edition now, or None."""
    if edition is None:
        return (
            "There is no edition of the criteria open for applications yet. You can start "
            "your application here when one opens."
        )
    return window_problem(edition)


def start(council: Council, *, actor: User) -> Application:
    """Start the council's application under the current edition; a renewal (pre-filled from
    the last application) if the council holds or has held the Mark."""
    edition = editions.current()
    problem = start_problem(edition)
    if problem:
        raise ApplicationRefused(problem)
    if open_application(council) is not None:
        raise ApplicationRefused("Your council already has an application in progress.")
    award = renewable_award(council)
    application = Application(council=council, edition=edition, started_by_id=actor.id)
    application.answers = [Answer(criterion=c) for c in edition.criteria]
    db.session.add(application)
    if award is not None:
        application.renews_award_id = award.id
        _carry_over(award.application, application)
    db.session.flush()
    audit.record(
        "application.started",
        application,
        actor=actor,
        to_state=str(ApplicationState.DRAFT),
        application_id=application.id,
        council_id=council.id,
        renewal=award is not None,
    )
    return application


def _carry_over(previous: Application, renewal: Application) -> None:
    """Copy what still applies: details, and answers to criteria the new edition still has."""
    for field in ("contact_name", "contact_email", "contact_phone", "website", "social_accounts"):
        setattr(renewal, field, getattr(previous, field))
    earlier = {a.criterion.code: a for a in previous.answers}
    for answer in renewal.answers:
        old = earlier.get(answer.criterion.code)
        if old is None:
            continue
        answer.self_score = old.self_score
        answer.narrative = old.narrative
        answer.links = [EvidenceLink(url=link.url, position=link.position) for link in old.links]
        answer.files = [
            EvidenceFile(
                filename=f.filename,
                content_type=f.content_type,
                size_bytes=f.size_bytes,
                sha256=f.sha256,
                content=f.content,
                uploaded_by_id=f.uploaded_by_id,
            )
            for f in old.files
        ]


# --- Answers -----------------------------------------------------------------------------------


def preload(application: Application) -> None:
    """Load the application's answers with their evidence, and its edition's criteria with
    their rubric, in a few queries: pages that show everything need not ask row by row.
    Call it before anything touches those relationships (loaded ones are not loaded again)."""
    answers = selectinload(Application.answers)
    db.session.scalars(
        sa.select(Application)
        .where(Application.id == application.id)
        .options(
            answers.selectinload(Answer.links),
            answers.selectinload(Answer.files),
            selectinload(Application.edition)
            .selectinload(Edition.themes)
            .selectinload(Theme.criteria)
            .selectinload(Criterion.descriptors),
        )
    ).one()


def answer_for(application: Application, criterion_code: str) -> Answer | None:
    for answer in application.answers:
        if answer.criterion.code == criterion_code:
            return answer
    return None


def ordered_answers(application: Application) -> list[Answer]:
    by_criterion = {a.criterion_id: a for a in application.answers}
    return [by_criterion[c.id] for c in application.edition.criteria if c.id in by_criterion]


def word_limit(criterion: Criterion) -> int:
    return criterion.word_limit or criterion.theme.edition.narrative_word_limit


def count_words(text: str) -> int:
    return len(text.split())


def answer_progress(answer: Answer) -> Progress:
    if answer.reopened and answer.reopened_confirmed_at is None:
        return Progress.CHANGES_REQUESTED
    if (
        answer.self_score is None
        and not answer.narrative.strip()
        and not answer.links
        and not answer.files
    ):
        return Progress.NOT_STARTED
    if answer_problems(answer):
        return Progress.IN_PROGRESS
    return Progress.COMPLETED


def answer_problems(answer: Answer) -> list[tuple[str, str]]:
    """What stops the answer being complete, in GOV.UK voice: (message, the form's field), as
    assessment.problems gives them."""
    problems = []
    if answer.self_score is None:
        problems.append(("Select a self-score", "self_score"))
    if not answer.narrative.strip():
        problems.append(("Describe what your council does for this criterion", "narrative"))
    elif count_words(answer.narrative) > word_limit(answer.criterion):
        limit = word_limit(answer.criterion)
        problems.append((f"Your description must be {limit} words or fewer", "narrative"))
    return problems


def can_edit_answer(application: Application, answer: Answer) -> bool:
    """Every answer while the application may be submitted; the reopened ones while it may be
    resubmitted (more information asked for)."""
    if workflow.startable(application, "submit"):
        return True
    return workflow.startable(application, "resubmit") and answer.reopened


def may_change(application: Application, person: User) -> bool:
    """Whether the person may change the application's answers now: while they may submit it,
    or resubmit it with the information asked for."""
    # Not workflow.may(..., "resubmit"): its table refuses until every reopened answer is
    # answered, and answering them is what this allows.
    return workflow.may(application, "submit", person) or (
        workflow.startable(application, "resubmit")
        and permissions.may_act_for_council(person, application)
    )


def save_answer(
    answer: Answer,
    *,
    version: int,
    actor: User,
    self_score: int | None,
    narrative: str,
    links: Sequence[str],
    new_file: evidence.CheckedFile | None = None,
    remove_file_ids: Sequence[int] = (),
) -> None:
    """Save what was typed, as a draft. Raises AnswerConflict if someone else saved the answer
    since `version` was read, so nobody's words are silently overwritten."""
    application = answer.application
    if not can_edit_answer(application, answer):
        raise ApplicationRefused("This answer cannot be changed now.")
    if answer.version != version:
        raise AnswerConflict(answer)
    # Loaded before any change: loading them after would flush the half-made change, and one
    # save would write the row twice (moving its version by two).
    current_links, current_files = [link.url for link in answer.links], list(answer.files)
    if not {file.id for file in current_files}.issuperset(remove_file_ids):
        # A forged form: the id of another answer's file (of this council's or another's).
        raise ApplicationRefused("The file to remove is not part of this answer")
    answer.self_score = self_score
    answer.narrative = narrative
    if current_links != list(links):
        answer.links = [EvidenceLink(url=url, position=i) for i, url in enumerate(links)]
    for file in current_files:
        if file.id in remove_file_ids:
            answer.files.remove(file)
    if new_file is not None:
        answer.files.append(
            EvidenceFile(
                filename=new_file.filename,
                content_type=new_file.content_type,
                size_bytes=new_file.size_bytes,
                sha256=new_file.sha256,
                content=new_file.content,
                uploaded_by_id=actor.id,
            )
        )
    # Always touch the row, so that its version moves even when only links or files changed.
    answer.updated_at = utcnow()
    answer.updated_by_id = actor.id
    if answer.reopened:
        answer.reopened_confirmed_at = answer.updated_at
    db.session.flush()


def confirm_unchanged(answer: Answer, *, actor: User) -> None:
    """The council's "No changes needed" on a reopened answer: it stands as it is."""
    if not answer.reopened or not can_edit_answer(answer.application, answer):
        raise ApplicationRefused("This answer cannot be changed now.")
    answer.reopened_confirmed_at = utcnow()
    answer.updated_by_id = actor.id
    db.session.flush()


def evidence_bytes(application: Application) -> int:
    """The size of every evidence file the application holds now."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(EvidenceFile.size_bytes), 0))
        .join(Answer, Answer.id == EvidenceFile.answer_id)
        .where(Answer.application_id == application.id)
    )


def save_about(application: Application, *, actor: User, **details: str | None) -> None:
    """Save "About your council": contact details, website and social media accounts."""
    if not workflow.startable(application, "submit"):
        raise ApplicationRefused("These details cannot be changed now.")
    for field in ("contact_name", "contact_email", "contact_phone", "website", "social_accounts"):
        setattr(application, field, (details.get(field) or "").strip() or None)
    db.session.flush()


def about_progress(application: Application) -> Progress:
    fields = [application.contact_name, application.contact_email, application.website]
    if not any(fields) and not application.social_accounts:
        return Progress.NOT_STARTED
    if all(fields) and application.social_accounts:
        return Progress.COMPLETED
    return Progress.IN_PROGRESS


# --- The task list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeProgress:
    """A theme's section of the task list: the answers it lists (only the reopened ones while
    more information is asked for), and how far they are."""

    theme: Theme
    answers: list[Answer]
    progress: Progress

    @property
    def completed(self) -> int:
        return sum(answer_progress(a) == Progress.COMPLETED for a in self.answers)


def themes_progress(application: Application) -> list[ThemeProgress]:
    answers = ordered_answers(application)
    if workflow.startable(application, "resubmit"):
        answers = [a for a in answers if a.reopened]
    sections = []
    for theme in application.edition.themes:
        mine = [a for a in answers if a.criterion.theme_id == theme.id]
        states = {answer_progress(a) for a in mine}
        if states == {Progress.COMPLETED}:
            progress = Progress.COMPLETED
        elif states == {Progress.NOT_STARTED} or states == {Progress.CHANGES_REQUESTED}:
            progress = Progress.NOT_STARTED
        else:
            progress = Progress.IN_PROGRESS
        sections.append(ThemeProgress(theme, mine, progress))
    return sections


def incomplete(application: Application) -> list[tuple[str, str | None]]:
    """What stops submission: (message, criterion code or None for "About your council")."""
    problems: list[tuple[str, str | None]] = []
    if about_progress(application) != Progress.COMPLETED:
        problems.append(("Complete the details about your council", None))
    for answer in ordered_answers(application):
        if answer_problems(answer):
            problems.append(
                (
                    f"Complete {answer.criterion.code}: {answer.criterion.title}",
                    answer.criterion.code,
                )
            )
    return problems


# --- Submitting, withdrawing, more information -----------------------------------------------


def submit(application: Application, *, actor: User, declaration_name: str) -> None:
    """Submit and lock the application, if it is complete and the window is open."""
    if incomplete(application):
        raise ApplicationRefused("Complete every section before you submit.")
    problem = window_problem(application.edition)
    if problem:
        raise ApplicationRefused(problem)
    application.declaration_name = declaration_name.strip()
    _transition(application, "submit", actor=actor)


def withdraw(application: Application, *, actor: User, reason: str | None) -> None:
    _transition(application, "withdraw", actor=actor, reason=reason or None)


def request_information(
    application: Application, criteria: Sequence[Criterion], message: str, *, actor: User
) -> InformationRequest:
    """Reopen the named criteria for the council, keeping each answer as it stood."""
    if not criteria:
        raise ApplicationRefused("Choose at least one criterion to reopen.")
    request = InformationRequest(
        application=application,
        message=message.strip(),
        requested_by=actor,
        criteria=list(criteria),
    )
    db.session.add(request)
    db.session.flush()
    codes = {c.code for c in criteria}
    for answer in application.answers:
        if answer.criterion.code in codes:
            answer.reopened = True
            answer.reopened_confirmed_at = None
            answer.revisions.append(
                AnswerRevision(
                    information_request_id=request.id,
                    self_score=answer.self_score,
                    narrative=answer.narrative,
                    links=[link.url for link in answer.links],
                    files=[f.filename for f in answer.files],
                )
            )
    _transition(application, "request_information", actor=actor, reason=request.message)
    return request


def latest_request(application: Application) -> InformationRequest | None:
    return db.session.scalar(
        sa.select(InformationRequest)
        .where(InformationRequest.application_id == application.id)
        .order_by(InformationRequest.id.desc())
        .limit(1)
    )


def resubmit_problem(application: Application) -> str | None:
    """Why the council cannot resubmit yet, or None: each reopened answer must be saved again
    or confirmed as needing no changes, and be complete. The application table's `resubmit`
    row asks this (workflow.py)."""
    reopened = [a for a in ordered_answers(application) if a.reopened]
    for answer in reopened:
        if answer.reopened_confirmed_at is None:
            criterion = answer.criterion
            return (
                f"Change {criterion.code}: {criterion.title}, or confirm it needs no changes, "
                "before you resubmit"
            )
    if any(answer_problems(a) for a in reopened):
        return "Complete every reopened criterion before you resubmit"
    return None


def resubmit(application: Application, *, actor: User) -> None:
    """Send the reopened answers back to the assessors, and lock them again."""
    problem = resubmit_problem(application)
    if problem:
        raise ApplicationRefused(problem)
    request = latest_request(application)
    if request is not None:
        request.responded_at = utcnow()
    assessment.reopen_for_revision(application, actor=actor)
    # The audit log says which reopened answers came back changed, and which the council
    # confirmed as needing no changes.
    reopened = [a for a in ordered_answers(application) if a.reopened]
    _transition(
        application,
        "resubmit",
        actor=actor,
        saved_again=[a.criterion.code for a in reopened if a.reopened_confirmed_at is None],
        no_changes_needed=[a.criterion.code for a in reopened if a.reopened_confirmed_at],
    )
    for answer in application.answers:
        if answer.reopened:
            answer.reopened = False
            answer.reopened_confirmed_at = None


@dataclass(frozen=True)
class AnswerChange:
    """How an answer changed in response to a request for more information."""

    criterion: Criterion
    before: AnswerRevision
    after: Answer

    @property
    def narrative_diff(self) -> list[str]:
        return list(
            difflib.unified_diff(
                self.before.narrative.splitlines(),
                self.after.narrative.splitlines(),
                "before",
                "after",
                lineterm="",
            )
        )

    @property
    def changed(self) -> bool:
        return (
            self.before.self_score != self.after.self_score
            or self.before.narrative != self.after.narrative
            or self.before.links != [link.url for link in self.after.links]
            or self.before.files != [f.filename for f in self.after.files]
        )


def changes(request: InformationRequest) -> list[AnswerChange]:
    """The answers reopened by the request, as they were and as they are now."""
    found = []
    for answer in ordered_answers(request.application):
        for revision in answer.revisions:
            if revision.information_request_id == request.id:
                found.append(AnswerChange(answer.criterion, revision, answer))
    return found


@dataclass(frozen=True)
class Happened:
    """Something that happened to an application, with its reason if the reader may read it."""

    event: AuditEvent
    reason: str | None


def history(application: Application, reader: User) -> list[Happened]:
    """What happened to the application, oldest first, as `reader` may see it: each reason
    only if it is meant for them (permissions.may_read_reason)."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.application_id == application.id,
            AuditEvent.action.startswith("application."),
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [
        Happened(event, event.reason if permissions.may_read_reason(reader, event) else None)
        for event in events
    ]


def _transition(application: Application, name: str, **kwargs) -> None:
    try:
        workflow.transition(application, name, **kwargs)
    except workflow.TransitionRefused as error:
        raise ApplicationRefused("This cannot be done to the application now.") from error
