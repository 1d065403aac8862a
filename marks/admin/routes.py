"""The scheme administrators' pages. Everything here is for administrators only: anyone else
gets a 404, so the pages do not reveal that they exist."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from marks.extensions import db
from marks.models import Email
from marks.permissions import ADMINISTRATOR, access
from marks.states import EmailState

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


@bp.get("/")
@access(ADMINISTRATOR)
def index():
    counts = dict(
        db.session.execute(sa.select(Email.state, sa.func.count()).group_by(Email.state)).all()
    )
    return render_template("admin/index.html", email_counts=counts, states=EmailState)


@bp.get("/outbox")
@access(ADMINISTRATOR)
def outbox():
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    emails = db.paginate(
        sa.select(Email).order_by(Email.id.desc()), page=page, per_page=PAGE_SIZE, error_out=True
    )
    return render_template("admin/outbox.html", emails=emails)


@bp.get("/outbox/<int:email_id>")
@access(ADMINISTRATOR)
def email(email_id: int):
    return render_template("admin/email.html", email=db.get_or_404(Email, email_id))
