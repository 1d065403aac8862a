"""Administrators: editions of the criteria. The list, cloning a published edition into a
draft, previewing it as a council sees it, publishing it (then it never changes), what changed
from its source, and importing and exporting the data file. Editing the draft's settings,
themes, criteria and levels is in marks.admin.edition_drafts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from marks import workflow
from marks.admin import bp
from marks.extensions import db
from marks.forms import ConfirmForm, strip, whole_number
from marks.models import Edition
from marks.permissions import ADMINISTRATOR, access
from marks.scheme import edition_diff, edition_drafts, editions
from marks.scheme.editions import EditionFileError, EditionRefused

MAX_FILE_BYTES = 1024 * 1024


# --- Forms --------------------------------------------------------------------------------------


class CloneForm(FlaskForm):
    code = StringField(
        "Code of the new edition",
        description="Short and unique, like 2027. It is used in links and the data file.",
        filters=[strip],
        validators=[
            InputRequired(message="Enter a code for the new edition"),
            Length(max=40, message="The code must be 40 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    year = whole_number("Year", 2000, 2999, "the year of the new edition")
    submit = SubmitField("Clone the edition", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    edition_file = FileField(
        "Upload an edition file",
        description="A .toml file in the format of an exported edition, smaller than 1MB.",
        validators=[FileRequired(message="Choose an edition file to upload")],
        widget=GovFileInput(),
    )
    submit = SubmitField("Import the edition", widget=GovSubmitInput())


# --- Pages ----------------------------------------------------------------------------------------


def edition_in_url(edition_id: int) -> Edition:
    return db.get_or_404(Edition, edition_id)


def draft_or_overview(edition: Edition):
    """For a published edition: back to its overview, with why (None for a draft)."""
    if workflow.startable(edition, "publish"):  # a draft
        return None
    flash(editions.PUBLISHED, "error")
    return redirect(url_for("admin.edition", edition_id=edition.id))


def refused_unless_draft(edition: Edition):
    """For a published edition: a page that says why the change was refused (None for a
    draft)."""
    if workflow.startable(edition, "publish"):  # a draft
        return None
    return render_template("admin/editions/refused.html", edition=edition), 400


def unless_draft(edition: Edition):
    """For a published edition: a GET goes back to its overview, a POST is refused (None for a
    draft)."""
    if request.method == "GET":
        return draft_or_overview(edition)
    return refused_unless_draft(edition)


@bp.get("/editions")
@access(ADMINISTRATOR)
def editions_list():
    found = db.session.scalars(
        sa.select(Edition).order_by(Edition.year.desc(), Edition.id.desc())
    ).all()
    return render_template(
        "admin/editions/list.html",
        editions=found,
        counts=editions.criteria_count([e.id for e in found]),
        current=editions.current(),
    )


@bp.route("/editions/<int:edition_id>/clone", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def clone_edition(edition_id: int):
    source = edition_in_url(edition_id)
    form = CloneForm()
    if request.method == "GET":
        form.year.data = source.year + 1
    if form.validate_on_submit():
        try:
            copy = editions.clone(source, form.code.data, form.year.data, actor=current_user)
        except EditionRefused as refused:
            db.session.rollback()
            getattr(form, refused.field or "code").errors.append(str(refused))
        else:
            db.session.commit()
            flash(
                f"{copy.title} ({copy.code}) is a new draft, cloned from {source.code}.", "success"
            )
            return redirect(url_for("admin.edition", edition_id=copy.id))
    return render_template("admin/editions/clone.html", source=source, form=form)


@bp.get("/editions/<int:edition_id>")
@access(ADMINISTRATOR)
def edition(edition_id: int):
    found = edition_in_url(edition_id)
    source = db.session.get(Edition, found.cloned_from_id) if found.cloned_from_id else None
    return render_template(
        "admin/editions/edition.html",
        edition=found,
        # A draft until published: its settings, levels and criteria can change meanwhile.
        draft=workflow.startable(found, "publish"),
        source=source,
        changes=edition_diff.diff(found),
        is_current=editions.current() == found,
        counts=editions.criteria_count([found.id]),
        removable_themes={
            t.id for t in found.themes if edition_drafts.why_not_remove_theme(t) is None
        },
    )


@bp.route("/editions/<int:edition_id>/publish", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def publish_edition(edition_id: int):
    found = edition_in_url(edition_id)
    if not_a_draft := unless_draft(found):
        return not_a_draft
    form = ConfirmForm()
    problems = editions.problems(found)
    if form.validate_on_submit() and not problems:
        editions.publish(found, actor=current_user)
        db.session.commit()
        flash(f"{found.title} has been published. It can no longer change.", "success")
        return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template(
        "admin/editions/publish.html", edition=found, form=form, problems=problems
    )


@bp.get("/editions/<int:edition_id>/preview")
@access(ADMINISTRATOR)
def preview_edition(edition_id: int):
    return render_template("admin/editions/preview.html", edition=edition_in_url(edition_id))


@bp.get("/editions/<int:edition_id>/export.toml")
@access(ADMINISTRATOR)
def export_edition(edition_id: int):
    found = edition_in_url(edition_id)
    return Response(
        editions.dumps(found),
        mimetype="application/toml",
        headers={"Content-Disposition": f'attachment; filename="edition-{found.id}.toml"'},
    )


@bp.route("/editions/import", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def import_edition():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.edition_file.data
        try:
            content = upload.stream.read(MAX_FILE_BYTES + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file
        try:
            if len(content) > MAX_FILE_BYTES:
                raise EditionFileError("The file must be smaller than 1MB")
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise EditionFileError("The file must be saved as UTF-8 text") from error
            added = editions.import_data(editions.loads(text), actor=current_user)
        except EditionFileError as error:
            db.session.rollback()
            form.edition_file.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"{added.title} ({added.code}) has been imported as a draft.", "success")
            return redirect(url_for("admin.edition", edition_id=added.id))
    return render_template("admin/editions/import.html", form=form)
