"""The audit log in plain English: each action the service records as a sentence, its states as
GOV.UK tags, and its details as the rows of a summary list. The codes themselves stay in the
database and the CSV, for programs; tests/unit/test_event_sentences.py fails if an action the
code records has no sentence here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marks.logs import redact_tokens
from marks.people.retention import RULES
from marks.presentation import state_tag_class
from marks.states import ApplicationState, ReasonAudience, Recommendation


@dataclass(frozen=True)
class Said:
    """What a sentence may name: who did it, the council, the person or edition the event is
    about (its subject), and the event's details."""

    actor: str  # "Asha Assessor", or "The service"
    council: str  # "Halton Borough Council", or "a council"
    subject: str  # the subject's name: a person (for a person's own act, "themselves"), an edition
    data: Mapping[str, Any]
    own: bool = False  # the subject is the person who did it

    def __getitem__(self, key: str) -> str:  # for str.format_map
        if key in ("actor", "council", "subject"):
            return getattr(self, key)
        value = self.data.get(key)
        return "" if value is None else str(value)


def _for(said: Said) -> str:
    """ " for Nia Newcomer", or nothing when they did it themselves."""
    return "" if said.own or not said.subject else f" for {said.subject}"


def _invitation_sent(said: Said) -> str:
    if said.data.get("kind") in ("assessor", "administrator"):
        return f"{said.actor} invited {said['email']} to join the scheme’s staff as {_a(said)}"
    return f"{said.actor} invited {said['email']} to join {said.council}"


def _a(said: Said) -> str:
    kind = said["kind"]
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _user_created(said: Said) -> str:
    if said.own:
        return f"{said.actor} created an account"
    return f"{said.actor} created an account for {said.subject or 'a person'}"


Sentence = str | Callable[[Said], str]

