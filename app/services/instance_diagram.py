"""An instance's diagram as the instance page shows it: its own definition version's XML and
the state of each element, with overdue steps marked.

The element states come from the workflow itself (`app.engine.progress`, which loads the
stored state and runs nothing); whether a ready step is overdue comes from the human-task
projection's due time against the app's clock, so the diagram and the overdue board agree.
Whoever may see the instance (`instances.get`) may see both; anyone else gets a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app import clock
from app.engine import progress
from app.models import Person, ProcessInstance
from app.services import instances

ACTIVE = ("ready", "waiting", "error")


@dataclass(frozen=True)
class ActiveStep:
    """One element the instance stands at, for the text alternative to the picture."""

    bpmn_id: str
    name: str
    state: str  # ready | waiting | error
    due_at: datetime | None
    overdue: bool
    open_tasks: int  # ready human tasks of the step (several for a multi-instance ballot)

    def as_json(self) -> dict[str, Any]:
        return {
            "bpmn_id": self.bpmn_id,
            "name": self.name,
            "state": self.state,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
            "open_tasks": self.open_tasks,
        }


@dataclass(frozen=True)
class Diagram:
    instance: ProcessInstance
    states: dict[str, str]  # BPMN element id -> completed | ready | waiting | error
    overdue: list[str]  # ids of ready steps past their due time
    active: list[ActiveStep]
    now: datetime

    def as_json(self) -> dict[str, Any]:
        definition = self.instance.definition
        return {
            "instance_id": self.instance.id,
            "status": self.instance.status,
            "definition": {
                "id": definition.id,
                "process_key": definition.process_key,
                "version": definition.version,
                "name": definition.name,
            },
            "states": self.states,
            "overdue": self.overdue,
            "active": [step.as_json() for step in self.active],
            "now": self.now.isoformat(),
        }


def _states(instance: ProcessInstance) -> dict[str, str]:
    definition = instance.definition
    states = progress.element_states(lambda: definition.specs, instance.state, definition.spec_hash)
    if instance.status == "terminated":
        # Terminating leaves the workflow as it was; nothing in it is active any more.
        return {k: v for k, v in states.items() if v == "completed"}
    if instance.status == "error" and instance.error_task:
        states[instance.error_task] = "error"
    return states


def of(instance: ProcessInstance) -> Diagram:
    """The diagram's marks for an instance the caller has already been allowed to see."""
    now = clock.now()
    states = _states(instance)
    open_tasks = [t for t in instances.tasks_of(instance) if t.status == "ready"]
    if instance.status == "terminated":
        open_tasks = []
    due: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    for task in open_tasks:
        counts[task.bpmn_id] = counts.get(task.bpmn_id, 0) + 1
        if task.due_at is not None and (task.bpmn_id not in due or task.due_at < due[task.bpmn_id]):
            due[task.bpmn_id] = task.due_at
    overdue = sorted(
        bpmn_id for bpmn_id, at in due.items() if at < now and states.get(bpmn_id) == "ready"
    )
    names = instance.definition.elements or {}
    order = {bpmn_id: position for position, bpmn_id in enumerate(names)}
    active = [
        ActiveStep(
            bpmn_id=bpmn_id,
            name=names.get(bpmn_id) or bpmn_id,
            state=state,
            due_at=due.get(bpmn_id),
            overdue=bpmn_id in overdue,
            open_tasks=counts.get(bpmn_id, 0),
        )
        for bpmn_id, state in sorted(
            states.items(), key=lambda item: (order.get(item[0], len(order)), item[0])
        )
        if state in ACTIVE
    ]
    return Diagram(instance, states, overdue, active, now)


def for_viewer(instance_id: int, actor: Person) -> Diagram:
    return of(instances.get(instance_id, actor))


def source(instance_id: int, actor: Person) -> str:
    """The BPMN XML of the instance's own definition version (not the process's latest)."""
    return instances.get(instance_id, actor).definition.source
