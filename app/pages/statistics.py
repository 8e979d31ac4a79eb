"""The supervisors' dashboards (统计分析): charts of a campaign year's figures.

The figures come from `app.services.statistics` (also `GET /api/v1/statistics`), embedded in
the page as JSON for the charts (`app/static/src/statistics.js`, ECharts) and rendered as
tables beside them, which are the charts' text alternative. Who sees which figures is the
service's business; only supervisors (督办: the centre, supervising leaders, department heads)
open the page.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import ValidationError

from app.api.statistics import StatisticsQuerySchema
from app.errors import flatten_fields
from app.pages.admin_campaign import GRADE_NAMES
from app.pages.views import actor, bp
from app.services import statistics

FINDING_NAMES = {
    "open": _l("待整改"),
    "rectified": _l("已整改待认定"),
    "confirmed": _l("已认定扣分"),
    "dismissed": _l("不予认定"),
}
UNRATED = _l("未评定")


def _labels() -> dict[str, dict[str, str]]:
    """The charts' names for grade and status keys, in the reader's language."""
    return {
        "grades": {key: str(name) for key, name in GRADE_NAMES.items()},
        "findings": {key: str(name) for key, name in FINDING_NAMES.items()},
    }


@bp.get("/supervise/statistics")
@login_required
def statistics_page():
    person = actor()
    statistics.scope_of(person)  # 403 for whoever may not supervise
    given = request.args.get("year", "").strip()
    try:
        query = StatisticsQuerySchema().load({"year": given} if given else {})
    except ValidationError as exc:
        return render_template(
            "statistics.html",
            figures=None,
            years=statistics.years(),
            errors=flatten_fields(exc.messages),
            given=given,
        ), 400
    years = statistics.years()
    figures = statistics.dashboard(person, query["year"]) if years or query["year"] else None
    return render_template(
        "statistics.html",
        figures=figures,
        years=years,
        errors={},
        given=given,
        labels=_labels(),
        GRADE_NAMES=GRADE_NAMES,
        FINDING_NAMES=FINDING_NAMES,
        UNRATED=UNRATED,
    )
