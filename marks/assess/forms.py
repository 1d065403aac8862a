"""The assessor's forms. The scoring form has three fields per criterion of the edition."""

from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from marks.forms import choices
from marks.states import Recommendation

RECOMMENDATIONS = choices((r.value, r.label) for r in Recommendation)


class ScoringFormBase(FlaskForm):
    version = HiddenField()
    save = SubmitField("Save as draft", widget=GovSubmitInput())
    save_and_next = SubmitField("Save and go to the next application", widget=GovSubmitInput())
    submit_assessment = SubmitField("Submit your assessment", widget=GovSubmitInput())


@cache
def scoring_form(codes: tuple[str, ...], scale: tuple[str, ...]) -> type[ScoringFormBase]:
    """A form class with score-, feedback- and note- fields for each criterion code."""
    fields = {}
    for code in codes:
        fields[f"score_{code}"] = RadioField(
            f"Your score for {code}",
            choices=choices((str(i), f"{i} – {label}") for i, label in enumerate(scale)),
            validators=[Optional()],
            widget=GovRadioInput(),
        )
        fields[f"feedback_{code}"] = TextAreaField(
            f"Feedback for the council on {code}",
            validators=[
                Length(max=5000, message=f"Feedback on {code} must be 5,000 characters or fewer")
            ],
            widget=GovTextArea(),
        )
        fields[f"note_{code}"] = TextAreaField(
            f"Private note on {code} (optional)",
            description="Only administrators and the other assessors see this",
            validators=[
                Length(max=5000, message=f"The note on {code} must be 5,000 characters or fewer")
            ],
            widget=GovTextArea(),
        )
    # Made after the criteria's fields, so that errors are listed in the order of the page.
    fields["recommendation"] = RadioField(
        "Your recommendation",
        choices=RECOMMENDATIONS,
        validators=[Optional()],
        widget=GovRadioInput(),
    )
    fields["summary"] = TextAreaField(
        "Summary for the administrators (optional)",
        validators=[Length(max=5000, message="The summary must be 5,000 characters or fewer")],
        widget=GovTextArea(),
    )
    return type("ScoringForm", (ScoringFormBase,), fields)


class ConflictForm(FlaskForm):
    reason = TextAreaField(
        "Why do you have a conflict of interest?",
        description="For example, you worked for this council in the last 3 years",
        validators=[
            InputRequired(message="Say why you have a conflict of interest"),
            Length(max=2000, message="The reason must be 2,000 characters or fewer"),
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField("Hand the application back", widget=GovSubmitInput())
