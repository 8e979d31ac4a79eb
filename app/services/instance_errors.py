"""Why an instance is in error, in the reader's language: the engine's detail (English,
technical) stays in `error_message` for the centre's specialists; pages show these sentences,
chosen by `error_code` and naming the step."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import N_, Message
from app.models import Campaign, Department, Person, ProcessInstance
from app.services import permissions

LIST_MAX = 200

_AT_STEP = {
    "bad_timer": N_(
        "环节“%(step)s”的定时设置无法执行：须为 ISO-8601 时长、日期或周期（例如 P10D）。"
        "请修改流程图并发布新版本后重试。"
    ),
    "bad_cardinality": N_(
        "环节“%(step)s”的多实例数量无法执行：须为不小于零的整数。请修改流程图并发布新版本后重试。"
    ),
    "handler_failed": N_("环节“%(step)s”的自动处理程序出错。请检查后重试。"),
    "expression_failed": N_("环节“%(step)s”的表达式无法计算。请检查流程图和流程数据后重试。"),
}
_AT_STEP_DEFAULT = N_("环节“%(step)s”运行出错，流程已停在此处。请绩效管理中心检查后重试。")
_NO_STEP = N_("流程运行出错，已停止推进。请绩效管理中心检查后重试。")


def explain(code: str | None, step: str | None) -> Message:
    """The sentence for a failure of kind `code` at the step named `step` (if known)."""
    if not step:
        return Message(_NO_STEP)
    return Message(_AT_STEP.get(code or "", _AT_STEP_DEFAULT), step=step)


def of(instance: ProcessInstance) -> Message | None:
    """The sentence for an instance in error (None when it is not)."""
    if instance.status != "error":
        return None
    step = instance.error_task
    if step:
        step = (instance.definition.elements or {}).get(step, step)
    return explain(instance.error_code, step)


def in_error(
    viewer: Person, year: int | None = None, department_id: int | None = None
) -> list[ProcessInstance]:
    """Instances in error in the departments the viewer supervises (the overdue board's
    scope and filters), oldest failure first."""
    if not permissions.may_supervise(viewer):
        return []
    query = (
        select(ProcessInstance)
        .join(Campaign, Campaign.id == ProcessInstance.campaign_id)
        .where(
            ProcessInstance.status == "error",
            ProcessInstance.department_id.in_(permissions.supervised_departments(viewer)),
        )
        .options(
            joinedload(ProcessInstance.department).joinedload(Department.unit),
            joinedload(ProcessInstance.campaign),
            joinedload(ProcessInstance.definition),
        )
        .order_by(ProcessInstance.updated_at, ProcessInstance.id)
        .limit(LIST_MAX)
    )
    if year is not None:
        query = query.where(Campaign.year == year)
    if department_id is not None:
        query = query.where(ProcessInstance.department_id == department_id)
    return list(db.session.scalars(query).unique())
