"""Process instances: start, complete a task, fire timers, retry, and their history.

Every change follows one path: lock the instance row → load the workflow → run → save the
state, the status, `next_timer_at`, the history and the human-task projection together. The
caller wraps it in `transactions.unit_of_work`, which commits and retries on contention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

import handlers
from app import clock, metrics
from app.engine import runner
from app.engine.types import Snapshot
from app.extensions import db
from app.forms import get_form
from app.forms.catalog import Submission, is_anonymous_ballot
from app.models import (
    Campaign,
    Department,
    HumanTask,
    InstanceEvent,
    Person,
    ProcessInstance,
)
from app.services import assignments, audit, definitions, permissions
from app.services.errors import (
    Conflict,
    Forbidden,
    InstanceFailed,
    Invalid,
    NotFound,
    ServiceError,
)
from app.services.letters import LetterStateError
from app.services.transactions import is_contention

ANNUAL_CYCLE = "annual_cycle"
CLOSED = ("completed", "terminated")
PAUSED = ("suspended", "error")


def _service_caller(instance: ProcessInstance):
    """Service tasks reach `handlers/` through here, each call inside a savepoint so a failing
    handler leaves none of its writes behind."""

    def call(name: str, params: dict[str, Any], data: Mapping[str, Any]) -> Any:
        context = handlers.HandlerContext(
            instance.id, instance.department_id, instance.campaign_id, data
        )
        with db.session.begin_nested():
            return handlers.call(name, context, params)

    return call


def _lock(instance_id: int) -> ProcessInstance:
    """The instance row, locked for this transaction (FOR UPDATE on PostgreSQL; the row version
    column guards SQLite). A lock wait over 3 s is retried by the unit of work."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL lock_timeout = '3s'"))
    instance = db.session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if instance is None:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def _load(instance: ProcessInstance) -> runner.Run:
    definition = instance.definition
    return runner.load(
        lambda: definition.specs, instance.state, _service_caller(instance), definition.spec_hash
    )


def _save(
    instance: ProcessInstance,
    run: runner.Run,
    snap: Snapshot,
    actor: Person | None = None,
    acted_task: HumanTask | None = None,
) -> None:
    now = clock.now()
    instance.state = run.dump()
    instance.status = snap.status
    instance.next_timer_at = snap.next_timer_at
    instance.error_message = snap.error
    instance.error_task = snap.error_task_id
    instance.error_code = snap.error_code if snap.error else None
    instance.updated_at = now
    if snap.status == "completed":
        instance.completed_at = now

    completed_ids = {step.task_id for step in run.completed}
    for step in run.completed:
        by_person = acted_task is not None and step.task_id == acted_task.task_id
        db.session.add(
            InstanceEvent(
                instance_id=instance.id,
                at=step.finished_at or now,
                actor_id=actor.id if by_person and actor else None,
                kind="task_completed" if by_person else step.kind,
                bpmn_id=step.bpmn_id,
                name=step.name,
            )
        )
    if snap.error:
        db.session.add(
            InstanceEvent(
                instance_id=instance.id,
                kind="error",
                bpmn_id=snap.error_task_id,
                name=instance.definition.elements.get(snap.error_task_id or "", snap.error_task_id),
                detail={"message": snap.error, "code": snap.error_code},
            )
        )
    _project(instance, snap, completed_ids, actor, acted_task)


ERROR_DETAIL_MAX = 2000


def _detail(exc: BaseException) -> str:
    if isinstance(exc, runner.StepCrashed):
        return exc.detail[:ERROR_DETAIL_MAX]
    return f"{type(exc).__name__}: {exc}"[:ERROR_DETAIL_MAX]


def _failed(instance_id: int, exc: Exception) -> InstanceFailed:
    """The failure of one instance's step, to raise once its writes are rolled back: the
    instance is then put in `error` with the reason in a fresh transaction (`after_rollback`),
    keeping the state it had before the step, so a retry runs the step again."""
    detail = _detail(exc)
    bpmn_id = getattr(exc, "bpmn_id", None)
    code = "engine_crashed"

    def record() -> None:
        instance = _lock(instance_id)
        if instance.status in CLOSED:
            return
        instance.status = "error"
        instance.error_message = detail
        instance.error_task = bpmn_id
        instance.error_code = code
        instance.updated_at = clock.now()
        db.session.add(
            InstanceEvent(
                instance_id=instance.id,
                kind="error",
                bpmn_id=bpmn_id,
                name=instance.definition.elements.get(bpmn_id or "", bpmn_id),
                detail={"message": detail, "code": code},
            )
        )
        db.session.flush()

    return InstanceFailed(
        f"instance {instance_id} failed at {bpmn_id or 'a step'}: {detail}",
        instance_id,
        record,
        error_code=code,
        element_id=bpmn_id,
    )


