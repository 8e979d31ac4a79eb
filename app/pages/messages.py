"""Field errors in the reader's language. The schemas and services speak Chinese (our own rules)
or English (marshmallow's defaults); pages show every message through the catalog."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

_EXACT = {
    # our own rules (app/forms/schemas.py, app/rules/letters.py)
    "权重最多两位小数": _l("权重最多两位小数"),
    "至少需要一项指标": _l("至少需要一项指标"),
    "每项指标必须有目标值": _l("每项指标必须有目标值"),
    "每项指标必须有方向": _l("每项指标必须有方向"),
    "指标名称重复": _l("指标名称重复"),
    "退回时必须填写意见": _l("退回时必须填写意见"),
    "必须确认签署": _l("必须确认签署"),
    "分数须在0至100之间": _l("分数须在0至100之间"),
    "分数最多两位小数": _l("分数最多两位小数"),
    # the appeal forms (app/forms/appeal_schemas.py)
    "申诉时必须填写理由": _l("申诉时必须填写理由"),
    "必须填写复核理由": _l("必须填写复核理由"),
    "调整时至少填写一项更正后的分数": _l("调整时至少填写一项更正后的分数"),
    "维持原结果时不填写分数": _l("维持原结果时不填写分数"),
    # the password rules (app/rules/passwords.py) and the password change
    "当前密码不正确。": _l("当前密码不正确。"),
    "密码至少8位。": _l("密码至少8位。"),
    "密码最多128位。": _l("密码最多128位。"),
    "密码须同时包含字母和数字。": _l("密码须同时包含字母和数字。"),
    "密码过于常见。": _l("密码过于常见。"),
    "密码不能包含用户名。": _l("密码不能包含用户名。"),
    # the monthly spot check (app/forms/spot_check_schemas.py, app/services/spot_checks.py)
    "扣分最多两位小数": _l("扣分最多两位小数"),
    "扣分须在 0 至 10 分之间": _l("扣分须在 0 至 10 分之间"),
    "发现问题时必须填写问题描述": _l("发现问题时必须填写问题描述"),
    "发现问题时必须填写拟扣分值": _l("发现问题时必须填写拟扣分值"),
    "必须填写整改情况": _l("必须填写整改情况"),
    "必须填写认定意见": _l("必须填写认定意见"),
    "该台账不在本次抽检样本中": _l("该台账不在本次抽检样本中"),
    "每条抽检台账都须填写核查结论": _l("每条抽检台账都须填写核查结论"),
    "同一项只能填写一次": _l("同一项只能填写一次"),
    "该问题不在待整改之列": _l("该问题不在待整改之列"),
    "每个问题都须填写整改情况": _l("每个问题都须填写整改情况"),
    "该问题不在待认定之列": _l("该问题不在待认定之列"),
    "每个问题都须作出认定": _l("每个问题都须作出认定"),
    "佐证材料不存在": _l("佐证材料不存在"),
    # evidence files (app/services/actuals.py check_evidence)
    "佐证材料仅支持pdf、png、jpg、xlsx、docx、csv文件。": _l(
        "佐证材料仅支持pdf、png、jpg、xlsx、docx、csv文件。"
    ),
    "文件为空。": _l("文件为空。"),
    "csv文件须为UTF-8或GB18030文本。": _l("csv文件须为UTF-8或GB18030文本。"),
    # marshmallow defaults
    "Missing data for required field.": _l("此项必填"),
    "Not a valid number.": _l("请输入有效的数字"),
    "Not a valid string.": _l("格式不正确"),
    "Not a valid boolean.": _l("格式不正确"),
    "Not a valid list.": _l("格式不正确"),
    "Unknown field.": _l("不认识的字段"),
    "Field may not be null.": _l("此项必填"),
    "Special numeric values (nan or infinity) are not permitted.": _l("请输入有效的数字"),
    "Not a valid date.": _l("请输入有效的日期"),
    "Not a valid integer.": _l("格式不正确"),
}
_WEIGHT_TOTAL = re.compile(r"^权重合计必须恰好为 100，当前为 (\S+)$")
_TOO_LARGE = re.compile(r"^文件不能超过(\d+)字节。$")
_NOT_ITS_TYPE = re.compile(r"^文件内容与扩展名(\S+)不符。$")


def localize(path: str, message: str) -> str:
    """One message for the field at `path` (`lines.0.weight`, `weight_total`, `comment`)."""
    if message in _EXACT:
        return str(_EXACT[message])
    total = _WEIGHT_TOTAL.match(message)
    if total:
        return _("权重合计必须恰好为 100，当前为 %(total)s", total=total[1])
    too_large = _TOO_LARGE.match(message)
    if too_large:
        return _("文件不能超过%(limit)s字节。", limit=too_large[1])
    not_its_type = _NOT_ITS_TYPE.match(message)
    if not_its_type:
        return _("文件内容与扩展名%(suffix)s不符。", suffix=not_its_type[1])
    field = path.rsplit(".", 1)[-1]
    if message.startswith("Must be one of"):
        return _("请选择一个有效选项")
    if message.startswith("Must be greater than"):
        return _("权重须大于 0 且不超过 100") if field == "weight" else _("数值超出允许范围")
    if message.startswith("Length must be") or message.startswith("Shorter than"):
        if path == "lines":
            return _("指标须有 1 至 60 项")
        return _("长度超出限制")
    if message.startswith("Longer than"):
        return _("长度超出限制")
    return message


def localize_all(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {path: [localize(path, m) for m in texts] for path, texts in errors.items()}
