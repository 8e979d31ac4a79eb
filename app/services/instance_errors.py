"""What the centre reads about an instance that stopped in `error`.

The runner keeps the technical cause (`error_message`, for the log and the API); people read
a sentence in their language naming the step and what to do, built from the kind of failure.
"""

from __future__ import annotations

from app.i18n import N_, Message
from app.models import ProcessInstance

_SENTENCES = {
    "timer": N_(
        "环节“%(step)s”的定时器取值无法识别（须为 ISO-8601 时长、日期或周期，例如 P7D），"
        "本流程已停在此处，其他流程照常运行。请在流程设计中修正后重试。"
    ),
    "multi_instance": N_(
        "环节“%(step)s”的多实例数量无效（须为 1 到 10000 的整数），"
        "本流程已停在此处，其他流程照常运行。请在流程设计中修正后重试。"
    ),
    "handler": N_(
        "环节“%(step)s”调用的服务处理程序出错，本流程已停在此处，其他流程照常运行。"
        "请检查相关数据后重试。"
    ),
    "expression": N_(
        "环节“%(step)s”的表达式无法计算，本流程已停在此处，其他流程照常运行。"
        "请检查流程数据或流程设计后重试。"
    ),
    "engine": N_(
        "环节“%(step)s”运行出错，本流程已停在此处，其他流程照常运行。"
        "技术原因已记入办理记录，请检查后重试。"
    ),
}
_UNKNOWN_STEP = N_("未知环节")


def summary(instance: ProcessInstance) -> Message | None:
    """The readable sentence for an instance in error, or None when it is not in error."""
    if instance.status != "error":
        return None
    step = instance.definition.elements.get(instance.error_task or "") or instance.error_task
    return Message(
        _SENTENCES.get(instance.error_kind or "engine", _SENTENCES["engine"]),
        step=step or Message(_UNKNOWN_STEP),
    )