def _passes(exc: Exception) -> bool:
    """Errors that are answers, not failures of the instance: the caller's own 4xx, the
    engine's "not ready / not waiting", and lock contention the unit of work retries."""
    return isinstance(
        exc,
        ServiceError | runner.TaskNotReady | runner.NotWaitingForMessage | LetterStateError,
    ) or is_contention(exc)


def _project(instance, snap, completed_ids, actor, acted_task) -> None:
    """Rewrite the human-task rows of this instance to match the workflow."""
    now = clock.now()
    open_rows = {
        row.task_id: row
        for row in db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.status == "ready"
            )
        )
    }
    ready_ids = {t.task_id for t in snap.ready_tasks}
    for task_id, row in open_rows.items():
        if task_id in ready_ids:
            continue
        row.status = "completed" if task_id in completed_ids else "cancelled"
        row.completed_at = now
        if acted_task is not None and row.id == acted_task.id and actor is not None:
            row.completed_by_id = actor.id
    new_rows = [
        HumanTask(
            instance_id=instance.id,
            task_id=task.task_id,
            bpmn_id=task.bpmn_id,
            name=task.name,
            role=task.lane,
            department=instance.department,
            form_key=task.form_key,
            status="ready",
            due_at=task.due_at,
            assignee_id=task.assignee_id,
            personal=task.assignee_id is not None,
            created_at=now,
        )
        for task in snap.ready_tasks
        if task.task_id not in open_rows
    ]
    db.session.add_all(new_rows)
    assignments.flag_new_tasks(new_rows)
    db.session.flush()


def campaign_for(year: int) -> Campaign:
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == year)).first()
    if campaign is None:
        campaign = Campaign(year=year, name=f"{year}年度绩效考核")
        db.session.add(campaign)
        db.session.flush()
    return campaign


