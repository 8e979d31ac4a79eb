"""Exports of a campaign's results (the centre's) and a department's scorecard (绩效考核记分卡),
as Excel and PDF, and the scorecard's page. Thin views over `app.exports`, which reads through
the services' visibility rules and builds the files."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import login_required

from app import exports
from app.api.schemas import ID
from app.pages.admin_library import YEAR, centre_admin
from app.pages.views import actor, bp


def _attachment(body: bytes, mimetype: str, name: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get(f"/admin/campaigns/<{YEAR}:year>/results.xlsx")
@login_required
def admin_results_xlsx(year: int):
    table = exports.campaign_results(centre_admin(), year)
    name = exports.filename(f"results-{year}", table.generated_at, "xlsx")
    return _attachment(exports.results_xlsx(table), exports.XLSX, name)


@bp.get(f"/admin/campaigns/<{YEAR}:year>/results.pdf")
@login_required
def admin_results_pdf(year: int):
    table = exports.campaign_results(centre_admin(), year)
    name = exports.filename(f"results-{year}", table.generated_at, "pdf")
    return _attachment(exports.results_pdf(table), exports.PDF, name)


@bp.get(f"/departments/<{ID}:department_id>/scorecard/<{YEAR}:year>")
@login_required
def scorecard(department_id: int, year: int):
    card = exports.scorecard(actor(), year, department_id)
    return render_template(
        "scorecard.html",
        card=card,
        summary=exports.summary_rows(card),
        sections=exports.sections(card),
    )


@bp.get(f"/departments/<{ID}:department_id>/scorecard/<{YEAR}:year>.xlsx")
@login_required
def scorecard_xlsx(department_id: int, year: int):
    card = exports.scorecard(actor(), year, department_id)
    name = exports.filename(f"scorecard-{card.department.code}-{year}", card.generated_at, "xlsx")
    return _attachment(exports.scorecard_xlsx(card), exports.XLSX, name)


@bp.get(f"/departments/<{ID}:department_id>/scorecard/<{YEAR}:year>.pdf")
@login_required
def scorecard_pdf(department_id: int, year: int):
    card = exports.scorecard(actor(), year, department_id)
    name = exports.filename(f"scorecard-{card.department.code}-{year}", card.generated_at, "pdf")
    return _attachment(exports.scorecard_pdf(card), exports.PDF, name)
