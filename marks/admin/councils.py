"""Administrators: councils. The list (search, filters, pages), adding one (Scotland, Northern
Ireland, town and parish councils...), editing, merging a duplicate into the council to keep,
and importing a CSV of the ONS columns with a preview of what will change."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from marks import presentation
from marks.admin import bp
from marks.admin.records import MAX_PAGE
from marks.applying import memberships
from marks.extensions import db
from marks.forms import choices, is_web_address, strip
from marks.models import Council
from marks.people import council_imports, councils
from marks.people.council_imports import CouncilFileError
from marks.people.councils import CouncilRefused
from marks.permissions import ADMINISTRATOR, access
from marks.states import CouncilKind, Nation

PAGE_SIZE = 50
KIND_CHOICES = choices(
    [("", "Choose the kind of council"), *((k.value, k.value) for k in CouncilKind)]
)


def upper(value: str | None) -> str | None:
    return value.upper() if isinstance(value, str) else value


# --- Forms --------------------------------------------------------------------------------------


class CouncilForm(FlaskForm):
    gss_code = StringField(
        "GSS code",
        description="A letter and 8 digits, like S12000033. The Office for National Statistics "
        "publishes them.",
        filters=[strip, upper],
        validators=[InputRequired(message="Enter the council's GSS code")],
        widget=GovTextInput(),
    )
    name = StringField(
        "Official name",
        description="The name people use, like Hull City Council: pages, certificates, badges "
        "and emails print it",
        filters=[strip],
        validators=[
            DataRequired(message="Enter the council's official name"),
            Length(max=200, message="Official name must be 200 characters or fewer"),
        ],
        widget=GovTextInput(),
    )
    short_name = StringField(
        "Short name (optional)",
        description="Like Kingston upon Hull: the register sorts councils by it",
        filters=[strip],
        validators=[Length(max=200, message="Short name must be 200 characters or fewer")],
        widget=GovTextInput(),
    )
    kind = SelectField(
        "Kind of council",
        choices=KIND_CHOICES,
        validators=[InputRequired(message="Choose the kind of council")],
        widget=GovSelect(),
    )
    nation = RadioField(
        "Nation",
        choices=choices((n.value, n.value) for n in Nation),
        validators=[InputRequired(message="Choose the nation the council is in")],
        widget=GovRadioInput(),
    )
    parent_gss_code = StringField(
        "GSS code of the council it sits within (optional)",
        description="For a town or parish council, its district or unitary council, like E07000223",
        filters=[strip, upper],
        validators=[Length(max=9, message="Enter a GSS code: a letter and 8 digits")],
        widget=GovTextInput(),
    )
    website = StringField(
        "Website (optional)",
        description="For example, https://www.aberdeencity.gov.uk",
        filters=[strip],
        validators=[Length(max=500, message="Website must be 500 characters or fewer")],
        widget=GovTextInput(),
    )
    email_domains = TextAreaField(
        "Email domains of the council's staff (optional)",
        description="One a line, like hartlepool.gov.uk. The first person to join a council "
        "with no members becomes its lead at once only if their email address is at one of "
        "these domains; anyone else waits for an administrator to approve them.",
        filters=[strip],
        validators=[Length(max=5000, message="Email domains must be 5000 characters or fewer")],
        widget=GovTextArea(),
    )
    submit = SubmitField("Add council", widget=GovSubmitInput())

    def validate_gss_code(self, field) -> None:
        if not councils.is_gss_code(field.data):
            raise ValidationError(
                "Enter a GSS code in the correct format: a letter and 8 digits, like S12000033"
            )

    def validate_parent_gss_code(self, field) -> None:
        if field.data and not councils.is_gss_code(field.data):
            raise ValidationError(
                "Enter the parent council's GSS code in the correct format: a letter and "
                "8 digits, like E07000223"
            )

    def validate_website(self, field) -> None:
        if field.data and not is_web_address(field.data):
            raise ValidationError(
                "Enter a web address in the correct format, like https://www.example.gov.uk"
            )

    def validate_email_domains(self, field) -> None:
        domains = councils.email_domains_typed(field.data)
        for domain in domains:
            problem = councils.email_domain_problem(domain)
            if problem:
                raise ValidationError(problem)
        if len(domains) > councils.MAX_EMAIL_DOMAINS:
            raise ValidationError(f"Enter {councils.MAX_EMAIL_DOMAINS} email domains or fewer")

    def details(self) -> dict:
        """What the domain functions take, once the form is valid."""
        return {
            "name": self.name.data,
            "short_name": self.short_name.data or None,
            "kind": CouncilKind(self.kind.data),
            "nation": Nation(self.nation.data),
            "website": self.website.data or None,
            "parent_gss_code": self.parent_gss_code.data or None,
            "email_domains": councils.email_domains_typed(self.email_domains.data),
        }


class EditCouncilForm(CouncilForm):
    gss_code = None  # never changed: the council's public address is built on it
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class MergeForm(FlaskForm):
    into = StringField(
        "GSS code of the council to keep",
        description="Everything that belongs to this council moves to that one",
        filters=[strip, upper],
        validators=[
            InputRequired(message="Enter the GSS code of the council to keep"),
            Length(max=9, message="Enter a GSS code: a letter and 8 digits"),
        ],
        widget=GovTextInput(),
    )
    check = SubmitField("Continue", widget=GovSubmitInput())
    confirm = SubmitField("Merge the councils", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    csv_file = FileField(
        "Upload a CSV file",
        description="With the columns gss_code, name, kind, nation, parent_gss_code and "
        "parent_name, saved as UTF-8, smaller than 2MB.",
        validators=[FileRequired(message="Choose a CSV file to upload")],
        widget=GovFileInput(),
    )
    check = SubmitField("Check the file", widget=GovSubmitInput())


class CarriedText(Field):
    """A long text carried through a page in hidden fields: each multipart form field must stay
    under Flask's MAX_FORM_MEMORY_SIZE (500kB), so the text goes in pieces and is joined."""

    PIECE = 100_000  # characters: at most 4 bytes each in UTF-8

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = "".join(valuelist)

    def pieces(self) -> list[str]:
        text = self.data or ""
        return [text[i : i + self.PIECE] for i in range(0, len(text), self.PIECE)]


