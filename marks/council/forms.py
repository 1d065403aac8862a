"""The council's forms, with GOV.UK widgets and messages in GOV.UK voice."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from marks.applying.applications import MAX_LINKS
from marks.forms import email_checks, is_web_address, lines, strip
from marks.practice.examples import CONTACT_MAX, NOTE_MAX


class JoinForm(FlaskForm):
    council = RadioField(
        "Which council do you work for?",
        coerce=int,
        validators=[InputRequired(message="Select your council")],
        widget=GovRadioInput(),
    )
    submit = SubmitField("Ask to join", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=email_checks("Enter the email address of the person to invite"),
        description="We will email them a link to join your council. It works for 14 days.",
        widget=GovTextInput(),
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class AboutForm(FlaskForm):
    contact_name = StringField(
        "Contact name",
        filters=[strip],
        description="The person we should contact about this application",
        validators=[Length(max=200, message="Contact name must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    contact_email = EmailField(
        "Contact email address",
        filters=[strip],
        validators=email_checks(None),
        widget=GovTextInput(),
    )
    contact_phone = StringField(
        "Contact telephone number (optional)",
        filters=[strip],
        validators=[Length(max=40, message="Telephone number must be 40 characters or fewer")],
        widget=GovTextInput(),
    )
    website = StringField(
        "Your council's website",
        filters=[strip],
        description="For example, https://www.hartlepool.gov.uk",
        validators=[Length(max=500, message="Website must be 500 characters or fewer")],
        widget=GovTextInput(),
    )
    social_accounts = TextAreaField(
        "Your council's social media accounts",
        description="One web address on each line, for example https://x.com/yourcouncil",
        validators=[
            Length(max=4000, message="Social media accounts must be 4000 characters or fewer")
        ],
        widget=GovTextArea(),
    )
    save_and_continue = SubmitField("Save and continue", widget=GovSubmitInput())
    save_as_draft = SubmitField("Save as draft", widget=GovSubmitInput())

    def validate_website(self, field):
        if field.data and not is_web_address(field.data):
            raise ValidationError(
                "Enter a web address in the correct format, like https://www.example.gov.uk"
            )

    def validate_social_accounts(self, field):
        for line in lines(field.data):
            if not is_web_address(line):
                raise ValidationError(f"“{line[:60]}” is not a web address: start it with https://")


class AnswerForm(FlaskForm):
    version = HiddenField()
    self_score = RadioField(
        "Your self-score",
        coerce=int,
        validators=[Optional()],
        widget=GovRadioInput(),
    )
    narrative = TextAreaField(
        "Describe what your council does",
        validators=[
            Length(max=20000, message="Your description must be 20,000 characters or fewer")
        ],
        widget=GovCharacterCount(),
    )
    links = TextAreaField(
        "Links to evidence (optional)",
        description=f"Up to {MAX_LINKS} web addresses, one on each line",
        widget=GovTextArea(),
    )
    evidence_file = FileField(
        "Upload a file (optional)",
        description="PDF, PNG, JPEG, Word, Excel or PowerPoint, each smaller than 10MB.",
        widget=GovFileInput(),
    )
    remove_file = IntegerField(validators=[Optional()])
    upload = SubmitField("Upload file", widget=GovSubmitInput())
    save_and_continue = SubmitField("Save and continue", widget=GovSubmitInput())
    save_as_draft = SubmitField("Save as draft", widget=GovSubmitInput())

    def validate_links(self, field):
        found = lines(field.data)
        if len(found) > MAX_LINKS:
            raise ValidationError(f"Enter {MAX_LINKS} links or fewer")
        for line in found:
            if len(line) > 2000 or not is_web_address(line):
                raise ValidationError(f"“{line[:60]}” is not a web address: start it with https://")


class SubmitApplicationForm(FlaskForm):
    declaration = BooleanField(
        "I confirm that the information in this application is true, and that I may submit it "
        "on behalf of my council",
        validators=[DataRequired(message="Confirm the declaration to submit your application")],
        widget=GovCheckboxInput(),
    )
    declaration_name = StringField(
        "Your full name",
        filters=[strip],
        validators=[
            DataRequired(message="Enter your full name"),
            Length(max=200, message="Your full name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Submit application", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing the application? (optional)",
        validators=[Length(max=2000, message="The reason must be 2,000 characters or fewer")],
        widget=GovTextArea(),
    )
    submit = SubmitField("Withdraw application", widget=GovSubmitInput())


class _PracticeWords(FlaskForm):
    """What the council says beside an answer it offers to the library of good practice:
    published with it."""

    note = TextAreaField(
        "A note for other councils (optional)",
        filters=[strip],
        description="What you would do differently, or what you learned doing it. It is "
        "published with your answer.",
        validators=[
            Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX:,} characters or fewer")
        ],
        widget=GovTextArea(),
    )
    contact = StringField(
        "A contact for other councils (optional)",
        filters=[strip],
        description="A team mailbox rather than a person's, for example "
        "digital@yourcouncil.gov.uk. It is published with your answer.",
        validators=[
            Length(
                max=CONTACT_MAX, message=f"The contact must be {CONTACT_MAX} characters or fewer"
            )
        ],
        widget=GovTextInput(),
    )


class OfferAnswersForm(_PracticeWords):
    answers = SelectMultipleField(
        "Answers to offer",
        coerce=int,
        validate_choice=False,  # checked below, in GOV.UK's words
        validators=[InputRequired(message="Select the answers to offer")],
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Offer these answers", widget=GovSubmitInput())

    def validate_answers(self, field):
        if not set(field.data) <= {choice.value for choice in field.choices}:
            raise ValidationError("Select only answers that are not shared yet")


class OfferAnswerForm(_PracticeWords):
    files = SelectMultipleField(
        "Evidence files to publish with it (optional)",
        coerce=int,
        validate_choice=False,  # checked below, in GOV.UK's words
        description="Evidence files are never published unless you pick them.",
        widget=GovCheckboxesInput(),
    )
    submit = SubmitField("Offer this answer", widget=GovSubmitInput())

    def validate_files(self, field):
        if not set(field.data) <= {choice.value for choice in field.choices}:
            raise ValidationError("Select only files of this answer")
