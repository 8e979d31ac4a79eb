"""The centre's actions on the instance page: suspend, resume, terminate, retry, reassign a task.

Each form posts here with its CSRF token; the service checks the role (403 for anyone else),
the instance (404) and its state. A refusal (wrong state, missing reason, unknown person) is a
flash message on the instance page, and nothing was written (the unit of work rolled back).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.pages.display import INSTANCE_STATUSES, label
from app.pages.views import actor, bp
from app.services import assignments, instances
from app.services.errors import Conflict, InstanceFailed, Invalid, NotFound
from app.services.transactions import unit_of_work


def _back(instance_id: int):
    return redirect(url_for(".instance", instance_id=instance_id))


def _status_of(instance_id: int) -> str:
    db.session.expire_all()
    return label(INSTANCE_STATUSES, db.session.get(ProcessInstance, instance_id).status)


def _reason_refused(longest: int = instances.REASON_MAX) -> str:
    return _("请填写原因（最多 %(n)s 字）。", n=longest)


def _act(
    instance_id: int,
    service: Callable,
    done: str,
    wrong_state: str,
    with_reason: bool = True,
):
    """Run one action; Forbidden and NotFound become the error page, the rest a flash."""
    person = actor()
    args = (request.form.get("reason"),) if with_reason else ()
    try:
        unit_of_work(lambda: service(instance_id, person, *args))
    except Invalid:
        flash(_reason_refused(), "error")
    except InstanceFailed:  # recorded on the instance: the page says why
        flash(_("操作未能完成：流程运行出错，原因见本页。"), "error")
    except Conflict:
        flash(wrong_state % {"status": _status_of(instance_id)}, "error")
    else:
        flash(done, "success")
    return _back(instance_id)


@bp.post("/instances/<int:instance_id>/suspend")
@login_required
def suspend_instance(instance_id: int):
    return _act(
        instance_id,
        instances.suspend,
        _("流程已暂停：暂停期间不能办理任务，定时事件不触发，也不督办。"),
        _("只有运行中的流程可以暂停；该流程当前为“%(status)s”。"),
    )


@bp.post("/instances/<int:instance_id>/resume")
@login_required
def resume_instance(instance_id: int):
    return _act(
        instance_id,
        instances.resume,
        _("流程已恢复运行；暂停期间到期的定时事件将在下一次定时检查时触发。"),
        _("该流程未暂停（当前为“%(status)s”），无需恢复。"),
    )


@bp.post("/instances/<int:instance_id>/terminate")
@login_required
def terminate_instance(instance_id: int):
    return _act(
        instance_id,
        instances.terminate,
        _("流程已终止，未办结的任务已取消。"),
        _("该流程已结束（%(status)s），不能终止。"),
    )


@bp.post("/instances/<int:instance_id>/retry")
@login_required
def retry_instance(instance_id: int):
    return _act(
        instance_id,
        instances.retry,
        _("已重试出错的环节。"),
        _("该流程未出错（当前为“%(status)s”），无需重试。"),
        with_reason=False,
    )


@bp.post("/instances/<int:instance_id>/tasks/<int:task_id>/reassign")
@login_required
def reassign_task(instance_id: int, task_id: int):
    """The centre gives an open task of this instance to someone else, with a reason."""
    person = actor()
    task = db.session.get(HumanTask, task_id)
    if task is None or task.instance_id != instance_id:
        raise NotFound(f"task {task_id} not found")
    raw = request.form.get("to_person_id", "")
    to_person_id = int(raw) if raw.isdecimal() and len(raw) < 10 else None
    try:
        task = unit_of_work(
            lambda: assignments.reassign(task_id, person, to_person_id, request.form.get("reason"))
        )
    except Invalid as exc:
        fields = exc.extra.get("fields", {})
        if "reason" in fields:
            flash(_reason_refused(assignments.REASON_MAX), "error")
        else:
            flash(_("请选择有效的人员。"), "error")
    except Conflict:
        flash(_("该任务已办结或已取消，或刚被他人变更，请刷新后重试。"), "error")
    else:
        flash(
            _("已改派：%(task)s → %(name)s。", task=task.name, name=task.assignee.display_name),
            "success",
        )
    return _back(instance_id)