def start(
    department_id: int, year: int, actor: Person, process_key: str = ANNUAL_CYCLE
) -> ProcessInstance:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre starts instances")
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(f"department {department_id} not found")
    definition = definitions.latest(process_key)
    if definition is None:
        raise NotFound(f"no definition for process {process_key!r}")
    campaign = campaign_for(year)
    instance = ProcessInstance(
        definition=definition,
        process_key=process_key,
        campaign_id=campaign.id,
        department_id=department.id,
        status="running",
        state={},
        started_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(instance)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{department.name} already has a {year} instance") from exc
    try:
        run = runner.start(
            definition.specs,
            _service_caller(instance),
            {"instance_id": instance.id, "department_id": department.id, "year": year},
            definition.spec_hash,
        )
        db.session.add(InstanceEvent(instance_id=instance.id, actor_id=actor.id, kind="started"))
        _save(instance, run, run.step(), actor)
    except Exception as exc:
        if _passes(exc):
            raise
        # Nothing is kept (the unit of work rolls back): the diagram must be fixed first.
        raise Conflict(
            f"version {definition.version} of {process_key!r} cannot start: {_detail(exc)}",
            error_code="engine_crashed",
            element_id=getattr(exc, "bpmn_id", None),
        ) from exc
    audit.record(
        "instance.start", actor, "instance", instance.id, department_id=department.id, year=year
    )
    return instance


def get_task(human_task_id: int, actor: Person) -> HumanTask:
    task = db.session.get(HumanTask, human_task_id)
    if task is None:
        raise NotFound(f"task {human_task_id} not found")
    if not (
        permissions.may_act(actor, task) or permissions.may_view_instance(actor, task.instance)
    ):
        raise NotFound(f"task {human_task_id} not found")  # do not reveal other departments' tasks
    return task


def complete_task(human_task_id: int, actor: Person, payload: Any) -> HumanTask:
    task = get_task(human_task_id, actor)
    if task.status == "ready" and not permissions.may_act(actor, task):
        raise Forbidden("you are not a candidate for this task")
    form = get_form(task.form_key)
    try:
        data = form.schema().load(payload if isinstance(payload, Mapping) else {"_": payload})
    except ValidationError as exc:
        raise Invalid("the form has errors", fields=exc.messages) from exc

    instance = _lock(task.instance_id)
    db.session.refresh(task)
    if task.status != "ready":
        raise Conflict("this task has already been completed", task_status=task.status)
    if not permissions.may_act(actor, task):
        raise Forbidden("you are not a candidate for this task")
    if instance.status in CLOSED + PAUSED:
        raise Conflict(f"the instance is {instance.status}")

    try:
        run = _load(instance)
    except Exception as exc:
        if _passes(exc):
            raise
        raise _failed(instance.id, exc) from exc
    try:
        with db.session.begin_nested():
            task_data = form.effect(Submission(instance, task, actor), data)
    except LetterStateError as exc:
        raise Conflict(str(exc)) from exc
    try:
        snap = run.complete(task.task_id, task_data)
        _save(instance, run, snap, actor, task)
    except runner.TaskNotReady as exc:
        raise Conflict(f"this task is {exc.state}") from exc
    except Exception as exc:
        if _passes(exc):
            raise
        raise _failed(instance.id, exc) from exc
    audit.record(
        "task.complete", actor, "human_task", task.id, bpmn_id=task.bpmn_id, instance_id=instance.id
    )
    metrics.count_on_commit(db.session(), "completions")
    return task


def fire_timers(instance_id: int) -> Snapshot | None:
    """Wake one instance (called by the sweep for instances it has claimed)."""
    instance = _lock(instance_id)
    if instance.status in CLOSED + PAUSED:
        return None
    try:
        run = _load(instance)
        snap = run.fire_timers()
        _save(instance, run, snap)
    except Exception as exc:
        if _passes(exc):
            raise
        raise _failed(instance_id, exc) from exc
    return snap


def deliver_message(instance_id: int, name: str, payload: Mapping[str, Any]) -> bool:
    """Deliver a message to one instance waiting for it (e.g. `results_published` from the
    campaign's publication); False when the instance is not waiting for it (closed, paused,
    already past that point, or not there yet)."""
    instance = _lock(instance_id)
    if instance.status in CLOSED + PAUSED:
        return False
    try:
        run = _load(instance)
        if name not in runner.waiting_messages(run.workflow):
            return False
        snap = run.send_message(name, payload)
        db.session.add(
            InstanceEvent(instance_id=instance.id, kind="message", name=name, detail=dict(payload))
        )
        _save(instance, run, snap)
    except Exception as exc:
        if _passes(exc):
            raise
        raise _failed(instance_id, exc) from exc
    return True


def retry(instance_id: int, actor: Person) -> ProcessInstance:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre retries instances")
    instance = _lock(instance_id)
    if instance.status != "error":
        raise Conflict(f"the instance is {instance.status}, not in error")
    db.session.add(
        InstanceEvent(
            instance_id=instance.id,
            actor_id=actor.id,
            kind="retried",
            detail={"previous_error": instance.error_message},
        )
    )
    try:
        run = _load(instance)
        _save(instance, run, run.retry(), actor)
    except Exception as exc:
        if _passes(exc):
            raise
        raise _failed(instance_id, exc) from exc
    audit.record("instance.retry", actor, "instance", instance.id)
    return instance


# -- the centre's actions on an instance: suspend, resume, terminate ---------------------------

REASON_MAX = 500
SUSPENDABLE = ("running", "waiting_people", "waiting_timer", "waiting_message")


def _reason(reason: object, required: bool = True) -> str | None:
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if not required:
            return None
        raise Invalid("a reason is required", fields={"reason": ["请填写原因。"]})
    if not isinstance(reason, str):
        raise Invalid("the reason must be text", fields={"reason": ["原因须为文本。"]})
    if len(reason) > REASON_MAX:
        raise Invalid("the reason is too long", fields={"reason": [f"最多{REASON_MAX}字。"]})
    return reason.strip()


def _admin_action(instance_id: int, actor: Person, verb: str) -> ProcessInstance:
    if not permissions.is_centre_admin(actor):
        raise Forbidden(f"only the performance-management centre may {verb} instances")
    return _lock(instance_id)


def _record(instance: ProcessInstance, actor: Person, kind: str, **detail: Any) -> None:
    db.session.add(
        InstanceEvent(instance_id=instance.id, actor_id=actor.id, kind=kind, detail=detail)
    )
    audit.record(f"instance.{kind}", actor, "instance", instance.id, **detail)


def suspend(instance_id: int, actor: Person, reason: object) -> ProcessInstance:
    """Hold a running or waiting instance: no task completes, no timer fires, no message is
    taken and its steps do not escalate until it is resumed."""
    instance = _admin_action(instance_id, actor, "suspend")
    text = _reason(reason)
    if instance.status not in SUSPENDABLE:
        raise Conflict(f"the instance is {instance.status}; only a running one can be suspended")
    previous = instance.status
    instance.status = "suspended"
    instance.updated_at = clock.now()
    _record(instance, actor, "suspended", reason=text, previous_status=previous)
    db.session.flush()
    return instance


def resume(instance_id: int, actor: Person, reason: object = None) -> ProcessInstance:
    """Back to the status the workflow's state implies; timers that fell due meanwhile fire
    on the next sweep (`next_timer_at` is recomputed and left in the past)."""
    instance = _admin_action(instance_id, actor, "resume")
    text = _reason(reason, required=False)
    if instance.status != "suspended":
        raise Conflict(f"the instance is {instance.status}, not suspended")
    snap = runner.snapshot(_load(instance).workflow)
    instance.status = snap.status
    instance.next_timer_at = snap.next_timer_at
    instance.updated_at = clock.now()
    detail: dict[str, Any] = {"status": snap.status}
    if text:
        detail["reason"] = text
    _record(instance, actor, "resumed", **detail)
    db.session.flush()
    return instance


def terminate(instance_id: int, actor: Person, reason: object) -> ProcessInstance:
    """End an instance for good: its open tasks are cancelled and it never runs again."""
    instance = _admin_action(instance_id, actor, "terminate")
    text = _reason(reason)
    if instance.status in CLOSED:
        raise Conflict(f"the instance is already {instance.status}")
    now = clock.now()
    cancelled = list(
        db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.status == "ready"
            )
        )
    )
    for task in cancelled:
        task.status = "cancelled"
        task.completed_at = now
    previous = instance.status
    instance.status = "terminated"
    instance.next_timer_at = None
    instance.updated_at = now
    _record(
        instance,
        actor,
        "terminated",
        reason=text,
        previous_status=previous,
        cancelled_task_ids=[task.id for task in cancelled],
    )
    db.session.flush()
    return instance


