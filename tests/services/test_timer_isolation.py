"""One instance whose timer or multi-instance value cannot run stops alone, in `error` with a
readable message; the sweep wakes every healthy instance due after it, and the scheduler still
escalates and mails. Literal values that cannot run are refused at upload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InstanceEvent, ProcessInstance
from app.scheduler import TimerScheduler
from app.services import definitions, instance_errors, instances, timers
from app.services.errors import Invalid
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person, start_instance
from tests.engine.helpers import bpmn

WAIT = (
    '<bpmn:timerEventDefinition id="{id}_def">'
    "<bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"
)


def _timers(process_id: str, *values: str, kind: str = "timeDuration") -> bytes:
    """start → one intermediate timer per value → end."""
    nodes, flows, previous = [], [], "start"
    for n, value in enumerate(values):
        node = f"wait{n}"
        nodes.append(
            f'<bpmn:intermediateCatchEvent id="{node}" name="等待{n}">'
            + WAIT.format(id=node, kind=kind, value=value)
            + "</bpmn:intermediateCatchEvent>"
        )
        flows.append(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{previous}" targetRef="{node}"/>')
        previous = node
    flows.append(f'<bpmn:sequenceFlow id="fend" sourceRef="{previous}" targetRef="end"/>')
    body = '<bpmn:startEvent id="start"/>' + "".join(nodes) + '<bpmn:endEvent id="end"/>'
    return bpmn(body + "".join(flows), process_id=process_id)


def _cardinality(process_id: str, value: str) -> bytes:
    body = f"""
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="notify" name="逐个通知">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="notices.remind">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="step" type="any" value='"nothing_waits"'/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>{value}</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="notify"/>
    <bpmn:sequenceFlow id="f2" sourceRef="notify" targetRef="end"/>"""
    return bpmn(body, process_id=process_id)


def _publish(process_id: str, data: bytes) -> None:
    unit_of_work(lambda: definitions.upload(f"{process_id}.bpmn", data, person("admin")))


def _start(process_id: str, department_id: int) -> ProcessInstance:
    instance = unit_of_work(
        lambda: instances.start(department_id, 2026, person("admin"), process_key=process_id)
    )
    return _fresh(instance.id)


def _fresh(instance_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


# A value only known at run time (safe, so it passes upload): "2026 days" is not ISO-8601.
BAD_AT_RUN_TIME = 'str(year) + " days"'


def test_a_poisoned_instance_stops_alone_and_healthy_ones_due_after_it_fire(org, clock):
    _publish("poisoned", _timers("poisoned", '"PT1H"', BAD_AT_RUN_TIME))
    _publish("healthy", _timers("healthy", '"PT2H"'))
    poisoned = _start("poisoned", 1)
    healthy = [_start("healthy", department_id) for department_id in (2, 3, 4)]
    assert poisoned.next_timer_at < min(h.next_timer_at for h in healthy)  # due first

    clock.advance(timedelta(hours=3))
    assert unit_of_work(timers.sweep) == 4

    poisoned = _fresh(poisoned.id)
    assert poisoned.status == "error"
    assert (poisoned.error_task, poisoned.error_kind) == ("wait1", "timer")
    assert "2026 days" in poisoned.error_message or "duration" in poisoned.error_message
    summary = instance_errors.summary(poisoned)
    assert "等待1" in summary and "定时器" in summary and "其他流程照常运行" in summary
    events = db.session.scalars(
        select(InstanceEvent).where(
            InstanceEvent.instance_id == poisoned.id, InstanceEvent.kind == "error"
        )
    ).all()
    assert [e.bpmn_id for e in events] == ["wait1"]
    assert [_fresh(h.id).status for h in healthy] == ["completed"] * 3
    # the instance in error is not swept again; nothing else is due
    assert timers.earliest_due() is None
    assert unit_of_work(timers.sweep) == 0


@pytest.mark.parametrize("kind", ["timeDuration", "timeDate", "timeCycle"])
def test_a_timer_that_cannot_run_at_start_leaves_the_instance_in_error(org, clock, kind):
    _publish("bad_start", _timers("bad_start", BAD_AT_RUN_TIME, kind=kind))
    instance = _start("bad_start", 1)
    assert (instance.status, instance.error_kind, instance.error_task) == (
        "error",
        "timer",
        "wait0",
    )


@pytest.mark.parametrize("value", ['str(year)[:1] + "x"', "year / 1000", "0 - year"])
def test_a_cardinality_that_cannot_run_leaves_the_instance_in_error(org, clock, value):
    _publish("bad_loop", _cardinality("bad_loop", value))
    instance = _start("bad_loop", 1)
    assert instance.status == "error", value
    assert instance.error_task == "notify"
    assert "多实例数量" in instance_errors.summary(instance) or instance.error_kind == "expression"


def test_the_api_and_the_instance_page_say_why_an_instance_stopped(
    org, clock, api_as, login_as, client
):
    _publish("bad_start", _timers("bad_start", BAD_AT_RUN_TIME))
    instance = _start("bad_start", 1)
    body = api_as("admin").get(f"/api/v1/instances/{instance.id}").get_json()
    assert (body["status"], body["error_task"], body["error_kind"]) == ("error", "wait0", "timer")
    assert "等待0" in body["error_summary"] and "定时器" in body["error_summary"]
    login_as("admin")
    page = client.get(f"/instances/{instance.id}").get_data(as_text=True)
    assert "环节“等待0”的定时器取值无法识别" in page
    client.get("/lang/en")
    page = client.get(f"/instances/{instance.id}").get_data(as_text=True)
    assert "timer value of step" in page and "定时器" not in page


LITERALS = [
    ("timeDuration", '"10 days"'),
    ("timeDuration", "10"),
    ("timeDate", '"next monday"'),
    ("timeCycle", '"R/bad"'),
    ("timeDuration", '"P1X"'),
    ("timeDate", "2.5"),
    ("timeCycle", '"P7D"'),
]


@pytest.mark.parametrize(("kind", "value"), LITERALS)
def test_upload_refuses_literal_timer_values_that_cannot_run(org, kind, value):
    data = _timers("literal", value, kind=kind)
    with pytest.raises(Invalid) as refused:
        _publish("literal", data)
    problems = refused.value.extra["problems"]
    assert [(p["code"], p["element_id"]) for p in problems] == [("bad_timer", "wait0")]
    assert problems[0]["line"] is not None
    assert definitions.latest("literal") is None  # nothing stored


@pytest.mark.parametrize("value", ["'abc'", "2.5", "-1", "0", "100000", "True"])
def test_upload_refuses_literal_cardinalities_that_cannot_run(org, value):
    with pytest.raises(Invalid) as refused:
        _publish("literal_loop", _cardinality("literal_loop", value))
    problems = refused.value.extra["problems"]
    assert [(p["code"], p["element_id"]) for p in problems] == [("bad_cardinality", "notify")]
    assert definitions.latest("literal_loop") is None


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", '"P7D"'),
        ("timeDate", '"2026-03-31T09:00:00+08:00"'),
        ("timeCycle", '"R3/P1M"'),
    ],
)
def test_upload_accepts_literal_timer_values_that_run(org, kind, value):
    _publish("fine", _timers("fine", value, kind=kind))
    assert definitions.latest("fine") is not None


def test_the_scheduler_escalates_and_mails_although_an_instance_is_poisoned(app, org, clock):
    _publish("poisoned", _timers("poisoned", BAD_AT_RUN_TIME.replace("year", "department_id")))
    start_instance()
    draft = db.session.scalars(
        select(ProcessInstance.id).where(ProcessInstance.process_key == "annual_cycle")
    ).one()
    from app.models import HumanTask, Notice

    task_id = db.session.scalars(
        select(HumanTask.id).where(
            HumanTask.instance_id == draft, HumanTask.bpmn_id == "draft_letter"
        )
    ).one()
    unit_of_work(lambda: instances.complete_task(task_id, person("head_fin"), VALID_LETTER))
    poisoned = _start("poisoned", 2)
    assert poisoned.status == "error"
    clock.advance(timedelta(days=6))
    scheduler = TimerScheduler(app)
    assert scheduler.sweep() == 1  # the letter's reminder timer
    db.session.rollback()
    kinds = sorted(db.session.scalars(select(Notice.kind)))
    assert kinds == ["overdue_reminder", "yellow_card"]


def test_the_overdue_board_lists_stopped_instances_of_the_viewers_departments(
    org, clock, login_as, client
):
    _publish("bad_start", _timers("bad_start", BAD_AT_RUN_TIME))
    budget = _start("bad_start", 1)  # 预算科, supervised by leader_li
    login_as("leader_li")
    page = client.get("/supervise/overdue").get_data(as_text=True)
    assert f"/instances/{budget.id}" in page and "环节“等待0”的定时器取值无法识别" in page
    with client.session_transaction() as session:
        session.clear()
    login_as("leader_zhao")  # supervises other departments: not theirs to see
    page = client.get("/supervise/overdue").get_data(as_text=True)
    assert "督办看板" in page and "出错停止的流程" not in page
