"""Exports of a campaign's results and of a department's scorecard (绩效考核记分卡), as Excel
(openpyxl) and PDF (reportlab), plus the spreadsheet formula-injection guard the overdue
board's exports share.

- **What is read** goes through the services' visibility rules: the campaign's results
  (`app.services.results.results`) for the centre only; a scorecard through the same call, so
  anyone but the centre sees one only after publication (公示) and only for a department they
  may see. A scorecard the viewer may not see is "not found", as is one without a result.
- **The scorecard** takes the department's signed letter lines (weight, target, unit) and
  the result's detail (`app.services.scoring`: the value used for each line, its points before
  and after deductions, the deductions, the evaluation by rater group). Rater groups are
  aggregates only, and a peer or service-recipient mean over fewer than
  `ANONYMITY_MIN_BALLOTS` ballots is withheld (`app.services.ballots.mean_hidden`); no
  individual ballot is ever read.
- **PDF** uses reportlab's built-in CJK font (STSong-Light, a CID font every PDF reader has),
  so no font file is shipped or embedded.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Department, DepartmentResult, LetterLine, Person, ResponsibilityLetter
from app.pages.display import BEIJING, DIRECTIONS, KINDS, label, plain_number
from app.services import ballots, campaigns, permissions, results
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.score_texts import deduction_reason, line_note

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CJK_FONT = "STSong-Light"

GRADE_NAMES = {
    "excellent": _l("优秀"),
    "competent": _l("称职"),
    "basically_competent": _l("基本称职"),
    "incompetent": _l("不称职"),
}
RATER_GROUP_NAMES = {
    "leader": _l("分管领导评价"),
    "peer": _l("民主测评"),
    "service_recipient": _l("服务对象评价"),
}
SOURCE_NAMES = {
    "verified": _l("核验值"),
    "pulled": _l("系统采集"),
    "reported": _l("科室填报"),
    "missing": _l("无实际值"),
}


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would take for a formula (=, +, -, @) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _number(value: Decimal | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _cell_number(value: Decimal | None) -> float | int | None:
    """A decimal as a spreadsheet number (integral values stay integers)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return plain_number(value)
    return str(value)


# --- the campaign's results ------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsTable:
    year: int
    title: str
    generated_at: datetime
    columns: list[str]
    rows: list[list[Any]]  # values: str, int, Decimal or None
    numeric: frozenset[int]  # indexes of the numeric columns
    note: str | None  # why the outcomes are missing, when they are


def campaign_results(actor: Person, year: int) -> ResultsTable:
    """The ranked results of a campaign with their outcomes (when calibrated): centre only."""
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre exports a campaign's results")
    rows = results.results(actor, year)
    try:
        outcomes = {o.department.id: o.outcome for o in results.outcomes(actor, year)}
        note = None
    except Conflict:
        outcomes = {}
        note = (
            _("尚未录入考核结果。")
            if not rows
            else _("考核结果在上次校准后有变化（或尚未校准），结果应用未列出。")
        )
    columns = [
        _("名次"),
        _("单位"),
        _("科室"),
        _("指标得分"),
        _("综合评价"),
        _("扣分"),
        _("总分"),
        _("等次表结果"),
        _("等次"),
        _("季度优秀"),
        _("奖金系数"),
        _("后备干部库"),
        _("整改措施"),
        _("负责人扣分"),
    ]
    table = []
    for r in rows:
        o = outcomes.get(r.department_id)
        table.append(
            [
                r.rank,
                r.department.unit.name,
                r.department.name,
                r.indicator_score,
                r.evaluation_score,
                r.deductions,
                r.final_score,
                label(GRADE_NAMES, r.band_grade),
                label(GRADE_NAMES, r.grade),
                r.excellent_quarters,
                o.bonus_coefficient if o else None,
                (_("进入") if o.reserve_pool else "—") if o else None,
                ("；".join(o.improvement_plan) or "—") if o else None,
                o.head_deduction if o else None,
            ]
        )
    return ResultsTable(
        year=year,
        title=_("%(year)s年度科室绩效考核结果", year=year),
        generated_at=clock.now(),
        columns=columns,
        rows=table,
        numeric=frozenset({0, 3, 4, 5, 6, 9, 10, 13}),
        note=note,
    )


