"""Administrators: the scheme's settings. Who issues the Mark (name, address, website, the
address people write to, its logo), who signs its certificates (name, title, signature) and
the scheme's description; the pictures served back for their previews."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from marks.admin import bp
from marks.admin.records import talisman_options
from marks.awarding.certificates import Image
from marks.extensions import db
from marks.forms import email_checks, is_web_address, strip
from marks.permissions import ADMINISTRATOR, access
from marks.scheme import issuer
from marks.scheme.issuer import ImageRefused

IMAGE_HINT = "A PNG or SVG file, smaller than 1MB."
# A picture opened on its own (an SVG is a document): nothing in it may run, fetch or act as
# this site. Talisman sets the policy; nosniff is on every response.
IMAGE_POLICY = {"default-src": "'none'", "style-src": "'unsafe-inline'", "sandbox": ""}


def _text(
    label: str,
    most: int,
    *,
    missing: str | None = None,
    hint: str | None = None,
    area: bool = False,
):
    """A text setting: required (with the message `missing`) if a certificate needs it."""
    field = TextAreaField if area else StringField
    return field(
        label,
        description=hint,
        filters=[strip],
        validators=[
            InputRequired(message=missing) if missing else Optional(),
            Length(max=most, message=f"{label} must be {most} characters or fewer"),
        ],
        widget=GovTextArea() if area else GovTextInput(),
    )


class SettingsForm(FlaskForm):
    name = _text(
        "Name of the issuing organisation",
        200,
        missing="Enter the name of the organisation that issues the Mark",
        hint="As certificates print it",
    )
    address = _text("Postal address (optional)", 1000, area=True)
    website = _text(
        "Website",
        500,
        missing="Enter the organisation’s website",
        hint="For example, https://www.lgda.example.org",
    )
    contact_email = EmailField(
        "Contact email address",
        description="Where pages and emails tell people to write",
        filters=[strip],
        validators=email_checks("Enter the email address people should write to"),
        widget=GovTextInput(),
    )
    description = _text(
        "Description of the scheme (optional)",
        600,
        hint="A sentence or two, as the scheme's Open Badges profile gives it",
        area=True,
    )
    logo = FileField("Upload a logo (optional)", description=IMAGE_HINT, widget=GovFileInput())
    remove_logo = BooleanField("Remove the logo", widget=GovCheckboxInput())
    signatory_name = _text(
        "Signatory’s name", 200, missing="Enter the name of the person who signs certificates"
    )
    signatory_title = _text(
        "Signatory’s title",
        200,
        missing="Enter the signatory’s title",
        hint="For example, Chair of the Mark’s panel",
    )
    signature = FileField(
        "Upload a signature (optional)",
        description=IMAGE_HINT + " Printed above the signatory’s name.",
        widget=GovFileInput(),
    )
    remove_signature = BooleanField("Remove the signature", widget=GovCheckboxInput())
    hashtag = _text(
        "Hashtag for the Mark (optional)",
        100,
        hint="Councils’ suggested posts about their award carry it. For example, "
        "#SocialMediaFriendly",
    )
    submit = SubmitField("Save settings", widget=GovSubmitInput())

    def validate_website(self, field) -> None:
        if field.data and not is_web_address(field.data):
            raise ValidationError(
                "Enter a website address starting https://, like https://www.lgda.example.org"
            )

    def validate_hashtag(self, field) -> None:
        if field.data and not issuer.HASHTAG.fullmatch(field.data):
            raise ValidationError(
                "Enter a hashtag that starts with # and has only letters, numbers and "
                "underscores, like #SocialMediaFriendly"
            )

    def images(self) -> dict[str, Image]:
        """The uploaded pictures, checked (each refusal under its field; none when any)."""
        checked = {}
        for kind in ("logo", "signature"):
            upload = self[kind].data
            if not upload or not getattr(upload, "filename", ""):
                continue
            try:
                checked[kind] = issuer.check_image(upload.read(issuer.MAX_IMAGE_BYTES + 1))
            except ImageRefused as error:
                self[kind].errors = [*self[kind].errors, str(error)]
        return checked


@bp.route("/settings", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def settings():
    shown = issuer.current()
    form = SettingsForm(data={name: getattr(shown, name) for name in issuer.TEXT})
    if form.validate_on_submit():
        images = form.images()
        if not form.errors:
            changed = issuer.update(
                actor=current_user,
                remove_logo=form.remove_logo.data,
                remove_signature=form.remove_signature.data,
                **images,
                **{name: form[name].data for name in issuer.TEXT},
            )
            db.session.commit()
            flash(
                "The scheme’s settings have been saved." if changed else "Nothing was changed.",
                "success",
            )
            return redirect(url_for("admin.settings"))
    return render_template(
        "admin/settings.html", form=form, shown=shown, missing=issuer.missing(shown)
    ), 400 if form.errors else 200


@bp.get("/settings/<any(logo, signature):kind>")
@access(ADMINISTRATOR)
@talisman_options(content_security_policy=IMAGE_POLICY, content_security_policy_nonce_in=[])
def settings_image(kind: str):
    found = issuer.image(kind) or abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
