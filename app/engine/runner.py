"""Run workflows: load, step, complete a task, fire timers, retry, save.

"When to stop running" lives here; "how to save" is the caller's: every function takes or
returns plain dicts (the serialised instance state, without the specs, which are stored once
per definition version) and `Snapshot`s.
"""

from __future__ import annotations

import json
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from app import clock
from app.engine.definitions import SERIALIZER
from app.engine.expressions import ExpressionError
from app.engine.script_engine import HandlerFailed, SafeScriptEngine, ServiceCaller, ValueRefused
from app.engine.types import CompletedStep, ReadyTask, Snapshot

SPEC_KEYS = ("spec", "subprocess_specs")
# Spec types whose completion is worth a line in an instance's history.
_HISTORY_KINDS = {
    "UserTask": "user_task",
    "ManualTask": "user_task",
    "ServiceTask": "service_task",
    "BusinessRuleTask": "business_rule",
    "StartEvent": "event",
    "EndEvent": "event",
    "BoundaryEvent": "event",
    "IntermediateCatchEvent": "event",
    "IntermediateThrowEvent": "event",
    "ExclusiveGateway": "gateway",
    "ParallelGateway": "gateway",
    "InclusiveGateway": "gateway",
}


# Kinds of failure a step can end in; the pages say each in the reader's language.
ERROR_CODES = (
    "bad_timer",  # a timer's value is not an ISO-8601 duration, date or cycle
    "bad_cardinality",  # a multi-instance count is not a whole number >= 0
    "handler_failed",  # a service task's handler raised
    "expression_failed",  # a condition, parameter or other expression could not be evaluated
    "step_failed",  # any other error the engine reported on a task
    "engine_crashed",  # the engine raised something it does not report as a task error
)


class TaskNotFound(Exception):
    pass


class StepCrashed(Exception):
    """The engine raised an exception that is not one of its task errors: the in-memory
    workflow cannot be trusted, so the caller throws this run away (rolls back) and records
    the failure on the instance instead of saving the state."""

    def __init__(self, detail: str, bpmn_id: str | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.bpmn_id = bpmn_id
        self.code = "engine_crashed"


class NotWaitingForMessage(Exception):
    """The workflow has no event waiting for this message (already past it, or not yet)."""


class TaskNotReady(Exception):
    """The task exists but is not a READY manual task (already done, cancelled, or automatic)."""

    def __init__(self, task_id: str, state: str) -> None:
        super().__init__(f"task {task_id} is {state}")
        self.state = state


@dataclass
class Run:
    """A loaded workflow plus what happened to it during this run."""

    workflow: BpmnWorkflow
    completed: list[CompletedStep] = field(default_factory=list)

    def _record(self, task) -> None:
        spec = task.task_spec
        kind = _HISTORY_KINDS.get(type(spec).__name__)
        if kind is None or getattr(spec, "bpmn_id", None) is None:
            return
        self.completed.append(
            CompletedStep(
                str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, kind, clock.now()
            )
        )

    def step(self, first: Callable[[], None] | None = None) -> Snapshot:
        """Run automatic work (after `first`, if given) until only people or timers can move
        the workflow on. A task error ends in an `error` snapshot; anything else the engine
        raises becomes `StepCrashed`."""
        try:
            if first is not None:
                first()
            self.workflow.do_engine_steps(did_complete_task=self._record)
        except SpiffWorkflowException as exc:
            return snapshot(
                self.workflow,
                error=_cause(exc),
                error_task=_error_task(self.workflow, exc),
                error_code=_error_code(exc),
            )
        except Exception as exc:
            raise StepCrashed(_cause(exc), _crashed_task(exc)) from exc
        return snapshot(self.workflow)

    def complete(self, task_id: str, data: Mapping[str, Any]) -> Snapshot:
        task = _get_task(self.workflow, task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id, TaskState.get_name(task.state))

        def run_task() -> None:
            task.set_data(**dict(data))
            task.run()
            self._record(task)

        return self.step(run_task)

    def send_message(self, name: str, payload: Mapping[str, Any]) -> Snapshot:
        """Deliver a message to the catch event waiting for it, then run on."""
        event = BpmnEvent(MessageEventDefinition(name), payload=dict(payload))
        try:
            self.workflow.send_event(event)
        except WorkflowException as exc:
            raise NotWaitingForMessage(name) from exc
        return self.step()

    def fire_timers(self) -> Snapshot:
        """A wake-up: timers first (marks due ones READY), then run their branches."""
        return self.step(self.workflow.refresh_timers)

    def retry(self) -> Snapshot:
        """Reset every errored task to READY and run again."""
        for task in self.workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
        return self.step()

    def dump(self) -> dict[str, Any]:
        return dump(self.workflow)


def _script_engine(call_service: ServiceCaller | None) -> SafeScriptEngine:
    return SafeScriptEngine(call_service)


_SPEC_CACHE: dict[str, tuple[Any, dict[str, Any]]] = {}
_SPEC_CACHE_SIZE = 64


Specs = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def _restore_specs(specs: Specs, cache_key: str | None) -> tuple[Any, dict[str, Any]]:
    """Spec objects for stored specs, restored once per definition version and then shared.
    `specs` may be a loader, called only on a cache miss (the stored specs of the whole year's
    diagram are ~100 KB: not worth reading for every completion).

    SpiffWorkflow's restore writes objects into the dict it is given, so it only ever sees a
    private copy of the stored JSON.
    """
    if cache_key is not None and cache_key in _SPEC_CACHE:
        return _SPEC_CACHE[cache_key]
    if callable(specs):
        specs = specs()
    fresh = json.loads(json.dumps(specs))
    restored = (
        SERIALIZER.from_dict(fresh["spec"]),
        {name: SERIALIZER.from_dict(s) for name, s in fresh["subprocess_specs"].items()},
    )
    if cache_key is not None:
        if len(_SPEC_CACHE) >= _SPEC_CACHE_SIZE:
            _SPEC_CACHE.pop(next(iter(_SPEC_CACHE)))
        _SPEC_CACHE[cache_key] = restored
    return restored


def start(
    specs: Specs,
    call_service: ServiceCaller | None,
    data: Mapping[str, Any],
    cache_key: str | None = None,
) -> Run:
    spec, subprocess_specs = _restore_specs(specs, cache_key)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=_script_engine(call_service))
    workflow.data.update(dict(data))
    # The start task carries the initial data down to the first tasks.
    workflow.get_tasks(state=TaskState.READY)[0].data.update(dict(data))
    return Run(workflow)


