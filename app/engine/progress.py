"""Where an instance stands, element by element, for the instance page's diagram.

The page marks BPMN elements by their state; it must not see SpiffWorkflow's task tree, so
this turns a loaded workflow into plain data: {BPMN element id: state}.

- `completed`: at least one task of the element has finished (a step of a loop, a gateway
  passed, an event that fired);
- `ready`: a task of it can run now (a user task waiting for a person);
- `waiting`: it waits for something outside the engine (a timer, a message, the children of
  a multi-instance step);
- `error`: it failed and waits for the centre's retry.

An element with tasks in several states (a multi-instance step, a loop) shows the most
pressing: error over ready over waiting over completed. Elements never reached are absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.engine import runner

ELEMENT_STATES = ("completed", "waiting", "ready", "error")  # least to most pressing
_RANK = {state: rank for rank, state in enumerate(ELEMENT_STATES)}
_BY_TASK_STATE = {
    TaskState.COMPLETED: "completed",
    TaskState.READY: "ready",
    TaskState.WAITING: "waiting",
    TaskState.STARTED: "waiting",
    TaskState.ERROR: "error",
}


def _all_tasks(workflow: BpmnWorkflow) -> Iterable[Any]:
    """Every task of the workflow and its subprocesses, whatever the state of its parent
    (`get_tasks(state=…)` skips finished tasks below unfinished parents)."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def states_of(workflow: BpmnWorkflow) -> dict[str, str]:
    """{BPMN element id: state} of a loaded workflow (see the module docstring)."""
    states: dict[str, str] = {}
    for task in _all_tasks(workflow):
        state = _BY_TASK_STATE.get(task.state)
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if state is None or not bpmn_id:
            continue
        known = states.get(bpmn_id)
        if known is None or _RANK[state] > _RANK[known]:
            states[bpmn_id] = state
    return states


def element_states(
    specs: runner.Specs, state: Mapping[str, Any], cache_key: str | None = None
) -> dict[str, str]:
    """{BPMN element id: state} of a stored instance: loaded, read, and nothing run."""
    return states_of(runner.load(specs, state, None, cache_key).workflow)