# Neutral wording: the person's name and what they did, never "he" or "she".
SENTENCES: dict[str, Sentence] = {
    # Applications
    "application.started": "{actor} started an application for {council}",
    "application.submit": "{actor} submitted the application for {council}",
    "application.withdraw": "{actor} withdrew the application for {council}",
    "application.start_review": "{actor} started the review of the application for {council}",
    "application.all_assessed": (
        "Every assessment of the application for {council} was submitted: "
        "it is ready for a decision"
    ),
    "application.request_information": "{actor} asked {council} for more information",
    "application.resubmit": "{actor} resubmitted the application for {council}",
    "application.approve": "{actor} approved the application for {council}",
    "application.reject": "{actor} did not approve the application for {council}",
    # Assessors and assessments
    "assignment.created": "{actor} assigned {assessor} to assess the application for {council}",
    "assignment.conflict_declared": (
        "{actor} declared a conflict of interest with the application for {council}"
    ),
    "assignment.unassign": "{actor} unassigned {assessor} from the application for {council}",
    "assignment.end_for_conflict": (
        "An assessor’s assignment to the application for {council} ended: "
        "they declared a conflict of interest"
    ),
    "assessment.submitted": "{actor} submitted an assessment of {council}",
    "assessment.reopened": "An assessment of {council} was reopened for changes",
    # Awards
    "award.issued": "{actor} awarded {council} the Mark (certificate {certificate_number})",
    "award.revoked": "{actor} revoked the award of {council}",
    "award.superseded": "An award of {council} was replaced by certificate {superseded_by}",
    # The library of good practice
    "practice.offered": (
        "{actor} offered the answer of {council} to {criterion} to the library of good practice"
    ),
    "practice.changed": "{actor} changed what {council} offered with its answer to {criterion}",
    "practice.publish": "{actor} published the answer of {council} in the library of good practice",
    "practice.returned": "{actor} returned an answer offered by {council} to the library",
    "practice.withdrawn": "{actor} withdrew the answer of {council} from the library",
    # Councils' people
    "membership.requested": "{actor} asked to join {council}",
    "membership.joined_as_lead": "{actor} joined {council} as its lead",
    "membership.invitation_accepted": "{actor} accepted an invitation to join {council}",
    "membership.added": "{actor} added {subject} to {council}",
    "membership.approved": "{actor} accepted the request from {subject} to join {council}",
    "membership.rejected": "{actor} turned down the request from {subject} to join {council}",
    "membership.removed": "{actor} removed {subject} from {council}",
    "membership.removed_on_merge": (
        "{subject} was removed from {council}, as it was merged into another council"
    ),
    "membership.removed_on_erasure": (
        "{subject} was removed from {council}, as their account was erased"
    ),
    "membership.rejected_on_erasure": (
        "The request from {subject} to join {council} was closed, as their account was erased"
    ),
    "invitation.sent": _invitation_sent,
    "invitation.accepted": "{actor} accepted an invitation to join the scheme’s staff",
    # Councils
    "council.added": "{actor} added {council} to the councils",
    "council.edited": "{actor} changed the details of {council}",
    "council.merged": "{actor} merged council {duplicate} into {council}",
    # People's accounts
    "user.created": _user_created,
    "user.email_confirmed": "{actor} confirmed their email address",
    "user.signed_in": "{actor} signed in",
    "user.password_changed": "{actor} changed their password",
    "user.role_changed": "{actor} changed the role of {subject}",
    "user.deactivated": "{actor} deactivated the account of {subject}",
    "user.reactivated": "{actor} reactivated the account of {subject}",
    "user.data_exported": lambda said: (
        f"{said.actor} downloaded a copy of the personal data held about "
        f"{'themselves' if said.own else said.subject or 'a person'}"
    ),
    "user.erased": "{actor} erased the account of {subject}",
    "user.two_factor_enrolled": lambda said: (
        f"{said.actor} set up two-factor authentication{_for(said)}"
    ),
    "user.recovery_code_used": "{actor} signed in with a recovery code ({left} left)",
    "user.recovery_codes_replaced": "{actor} replaced their recovery codes",
    "user.two_factor_reset": "{actor} reset two-factor authentication for {subject}",
    "user.two_factor_turned_off": "{actor} turned off two-factor authentication",
    # The scheme's editions
    "edition.loaded": "{actor} loaded the edition {subject}",
    "edition.imported": "{actor} imported the edition {subject}",
    "edition.cloned": "{actor} made a draft edition, {subject}, from edition {cloned_from}",
    "edition.published": "{actor} published the edition {subject}",
    "edition.settings_changed": "{actor} changed the settings of the draft edition {subject}",
    "edition.levels_changed": "{actor} changed the levels of the draft edition {subject}",
    "edition.theme_added": "{actor} added theme {theme} to the draft edition {edition}",
    "edition.theme_changed": "{actor} changed theme {theme} of a draft edition",
    "edition.theme_removed": "{actor} removed theme {theme} from the draft edition {edition}",
    "edition.criterion_added": "{actor} added criterion {criterion} to the draft edition {edition}",
    "edition.criterion_changed": (
        "{actor} changed criterion {criterion} of the draft edition {edition}"
    ),
    "edition.criterion_removed": (
        "{actor} removed criterion {criterion} from the draft edition {edition}"
    ),
    # The scheme's settings
    "scheme.settings_changed": "{actor} changed the scheme’s settings: its {changed}",
    # Emails
    "email.resent": "{actor} sent an email to {to_address} again",
    # Retention: what each rule did, as the privacy notice says (marks/people/retention.py)
    **{
        f"retention.{rule.name}": (
            lambda said, rule=rule: (
                f"As the privacy notice says, {rule.what.format(n=said['count'])} {rule.done}"
            )
        )
        for rule in RULES
    },
}


def sentence(action: str, said: Said) -> str:
    """The event as a sentence; an action no longer recorded (an old event) as its code."""
    told = SENTENCES.get(action)
    if told is None:
        return f"{said.actor}: {action}"
    return told(said) if callable(told) else told.format_map(said)