def load(
    specs: Specs,
    state: Mapping[str, Any],
    call_service: ServiceCaller | None,
    cache_key: str | None = None,
) -> Run:
    spec, subprocess_specs = _restore_specs(specs, cache_key)
    # Restored objects pass through SpiffWorkflow's restore unchanged.
    full = {**_in_tree_order(state), "spec": spec, "subprocess_specs": subprocess_specs}
    SERIALIZER.migrate(full)
    workflow = SERIALIZER.from_dict(full)
    workflow.script_engine = _script_engine(call_service)
    return Run(workflow)


def _tasks_in_tree_order(tasks: Mapping[str, Any], root: str | None) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    pending = deque([root])
    while pending:
        task_id = pending.popleft()
        if task_id in ordered or task_id not in tasks:
            continue
        ordered[task_id] = tasks[task_id]
        pending.extend(tasks[task_id].get("children", []))
    for task_id, task in tasks.items():  # anything unreachable keeps its place at the end
        ordered.setdefault(task_id, task)
    return ordered


def _in_tree_order(state: Mapping[str, Any]) -> dict[str, Any]:
    """The state with every task listed after its parent.

    SpiffWorkflow 3.2 stores a task's data as a delta against its parent's and rebuilds it in
    the order of the `tasks` mapping, reading the parent's data: a child restored before its
    parent silently gets no data. PostgreSQL's JSONB does not keep key order, so the order is
    rebuilt here from the tree rather than trusted from storage.
    """
    ordered = dict(state)
    if isinstance(state.get("tasks"), Mapping):
        ordered["tasks"] = _tasks_in_tree_order(state["tasks"], state.get("root"))
    if isinstance(state.get("subprocesses"), Mapping):
        ordered["subprocesses"] = {
            key: {**sub, "tasks": _tasks_in_tree_order(sub.get("tasks", {}), sub.get("root"))}
            for key, sub in state["subprocesses"].items()
        }
    return ordered


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's own state: everything but the specs (stored once per version)."""
    dct = SERIALIZER.to_dict(workflow)
    for key in SPEC_KEYS:
        dct.pop(key, None)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER_VERSION
    return dct


def _get_task(workflow: BpmnWorkflow, task_id: str):
    try:
        task = workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, KeyError, TypeError) as exc:
        raise TaskNotFound(task_id) from exc
    if task is None:
        raise TaskNotFound(task_id)
    return task


