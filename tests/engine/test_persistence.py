"""Instance state: no specs inside, a bounded size through send-back loops, and a human-task
projection that always matches the workflow's ready tasks."""

from __future__ import annotations

import itertools
import json

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine import runner
from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.services import instances
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person, start_instance
from tests.engine.helpers import compile_fixture

SEND_BACKS = 6
# Measured on SpiffWorkflow 3.2 (JSON, UTF-8): 6.1 KB after the start, +2.4 KB per send-back
# loop (SpiffWorkflow keeps each loop's finished draft/review/gateway tasks in the tree), 22.1 KB
# after 6 loops and the signatures. The bound leaves ~45% headroom for data; a state that also
# carried the specs (~9.6 KB) or grew per loop with its whole history would break it.
MAX_STATE_KB = 32
MAX_KB_PER_LOOP = 3


def _size_kb(instance: ProcessInstance) -> float:
    return len(json.dumps(instance.state, ensure_ascii=False).encode()) / 1024


def _assert_projection_matches(instance: ProcessInstance) -> None:
    run = runner.load(instance.definition.specs, instance.state, None)
    ready = {t.task_id: t for t in runner.ready_tasks(run.workflow)}
    rows = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "ready")
    ).all()
    assert {row.task_id for row in rows} == set(ready)
    for row in rows:
        task = ready[row.task_id]
        assert (row.bpmn_id, row.role, row.form_key, row.department_id) == (
            task.bpmn_id,
            task.lane,
            task.form_key,
            instance.department_id,
        )


def _complete(instance: ProcessInstance, bpmn_id: str, username: str, data: dict) -> None:
    db.session.expire_all()
    [task] = db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == "ready",
        )
    ).all()
    unit_of_work(lambda: instances.complete_task(task.id, person(username), data))
    db.session.expire_all()


def test_state_has_no_specs_stays_bounded_and_the_projection_follows(org, clock):
    instance = start_instance()
    assert not set(runner.SPEC_KEYS) & set(instance.state)
    assert "task_specs" not in json.dumps(instance.state)
    _assert_projection_matches(instance)
    sizes = [_size_kb(instance)]

    for _ in range(SEND_BACKS):
        _complete(instance, "draft_letter", "head_fin", VALID_LETTER)
        _assert_projection_matches(instance)
        _complete(instance, "review_letter", "leader_li", {"decision": "return", "comment": "再改"})
        instance = db.session.get(ProcessInstance, instance.id)
        _assert_projection_matches(instance)
        sizes.append(_size_kb(instance))

    _complete(instance, "draft_letter", "head_fin", VALID_LETTER)
    _complete(instance, "review_letter", "leader_li", {"decision": "approve"})
    instance = db.session.get(ProcessInstance, instance.id)
    _assert_projection_matches(instance)
    assert sorted(
        db.session.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.instance_id == instance.id, HumanTask.status == "ready"
            )
        )
    ) == ["sign_department", "sign_leader"]
    _complete(instance, "sign_department", "head_fin", {"confirm": True})
    _complete(instance, "sign_leader", "leader_li", {"confirm": True})
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.status == "waiting_timer"  # the year's monitoring has begun
    _assert_projection_matches(instance)
    sizes.append(_size_kb(instance))

    print("state sizes (KB):", [round(s, 1) for s in sizes])
    assert not set(runner.SPEC_KEYS) & set(instance.state)
    assert max(sizes) < MAX_STATE_KB, sizes
    # each loop adds only its own tasks: the growth does not compound
    loops = sizes[: SEND_BACKS + 1]
    steps = [b - a for a, b in itertools.pairwise(loops)]
    assert all(0 < step < MAX_KB_PER_LOOP for step in steps), steps
    assert len(json.dumps(instance.definition.specs)) / 1024 > 5  # specs live on the definition


def test_task_data_survives_any_key_order_of_the_stored_state(clock):
    """PostgreSQL's JSONB reorders keys; SpiffWorkflow restores task data as deltas against the
    parent, so the runner must not depend on the stored order of `tasks`."""
    specs = compile_fixture("timer_intermediate.bpmn").specs
    run = runner.start(specs, None, {"year": 2026, "department_id": 7})
    run.step()
    state = run.dump()
    orders = (
        lambda ids: list(reversed(ids)),
        lambda ids: sorted(ids, key=lambda i: (len(i), i)),  # JSONB's own order
        lambda ids: sorted(ids, reverse=True),
    )
    for order in orders:
        shuffled = {**state, "tasks": {i: state["tasks"][i] for i in order(list(state["tasks"]))}}
        reloaded = runner.load(specs, json.loads(json.dumps(shuffled)), None)
        [waiting] = reloaded.workflow.get_tasks(state=TaskState.WAITING)
        assert waiting.data == {"year": 2026, "department_id": 7}
        assert reloaded.dump()["tasks"].keys() == state["tasks"].keys()