def get(instance_id: int, actor: Person) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or not permissions.may_view_instance(actor, instance):
        raise NotFound(f"instance {instance_id} not found")
    return instance


# What a peer evaluator (民主测评) does on their ballot step is nobody's to see: not who
# cast it, took it or passed it on, nor when.
ANONYMOUS_EVENT_KINDS = frozenset(
    {"task_completed", "task_claimed", "task_unclaimed", "task_delegated"}
)
PERSON_DETAIL_KEYS = ("to_person_id", "from_person_id")


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an instance's history as its viewer may see it."""

    at: datetime
    kind: str
    bpmn_id: str | None
    name: str | None
    actor_id: int | None
    actor_name: str | None
    detail: dict[str, Any] | None
    anonymous: bool = False


def anonymous_steps(tasks: list[HumanTask]) -> set[str]:
    """BPMN ids of the instance's peer-ballot steps."""
    return {t.bpmn_id for t in tasks if is_anonymous_ballot(t.form_key, t.role)}


def _entry(event: InstanceEvent, anonymous: bool) -> HistoryEntry:
    if not anonymous:
        return HistoryEntry(
            event.at,
            event.kind,
            event.bpmn_id,
            event.name,
            event.actor_id,
            event.actor.display_name if event.actor else None,
            event.detail,
        )
    detail = {k: v for k, v in (event.detail or {}).items() if k not in PERSON_DETAIL_KEYS}
    return HistoryEntry(
        event.at, event.kind, event.bpmn_id, event.name, None, None, detail or None, True
    )


def history(instance: ProcessInstance, tasks: list[HumanTask] | None = None) -> list[HistoryEntry]:
    """Who did what and when, with peer evaluators' steps anonymous for every viewer."""
    steps = anonymous_steps(tasks_of(instance) if tasks is None else tasks)
    events = db.session.scalars(
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance.id)
        .order_by(InstanceEvent.id)
        .options(joinedload(InstanceEvent.actor))
    )
    return [_entry(e, e.bpmn_id in steps and e.kind in ANONYMOUS_EVENT_KINDS) for e in events]


def _unnamed(task: HumanTask) -> SimpleNamespace:
    """A read-only copy of a task without the person who holds or held it."""
    view = SimpleNamespace(
        **{c.key: getattr(task, c.key) for c in HumanTask.__table__.columns},
        department=task.department,
    )
    view.assignee_id = view.completed_by_id = None
    return view


def visible_tasks(tasks: list[HumanTask], viewer: Person) -> list[HumanTask | SimpleNamespace]:
    """The instance's tasks; who holds or held a peer ballot only the centre sees (to chase)."""
    if permissions.is_centre_admin(viewer):
        return tasks
    steps = anonymous_steps(tasks)
    return [_unnamed(t) if t.bpmn_id in steps else t for t in tasks]


def tasks_of(instance: ProcessInstance) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id)
        )
    )


def inbox(actor: Person, scope: str = "all") -> list[HumanTask]:
    query = permissions.inbox_query(actor, scope).order_by(
        HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id
    )
    return list(db.session.scalars(query))
