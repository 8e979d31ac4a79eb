"""The improvement plan's tasks through the API: only the department's head submits, only
the supervising leader checks; wrong, missing or huge input is a 422 that writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Consequence, HumanTask
from app.simulation import _actor_for
from tests.browser import sweep_scenario
from tests.conftest import ApiClient

PLAN = {"measures": "逐项整改。", "training": "脱产培训两周。", "post_adjustment": "调整分工。"}


@pytest.fixture
def held(app, client):
    previous = clock.current()
    sim = sweep_scenario.hold_year_at(("improvement_plan",), 3)
    task = db.session.get(HumanTask, sim.held["improvement_plan"])

    def api(username: str) -> ApiClient:
        response = client.post(
            "/api/v1/tokens", json={"username": username, "password": "demo-2026"}
        )
        return ApiClient(client, response.get_json()["token"])

    try:
        yield task, api
    finally:
        clock.install(previous)


def _plan(task: HumanTask) -> Consequence:
    db.session.rollback()
    return db.session.scalars(
        select(Consequence).where(
            Consequence.department_id == task.department_id,
            Consequence.kind == "improvement_plan",
        )
    ).one()


BAD = [
    {},
    {**PLAN, "training": ""},
    {**PLAN, "training": "   "},
    {**PLAN, "measures": 12},
    {**PLAN, "post_adjustment": None},
    {**PLAN, "measures": "长" * 2001},
    "just text",
]


def test_bad_plans_are_422_and_write_nothing(held):
    """(One simulated year for all the cases: each takes seconds.)"""
    task, api = held
    head = api(_actor_for(task).username)
    for data in BAD:
        response = head.post(f"/api/v1/tasks/{task.id}/complete", json={"data": data})
        assert response.status_code == 422, (data, response.get_json())
        assert _plan(task).status == "open" and _plan(task).plan is None
        assert db.session.get(HumanTask, task.id).status == "ready"


def test_only_the_head_submits_and_only_the_leader_checks(held):
    task, api = held
    head_name = _actor_for(task).username
    outsider = api("sim_head_2" if head_name != "sim_head_2" else "sim_head_3")
    assert outsider.post(f"/api/v1/tasks/{task.id}/complete", json={"data": PLAN}).status_code in (
        403,
        404,
    )
    assert _plan(task).status == "open"
    head = api(head_name)
    assert head.post(f"/api/v1/tasks/{task.id}/complete", json={"data": PLAN}).status_code == 200
    assert _plan(task).status == "submitted"
    check = db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == task.instance_id,
            HumanTask.bpmn_id == "check_improvement_plan",
            HumanTask.status == "ready",
        )
    ).one()
    refused = head.post(f"/api/v1/tasks/{check.id}/complete", json={"data": {"decision": "accept"}})
    assert refused.status_code in (403, 404)
    leader = api(_actor_for(check).username)
    no_reason = leader.post(
        f"/api/v1/tasks/{check.id}/complete", json={"data": {"decision": "return"}}
    )
    assert no_reason.status_code == 422
    unknown = leader.post(
        f"/api/v1/tasks/{check.id}/complete", json={"data": {"decision": "maybe"}}
    )
    assert unknown.status_code == 422 and _plan(task).status == "submitted"
    accepted = leader.post(
        f"/api/v1/tasks/{check.id}/complete", json={"data": {"decision": "accept"}}
    )
    assert accepted.status_code == 200 and _plan(task).status == "accepted"