class ApplyImportForm(FlaskForm):
    csv_text = CarriedText()
    fingerprint = HiddenField()
    apply = SubmitField("Apply these changes", widget=GovSubmitInput())


# --- The list and a council's page ------------------------------------------------------------


def _council(gss_code: str) -> Council:
    return councils.find(gss_code.upper()) or abort(404)


def _enum(kind: type, value: str | None):
    return kind(value) if value in {m.value for m in kind} else None


@bp.get("/councils")
@access(ADMINISTRATOR)
def councils_list():
    q = request.args.get("q", "").strip()[:200]
    nation = _enum(Nation, request.args.get("nation"))
    kind = _enum(CouncilKind, request.args.get("kind"))
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:  # a larger page would overflow the query's OFFSET
        abort(404)
    found = db.paginate(
        councils.matching(q, nation=nation, kind=kind),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )
    if page > max(found.pages, 1):
        abort(404)
    filters = {"q": q, "nation": nation or "", "kind": kind or ""}
    return render_template(
        "admin/councils/list.html",
        found=found,
        filters=filters,
        pagination=presentation.pagination(
            found.page,
            found.pages,
            lambda n: url_for(
                "admin.councils_list",
                **{k: v for k, v in filters.items() if v},
                **({"page": n} if n > 1 else {}),
            ),
        ),
        merged_into=councils.by_id(c.merged_into_id for c in found.items),
        nations=list(Nation),
        kinds=list(CouncilKind),
        waiting=len(memberships.pending_requests()),
    )


@bp.get("/councils/<gss_code>")
@access(ADMINISTRATOR)
def council(gss_code: str):
    found = _council(gss_code)
    related = councils.by_id([found.parent_id, found.merged_into_id])
    return render_template(
        "admin/councils/council.html",
        council=found,
        parent=related.get(found.parent_id),
        merged_into=related.get(found.merged_into_id),
        counts=councils.counts(found),
        shared_domains=councils.sharing_email_domains(found),
    )


# --- Adding and editing -------------------------------------------------------------------------


