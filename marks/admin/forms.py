"""The administrators' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from marks.forms import choices, strip


def _id_or_none(value: object) -> int | None:
    """A select's chosen id; None for its empty first option ("Choose ...")."""
    return None if value in ("", None) else int(value)


class AssignForm(FlaskForm):
    assessor = SelectField(
        "Assessor",
        coerce=_id_or_none,
        validators=[InputRequired(message="Choose an assessor")],
        widget=GovSelect(),
    )
    submit = SubmitField("Assign", widget=GovSubmitInput())

    def offer(self, assessors: list[tuple[int, str]]) -> None:
        """The assessors to choose from, after an empty first option: with `required`, a
        select must start with one, or nothing chosen could never be told apart."""
        self.assessor.choices = choices([("", "Choose an assessor"), *assessors])


class UnassignForm(FlaskForm):
    reason = TextAreaField(
        "Why are you unassigning them? (for the record)",
        filters=[strip],
        validators=[
            InputRequired(message="Enter why you are unassigning them"),
            Length(max=5000, message="The reason must be 5,000 characters or fewer"),
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField("Unassign the assessor", widget=GovSubmitInput())

    def __init__(self, assessor_name: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new list: the field's own is the class's, shared by every request.
        self.reason.validators = [
            InputRequired(message=f"Enter why you are unassigning {assessor_name}"),
            *self.reason.validators[1:],
        ]


class DecisionForm(FlaskForm):
    outcome = RadioField(
        "Your decision",
        choices=choices(
            [
                ("approve", "Approve"),
                ("reject", "Do not approve"),
                ("request_information", "Ask the council for more information"),
            ]
        ),
        validators=[InputRequired(message="Choose your decision")],
        widget=GovRadioInput(),
    )
    level = RadioField(
        "Level to award", coerce=int, validators=[Optional()], widget=GovRadioInput()
    )
    # Approving at a level other than the scores earn.
    override_reason = TextAreaField(
        "Why are you approving at a different level? (for the record)",
        validators=[Length(max=5000, message="The reason must be 5,000 characters or fewer")],
        widget=GovTextArea(),
    )
    reasons = TextAreaField(
        "Reasons the council will read",
        validators=[Length(max=10000, message="The reasons must be 10,000 characters or fewer")],
        widget=GovTextArea(),
    )
    # Not approving what the scores pass.
    reject_override_reason = TextAreaField(
        "The scores pass: why are you not approving it? (for the record)",
        validators=[Length(max=5000, message="The reason must be 5,000 characters or fewer")],
        widget=GovTextArea(),
    )
    criteria = SelectMultipleField(
        "Criteria to reopen", coerce=int, validators=[Optional()], widget=GovCheckboxesInput()
    )
    message = TextAreaField(
        "What the council needs to send",
        validators=[Length(max=10000, message="The message must be 10,000 characters or fewer")],
        widget=GovTextArea(),
    )
    preview = SubmitField("Preview the email to the council", widget=GovSubmitInput())
    confirm = SubmitField("Confirm the decision and send the email", widget=GovSubmitInput())

    def override(self) -> str:
        """The chosen outcome's reason for deciding differently from the scores."""
        chosen = {"approve": self.override_reason, "reject": self.reject_override_reason}
        field = chosen.get(self.outcome.data)
        return (field.data or "").strip() if field is not None else ""


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Public reason for revoking the Mark",
        description="This is shown on the certificate's verification page and the register.",
        validators=[
            InputRequired(message="Give the public reason for revoking the award"),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField("Revoke the Mark", widget=GovSubmitInput())


class EraseForm(FlaskForm):
    reason = TextAreaField(
        "Why are you erasing their personal data?",
        description="For example: they asked by email on 3 March 2026. This is kept in the "
        "audit log: do not write their name or email address.",
        validators=[
            InputRequired(message="Say why you are erasing their personal data"),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField("Erase their personal data", widget=GovSubmitInput())


class PracticeReviewForm(FlaskForm):
    """Publish an offered answer, or return it (a published one: take it down) with a reason
    the council reads. Two buttons, one form class: the reason is needed only to return."""

    reason = TextAreaField(
        "Why are you returning it? (the council will read this)",
        filters=[strip],
        description="Say what the council should change before offering it again.",
        validators=[Length(max=2000, message="The reason must be 2,000 characters or fewer")],
        widget=GovTextArea(),
    )
    publish = SubmitField("Publish", widget=GovSubmitInput())
    send_back = SubmitField("Return to the council", widget=GovSubmitInput())

    def validate_reason(self, field):
        if self.send_back.data and not field.data:
            raise ValidationError("Enter why you are returning it")
