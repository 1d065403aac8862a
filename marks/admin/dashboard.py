"""Administrators: the dashboard, how the scheme is doing, in charts and tables."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from marks.admin import bp
from marks.permissions import ADMINISTRATOR, access
from marks.presentation import charts
from marks.reporting import figures
from marks.states import ApplicationState


@bp.get("/dashboard")
@access(ADMINISTRATOR)
def dashboard():
    found = figures.dashboard()
    return render_template("admin/dashboard/dashboard.html", figures=found, charts=_charts(found))


def _charts(found: figures.Figures) -> dict[str, Markup]:
    """The charts, as SVG to include as it is: presentation.charts escapes every text it draws."""
    drawn = {
        "applications": charts.bar_chart(
            "Applications by state",
            [(state.label, count) for state, count in found.applications],
            id_prefix="applications-chart",
        ),
        "levels": charts.bar_chart(
            "Councils holding the Mark, by level",
            found.awards_by_level,
            id_prefix="levels-chart",
        ),
        "nations": charts.bar_chart(
            "Councils holding the Mark, by nation",
            [(str(nation), count) for nation, count in found.awards_by_nation],
            id_prefix="nations-chart",
        ),
        "decisions": charts.column_chart(
            "Decisions in the last 12 months",
            [(month.label, (month.approved, month.rejected)) for month in found.months],
            series=(ApplicationState.APPROVED.label, ApplicationState.REJECTED.label),
            id_prefix="decisions-chart",
        ),
        "workload": charts.bar_chart(
            "Unfinished assessments by assessor",
            [(w.name, w.in_progress) for w in found.workload],
            id_prefix="workload-chart",
        ),
    }
    return {name: Markup(svg) for name, svg in drawn.items()}  # noqa: S704 (escaped by charts)  # nosec B704
