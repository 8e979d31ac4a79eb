"""The centre's pages for the indicator library (指标库), the templates per function category
(指标模板) and the department plans (科室方案).

Thin views over `app.services.library` and `app.services.plans`, the same calls the API makes:
the posted form becomes the API's payload (`app.pages.admin_forms`), the service decides, and
`unit_of_work` commits. Bad input re-renders the form with each error beside its field (422,
409 for a conflict) and writes nothing. Only the performance-management centre may use them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import ValidationError

from app import clock
from app.api.schemas import ID, IndicatorQuerySchema
from app.i18n import CATEGORY_NAMES
from app.models import Indicator, Person
from app.pages import admin_forms as forms
from app.pages.display import BEIJING, plain_number
from app.pages.views import actor, bp
from app.rules.indicators import FunctionCategory
from app.services import library, org, permissions, plans
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.transactions import unit_of_work

YEAR = "int(min=2000, max=2100)"

DIMENSIONS = {
    "integrity": _l("德"),
    "competence": _l("能"),
    "diligence": _l("勤"),
    "achievement": _l("绩"),
    "probity": _l("廉"),
}
NATURES = {"quantitative": _l("定量"), "qualitative": _l("定性（行为锚定）")}
METHODS = {
    "linear": _l("线性插值"),
    "on_target": _l("目标值型"),
    "banded": _l("分档"),
    "deduction": _l("扣分制"),
    "bars": _l("行为锚定法"),
    "ratio": _l("达成率"),
}
TAGS = {"economic": _l("经济指标"), "satisfaction": _l("服务满意度")}
CATEGORIES = {key: _l(name) for key, name in CATEGORY_NAMES.items()}
LABELS = {
    "DIMENSIONS": DIMENSIONS,
    "NATURES": NATURES,
    "METHODS": METHODS,
    "TAGS": TAGS,
    "CATEGORIES": CATEGORIES,
}


def centre_admin() -> Person:
    """The signed-in person, who must be of the performance-management centre (else 403)."""
    person = actor()
    if not permissions.is_centre_admin(person):
        raise Forbidden("only the performance-management centre manages this")
    return person


def this_year() -> int:
    return clock.now().astimezone(BEIJING).year


def _year_arg() -> int:
    """`?year=` (this year when absent); a year that cannot be one is an unknown page."""
    text = request.args.get("year", "").strip()
    if not text:
        return this_year()
    if not text.isdigit() or len(text) != 4 or not 2000 <= int(text) <= 2100:
        raise NotFound(f"no year {text!r}")
    return int(text)


def _categories(*extra: list[str]) -> list[str]:
    """The known function categories, and any other a form or row names."""
    known = list(CATEGORY_NAMES)
    known += [c.value for c in FunctionCategory if c.value not in known]
    for names in extra:
        known += [n for n in names if n not in known]
    return known


def _number(value: Any) -> str:
    return plain_number(value) if isinstance(value, Decimal) or value is None else str(value)


# --- the library -----------------------------------------------------------------------------


@bp.get("/admin/indicators")
@login_required
def admin_indicators():
    centre_admin()
    year = _year_arg()
    query = {"year": year, "include_retired": True}
    query.update({k: v for k in ("kind", "category") if (v := request.args.get(k, "").strip())})
    try:
        filters = IndicatorQuerySchema().load(query)
        status = 200
    except ValidationError as exc:
        errors = forms.schema_errors(exc)
        filters, status = {"year": year, "include_retired": True}, 400
    else:
        errors = {}
    rows = library.listing(**filters) if status == 200 else []
    return (
        render_template(
            "admin/indicators.html",
            **LABELS,
            year=year,
            years=sorted({*library.years(), year}),
            rows=rows,
            kind=query.get("kind", ""),
            category=query.get("category", ""),
            categories=_categories(),
            errors=errors,
        ),
        status,
    )


def _indicator_values(row: Indicator) -> dict[str, Any]:
    values: dict[str, Any] = {name: _number(getattr(row, name)) for name in forms.INDICATOR_NUMBERS}
    values.update({name: getattr(row, name) or "" for name in forms.INDICATOR_TEXTS})
    values["code"] = row.code
    values["categories"] = list(row.categories or [])
    values["tags"] = list(row.tags or [])
    values["bands"] = [
        {k: _number(v) if v is not None else "" for k, v in band.items()}
        for band in row.bands or []
    ]
    anchors = {int(a["level"]): a for a in row.anchors or []}
    values["anchors"] = [
        {
            "description": anchors.get(level, {}).get("description", ""),
            "ratio": _number(anchors[level]["ratio"]) if level in anchors else "",
        }
        for level in range(1, 6)
    ]
    return values


def _render_indicator(
    year: int, values: dict, errors: dict, row: Indicator | None = None, status: int = 200
):
    return (
        render_template(
            "admin/indicator_form.html",
            **LABELS,
            year=year,
            row=row,
            values=values,
            errors=errors,
            categories=_categories(values.get("categories", [])),
            band_rows=max(len(values.get("bands", [])) + 2, 4),
        ),
        status,
    )


@bp.route("/admin/indicators/new", methods=["GET", "POST"])
@login_required
def admin_indicator_new():
    person = centre_admin()
    year = _year_arg()
    if request.method == "GET":
        blank = {"kind": "individual", "nature": "quantitative", "method": "linear"}
        return _render_indicator(year, {**blank, "anchors": [{}] * 5}, {})
    values = forms.indicator_values(request.form)
    data, errors = forms.indicator_payload(request.form, year)
    if data is not None:
        year, code = data.pop("year"), data.pop("code")
        try:
            row = unit_of_work(lambda: library.create(person, year, code, data))
        except Invalid as exc:
            errors = forms.service_errors(exc.extra.get("fields", {}))
        except Conflict:
            errors = {"code": [_("%(year)s 年度已有编码为 %(code)s 的指标", year=year, code=code)]}
            return _render_indicator(year, values, errors, status=409)
        else:
            flash(_("已新增指标 %(code)s %(name)s。", code=row.code, name=row.name), "success")
            return redirect(url_for(".admin_indicators", year=year))
    return _render_indicator(year, values, errors, status=422)


@bp.route(f"/admin/indicators/<{ID}:indicator_id>", methods=["GET", "POST"])
@login_required
def admin_indicator(indicator_id: int):
    person = centre_admin()
    row = library.get(indicator_id)
    if request.method == "GET":
        return _render_indicator(row.year, _indicator_values(row), {}, row)
    values = {**forms.indicator_values(request.form), "code": row.code}
    data, errors = forms.indicator_payload(request.form)
    if data is not None:
        try:
            unit_of_work(lambda: library.update(person, indicator_id, data))
        except Invalid as exc:
            errors = forms.service_errors(exc.extra.get("fields", {}))
        except Conflict:
            row = library.get(indicator_id)
            message = _("已签署的绩效责任书引用了该指标，本年度不能再修改；请修改下一年度的指标。")
            errors = {"_form": [message]}
            return _render_indicator(row.year, values, errors, row, status=409)
        else:
            row = library.get(indicator_id)
            flash(_("已保存指标 %(code)s %(name)s。", code=row.code, name=row.name), "success")
            return redirect(url_for(".admin_indicators", year=row.year))
    return _render_indicator(row.year, values, errors, row, status=422)


def _retire(indicator_id: int, retired: bool):
    person = centre_admin()
    try:
        row = unit_of_work(lambda: library.set_retired(person, indicator_id, retired))
    except Conflict:
        row = library.get(indicator_id)
        flash(_("指标 %(code)s 仍在指标模板中使用，请先从模板中移除。", code=row.code), "error")
        return redirect(url_for(".admin_indicators", year=row.year), code=303)
    message = _("已停用指标 %(code)s。") if retired else _("已恢复指标 %(code)s。")
    flash(message % {"code": row.code}, "success")
    return redirect(url_for(".admin_indicators", year=row.year), code=303)


@bp.post(f"/admin/indicators/<{ID}:indicator_id>/retire")
@login_required
def admin_indicator_retire(indicator_id: int):
    return _retire(indicator_id, True)


@bp.post(f"/admin/indicators/<{ID}:indicator_id>/restore")
@login_required
def admin_indicator_restore(indicator_id: int):
    return _retire(indicator_id, False)


def _library_year(year: int) -> None:
    if year not in library.years():
        raise NotFound(f"no indicator library for {year}")


def _render_review(year: int, values: dict, errors: dict, status: int = 200):
    review = library.review(year)
    return (
        render_template(
            "admin/review.html",
            **LABELS,
            year=year,
            review=review,
            names={row.code: row for row in library.listing(year)},
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get(f"/admin/indicator-years/<{YEAR}:year>/review")
@login_required
def admin_library_review(year: int):
    """The yearly review (indicators every department met in full) and the roll-over form,
    the flagged indicators ticked to be dropped."""
    centre_admin()
    _library_year(year)
    flagged = library.review(year)["flagged"]
    return _render_review(year, {"to_year": str(year + 1), "drop": flagged}, {})


@bp.post(f"/admin/indicator-years/<{YEAR}:year>/roll-over")
@login_required
def admin_library_roll_over(year: int):
    person = centre_admin()
    _library_year(year)
    values = {"to_year": request.form.get("to_year", "")[:10], "drop": request.form.getlist("drop")}
    data, errors = forms.roll_over_payload(request.form)
    status = 422
    if data is not None:
        try:
            done = unit_of_work(
                lambda: library.roll_over(person, year, data["to_year"], data["drop"])
            )
        except Invalid as exc:
            errors = forms.service_errors(exc.extra.get("fields", {}))
        except Conflict:
            errors = {"to_year": [_("%(year)s 年度的指标库已存在", year=data["to_year"])]}
            status = 409
        else:
            flash(
                _(
                    "已生成 %(year)s 年度指标库：复制 %(copied)s 项，删除 %(dropped)s 项。",
                    year=done["year"],
                    copied=done["copied"],
                    dropped=len(done["dropped"]),
                ),
                "success",
            )
            return redirect(url_for(".admin_indicators", year=done["year"]))
    return _render_review(year, values, errors, status)


# --- templates -------------------------------------------------------------------------------


@bp.get("/admin/templates")
@login_required
def admin_templates():
    centre_admin()
    year = _year_arg()
    return render_template(
        "admin/templates.html",
        **LABELS,
        year=year,
        years=sorted({*library.years(), year}),
        templates=plans.templates(year),
    )


def _line_rows(lines: list[dict[str, str]]) -> list[dict[str, str]]:
    return [*lines, *({} for _ in range(forms.BLANK_ROWS))]


def _stored_lines(lines: list) -> list[dict[str, str]]:
    return [
        {
            "indicator": line.indicator.code,
            "weight": _number(line.weight),
            "target": _number(line.target),
        }
        for line in lines
    ]


def _render_lines(page: str, status: int = 200, **context: Any):
    return render_template(page, **LABELS, **context), status


@bp.route(f"/admin/templates/<{ID}:template_id>", methods=["GET", "POST"])
@login_required
def admin_template(template_id: int):
    person = centre_admin()
    found = plans.template(template_id)

    def render(name: str, lines: list, errors: dict, status: int = 200):
        return _render_lines(
            "admin/template_form.html",
            status,
            template=found,
            name=name,
            lines=_line_rows(lines),
            errors=errors,
            library=library.listing(found.year, category=found.category),
        )

    if request.method == "GET":
        return render(found.name, _stored_lines(found.lines), {})
    if request.form.get("action") == "more":  # more blank rows; nothing is saved
        return render(request.form.get("name", "")[:200], forms.line_values(request.form), {})
    key = {"year": found.year, "category": found.category}
    data, errors, _rows = forms.lines_payload(request.form, key)
    status = 422
    if data is not None:
        try:
            unit_of_work(
                lambda: plans.save_template(
                    person, found.year, found.category, data["name"], data["lines"]
                )
            )
        except Invalid as exc:
            errors = forms.renumber(
                forms.service_errors(exc.extra.get("fields", {})), "lines", _rows
            )
        else:
            flash(_("模板“%(name)s”已保存。", name=data["name"]), "success")
            return redirect(url_for(".admin_template", template_id=template_id))
    name = request.form.get("name", "")[:200]
    return render(name, forms.line_values(request.form), errors, status)


@bp.route(f"/admin/templates/<{ID}:template_id>/assign", methods=["GET", "POST"])
@login_required
def admin_template_assign(template_id: int):
    """Apply a template to the ticked departments; plans adjusted by hand are kept unless
    the overwrite box is ticked."""
    person = centre_admin()
    found = plans.template(template_id)
    departments = org.departments(person)
    existing = {p.department_id: p for p in plans.plans(person, found.year)}

    def render(chosen: list[str], overwrite: bool, errors: dict, status: int = 200):
        return _render_lines(
            "admin/template_assign.html",
            status,
            template=found,
            departments=departments,
            existing=existing,
            chosen=set(chosen),
            overwrite=overwrite,
            errors=errors,
        )

    if request.method == "GET":
        same = [str(d.id) for d in departments if d.function_category == found.category]
        return render(same, False, {})
    chosen = request.form.getlist("department_ids")
    data, errors = forms.assign_payload(request.form)
    if data is not None:
        try:
            done = unit_of_work(
                lambda: plans.assign(
                    person, template_id, data["department_ids"], overwrite=data["overwrite"]
                )
            )
        except Invalid as exc:
            errors = forms.service_errors(exc.extra.get("fields", {}))
        else:
            flash(
                _(
                    "已将模板应用到 %(assigned)s 个科室；"
                    "%(skipped)s 个科室的方案经过手工调整，已保留。",
                    assigned=len(done["assigned"]),
                    skipped=len(done["skipped"]),
                ),
                "success",
            )
            return redirect(url_for(".admin_plans", year=found.year))
    return render(chosen, request.form.get("overwrite") == "yes", errors, 422)


# --- department plans ------------------------------------------------------------------------


@bp.get(f"/admin/plans/<{YEAR}:year>")
@login_required
def admin_plans(year: int):
    person = centre_admin()
    return render_template(
        "admin/plans.html",
        **LABELS,
        year=year,
        departments=org.departments(person),
        plans={p.department_id: p for p in plans.plans(person, year)},
        templates={t.id: t for t in plans.templates(year)},
    )


@bp.route(f"/admin/plans/<{YEAR}:year>/<{ID}:department_id>", methods=["GET", "POST"])
@login_required
def admin_plan(year: int, department_id: int):
    """Adjust one department's plan by hand (later bulk assignments then keep it)."""
    person = centre_admin()
    department = org.get_department(department_id)
    current = plans.plan(year, department_id)

    def render(lines: list, errors: dict, status: int = 200):
        return _render_lines(
            "admin/plan_form.html",
            status,
            year=year,
            department=department,
            plan=current,
            lines=_line_rows(lines),
            errors=errors,
            library=library.listing(year, category=department.function_category),
        )

    if request.method == "GET":
        return render(_stored_lines(current.lines) if current else [], {})
    if request.form.get("action") == "more":  # more blank rows; nothing is saved
        return render(forms.line_values(request.form), {})
    data, errors, _rows = forms.lines_payload(request.form)
    if data is not None:
        try:
            unit_of_work(lambda: plans.adjust(person, year, department_id, data["lines"]))
        except Invalid as exc:
            errors = forms.renumber(
                forms.service_errors(exc.extra.get("fields", {})), "lines", _rows
            )
        else:
            flash(_("已保存%(name)s的科室方案。", name=department.name), "success")
            return redirect(url_for(".admin_plans", year=year))
    return render(forms.line_values(request.form), errors, 422)