def _cause(exc: BaseException) -> str:
    """The real reason behind a SpiffWorkflow exception (a handler's own error, not the
    wrapper's `NameError: script`-style message)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    innermost = exc
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, HandlerFailed):
            return str(current)
        if not isinstance(current, SpiffWorkflowException):
            innermost = current
        pending += [getattr(current, "exception", None), current.__cause__, current.__context__]
    if innermost is exc:
        return str(exc).strip()
    return f"{type(innermost).__name__}: {innermost}"


def _error_task(workflow: BpmnWorkflow, exc: BaseException | None = None) -> str | None:
    errored = workflow.get_tasks(state=TaskState.ERROR)
    if errored:
        return errored[0].task_spec.bpmn_id
    task = getattr(exc, "task", None)  # a timer's task is not set to ERROR by the engine
    return getattr(getattr(task, "task_spec", None), "bpmn_id", None)


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [getattr(current, "exception", None), current.__cause__, current.__context__]
    return found


def _error_code(exc: SpiffWorkflowException) -> str:
    chain = _chain(exc)
    for current in chain:
        if isinstance(current, ValueRefused):
            return current.code
        if isinstance(current, HandlerFailed):
            return "handler_failed"
    if any(isinstance(c, ExpressionError | SyntaxError | NameError) for c in chain):
        return "expression_failed"
    if "evaluating expression" in str(exc):
        return "expression_failed"
    return "step_failed"


def _crashed_task(exc: BaseException) -> str | None:
    """The BPMN id of the task SpiffWorkflow was working on when it raised a plain exception:
    such exceptions carry no task, so it is read from the innermost `my_task` of the
    traceback (SpiffWorkflow's name for the task every spec method works on)."""
    bpmn_id = None
    for frame, _line in traceback.walk_tb(exc.__traceback__):
        task = frame.f_locals.get("my_task")
        spec_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
        if isinstance(spec_id, str):
            bpmn_id = spec_id
    return bpmn_id


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None


def _due_at(task) -> datetime | None:
    """Due time of a ready task: its boundary timer's fire time, else its `dueIn` property."""
    for sibling in task.parent.children if task.parent else []:
        definition = getattr(sibling.task_spec, "event_definition", None)
        if sibling is not task and isinstance(definition, TimerEventDefinition):
            due = _parse_time(sibling._get_internal_data("event_value"))
            if due is not None:
                return due
    due_in = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {}).get("dueIn")
    if due_in:
        duration = TimerEventDefinition.parse_iso_duration(due_in)
        return clock.now() + TimerEventDefinition.get_timedelta_from_start(duration, clock.now())
    return None


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    times = [
        _parse_time(event.value)
        for event in workflow.waiting_events()
        if "Timer" in event.event_type or "TimeDate" in event.event_type
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def _assignee(task, properties: Mapping[str, str]) -> int | None:
    """The person a task is for, when its `assignee` property names a variable holding a
    person id (one instance of a multi-instance ballot per evaluator)."""
    variable = properties.get("assignee")
    value = task.data.get(variable) if variable else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    """Names of the messages the workflow waits for."""
    return [e.name for e in workflow.waiting_events() if "Message" in e.event_type]


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    result = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        properties = dict((getattr(spec, "extensions", None) or {}).get("properties", {}))
        result.append(
            ReadyTask(
                task_id=str(task.id),
                bpmn_id=spec.bpmn_id,
                name=spec.bpmn_name or spec.bpmn_id,
                lane=spec.lane,
                form_key=properties.get("formKey"),
                due_at=_due_at(task),
                properties=properties,
                assignee_id=_assignee(task, properties),
            )
        )
    return result


def snapshot(
    workflow: BpmnWorkflow,
    error: str | None = None,
    error_task: str | None = None,
    error_code: str | None = None,
) -> Snapshot:
    ready = ready_tasks(workflow)
    timer = next_timer_at(workflow)
    if error is not None:
        status = "error"
    elif workflow.is_completed():
        status = "completed"
    elif ready:
        status = "waiting_people"
    elif timer is not None:
        status = "waiting_timer"
    elif waiting_messages(workflow):
        status = "waiting_message"
    else:
        status = "running"
    return Snapshot(status, ready, timer, error, error_task, error_code)


def task_data(run: Run, task_id: str) -> dict[str, Any]:
    return dict(_get_task(run.workflow, task_id).data)
