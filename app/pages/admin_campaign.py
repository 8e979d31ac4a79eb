"""The centre's pages for a campaign year: its settings (考核设置) and its results (考核结果) with
calibration, grade overrides, the calibration log and the outcomes.

Thin views over `app.services.campaigns` and `app.services.results`, the same calls the API
makes; `unit_of_work` commits. Bad input re-renders the page with each error beside its field
and writes nothing. Only the performance-management centre may use them.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.api.schemas import GRADES, ID
from app.pages import admin_forms as forms
from app.pages.admin_library import YEAR, centre_admin, this_year
from app.pages.views import bp
from app.rules.campaign_settings import DEFAULT_QUOTA_SHARE, MAX_APPROVED_SHARE, number_text
from app.rules.grading import Grade
from app.services import campaigns, consequences, results
from app.services.errors import Conflict, Invalid
from app.services.transactions import unit_of_work

GRADE_NAMES = {
    "excellent": _l("优秀"),
    "competent": _l("称职"),
    "basically_competent": _l("基本称职"),
    "incompetent": _l("不称职"),
}
CONSEQUENCE_KINDS = {
    "improvement_plan": _l("整改提升计划"),
    "reserve_pool": _l("后备干部库"),
    "head_deduction": _l("负责人扣分"),
}
CONSEQUENCE_STATUSES = {
    "recorded": _l("已记录"),
    "open": _l("待提交"),
    "submitted": _l("待审核"),
    "accepted": _l("已通过"),
}
ROUNDINGS = {"floor": _l("向下取整"), "half_up": _l("四舍五入"), "ceiling": _l("向上取整")}


# --- settings --------------------------------------------------------------------------------


def _render_settings(year: int, values: dict, errors: dict, approval: Any, status: int = 200):
    return (
        render_template(
            "admin/settings.html",
            year=year,
            values=values,
            errors=errors,
            approval=approval,
            roundings=ROUNDINGS,
            grade_names=GRADE_NAMES,
        ),
        status,
    )


@bp.get("/admin/campaigns/settings")
@login_required
def admin_current_settings():
    """This year's settings (the navigation's link)."""
    centre_admin()
    return redirect(url_for(".admin_campaign_settings", year=this_year()))


@bp.get("/admin/campaigns/results")
@login_required
def admin_current_results():
    """The current campaign's results (the navigation's link): this year's, or while this
    year's campaign has not started, the latest one's."""
    centre_admin()
    year = campaigns.latest_year(this_year()) or this_year()
    return redirect(url_for(".admin_results", year=year))


@bp.route(f"/admin/campaigns/<{YEAR}:year>/settings", methods=["GET", "POST"])
@login_required
def admin_campaign_settings(year: int):
    """A form over the whole settings document; saving replaces it (as the API's PUT)."""
    person = centre_admin()
    current = campaigns.read_settings(person, year)
    approval = current["quota"]["approval"]
    if request.method == "GET":
        return _render_settings(year, forms.settings_values(current), {}, approval)
    document = forms.settings_document(request.form, approval)
    try:
        unit_of_work(lambda: campaigns.update_settings(person, year, document))
    except Invalid as exc:
        errors = forms.service_errors(exc.extra.get("fields", {}))
        values = forms.posted_settings_values(request.form)
        return _render_settings(year, values, errors, approval, 422)
    flash(_("%(year)s 年度考核设置已保存。", year=year), "success")
    return redirect(url_for(".admin_campaign_settings", year=year))


# --- results ---------------------------------------------------------------------------------


def _render_results(year: int, errors: dict | None = None, status: int = 200, **values: Any):
    person = centre_admin()
    rows = results.results(person, year)
    log = results.calibration_log(person, year)
    settings = campaigns.settings_of(campaigns.get(year))
    try:
        outcomes = results.outcomes(person, year)
        outcomes_note = None
    except Conflict:
        outcomes = []
        outcomes_note = (
            _("尚未录入考核结果。")
            if not rows
            else _("考核结果在上次校准后有变化（或尚未校准），请先校准。")
        )
    return (
        render_template(
            "admin/results.html",
            year=year,
            rows=rows,
            log=log,
            approved_changes={
                department_id
                for department_id, entry in results.latest_changes(log).items()
                if entry.approved_by
            },
            outcomes=outcomes,
            outcomes_note=outcomes_note,
            policy=settings.outcomes,
            excellent_rate=settings.outcomes.bonus_rate.get(Grade.EXCELLENT, 0) * 100,
            consequences=consequences.listing(campaigns.get(year)) if outcomes else [],
            settings=settings.document,
            errors=errors or {},
            values=values,
            grades=GRADES,
            grade_names=GRADE_NAMES,
            consequence_kinds=CONSEQUENCE_KINDS,
            consequence_statuses=CONSEQUENCE_STATUSES,
            default_share=DEFAULT_QUOTA_SHARE,
            max_share=MAX_APPROVED_SHARE,
        ),
        status,
    )


@bp.get(f"/admin/campaigns/<{YEAR}:year>/results")
@login_required
def admin_results(year: int):
    centre_admin()
    return _render_results(year)


@bp.post(f"/admin/campaigns/<{YEAR}:year>/calibrate")
@login_required
def admin_calibrate(year: int):
    """Calibrate to the quota; a share above 20 % (up to 25 %) with who approved it and why."""
    person = centre_admin()
    campaigns.get(year)  # an unknown year is a 404 before anything is read from the form
    approval, errors = forms.approval_payload(request.form)
    posted = {k: request.form.get(k, "")[:500] for k in request.form if k.startswith("approval.")}
    if errors:
        return _render_results(year, errors, 422, **posted)
    try:
        summary = unit_of_work(lambda: results.calibrate(person, year, approval))
    except Invalid as exc:
        errors = forms.service_errors(exc.extra.get("fields", {}))
        return _render_results(year, errors, 422, **posted)
    except Conflict:
        errors = {"calibrate": [_("尚未录入考核结果，无法校准。")]}
        return _render_results(year, errors, 409, **posted)
    flash(
        _(
            "已校准：参评 %(assessed)s 个科室，优秀名额 %(quota)s 个，评为优秀 %(excellent)s 个"
            "（占 %(share)s%%，上限 %(cap)s%%），调整 %(changes)s 个等次。",
            assessed=summary.assessed,
            quota=summary.quota,
            excellent=summary.excellent,
            share=number_text(summary.excellent_share),
            cap=number_text(summary.cap_share),
            changes=len(summary.changes),
        ),
        "success",
    )
    return redirect(url_for(".admin_results", year=year))


@bp.post(f"/admin/campaigns/<{YEAR}:year>/results/<{ID}:department_id>/grade")
@login_required
def admin_grade_override(year: int, department_id: int):
    """Change one department's grade by hand, with a required reason (logged)."""
    person = centre_admin()
    campaigns.get(year)
    data, errors = forms.override_payload(request.form)
    prefix = f"override.{department_id}."
    posted = {
        "override_for": department_id,
        "grade": request.form.get("grade", "")[:40],
        "reason": request.form.get("reason", "")[:1000],
        "approved_by": request.form.get("approved_by", "")[:400],
        "approval_ref": request.form.get("approval_ref", "")[:400],
    }
    if data is not None:
        try:
            row = unit_of_work(lambda: results.override(person, year, department_id, **data))
        except Invalid as exc:
            errors = forms.service_errors(exc.extra.get("fields", {}))
        except Conflict as exc:
            if "quota" in exc.extra:
                message = _("优秀名额（%(quota)s 个）已用完。", quota=exc.extra["quota"])
            else:
                message = _("该科室已是这个等次。")
            return _render_results(year, {prefix + "grade": [message]}, 409, **posted)
        else:
            flash(
                _(
                    "已将%(name)s的等次改为%(grade)s。",
                    name=row.department.name,
                    grade=GRADE_NAMES[row.grade],
                ),
                "success",
            )
            return redirect(url_for(".admin_results", year=year))
    errors = {prefix + path: messages for path, messages in errors.items()}
    return _render_results(year, errors, 422, **posted)


@bp.get("/admin/reserve-pool")
@login_required
def admin_reserve_pool():
    """后备干部库: every head who entered the reserve cadre pool, newest year first."""
    entries = consequences.reserve_pool(centre_admin())
    return render_template("admin/reserve_pool.html", entries=entries)
