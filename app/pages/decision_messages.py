"""The problems of an edited decision table in the reader's language, each placed on its row.

The engine and `app.services.grades` word problems in English with a stable code; the editor
shows them beside the table in Chinese (English when switched), and names the row
(第 N 行) rather than the rule's internal id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.engine import decisions
from app.pages.admin_campaign import GRADE_NAMES

_MORE = re.compile(r"^(.*) \(and (\d+) more\)$")


def _points(text: str) -> str:
    more = _MORE.match(text)
    if more:
        return _("%(points)s 等（另有 %(n)s 个）", points=more[1], n=more[2])
    return text


def _grade(value: str) -> str:
    return str(GRADE_NAMES.get(value, value))


def _gap(m: re.Match) -> str:
    return _("得分 %(points)s 不落在任何一行：等次区间有缺口。", points=_points(m[1]))


def _overlap(m: re.Match) -> str:
    return _("得分 %(points)s 同时落在多行：等次区间有重叠。", points=_points(m[1]))


def _unknown(m: re.Match) -> str:
    known = "、".join(str(name) for name in GRADE_NAMES.values())
    return _("等次 %(value)s 不是 %(known)s 之一。", value=m[1], known=known)


def _order(m: re.Match) -> str:
    return _(
        "%(low)s 分得“%(low_grade)s”，更高的 %(high)s 分却得“%(high_grade)s”："
        "分数低的等次不能更好。",
        low=m[1],
        low_grade=_grade(m[2]),
        high=m[3],
        high_grade=_grade(m[4]),
    )


def _scores_failed(m: re.Match) -> str:
    return _("得分 %(points)s 无法计算：%(reason)s", points=_points(m[1]), reason=m[2])


# (code, pattern of the English message, the Chinese wording); the first that matches wins
_WORDINGS: list[tuple[str, re.Pattern, Callable[[re.Match], str]]] = [
    ("grade_gap", re.compile(r"^scores (.+) match no row$"), _gap),
    ("grade_overlap", re.compile(r"^scores (.+) match several rows: .*$"), _overlap),
    ("grade_unknown", re.compile(r"^grade '?(.*?)'? is not one of .*$"), _unknown),
    (
        "grade_order",
        re.compile(r"^score (\S+) gets (\w+) but the higher score (\S+) gets (\w+):"),
        _order,
    ),
    ("grade_table", re.compile(r"^scores (.+?): (.*)$"), _scores_failed),
]
_FIXED = {
    "a grade table must use hit policy UNIQUE": _l("等次表的命中策略必须是 UNIQUE（唯一）。"),
    "a grade table has one input, `score`": _l("等次表只有一个输入：score（最终得分）。"),
    "a grade table has one output, `grade`": _l("等次表只有一个输出：grade（等次）。"),
}
_BY_CODE = {
    "malformed_xml": _l("XML 格式错误"),
    "doctype_forbidden": _l("不允许 DOCTYPE 和实体声明"),
    "too_large": _l("文件过大"),
    "too_long": _l("标识或名称过长"),
    "not_dmn": _l("不是 DMN 决策表"),
    "schema": _l("不符合 DMN 规范"),
    "expression": _l("单元格表达式有误"),
    "decision_id": _l("不能修改决策表的标识"),
    "grade_table": _l("不是可用的等次表"),
}


def message(problem: Mapping) -> str:
    """One problem's message in the reader's language."""
    code, text = problem.get("code") or "", problem.get("message") or ""
    if text in _FIXED:
        return str(_FIXED[text])
    for known, pattern, word in _WORDINGS:
        match = pattern.match(text) if code == known else None
        if match:
            return word(match)
    heading = _BY_CODE.get(code)
    if heading is None:
        return text
    line = problem.get("line")
    where = _("（第 %(line)s 行）", line=line) if line else ""
    return f"{heading}{where}：{text}" if text else f"{heading}{where}"


def rows_of(source: str) -> dict[str, int]:
    """Rule id → its row number (1-based) in the table, to name rows as the reader sees them."""
    try:
        info = decisions.describe(source)
    except decisions.DecisionError:
        return {}
    return {rule.rule_id: n for n, rule in enumerate(info.rules, start=1)}


def localize(problems: list[Mapping], source: str) -> list[dict]:
    """The problems as the editor shows them: message, and the row (and rule id) they are on."""
    rows = rows_of(source)
    shown = []
    for problem in problems:
        element = problem.get("element_id")
        shown.append(
            {
                "code": problem.get("code"),
                "message": message(problem),
                "element_id": element,
                "row": rows.get(element) if element else None,
            }
        )
    return shown
