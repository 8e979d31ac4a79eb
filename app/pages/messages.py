"""Field errors in the reader's language. The rules and services compose `app.i18n.Message`s
(Chinese that knows its catalog text); the form schemas speak Chinese (our own validators) or
English (marshmallow's defaults), mapped here; pages show every message through the catalog."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import Message, translated

_EXACT = {
    # our own validators (app/forms/schemas.py)
    "权重最多两位小数": _l("权重最多两位小数"),
    "退回时必须填写意见": _l("退回时必须填写意见"),
    "必须确认签署": _l("必须确认签署"),
    "分数须在0至100之间": _l("分数须在0至100之间"),
    "分数最多两位小数": _l("分数最多两位小数"),
    # the appeal forms (app/forms/appeal_schemas.py)
    "申诉时必须填写理由": _l("申诉时必须填写理由"),
    "必须填写复核理由": _l("必须填写复核理由"),
    "调整时至少填写一项更正后的分数": _l("调整时至少填写一项更正后的分数"),
    "维持原结果时不填写分数": _l("维持原结果时不填写分数"),
    # the monthly spot check (app/forms/spot_check_schemas.py)
    "扣分最多两位小数": _l("扣分最多两位小数"),
    "扣分须在 0 至 10 分之间": _l("扣分须在 0 至 10 分之间"),
    "发现问题时必须填写问题描述": _l("发现问题时必须填写问题描述"),
    "发现问题时必须填写拟扣分值": _l("发现问题时必须填写拟扣分值"),
    "必须填写整改情况": _l("必须填写整改情况"),
    "必须填写认定意见": _l("必须填写认定意见"),
    # evidence files and imports
    "文件为空。": _l("文件为空。"),
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


def localize(path: str, message: str) -> str:
    """One message for the field at `path` (`lines.0.weight`, `weight_total`, `comment`)."""
    if isinstance(message, Message):
        return translated(message)
    if message in _EXACT:
        return str(_EXACT[message])
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
