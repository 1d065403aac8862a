"""Exports for administrators, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import sqlalchemy as sa

from marks.extensions import db
from marks.models import Application, Assessment, Assignment, Council, Criterion, Score, User
from marks.states import AssignmentState

# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    """The value as text that a spreadsheet shows, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(values: Iterable[object]) -> str:
    """One CSV record, every cell made safe, ending in CRLF (for streaming)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(v) for v in values])
    return out.getvalue()


def to_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    return "".join([csv_line(header), *(csv_line(row) for row in rows)])


SCORE_COLUMNS = (
    "gss_code",
    "council",
    "application_id",
    "application_state",
    "criterion",
    "assessor",
    "assessment_state",
    "score",
    "feedback",
    "private_note",
)


def edition_scores(edition_id: int) -> str:
    """Every score of an edition: one row per application x criterion x assessor."""
    rows = db.session.execute(
        sa.select(
            Council.gss_code,
            Council.name,
            Application.id,
            Application.state,
            Criterion.code,
            User.email,
            Assessment.state,
            Score.score,
            Score.feedback,
            Score.private_note,
        )
        .select_from(Score)
        .join(Assessment, Assessment.id == Score.assessment_id)
        .join(Assignment, Assignment.id == Assessment.assignment_id)
        .join(User, User.id == Assignment.assessor_id)
        .join(Application, Application.id == Assignment.application_id)
        .join(Council, Council.id == Application.council_id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(Application.edition_id == edition_id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Council.name, Application.id, Criterion.id, User.email)
    )
    return to_csv(SCORE_COLUMNS, ([*r[:3], str(r[3]), r[4], r[5], str(r[6]), *r[7:]] for r in rows))
