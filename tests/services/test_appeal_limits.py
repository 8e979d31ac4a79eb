"""An appeal's 7-day limit acts: a decision past it is marked late, its step's yellow card also
tells the centre and its red card goes to the centre (who supervises the review panel), never
to the appellant's own supervising leader; an "adjusted" appeal changes the result or is
recorded as upheld. Driven through the shipped annual cycle on a simulated year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import clock as app_clock
from app import simulation
from app.extensions import db
from app.models import Appeal, DepartmentResult, HumanTask, Notice, Person
from app.services import appeals, definitions, escalation, instances, year_check
from app.services.transactions import unit_of_work
from app.simulation import YearSimulation, synthetic_city

NEVER = datetime(2100, 1, 1, tzinfo=UTC)


class _Stop(Exception):
    pass


class _Appellants(simulation.People):
    def _appeal_file(self, task):
        return {"decision": "appeal", "reasons": "部分扣分依据不足，请求复核。"}


class AppealsHeld(YearSimulation):
    """The year until the first appeal waits for the review panel, which never decides."""

    def _plan(self, task, now):
        return NEVER if task.form_key == "appeal_decide" else super()._plan(task, now)

    def _people_work(self, people, summary):
        super()._people_work(people, summary)
        if db.session.scalar(
            select(HumanTask.id).where(
                HumanTask.form_key == "appeal_decide", HumanTask.status == "ready"
            )
        ):
            raise _Stop


@pytest.fixture
def waiting(app, monkeypatch):
    unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))
    monkeypatch.setattr(simulation, "People", _Appellants)
    sim = AppealsHeld(2026, seed=3)
    with pytest.raises(_Stop):
        sim.run(lambda: synthetic_city(3, 2026))
    db.session.expire_all()
    task = db.session.scalars(
        select(HumanTask).where(HumanTask.form_key == "appeal_decide", HumanTask.status == "ready")
    ).first()
    appeal = db.session.scalars(select(Appeal).where(Appeal.instance_id == task.instance_id)).one()
    return sim, task, appeal


def _told(kind: str, after: int, instance_id: int) -> set[str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Person.username)
        .join(Notice, Notice.person_id == Person.id)
        .where(Notice.kind == kind, Notice.id > after, Notice.instance_id == instance_id)
    )
    return {username for (username,) in rows}


def _panel_member() -> Person:
    return db.session.scalars(select(Person).where(Person.username == "sim_panel_0")).one()


def test_a_late_decision_is_marked_and_escalated_to_the_centre(waiting):
    sim, task, appeal = waiting
    due = appeals.decision_due(appeal)
    assert abs(task.due_at - due) < timedelta(minutes=5)  # the diagram's timer, the same limit
    previous = app_clock.install(sim.clock)
    try:
        before = db.session.scalar(select(func.max(Notice.id))) or 0
        sim.clock.set(due + timedelta(hours=1))
        escalation.sweep()
        yellow = _told("yellow_card", before, task.instance_id)
        assert "sim_centre_0" in yellow and {"sim_panel_0", "sim_panel_1"} <= yellow
        assert not any(u.startswith("sim_leader") for u in yellow), yellow
        sim.clock.set(due + timedelta(days=6))  # past two working days in any week
        escalation.sweep()
        assert _told("red_card", before, task.instance_id) == {
            "sim_centre_0"
        }  # not the appellant's leader
        result = db.session.scalars(
            select(DepartmentResult).where(DepartmentResult.department_id == appeal.department_id)
        ).one()
        payload = {
            "decision": "adjust",
            "reason": "核对无误。",
            "deductions": f"{result.deductions:f}",
        }
        unit_of_work(lambda: instances.complete_task(task.id, _panel_member(), payload))
        db.session.expire_all()
        appeal = db.session.get(Appeal, appeal.id)
        # an "adjustment" that changes nothing upholds the result
        assert appeal.status == "upheld" and appeals.decided_late(appeal)
        assert not [v for v in year_check.check(2026) if v.rule.startswith("appeal")]
    finally:
        app_clock.install(previous)


def test_the_api_shows_the_limit_and_lateness(waiting, api_as):
    sim, _task, appeal = waiting
    previous = app_clock.install(sim.clock)
    try:
        body = api_as("sim_centre_0").get("/api/v1/appeals?year=2026").get_json()
    finally:
        app_clock.install(previous)
    [shown] = [a for a in body if a["id"] == appeal.id]
    assert shown["late"] is False and shown["decision_due_at"].startswith(
        f"{appeals.decision_due(appeal):%Y-%m-%d}"
    )


def test_an_escalation_setting_names_who_supervises_the_groups(app, org, api_as):
    admin = api_as("admin")
    url = "/api/v1/campaigns/2026/settings"
    document = admin.get(url).get_json()
    assert document["escalation"]["group_supervisor"] == "centre_admin"
    document["escalation"]["group_supervisor"] = "supervising_leader"
    response = admin.put(url, json=document)
    assert response.status_code == 422
    assert "escalation.group_supervisor" in response.get_json()["error"]["fields"]
    document["escalation"]["group_supervisor"] = "review_panel"
    assert admin.put(url, json=document).status_code == 200
