"""The public register of councils that hold or have held the Mark."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from marks import awards
from marks.extensions import db
from marks.models import Award, Council
from marks.permissions import PUBLIC, access

bp = Blueprint("register", __name__)


@bp.get("/councils/<gss_code>")
@access(PUBLIC)
def council(gss_code: str):
    found = db.session.scalar(sa.select(Council).where(Council.gss_code == gss_code.upper()))
    if found is None:
        abort(404)
    history = db.session.scalars(
        sa.select(Award).where(Award.council_id == found.id).order_by(Award.awarded_on.desc())
    ).all()
    return render_template(
        "register/council.html",
        council=found,
        history=[(award, awards.status(award)) for award in history],
    )
