"""Account forms, with GOV.UK widgets and messages in GOV.UK voice."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from marks.forms import email_checks, strip

PASSWORD_MIN = 10


_email = email_checks("Enter your email address")


def _new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(message="Enter a password"),
            Length(
                min=PASSWORD_MIN,
                max=200,
                message=f"Password must be between {PASSWORD_MIN} and 200 characters",
            ),
        ],
        description=f"Must be at least {PASSWORD_MIN} characters. A few words together work well.",
        widget=GovPasswordInput(),
    )


def _confirm_password() -> PasswordField:
    return PasswordField(
        "Confirm password",
        validators=[
            InputRequired(message="Enter the password again"),
            EqualTo("password", message="Passwords must match"),
        ],
        widget=GovPasswordInput(),
    )


class SignUpForm(FlaskForm):
    full_name = StringField(
        "Full name",
        filters=[strip],
        validators=[
            DataRequired(message="Enter your full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    email = EmailField(
        "Email address",
        validators=_email,
        filters=[strip],
        description="Use your work email address. We will send you a link to confirm it.",
        widget=GovTextInput(),
    )
    password = _new_password("Create a password")
    confirm = _confirm_password()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=_email, filters=[strip], widget=GovTextInput())
    password = PasswordField(
        "Password",
        validators=[InputRequired(message="Enter your password")],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgottenPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=_email, filters=[strip], widget=GovTextInput())
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    password = _new_password("New password")
    confirm = _confirm_password()
    submit = SubmitField("Save new password", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[InputRequired(message="Enter your current password")],
        widget=GovPasswordInput(),
    )
    password = _new_password("New password")
    confirm = _confirm_password()
    submit = SubmitField("Change password", widget=GovSubmitInput())


class SignInCodeForm(FlaskForm):
    code = StringField(
        "Code",
        filters=[strip],
        validators=[DataRequired(message="Enter the code from your authenticator app")],
        description="The 6-digit code your authenticator app shows now. Without your device, "
        "enter one of your recovery codes instead.",
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpCodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        filters=[strip],
        validators=[DataRequired(message="Enter the code from your authenticator app")],
        description="The 6-digit code the app shows once it has the key.",
        widget=GovTextInput(),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