# --- a department's scorecard ----------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardLine:
    position: int
    name: str
    kind: str | None
    direction: str | None
    unit: str
    weight: Decimal | None
    target: Decimal | None
    value: Decimal | None
    source: str | None
    points: Decimal | None
    after_deductions: Decimal | None
    note: str


@dataclass(frozen=True)
class ScorecardGroup:
    rater_group: str
    ballots: int
    mean: Decimal | None  # None when withheld (anonymity) or absent
    hidden: bool
    weight: Decimal | None


@dataclass(frozen=True)
class Scorecard:
    year: int
    department: Department
    result: DepartmentResult
    generated_at: datetime
    published: bool
    lines: list[ScorecardLine] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)
    groups: list[ScorecardGroup] = field(default_factory=list)
    line_sum: Decimal | None = None

    @property
    def title(self) -> str:
        return _(
            "%(year)s年度绩效考核记分卡：%(unit)s%(name)s",
            year=self.year,
            unit=self.department.unit.name,
            name=self.department.name,
        )


def _letter_lines(campaign_id: int, department_id: int) -> list[LetterLine]:
    """The lines of the department's signed (locked) letter of the campaign, latest revision."""
    letter = db.session.scalars(
        select(ResponsibilityLetter)
        .where(
            ResponsibilityLetter.campaign_id == campaign_id,
            ResponsibilityLetter.department_id == department_id,
            ResponsibilityLetter.status == "locked",
        )
        .order_by(ResponsibilityLetter.revision.desc())
        .limit(1)
    ).first()
    return list(letter.lines) if letter else []


def _lines(letter: list[LetterLine], detail: dict[str, Any]) -> list[ScorecardLine]:
    scored = {
        entry.get("line"): entry for entry in detail.get("lines") or [] if isinstance(entry, dict)
    }
    out = []
    for line in letter:
        entry = scored.pop(line.indicator_code or f"line-{line.position + 1}", {})
        out.append(
            ScorecardLine(
                position=len(out) + 1,
                name=line.name,
                kind=line.kind,
                direction=line.direction,
                unit=line.unit or "",
                weight=line.weight,
                target=line.target,
                value=_number(entry.get("value")),
                source=entry.get("source"),
                points=_number(entry.get("points")),
                after_deductions=_number(entry.get("after_deductions")),
                note=line_note(entry),
            )
        )
    for entry in scored.values():  # scored lines without a letter line (no signed letter)
        out.append(
            ScorecardLine(
                position=len(out) + 1,
                name=str(entry.get("name") or entry.get("line") or ""),
                kind=None,
                direction=None,
                unit="",
                weight=_number(entry.get("weight")),
                target=None,
                value=_number(entry.get("value")),
                source=entry.get("source"),
                points=_number(entry.get("points")),
                after_deductions=_number(entry.get("after_deductions")),
                note=line_note(entry),
            )
        )
    return out


def _groups(viewer: Person, year: int, result: DepartmentResult) -> list[ScorecardGroup]:
    """The evaluation by rater group: the aggregate the score was computed from (the detail),
    else the ballots' summary; never a single ballot, and small groups' means withheld."""
    evaluation = result.detail.get("evaluation")
    if isinstance(evaluation, dict) and evaluation.get("groups"):
        out = []
        for g in evaluation["groups"]:
            count = int(g.get("ballots") or 0)
            hidden = ballots.mean_hidden(g.get("group", ""), count)
            mean = None if hidden else _number(g.get("mean"))
            out.append(
                ScorecardGroup(g.get("group", ""), count, mean, hidden, _number(g.get("weight")))
            )
        return out
    return [
        ScorecardGroup(s.rater_group, s.ballots, s.mean, s.hidden, None)
        for s in ballots.summary(viewer, year, result.department_id)
        if s.ballots
    ]