@bp.route("/councils/new", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def add_council():
    form = CouncilForm()
    if form.validate_on_submit():
        try:
            added = councils.add(form.gss_code.data, actor=current_user, **form.details())
        except CouncilRefused as refused:
            db.session.rollback()
            getattr(form, refused.field or "gss_code").errors.append(str(refused))
        else:
            db.session.commit()
            flash(f"{added.name} ({added.gss_code}) has been added.", "success")
            return redirect(url_for("admin.council", gss_code=added.gss_code))
    return render_template("admin/councils/form.html", form=form, council=None)


@bp.route("/councils/<gss_code>/edit", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def edit_council(gss_code: str):
    found = _council(gss_code)
    if request.method == "GET":
        parent = db.session.get(Council, found.parent_id) if found.parent_id else None
        form = EditCouncilForm(
            data={
                "name": found.name,
                "short_name": found.short_name or "",
                "kind": found.kind.value,
                "nation": found.nation.value,
                "website": found.website or "",
                "parent_gss_code": parent.gss_code if parent else "",
                "email_domains": "\n".join(councils.email_domain_names(found)),
            }
        )
    else:
        form = EditCouncilForm()
    if form.validate_on_submit():
        try:
            changed = councils.edit(found, actor=current_user, **form.details())
        except CouncilRefused as refused:
            db.session.rollback()
            getattr(form, refused.field or "name").errors.append(str(refused))
        else:
            db.session.commit()
            flash(
                f"{found.name}'s details have been saved." if changed else "Nothing was changed.",
                "success",
            )
            return redirect(url_for("admin.council", gss_code=found.gss_code))
    return render_template("admin/councils/form.html", form=form, council=found)


# --- Merging --------------------------------------------------------------------------------------


@bp.route("/councils/<gss_code>/merge", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def merge_council(gss_code: str):
    duplicate = _council(gss_code)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            into = councils.merge_target(duplicate, form.into.data)
            if not form.confirm.data:
                return render_template(
                    "admin/councils/merge_confirm.html",
                    council=duplicate,
                    into=into,
                    form=form,
                    moving=councils.counts(duplicate),
                )
            councils.merge(duplicate, into, actor=current_user)
        except CouncilRefused as refused:
            db.session.rollback()
            form.into.errors.append(str(refused))
        else:
            db.session.commit()
            flash(
                f"{duplicate.name} ({duplicate.gss_code}) has been merged into "
                f"{into.name} ({into.gss_code}).",
                "success",
            )
            return redirect(url_for("admin.council", gss_code=into.gss_code))
    return render_template("admin/councils/merge.html", council=duplicate, form=form)


# --- Importing ------------------------------------------------------------------------------------


@bp.route("/councils/import", methods=["GET", "POST"])
@access(ADMINISTRATOR)
def import_councils():
    upload, confirm = ImportForm(), ApplyImportForm()
    if confirm.apply.data and confirm.validate_on_submit():
        return _apply(upload, confirm)
    if upload.validate_on_submit():
        try:
            stream = upload.csv_file.data.stream
            text = council_imports.read_upload(stream.read(council_imports.MAX_FILE_BYTES + 1))
            plan = council_imports.preview(council_imports.read_csv(io.StringIO(text, newline="")))
        except CouncilFileError as error:
            return _problems(upload, error.problems)
        confirm.csv_text.data, confirm.fingerprint.data = text, plan.fingerprint
        return render_template("admin/councils/import_preview.html", plan=plan, form=confirm)
    return _upload_page(upload, [])


def _problems(upload: ImportForm, problems: list[str]):
    count = len(problems)
    # A list (not yet one when the form was not validated: applying posts no file).
    upload.csv_file.errors = [
        f"The file has {count} problem{'s' if count != 1 else ''}: "
        "correct the file and upload it again"
    ]
    return _upload_page(upload, problems)


def _upload_page(upload: ImportForm, problems: list[str]):
    return render_template(
        "admin/councils/import.html", form=upload, problems=problems, kinds=list(CouncilKind)
    )


def _apply(upload: ImportForm, confirm: ApplyImportForm):
    """Check the file again, as the councils are now, and make the changes if they are still
    the ones previewed."""
    try:
        text = council_imports.read_upload(confirm.csv_text.data.encode())
        plan = council_imports.preview(council_imports.read_csv(io.StringIO(text, newline="")))
    except CouncilFileError as error:
        return _problems(upload, error.problems)
    if plan.fingerprint != confirm.fingerprint.data:
        confirm.fingerprint.data = plan.fingerprint
        return render_template(
            "admin/councils/import_preview.html", plan=plan, form=confirm, changed=True
        )
    result = council_imports.apply_import(plan, actor=current_user)
    db.session.commit()
    flash(
        f"Councils imported: {len(result.added)} added, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged.",
        "success",
    )
    return redirect(url_for("admin.councils_list"))
