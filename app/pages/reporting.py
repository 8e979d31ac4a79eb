"""报送实际值: a department head's (or staff member's) page to report the letter's figures for a
period with their evidence file, and the history of what was reported
(`app.services.reporting`, through the same `actuals.report` as the API)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import clock
from app.pages.messages import localize_all
from app.pages.views import actor, bp
from app.services import actuals, permissions, reporting
from app.services.errors import Invalid
from app.services.transactions import unit_of_work

MAX_NOTE = 500


@bp.app_template_global("may_report_actuals")
def may_report_actuals(person) -> bool:
    """Whether the top bar offers 报送实际值: the head or staff of a department."""
    department = getattr(person, "department", None)
    return department is not None and permissions.may_report_actuals(person, department)


def _periods(year: int) -> list[str]:
    return (
        [f"{year}-{m:02d}" for m in range(1, 13)]
        + [f"{year}-Q{q}" for q in range(1, 5)]
        + [str(year)]
    )


def _render(year: int, period: str, errors: dict | None = None, posted: dict | None = None):
    person = actor()
    return render_template(
        "reporting.html",
        year=year,
        period=period,
        periods=_periods(year),
        department=reporting.reporting_department(person),
        lines=reporting.sheet(person, year, period),
        history=reporting.history(person, year),
        errors=errors or {},
        posted=posted or {},
    ), (422 if errors else 200)


def _year_and_period() -> tuple[int, str]:
    today = clock.today()
    year = request.values.get("year", type=int) or today.year
    period = request.values.get("period") or f"{year}-{today.month:02d}"
    return year, period[:20]


@bp.get("/actuals/report")
@login_required
def report_actuals():
    year, period = _year_and_period()
    try:
        return _render(year, period)
    except Invalid as exc:
        return _render(year, f"{year}-01", localize_all(exc.extra.get("fields", {})))


@bp.post("/actuals/report")
@login_required
def report_actuals_post():
    person = actor()
    year, period = _year_and_period()
    indicator = request.form.get("indicator", "")[:40]
    upload = request.files.get("file")
    file = (upload.filename or "", upload.read()) if upload and upload.filename else None
    try:
        department = reporting.reporting_department(person)
        unit_of_work(
            lambda: actuals.report(
                person,
                department.id,
                indicator,
                period,
                request.form.get("value", "")[:40],
                request.form.get("note", "")[:MAX_NOTE] or None,
                file,
            )
        )
    except Invalid as exc:
        errors = {
            f"{indicator}.{field}": messages
            for field, messages in localize_all(exc.extra.get("fields", {})).items()
        }
        return _render(year, period, errors, {"indicator": indicator, **request.form})
    flash(_("已报送：%(indicator)s（%(period)s）。", indicator=indicator, period=period), "success")
    return redirect(url_for(".report_actuals", year=year, period=period))