def scorecard(viewer: Person, year: int, department_id: int) -> Scorecard:
    """A department's scorecard: the centre always; others after publication, for a
    department they may see. NotFound otherwise, and when the department has no result."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(f"department {department_id} not found")
    campaign = campaigns.get(year)
    result = next(
        (r for r in results.results(viewer, year) if r.department_id == department.id), None
    )
    if result is None:
        raise NotFound(f"no result of department {department_id} for {year}")
    detail = result.detail or {}
    return Scorecard(
        year=year,
        department=department,
        result=result,
        generated_at=clock.now(),
        published=results.is_published(campaign),
        lines=_lines(_letter_lines(campaign.id, department.id), detail),
        deductions=[d for d in detail.get("deductions") or [] if isinstance(d, dict)],
        groups=_groups(viewer, year, result),
        line_sum=_number(detail.get("line_sum")),
    )


def _line_columns() -> list[str]:
    return [
        _("序号"),
        _("指标"),
        _("类别"),
        _("方向"),
        _("单位"),
        _("权重"),
        _("目标值"),
        _("实际值"),
        _("来源"),
        _("得分"),
        _("扣分后得分"),
        _("说明"),
    ]


def _line_values(line: ScorecardLine) -> list[Any]:
    return [
        line.position,
        line.name,
        label(KINDS, line.kind) if line.kind else None,
        label(DIRECTIONS, line.direction) if line.direction else None,
        line.unit or None,
        line.weight,
        line.target,
        line.value,
        label(SOURCE_NAMES, line.source) if line.source else None,
        line.points,
        line.after_deductions,
        line.note or None,
    ]


def _deduction_columns() -> list[str]:
    return [_("扣分"), _("指标"), _("理由")]


def _deduction_values(d: dict[str, Any]) -> list[Any]:
    return [_number(d.get("points")), d.get("indicator") or _("总分"), deduction_reason(d)]


def _group_columns() -> list[str]:
    return [_("评价人组"), _("票数"), _("平均分"), _("权重")]


def _group_values(g: ScorecardGroup) -> list[Any]:
    mean: Any = g.mean
    if g.hidden:
        mean = _("票数不足，不予显示")
    return [label(RATER_GROUP_NAMES, g.rater_group), g.ballots, mean, g.weight]


def composition_text(detail: dict[str, Any] | None) -> str:
    """How the final score was composed, as recorded with the result (the campaign's setting
    at the time): 指标得分 70% + 综合评价 30%."""
    parts = (detail or {}).get("composition") or {}
    if not parts:
        return "—"
    return _(
        "指标得分 %(indicators)s%% + 综合评价 %(evaluation)s%%",
        indicators=parts.get("indicators", "—"),
        evaluation=parts.get("evaluation", "—"),
    )


def summary_rows(card: Scorecard) -> list[tuple[str, Any]]:
    r = card.result
    return [
        (_("单位"), card.department.unit.name),
        (_("科室"), card.department.name),
        (_("考核年度"), card.year),
        (_("指标得分"), r.indicator_score),
        (_("综合评价"), r.evaluation_score),
        (_("扣分"), r.deductions),
        (_("总分"), r.final_score),
        (_("总分构成"), composition_text(r.detail)),
        (_("等次表结果"), label(GRADE_NAMES, r.band_grade)),
        (_("等次"), label(GRADE_NAMES, r.grade)),
        (_("名次"), r.rank),
        (_("季度优秀"), r.excellent_quarters),
    ]


def sections(card: Scorecard) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The scorecard's tables: (heading, columns, rows) of the letter lines, the deductions
    and the evaluation by rater group."""
    return [
        (_("责任书指标"), _line_columns(), [_line_values(x) for x in card.lines]),
        (_("督查扣分"), _deduction_columns(), [_deduction_values(d) for d in card.deductions]),
        (
            _("综合评价（按评价人组汇总）"),
            _group_columns(),
            [_group_values(g) for g in card.groups],
        ),
    ]


def _generated(at: datetime) -> str:
    return _(
        "生成时间：%(time)s（北京时间）", time=at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    )


# --- Excel -----------------------------------------------------------------------------------


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _cell_number(value)
    return safe_cell(value)


def _append(sheet, values: Iterable[Any], bold: bool = False) -> None:
    sheet.append([_xlsx_value(v) for v in values])
    if bold:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)


