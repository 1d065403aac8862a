"""Administrators: editing a draft edition of the criteria: its settings, its themes, its
criteria (the rubric included) and its levels. For a published edition, these pages go back to
its overview, or refuse the change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, DecimalField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marks.admin import bp
from marks.admin.editions import (
    draft_or_overview,
    edition_in_url,
    refused_unless_draft,
    unless_draft,
)
from marks.extensions import db
from marks.forms import ConfirmForm, lines, strip, whole_number
from marks.models import Criterion, Edition, Theme
from marks.permissions import ADMINISTRATOR, access
from marks.presentation import LONDON
from marks.scheme import edition_drafts
from marks.scheme.editions import EditionRefused

# --- Forms --------------------------------------------------------------------------------------


def _title(whose: str) -> StringField:
    return StringField(
        "Title",
        filters=[strip],
        validators=[
            DataRequired(message=f"Enter the {whose} title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )


def _new_code(what: str, description: str) -> StringField:
    """The code of a new theme or criterion; what it may be is the domain's to say."""
    return StringField(
        "Code",
        description=description,
        filters=[strip],
        validators=[DataRequired(message=f"Enter a code for the {what}")],
        widget=GovTextInput(),
    )


def _theme_summary() -> TextAreaField:
    return TextAreaField(
        "Summary",
        description="One or two sentences on what the theme is about, shown to councils",
        validators=[Length(max=2000, message="The summary must be 2,000 characters or fewer")],
        widget=GovTextArea(),
    )


class GovDate(DateField):
    """An optional day, month and year, with a GOV.UK message when they are not a date."""

    def __init__(self, label: str, message: str, **kwargs) -> None:
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_data = [*valuelist, "", "", ""][:3]  # the widget shows three
        if not any(v.strip() for v in valuelist):
            self.data = None
            return
        try:
            super().process_formdata([" ".join(v.strip() for v in valuelist)])
        except ValueError as error:
            raise ValueError(self.message) from error


class SettingsForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[
            DataRequired(message="Enter the edition's title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    summary = TextAreaField("Summary", filters=[strip], widget=GovTextArea())
    year = whole_number("Year", 2000, 2999, "the year")
    validity_months = whole_number(
        "Months an award is valid", 1, 120, "the months an award is valid"
    )
    pass_mark = whole_number("Pass mark (%)", 1, 100, "the pass mark")
    theme_minimum = whole_number("Minimum in every theme (%)", 0, 100, "the minimum in every theme")
    assessors_per_application = whole_number(
        "Assessors for each application", 1, 10, "the number of assessors for each application"
    )
    narrative_word_limit = whole_number(
        "Word limit for answers", 1, 10000, "the word limit for answers"
    )
    opens_on = GovDate(
        "Opens on (optional)",
        "Enter the opening date as a real date, like 1 4 2027",
        description="Councils can start applications from the start of this day. For example, "
        "1 4 2027",
    )
    closes_on = GovDate(
        "Closes on (optional)",
        "Enter the closing date as a real date, like 31 3 2028",
        description="The last day to submit. For example, 31 3 2028",
    )
    submit = SubmitField("Save the settings", widget=GovSubmitInput())

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "summary": self.summary.data or "",
            "year": self.year.data,
            "validity_months": self.validity_months.data,
            "pass_mark": self.pass_mark.data,
            "theme_minimum": self.theme_minimum.data,
            "assessors_per_application": self.assessors_per_application.data,
            "narrative_word_limit": self.narrative_word_limit.data,
            "opens_at": _moment(self.opens_on.data, time(0, 0)),
            "closes_at": _moment(self.closes_on.data, time(23, 59)),
        }


def _moment(day: date | None, at: time) -> datetime | None:
    """A day in UK time, stored in UTC."""
    if day is None:
        return None
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(LONDON).date() if moment else None


class CriterionForm(FlaskForm):
    title = _title("criterion's")
    question = TextAreaField(
        "Question",
        filters=[strip],
        validators=[DataRequired(message="Enter the question councils answer")],
        widget=GovTextArea(),
    )
    guidance = TextAreaField(
        "Guidance",
        description="Leave a blank line between paragraphs.",
        filters=[strip],
        validators=[DataRequired(message="Enter the guidance for councils")],
        widget=GovTextArea(),
    )
    expected_evidence = TextAreaField(
        "Evidence the assessors expect",
        description="One piece of evidence on each line.",
        validators=[DataRequired(message="List the evidence the assessors expect")],
        widget=GovTextArea(),
    )
    weight = DecimalField(
        "Weight",
        description="How much this criterion counts towards the score, like 1 or 1.5",
        places=None,
        validators=[
            InputRequired(message="Enter the weight as a number, like 1.5"),
            NumberRange(
                min=Decimal("0.01"),
                max=Decimal("9999"),
                message="The weight must be a number greater than 0, like 1.5",
            ),
        ],
        widget=GovTextInput(),
    )
    word_limit = IntegerField(
        "Word limit (optional)",
        description="Leave empty for the edition's word limit.",
        validators=[
            Optional(),
            NumberRange(1, 10000, message="The word limit must be a whole number from 1 to 10000"),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Save the criterion", widget=GovSubmitInput())

    RUBRIC = "rubric_"

    @classmethod
    def for_edition(cls, edition: Edition) -> type[CriterionForm]:
        """The form with one descriptor field for each point of the edition's scale."""
        fields = {
            f"{cls.RUBRIC}{score}": TextAreaField(
                f"{score}: {label}",
                filters=[strip],
                validators=[
                    DataRequired(message=f"Describe what a score of {score} ({label}) means")
                ],
                widget=GovTextArea(),
            )
            for score, label in enumerate(edition.scale_labels)
        }
        return type("EditionCriterionForm", (cls,), fields)

    def rubric(self) -> list:
        return [field for name, field in self._fields.items() if name.startswith(self.RUBRIC)]


# --- Pages ----------------------------------------------------------------------------------------


@bp.route("/editions/<int:edition_id>/settings", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_settings(edition_id: int):
    found = edition_in_url(edition_id)
    if request.method == "GET":
        if back := draft_or_overview(found):
            return back
        form = SettingsForm(
            data={
                **{name: getattr(found, name) for name in edition_drafts.EDITABLE_SETTINGS},
                "opens_on": _day(found.opens_at),
                "closes_on": _day(found.closes_at),
            }
        )
    else:
        if refused := refused_unless_draft(found):
            return refused
        form = SettingsForm()
    if form.validate_on_submit():
        try:
            changed = edition_drafts.update_settings(found, actor=current_user, **form.values())
        except EditionRefused as refused:
            db.session.rollback()
            field = {"opens_at": "opens_on", "closes_at": "closes_on"}.get(
                refused.field or "", refused.field or "title"
            )
            getattr(form, field).errors.append(str(refused))
        else:
            db.session.commit()
            flash("The settings have been saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template("admin/editions/settings.html", edition=found, form=form)


def _criterion(found: Edition, criterion_id: int) -> Criterion:
    criterion = db.get_or_404(Criterion, criterion_id)
    if criterion.theme.edition_id != found.id:
        abort(404)
    return criterion


@bp.route("/editions/<int:edition_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_criterion(edition_id: int, criterion_id: int):
    found = edition_in_url(edition_id)
    criterion = _criterion(found, criterion_id)
    form_class = CriterionForm.for_edition(found)
    if request.method == "GET":
        if back := draft_or_overview(found):
            return back
        by_score = {d.score: d.descriptor for d in criterion.descriptors}
        form = form_class(
            data={
                "title": criterion.title,
                "question": criterion.question,
                "guidance": criterion.guidance,
                "expected_evidence": "\n".join(criterion.expected_evidence),
                "weight": criterion.weight.normalize(),
                "word_limit": criterion.word_limit,
                **{
                    f"{CriterionForm.RUBRIC}{score}": by_score.get(score, "")
                    for score in range(found.scale_max + 1)
                },
            }
        )
    else:
        if refused := refused_unless_draft(found):
            return refused
        form = form_class()
    if form.validate_on_submit():
        try:
            changed = edition_drafts.update_criterion(
                criterion,
                actor=current_user,
                title=form.title.data,
                question=form.question.data,
                guidance=form.guidance.data,
                expected_evidence=lines(form.expected_evidence.data),
                weight=form.weight.data,
                word_limit=form.word_limit.data,
                descriptors=[field.data for field in form.rubric()],
            )
        except EditionRefused as refused:
            db.session.rollback()
            getattr(form, refused.field or "title").errors.append(str(refused))
        else:
            db.session.commit()
            flash(
                f"{criterion.code}: {criterion.title} has been saved."
                if changed
                else "Nothing was changed.",
                "success",
            )
            return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template(
        "admin/editions/criterion.html", edition=found, criterion=criterion, form=form
    )


class ThemeForm(FlaskForm):
    title = _title("theme's")
    summary = _theme_summary()
    submit = SubmitField("Save the theme", widget=GovSubmitInput())


class NewThemeForm(FlaskForm):
    code = _new_code(
        "theme", "Short and unique in this edition, like measuring-impact. The data file uses it."
    )
    title = _title("theme's")
    summary = _theme_summary()
    submit = SubmitField("Add the theme", widget=GovSubmitInput())


class NewCriterionForm(FlaskForm):
    code = _new_code(
        "criterion",
        "Short and unique in this edition, like MI1. Councils see it beside the title.",
    )
    title = _title("criterion's")
    submit = SubmitField("Add the criterion", widget=GovSubmitInput())


def _theme(found: Edition, theme_id: int) -> Theme:
    theme = db.get_or_404(Theme, theme_id)
    if theme.edition_id != found.id:
        abort(404)
    return theme


@bp.route("/editions/<int:edition_id>/themes/<int:theme_id>", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_theme(edition_id: int, theme_id: int):
    found = edition_in_url(edition_id)
    theme = _theme(found, theme_id)
    if request.method == "GET":
        if back := draft_or_overview(found):
            return back
        form = ThemeForm(data={"title": theme.title, "summary": theme.summary})
    else:
        if refused := refused_unless_draft(found):
            return refused
        form = ThemeForm()
    if form.validate_on_submit():
        changed = edition_drafts.update_theme(
            theme, actor=current_user, title=form.title.data, summary=form.summary.data or ""
        )
        db.session.commit()
        flash(f"{theme.title} has been saved." if changed else "Nothing was changed.", "success")
        return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template("admin/editions/theme.html", edition=found, theme=theme, form=form)


@bp.route("/editions/<int:edition_id>/themes/new", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_add_theme(edition_id: int):
    found = edition_in_url(edition_id)
    if not_a_draft := unless_draft(found):
        return not_a_draft
    form = NewThemeForm()
    if form.validate_on_submit():
        try:
            theme = edition_drafts.add_theme(
                found,
                actor=current_user,
                code=form.code.data,
                title=form.title.data,
                summary=form.summary.data or "",
            )
        except EditionRefused as refused:
            db.session.rollback()
            getattr(form, refused.field or "code").errors.append(str(refused))
        else:
            db.session.commit()
            flash(f"The theme {theme.title} has been added. Add its criteria.", "success")
            return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template("admin/editions/new_theme.html", edition=found, form=form)


@bp.route("/editions/<int:edition_id>/themes/<int:theme_id>/remove", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_remove_theme(edition_id: int, theme_id: int):
    found = edition_in_url(edition_id)
    theme = _theme(found, theme_id)
    if not_a_draft := unless_draft(found):
        return not_a_draft
    form = ConfirmForm()
    refusal = edition_drafts.why_not_remove_theme(theme)
    if refusal is None and form.validate_on_submit():
        title = theme.title
        edition_drafts.remove_theme(theme, actor=current_user)
        db.session.commit()
        flash(f"The theme {title} has been removed.", "success")
        return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template(
        "admin/editions/remove_theme.html",
        edition=found,
        theme=theme,
        form=form,
        refusal=refusal,
    ), 400 if refusal and request.method == "POST" else 200


@bp.route("/editions/<int:edition_id>/themes/<int:theme_id>/criteria/new", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_add_criterion(edition_id: int, theme_id: int):
    found = edition_in_url(edition_id)
    theme = _theme(found, theme_id)
    if not_a_draft := unless_draft(found):
        return not_a_draft
    form = NewCriterionForm()
    if form.validate_on_submit():
        try:
            criterion = edition_drafts.add_criterion(
                theme, actor=current_user, code=form.code.data, title=form.title.data
            )
        except EditionRefused as refused:
            db.session.rollback()
            getattr(form, refused.field or "code").errors.append(str(refused))
        else:
            db.session.commit()
            flash(
                f"{criterion.code}: {criterion.title} has been added. "
                "Write its question, guidance, evidence and rubric.",
                "success",
            )
            return redirect(
                url_for("admin.edition_criterion", edition_id=found.id, criterion_id=criterion.id)
            )
    return render_template(
        "admin/editions/new_criterion.html", edition=found, theme=theme, form=form
    )


@bp.route("/editions/<int:edition_id>/criteria/<int:criterion_id>/remove", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_remove_criterion(edition_id: int, criterion_id: int):
    found = edition_in_url(edition_id)
    criterion = _criterion(found, criterion_id)
    if not_a_draft := unless_draft(found):
        return not_a_draft
    form = ConfirmForm()
    if form.validate_on_submit():
        label = f"{criterion.code}: {criterion.title}"
        edition_drafts.remove_criterion(criterion, actor=current_user)
        db.session.commit()
        flash(f"{label} has been removed.", "success")
        return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template(
        "admin/editions/remove_criterion.html", edition=found, criterion=criterion, form=form
    )


def _levels_form(found: Edition) -> type[FlaskForm]:
    """A name and a minimum percent for each of the edition's levels, lowest first."""
    fields = {}
    for i in range(len(found.levels)):
        fields[f"name_{i}"] = StringField(
            f"Name of level {i + 1}",
            filters=[strip],
            validators=[
                DataRequired(message=f"Enter the name of level {i + 1}"),
                Length(max=100, message="A level's name must be 100 characters or fewer"),
            ],
            widget=GovTextInput(),
        )
        fields[f"min_{i}"] = whole_number(
            f"Minimum score for level {i + 1} (%)", 0, 100, f"the minimum for level {i + 1}"
        )
    fields["submit"] = SubmitField("Save the levels", widget=GovSubmitInput())
    return type("LevelsForm", (FlaskForm,), fields)


@bp.route("/editions/<int:edition_id>/levels", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edition_levels(edition_id: int):
    found = edition_in_url(edition_id)
    ordered = sorted(found.levels, key=lambda lv: lv.min_percent)
    form_class = _levels_form(found)
    if request.method == "GET":
        if back := draft_or_overview(found):
            return back
        data = {}
        for i, level in enumerate(ordered):
            data[f"name_{i}"], data[f"min_{i}"] = level.name, level.min_percent
        form = form_class(data=data)
    else:
        if refused := refused_unless_draft(found):
            return refused
        form = form_class()
    if form.validate_on_submit():
        wanted = [(form[f"name_{i}"].data, form[f"min_{i}"].data) for i in range(len(ordered))]
        try:
            changed = edition_drafts.update_levels(found, wanted, actor=current_user)
        except EditionRefused as refused:
            db.session.rollback()
            form["min_0"].errors.append(str(refused))
        else:
            db.session.commit()
            flash("The levels have been saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("admin.edition", edition_id=found.id))
    return render_template(
        "admin/editions/levels.html", edition=found, form=form, count=len(ordered)
    )
