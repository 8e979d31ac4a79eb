"""Who holds a ready task: claim, unclaim, delegate, reassign, and orphaned tasks.

Each change is one conditional UPDATE of the task row (`WHERE status='ready' AND assignee …`),
so two people claiming at once cannot both win, on SQLite or PostgreSQL, without locking the
instance. Every change is written to the instance history and the audit trail.
"""

from __future__ import annotations

from sqlalchemy import update

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import HumanTask, InstanceEvent, Notice, Person
from app.services import audit, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

REASON_MAX = 200


def _task(task_id: int, actor: Person) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not (
        permissions.may_act(actor, task) or permissions.may_view_instance(actor, task.instance)
    ):
        raise NotFound(f"task {task_id} not found")
    if task.status != "ready":
        raise Conflict("this task is no longer open", task_status=task.status)
    return task


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("a reason is required", fields={"reason": [Message("请填写原因。")]})
    if len(reason) > REASON_MAX:
        raise Invalid(
            "the reason is too long", fields={"reason": [Message("最多%(n)s字。", n=REASON_MAX)]}
        )
    return reason.strip()


def _set_assignee(task: HumanTask, expected: int | None, new: int | None) -> None:
    """Move the task from `expected` to `new` holder, or fail if someone got there first."""
    changed = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == task.id,
            HumanTask.status == "ready",
            HumanTask.assignee_id.is_(None)
            if expected is None
            else HumanTask.assignee_id == expected,
        )
        .values(assignee_id=new, claimed_at=clock.now() if new else None, no_candidate=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("someone else changed this task first; reload it")
    db.session.refresh(task)


def _log(task: HumanTask, actor: Person, kind: str, **detail) -> None:
    db.session.add(
        InstanceEvent(
            instance_id=task.instance_id,
            actor_id=actor.id,
            kind=kind,
            bpmn_id=task.bpmn_id,
            name=task.name,
            detail=detail or None,
        )
    )
    audit.record(f"task.{kind.removeprefix('task_')}", actor, "human_task", task.id, **detail)


def _refuse_personal(task: HumanTask) -> None:
    """A ballot is its evaluator's own: it is not handed back or passed on (the centre may
    still reassign it)."""
    if task.personal:
        raise Conflict("this task is for one named person and cannot be handed over")


def claim(task_id: int, actor: Person) -> HumanTask:
    task = _task(task_id, actor)
    if not permissions.is_candidate(actor, task):
        raise Forbidden("you are not a candidate for this task")
    if task.assignee_id == actor.id:
        return task
    _set_assignee(task, None, actor.id)
    _log(task, actor, "task_claimed")
    return task


def unclaim(task_id: int, actor: Person) -> HumanTask:
    task = _task(task_id, actor)
    if task.assignee_id != actor.id:
        raise Forbidden("only the person holding this task can hand it back")
    _refuse_personal(task)
    _set_assignee(task, actor.id, None)
    _log(task, actor, "task_unclaimed")
    _flag_if_orphaned(task)
    return task


def delegate(task_id: int, actor: Person, to_person_id: object, reason: object) -> HumanTask:
    """Hand a task I hold (or could claim) to a colleague of the task's department."""
    task = _task(task_id, actor)
    if not permissions.may_act(actor, task):
        raise Forbidden("you can only delegate a task you may act on")
    _refuse_personal(task)
    text = _reason(reason)
    target = _person(to_person_id)
    if target.id == actor.id:
        raise Invalid(
            "cannot delegate to yourself", fields={"to_person_id": [Message("不能委托给本人。")]}
        )
    if not (target.department_id == task.department_id or permissions.is_candidate(target, task)):
        raise Invalid(
            "the delegate must belong to the task's department",
            fields={"to_person_id": [Message("受委托人须为本科室人员或有权办理该事项的人员。")]},
        )
    _set_assignee(task, task.assignee_id, target.id)
    _log(task, actor, "task_delegated", to_person_id=target.id, reason=text)
    return task


def reassign(task_id: int, actor: Person, to_person_id: object, reason: object) -> HumanTask:
    """The centre's override: give any open task to any active person."""
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre reassigns tasks")
    task = _task(task_id, actor)
    text = _reason(reason)
    target = _person(to_person_id)
    _set_assignee(task, task.assignee_id, target.id)
    _log(task, actor, "task_reassigned", to_person_id=target.id, reason=text)
    return task


def release(task: HumanTask, actor: Person | None, reason: str) -> None:
    """Return a task to its role's pool (used when its holder leaves the department)."""
    holder = task.assignee_id
    task.assignee_id = None
    task.claimed_at = None
    db.session.add(
        InstanceEvent(
            instance_id=task.instance_id,
            actor_id=actor.id if actor else None,
            kind="task_released",
            bpmn_id=task.bpmn_id,
            name=task.name,
            detail={"from_person_id": holder, "reason": reason},
        )
    )
    _flag_if_orphaned(task)


def flag_new_tasks(tasks: list[HumanTask]) -> None:
    for task in tasks:
        _flag_if_orphaned(task)


def _flag_if_orphaned(task: HumanTask) -> None:
    """A task nobody may act on is flagged and the centre is told, never silently stuck."""
    if task.assignee_id is not None or permissions.candidates(task.role, task.department):
        task.no_candidate = False
        return
    if task.no_candidate:
        return
    task.no_candidate = True
    for admin in permissions.centre_admins():
        db.session.add(
            Notice(
                person_id=admin.id,
                instance_id=task.instance_id,
                kind="task_no_candidate",
                message=f"「{task.department.name}」的「{task.name}」没有可办理人员，请指派。",
            )
        )


def _person(person_id: object) -> Person:
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        raise Invalid(
            "to_person_id must be a person id", fields={"to_person_id": [Message("无效的人员。")]}
        )
    person = db.session.get(Person, person_id)
    if person is None or not person.active:
        raise Invalid(
            "no such active person", fields={"to_person_id": [Message("人员不存在或已停用。")]}
        )
    return person