def _widths(sheet, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def results_xlsx(table: ResultsTable) -> bytes:
    """Row 1 the title, row 2 the generated time, row 4 the header, ranked rows from row 5."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("考核结果")
    _append(sheet, [table.title])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, [_generated(table.generated_at)])
    if table.note:
        sheet["D2"] = table.note
    sheet.append([])
    _append(sheet, table.columns, bold=True)
    for row in table.rows:
        _append(sheet, row)
    sheet.freeze_panes = "A5"
    _widths(sheet, (7, 22, 16, 10, 10, 8, 9, 12, 10, 9, 10, 11, 28, 11))
    return _save(book)


def scorecard_xlsx(card: Scorecard) -> bytes:
    """One sheet: title, generated time, the summary (label | value), then the letter lines,
    the deductions and the evaluation by rater group, each under its own heading."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("记分卡")
    _append(sheet, [card.title])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, [_generated(card.generated_at)])
    sheet.append([])
    for name, value in summary_rows(card):
        _append(sheet, [name, value])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.cell(row=sheet.max_row, column=2).alignment = Alignment(horizontal="left")
    for heading, columns, rows in sections(card):
        sheet.append([])
        _append(sheet, [heading])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
        if not rows:
            _append(sheet, [_("无")])
            continue
        _append(sheet, columns, bold=True)
        for row in rows:
            _append(sheet, row)
    _widths(sheet, (14, 24, 12, 12, 8, 8, 9, 9, 10, 8, 11, 24))
    return _save(book)


# --- PDF -------------------------------------------------------------------------------------


def _pdf_styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return {
        "title": ParagraphStyle("title", fontName=CJK_FONT, fontSize=16, leading=22, spaceAfter=4),
        "heading": ParagraphStyle("heading", fontName=CJK_FONT, fontSize=12, leading=18),
        "body": ParagraphStyle("body", fontName=CJK_FONT, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", fontName=CJK_FONT, fontSize=8, leading=10),
        "note": ParagraphStyle("note", fontName=CJK_FONT, fontSize=8, leading=11),
    }


def _paragraph(text: Any, style):
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(_text(text)), style)


def _table(columns: list[str], rows: list[list[Any]], styles, widths=None, numeric=()):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data = [[_paragraph(c, styles["cell"]) for c in columns]]
    data += [[_paragraph(v, styles["cell"]) for v in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    commands += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric]
    table.setStyle(TableStyle(commands))
    return table


def _build_pdf(story: list, title: str, landscape_page: bool) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4) if landscape_page else A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author=_("绩效管理中心"),
    )
    doc.build(story)
    return out.getvalue()


def results_pdf(table: ResultsTable) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    styles = _pdf_styles()
    story = [
        _paragraph(table.title, styles["title"]),
        _paragraph(_generated(table.generated_at), styles["note"]),
    ]
    if table.note:
        story.append(_paragraph(table.note, styles["note"]))
    story.append(Spacer(1, 4 * mm))
    if table.rows:
        widths = [w * mm for w in (11, 26, 22, 16, 16, 13, 15, 18, 16, 14, 16, 17, 40, 16)]
        story.append(_table(table.columns, table.rows, styles, widths, table.numeric))
    else:
        story.append(_paragraph(_("尚未录入考核结果。"), styles["body"]))
    return _build_pdf(story, table.title, landscape_page=True)


def scorecard_pdf(card: Scorecard) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    styles = _pdf_styles()
    story: list = [
        _paragraph(card.title, styles["title"]),
        _paragraph(_generated(card.generated_at), styles["note"]),
        Spacer(1, 3 * mm),
    ]
    summary = summary_rows(card)
    half = (len(summary) + 1) // 2
    left, right = summary[:half], summary[half:] + [("", "")] * (2 * half - len(summary))
    story.append(
        _table(
            [_("项目"), _("结果"), _("项目"), _("结果")],
            [[a, b, c, d] for (a, b), (c, d) in zip(left, right, strict=True)],
            styles,
            [30 * mm, 56 * mm, 30 * mm, 56 * mm],
        )
    )
    layout = (  # column widths (mm, 186 across) and numeric columns of each table
        ((8, 30, 15, 15, 9, 10, 12, 12, 13, 11, 13, 38), (0, 5, 6, 7, 9, 10)),
        ((20, 30, 136), (0,)),
        ((50, 30, 70, 36), (1, 3)),
    )
    for (heading, columns, rows), (widths, numeric) in zip(sections(card), layout, strict=True):
        story += [Spacer(1, 4 * mm), _paragraph(heading, styles["heading"])]
        if rows:
            story.append(_table(columns, rows, styles, [w * mm for w in widths], numeric))
        else:
            story.append(_paragraph(_("无"), styles["body"]))
    return _build_pdf(story, card.title, landscape_page=False)


def filename(stem: str, at: datetime, ext: str) -> str:
    """`stem-YYYYMMDD-HHMM.ext` (Beijing time), ASCII only, for Content-Disposition."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", stem)
    return f"{safe}-{at.astimezone(BEIJING).strftime('%Y%m%d-%H%M')}.{ext}"
