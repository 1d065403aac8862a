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
from wtforms.validators import InputRequired, Length, Optional

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
    level = RadioField("Level", coerce=int, validators=[Optional()], widget=GovRadioInput())
    override_reason = TextAreaField(
        "Why are you deciding differently from the scores? (for the record)",
        validators=[Length(max=5000, message="The reason must be 5,000 characters or fewer")],
        widget=GovTextArea(),
    )
    reasons = TextAreaField(
        "Reasons the council will read",
        validators=[Length(max=10000, message="The reasons must be 10,000 characters or fewer")],
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

    def problems(self) -> bool:
        """Add the errors that depend on the decision chosen; True if there are any."""
        found = False
        if self.outcome.data == "approve" and not self.level.data:
            self.level.errors.append("Choose the level to award")
            found = True
        if self.outcome.data == "reject" and not (self.reasons.data or "").strip():
            self.reasons.errors.append("Give the reasons the council will read")
            found = True
        if self.outcome.data == "request_information":
            if not self.criteria.data:
                self.criteria.errors.append("Choose at least one criterion to reopen")
                found = True
            if not (self.message.data or "").strip():
                self.message.errors.append("Say what the council needs to send")
                found = True
        return found


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