def action_name(action: str) -> str:
    """An action's name for the filter: "application.start_review" as "Application: start
    review"."""
    thing, _, done = action.partition(".")
    return f"{thing.capitalize()}: {done.replace('_', ' ')}" if done else action


# States other than an application's (whose labels are its own: ApplicationState.label).
STATE_TAGS = {
    "active": ("Active", "govuk-tag--green"),
    "requested": ("Requested", "govuk-tag--blue"),
    "rejected": ("Turned down", "govuk-tag--red"),
    "removed": ("Removed", "govuk-tag--grey"),
    "conflict_declared": ("Conflict declared", "govuk-tag--orange"),
    "in_progress": ("In progress", "govuk-tag--light-blue"),
    "submitted": ("Submitted", "govuk-tag--blue"),
    "draft": ("Draft", "govuk-tag--grey"),
    "published": ("Published", "govuk-tag--green"),
    "offered": ("Waiting for review", "govuk-tag--blue"),
    "returned": ("Returned", "govuk-tag--orange"),
    "current": ("Current", "govuk-tag--green"),
    "revoked": ("Revoked", "govuk-tag--red"),
    "superseded": ("Superseded", "govuk-tag--grey"),
    "queued": ("Queued", "govuk-tag--blue"),
    "sent": ("Sent", "govuk-tag--green"),
    "failed": ("Failed", "govuk-tag--red"),
    "deactivated": ("Deactivated", "govuk-tag--grey"),
    "erased": ("Erased", "govuk-tag--grey"),
    "accepted": ("Accepted", "govuk-tag--green"),
    "user": ("Council user", "govuk-tag--grey"),
    "assessor": ("Assessor", "govuk-tag--turquoise"),
    "administrator": ("Administrator", "govuk-tag--purple"),
}


def state_tag(subject_type: str, state: str) -> dict:
    """govukTag's parameters for a state of the event's subject."""
    if subject_type == "Application" and state in set(ApplicationState):
        return {"text": ApplicationState(state).label, "classes": state_tag_class(state)}
    text, classes = STATE_TAGS.get(state, (state.replace("_", " ").capitalize(), "govuk-tag--grey"))
    return {"text": text, "classes": classes}


READERS = {
    ReasonAudience.PUBLIC: "Anyone",
    ReasonAudience.COUNCIL: "The council’s members and the scheme’s staff",
    ReasonAudience.RECORD: "The scheme’s administrators only",
}


def readers(audience: str | None) -> str:
    """Who may read an event's reason, as people say it."""
    return READERS.get(ReasonAudience(audience), "") if audience else ""


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "None"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) if value else "None"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _level(code: str) -> str:
    """A level's code ("accredited") as its name reads (an edition names its own levels)."""
    return code.replace("_", " ").capitalize()


# Details recorded as codes, as people say them (an unknown code stays as it is).
CODES: dict[str, Callable[[str], str]] = {
    "level": _level,
    "recommendation": lambda code: Recommendation(code).label,
    "role": lambda code: {"lead": "Lead", "member": "Member"}.get(code) or STATE_TAGS[code][0],
    "via": {"import": "A file of councils"}.__getitem__,
}


def _told(key: str, value: Any) -> str:
    if isinstance(value, str) and key in CODES:
        try:
            return CODES[key](value)
        except (KeyError, ValueError):
            pass
    return _plain(value)


LABELS = {"via": "Added from"}


def _label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def detail_rows(data: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An event's details, one (label, value) pair each, any link's token redacted. What
    changed ({"name": [old, new]}) is a row per field: "Name changed", "old → new"."""
    rows = []
    for key, value in sorted((data or {}).items()):
        if key in ("changes", "changed") and isinstance(value, dict):
            for field, pair in sorted(value.items()):
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    told = f"{_plain(pair[0])} → {_plain(pair[1])}"
                else:
                    told = _plain(pair)
                rows.append((f"{_label(field)} changed", redact_tokens(told)))
        else:
            rows.append((_label(key), redact_tokens(_told(key, value))))
    return rows
