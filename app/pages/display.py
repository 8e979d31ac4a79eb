"""Presentation helpers for templates: Beijing time, plain decimals, localized labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from app.i18n import ROLE_NAMES, translated
from app.models import CalibrationEntry
from app.rules.grading import reason_text
from app.services import instance_errors, notices
from app.services.permissions import is_centre_admin

# China has one time zone and no daylight saving, so a fixed offset is exact.
BEIJING = timezone(timedelta(hours=8), "CST")

# One set of role names for the whole app (app/i18n.py), translated when rendered.
ROLES = {key: _l(name) for key, name in ROLE_NAMES.items()}
# The improvement measures of app/rules/outcomes.py (stored by their Chinese names).
MEASURES = {"脱产培训": _l("脱产培训"), "岗位调整": _l("岗位调整")}
INSTANCE_STATUSES = {
    "running": _l("运行中"),
    "waiting_people": _l("等待办理"),
    "waiting_timer": _l("等待定时"),
    "waiting_message": _l("等待公示"),
    "completed": _l("已完成"),
    "error": _l("出错"),
    "suspended": _l("已暂停"),
    "terminated": _l("已终止"),
}
TASK_STATUSES = {"ready": _l("待办"), "completed": _l("已办结"), "cancelled": _l("已取消")}
LETTER_STATUSES = {
    "submitted": _l("已提交，待审核"),
    "returned": _l("已退回"),
    "approved": _l("已审核通过"),
    "locked": _l("已签署锁定"),
}
KINDS = {"common": _l("共性指标"), "individual": _l("个性指标"), "dynamic": _l("动态指标")}
DIRECTIONS = {"higher": _l("越高越好"), "lower": _l("越低越好"), "target": _l("达到目标值")}
EVENT_KINDS = {
    "started": _l("启动流程"),
    "task_completed": _l("办理"),
    "service_task": _l("系统处理"),
    "user_task": _l("任务完成"),
    "business_rule": _l("规则判定"),
    "event": _l("事件"),
    "gateway": _l("流转"),
    "error": _l("出错"),
    "retried": _l("重试"),
    "escalated": _l("督办升级"),
    "message": _l("收到通知"),
    "suspended": _l("暂停"),
    "resumed": _l("已恢复"),
    "terminated": _l("终止"),
    "task_claimed": _l("认领"),
    "task_unclaimed": _l("退回组内"),
    "task_delegated": _l("委托"),
    "task_reassigned": _l("改派任务"),
    "task_released": _l("交回待认领"),
}
NOTICE_KINDS = {
    "overdue_reminder": _l("超期提醒"),
    "reminder": _l("办理提醒"),
    "yellow_card": _l("黄牌"),
    "red_card": _l("红牌"),
    "task_no_candidate": _l("无人办理"),
    "results_published": _l("结果公示"),
}
ESCALATION_CARDS = {"yellow_card": _l("黄牌"), "red_card": _l("红牌")}
# Marks of the instance diagram (app.engine.progress states, plus overdue from the due time).
DIAGRAM_STATES = {
    "completed": _l("已完成"),
    "ready": _l("办理中"),
    "waiting": _l("等待中"),
    "overdue": _l("已超期"),
    "error": _l("出错"),
}
TOKEN_SCOPE_NAMES = {"read": _l("只读"), "tasks": _l("办理任务"), "admin": _l("中心管理")}


def local_time(value: datetime | None, seconds: bool = False) -> str:
    """`2026-01-15 09:00` in Beijing time; the database keeps UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def detail_text(detail: dict[str, Any] | None) -> str:
    """An audit event's details as `key=value` pairs, Chinese left readable."""
    if not detail:
        return ""
    return "; ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in detail.items()
    )


def plain_number(value: Decimal | str | None) -> str:
    """`0.5000` → `0.5`, `100` stays `100` (never `1E+2`)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        return str(value)
    return f"{value.normalize():f}"


def label(mapping: dict, key: str | None) -> str:
    return str(mapping[key]) if key in mapping else (key or "")


def paren(text: object) -> str:
    """An aside in the reader's punctuation: `（…）` in Chinese, ` (…)` in English."""
    return gettext("（%(text)s）", text=text)


def calibration_reason(entry: CalibrationEntry) -> str:
    """A calibration log entry's reasons in the reader's language; a person's own words (an
    override) as written."""
    if not entry.reason_parts:
        return entry.reason
    try:
        return reason_text(entry.reason_parts, gettext, gettext("；"))
    except (KeyError, TypeError, ValueError):  # a kind this version no longer knows
        return entry.reason


def html_lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh-CN"


def instance_error(instance) -> str:
    """Why an instance is in error, in the reader's language ('' when it is not)."""
    reason = instance_errors.of(instance)
    return str(translated(reason)) if reason is not None else ""


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["plain_number"] = plain_number
    app.jinja_env.filters["detail_text"] = detail_text
    app.jinja_env.filters["paren"] = paren
    app.jinja_env.filters["notice_text"] = notices.text_of
    app.jinja_env.filters["calibration_reason"] = calibration_reason
    app.jinja_env.globals.update(
        html_lang=html_lang,
        is_centre_admin=is_centre_admin,
        instance_error=instance_error,
        label=label,
        ROLES=ROLES,
        INSTANCE_STATUSES=INSTANCE_STATUSES,
        TASK_STATUSES=TASK_STATUSES,
        LETTER_STATUSES=LETTER_STATUSES,
        KINDS=KINDS,
        DIRECTIONS=DIRECTIONS,
        EVENT_KINDS=EVENT_KINDS,
        NOTICE_KINDS=NOTICE_KINDS,
        ESCALATION_CARDS=ESCALATION_CARDS,
        DIAGRAM_STATES=DIAGRAM_STATES,
        TOKEN_SCOPE_NAMES=TOKEN_SCOPE_NAMES,
        MEASURES=MEASURES,
    )
