"""The supervisors' overdue board (督办看板) and its exports (Excel, CSV).

The same filters and scope as `GET /api/v1/overdue` (app.services.overdue): the centre sees
every department, a supervising leader theirs, a department head their own; anyone else 403.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import ValidationError, fields, validate
from openpyxl import Workbook
from openpyxl.styles import Font

from app.api.overdue_schemas import OverdueQuerySchema
from app.errors import flatten_fields
from app.exports import safe_cell
from app.pages.display import BEIJING, ESCALATION_CARDS, ROLES, label, local_time
from app.pages.views import actor, bp
from app.services import actuals, instance_errors, overdue, permissions
from app.services.errors import Forbidden, ServiceError

LEVEL_NAMES = {
    "overdue": _l("已超期"),
    "due_soon": _l("即将到期"),
    "yellow_card": _l("黄牌"),
    "red_card": _l("红牌"),
}
ESCALATION_NAMES = {"none": "", "reminder": _l("已提醒"), **ESCALATION_CARDS}
GROUPINGS = {"department": _l("按科室"), "step": _l("按环节"), "holder": _l("按办理人")}
ORDER_NAMES = {"oldest": _l("超期最久在前"), "newest": _l("最近到期在前")}
FILTER_NAMES = ("year", "department_id", "level", "soon_days", "order", "group")
COLUMN_WIDTHS = (9, 22, 16, 22, 18, 14, 12, 18, 10, 9, 11, 9, 12)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BoardQuerySchema(OverdueQuerySchema):
    group = fields.String(load_default="department", validate=validate.OneOf(list(GROUPINGS)))


@bp.app_template_global("may_supervise")
def may_supervise(person) -> bool:
    return permissions.may_supervise(person)


def _supervisor():
    person = actor()
    if not permissions.may_supervise(person):
        raise Forbidden("only the centre, supervising leaders and department heads see the board")
    return person


def _filters() -> tuple[dict[str, str], dict[str, Any] | None, dict[str, list[str]]]:
    """(the filters as given, the loaded query or None, errors by field). Blank ones are
    ignored, as on the audit page."""
    given = {name: value for name in FILTER_NAMES if (value := request.args.get(name, "").strip())}
    try:
        return given, BoardQuerySchema().load(given), {}
    except ValidationError as exc:
        return given, None, flatten_fields(exc.messages)


def _board(person, query: dict[str, Any]) -> overdue.Board:
    return overdue.board(person, **{k: v for k, v in query.items() if k != "group"})


# Why a data-source pull failed (PullRun.error_kind), in the reader's language.
PULL_ERRORS = {
    "http_status": _l("数据源返回了错误状态"),
    "timeout": _l("连接数据源超时"),
    "connection": _l("无法连接数据源"),
    "bad_json": _l("数据源返回的不是 JSON"),
    "too_large": _l("数据源返回的数据过大"),
    "bad_shape": _l("数据源返回的数据格式不符"),
    "rows": _l("数据源返回的数据行有错误"),
    "inactive": _l("数据源已停用"),
}


@bp.get("/supervise/overdue")
@login_required
def overdue_board():
    person = _supervisor()
    given, query, errors = _filters()
    board = _board(person, query) if query is not None else None
    group = query["group"] if query else "department"
    groups = (
        {
            "department": board.by_department,
            "step": board.by_step,
            "holder": board.by_holder,
        }[group]()
        if board
        else []
    )
    return (
        render_template(
            "overdue.html",
            board=board,
            groups=groups,
            group=group,
            stalled=instance_errors.in_error(person, query.get("year"), query.get("department_id"))
            if query
            else [],
            failed_pulls=actuals.failed_pulls() if permissions.is_centre_admin(person) else [],
            PULL_ERRORS=PULL_ERRORS,
            filters=given,
            errors=errors,
            unlevelled={k: v for k, v in given.items() if k != "level"},
            year_options=[(year, year) for year in overdue.years()],
            department_options=[
                (d.id, f"{d.unit.name}{d.name}") for d in overdue.departments(person)
            ],
            LEVEL_NAMES=LEVEL_NAMES,
            GROUPINGS=GROUPINGS,
            ORDER_NAMES=ORDER_NAMES,
        ),
        200 if board else 400,
    )


# --- exports ---------------------------------------------------------------------------------


def _export_board() -> overdue.Board:
    person = _supervisor()
    _, query, errors = _filters()
    if query is None:
        raise ServiceError("the filters are invalid", fields=errors)
    return _board(person, query)


def _columns() -> list[str]:
    return [
        _("考核年度"),
        _("单位"),
        _("科室"),
        _("环节"),
        _("环节编号"),
        _("办理角色"),
        _("办理人"),
        _("到期时间（北京时间）"),
        _("状态"),
        _("超期天数"),
        _("超期工作日"),
        _("督办等级"),
        _("流程实例编号"),
    ]


def _values(row: overdue.Row) -> list[Any]:
    return [
        row.year,
        row.unit,
        row.department,
        row.name,
        row.bpmn_id,
        label(ROLES, row.role),
        row.holder or _("未认领"),
        row.due_at.astimezone(BEIJING).replace(tzinfo=None),
        str(LEVEL_NAMES[row.state]),
        row.overdue_days,
        row.overdue_working_days,
        label(ESCALATION_NAMES, row.escalation),
        row.instance_id,
    ]


def _attachment(body: bytes, mimetype: str, board: overdue.Board, ext: str) -> Response:
    stamp = board.now.astimezone(BEIJING).strftime("%Y%m%d-%H%M")
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="overdue-{stamp}.{ext}"',
            "Cache-Control": "no-store",
        },
    )


def _csv_rows(rows: Iterable[overdue.Row]) -> Iterable[list[Any]]:
    for row in rows:
        values = _values(row)
        values[7] = local_time(row.due_at)
        yield [safe_cell(v) for v in values]


@bp.get("/supervise/overdue.csv")
@login_required
def overdue_csv():
    board = _export_board()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_columns())
    writer.writerows(_csv_rows(board.rows))
    # UTF-8 with a byte-order mark: Excel on Chinese Windows then reads it as UTF-8.
    return _attachment(out.getvalue().encode("utf-8-sig"), "text/csv", board, "csv")


@bp.get("/supervise/overdue.xlsx")
@login_required
def overdue_xlsx():
    board = _export_board()
    book = Workbook()
    sheet = book.active
    sheet.title = _("督办看板")
    sheet.append(_columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in board.rows:
        sheet.append([safe_cell(v) for v in _values(row)])
        sheet.cell(row=sheet.max_row, column=8).number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLM", COLUMN_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(), XLSX, board, "xlsx")
