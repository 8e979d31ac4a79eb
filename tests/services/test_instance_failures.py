"""A failure stays where it happened: a timer or loop count that cannot run is refused at
upload (every way in, with element id and line); one computed at run time, or any other
exception in one instance's step, puts that instance in `error` with a readable reason while
the sweep goes on with the others; the scheduler's jobs run independently."""

from __future__ import annotations

import copy
import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEvent,
    Department,
    HumanTask,
    InstanceEvent,
    Notice,
    ProcessInstance,
    ResponsibilityLetter,
)
from app.scheduler import TimerScheduler
from app.services import definitions, instances, timers
from app.services.errors import InstanceFailed, Invalid
from app.services.transactions import unit_of_work
from tests.api.helpers import error_of, multipart
from tests.conftest import VALID_LETTER, person, start_instance
from tests.engine.helpers import bpmn

HEALTHY_CODES = ("CZ-KJ", "RS-RS", "DC-DC")


def _timer(event_id: str, expression: str, kind: str = "timeDuration") -> str:
    return f"""
    <bpmn:intermediateCatchEvent id="{event_id}" name="等待{event_id}">
      <bpmn:timerEventDefinition id="{event_id}_def">
        <bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>"""


def _chain(*nodes: tuple[str, str]) -> str:
    """start → the nodes (id, xml) in order → end."""
    ids = ["start", *(node_id for node_id, _ in nodes), "done"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />'
        for i, (a, b) in enumerate(itertools.pairwise(ids))
    )
    body = "".join(xml for _, xml in nodes)
    return f'<bpmn:startEvent id="start" /><bpmn:endEvent id="done" />{body}{flows}'


def _loop(cardinality: str) -> str:
    return f"""
    <bpmn:serviceTask id="probe" name="探测">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="notices.remind" resultVariable="r">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="step" type="str" value="&quot;探测&quot;" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics id="probe_loop">
        <bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>"""


def _upload(process_id: str, body: str):
    data = bpmn(body, process_id)
    return unit_of_work(lambda: definitions.upload(f"{process_id}.bpmn", data, person("admin")))


def _start(code: str, key: str) -> ProcessInstance:
    department = db.session.scalars(sa.select(Department).where(Department.code == code)).one()
    return unit_of_work(lambda: instances.start(department.id, 2026, person("admin"), key))


def _fresh(instance_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


# --- the sweep goes on past a broken instance -------------------------------------------------


@pytest.fixture
def city(app, org, clock):
    """A poisoned instance due first (its second timer is computed as '2026', not a duration)
    and healthy ones due after it."""
    _upload("poisoned", _chain(("w1", _timer("w1", '"PT1H"')), ("w2", _timer("w2", "str(year)"))))
    _upload("healthy", _chain(("w", _timer("w", '"PT2H"'))))
    poisoned = _start("CZ-YS", "poisoned")
    healthy = [_start(code, "healthy") for code in HEALTHY_CODES]
    assert poisoned.next_timer_at < min(h.next_timer_at for h in healthy)
    return poisoned.id, [h.id for h in healthy]


def test_the_sweep_fires_healthy_instances_after_a_poisoned_one(city, clock):
    poisoned_id, healthy_ids = city
    clock.advance(timedelta(hours=3))
    assert timers.sweep() == 4
    assert [_fresh(i).status for i in healthy_ids] == ["completed"] * 3
    poisoned = _fresh(poisoned_id)
    assert (poisoned.status, poisoned.error_code, poisoned.error_task) == (
        "error",
        "bad_timer",
        "w2",
    )
    assert "'2026'" in poisoned.error_message
    # in error, it is no longer due: the next sweep has nothing to do
    assert timers.sweep() == 0
    assert timers.earliest_due() is None


def _corrupt_timer(instance_id: int) -> dict:
    """The instance's waiting timer holds a value the engine cannot read (a state written by
    an older release, or edited by hand): waking it raises a plain ValueError in SpiffWorkflow."""
    instance = _fresh(instance_id)
    state = copy.deepcopy(instance.state)
    corrupted = 0
    for task in state["tasks"].values():
        if "event_value" in task.get("internal_data", {}):
            task["internal_data"]["event_value"] = "not a date"
            corrupted += 1
    assert corrupted == 1
    instance.state = state
    db.session.commit()
    return copy.deepcopy(state)


def test_a_crashing_wake_up_is_rolled_back_and_recorded_and_the_sweep_goes_on(city, clock):
    poisoned_id, healthy_ids = city
    state = _corrupt_timer(poisoned_id)
    events_before = db.session.scalar(
        sa.select(sa.func.count()).where(InstanceEvent.instance_id == poisoned_id)
    )
    clock.advance(timedelta(hours=3))
    assert timers.sweep() == 3
    assert [_fresh(i).status for i in healthy_ids] == ["completed"] * 3
    poisoned = _fresh(poisoned_id)
    assert (poisoned.status, poisoned.error_code, poisoned.error_task) == (
        "error",
        "engine_crashed",
        "w1",
    )
    assert "not a date" in poisoned.error_message
    assert poisoned.state == state  # the failed step's state was thrown away, not saved
    events = list(
        db.session.scalars(
            sa.select(InstanceEvent)
            .where(InstanceEvent.instance_id == poisoned_id)
            .order_by(InstanceEvent.id)
        )
    )
    assert len(events) == events_before + 1  # only the error: nothing of the failed step
    assert (events[-1].kind, events[-1].bpmn_id, events[-1].detail["code"]) == (
        "error",
        "w1",
        "engine_crashed",
    )


def test_the_pages_say_why_in_chinese_and_english(city, clock, client, login_as):
    poisoned_id, _ = city
    clock.advance(timedelta(hours=3))
    timers.sweep()
    login_as("admin")
    reason = "环节“等待w2”的定时设置无法执行：须为 ISO-8601 时长、日期或周期（例如 P10D）。"
    page = client.get(f"/instances/{poisoned_id}").get_data(as_text=True)
    assert reason in page
    board = client.get("/supervise/overdue").get_data(as_text=True)
    assert reason in board
    assert f'href="/instances/{poisoned_id}"' in board
    client.get("/lang/en")
    english = client.get(f"/instances/{poisoned_id}").get_data(as_text=True)
    assert "The timer of step “等待w2” cannot run" in english
    assert "The timer of step “等待w2” cannot run" in client.get("/supervise/overdue").get_data(
        as_text=True
    )


def test_a_retry_that_crashes_again_keeps_the_instance_in_error(city, clock, api_as):
    poisoned_id, _ = city
    state = _corrupt_timer(poisoned_id)
    clock.advance(timedelta(hours=3))
    timers.sweep()
    response = api_as("admin").post(f"/api/v1/instances/{poisoned_id}/retry")
    assert error_of(response, 409, "instance_error")["instance_id"] == poisoned_id
    again = _fresh(poisoned_id)
    assert (again.status, again.error_code, again.state) == ("error", "engine_crashed", state)
    kinds = list(
        db.session.scalars(
            sa.select(InstanceEvent.kind)
            .where(InstanceEvent.instance_id == poisoned_id)
            .order_by(InstanceEvent.id)
        )
    )
    assert kinds[-2:] == ["error", "error"]  # the retry's own event was rolled back with it


# --- starting: a clear answer, never a 500 ------------------------------------------------------

RUN_TIME_CASES = {
    # what the diagram computes → the error kind
    "timer '10 days'": (_timer("w", "'10 days' if year else 'P1D'"), "bad_timer"),
    "timer 10": (_timer("w", "10 if year else 'P1D'"), "bad_timer"),
    "timer 'next monday'": (_timer("w", "'next monday' if year else 'P1D'"), "bad_timer"),
    "cycle 'R/bad'": (_timer("w", "'R/bad' if year else 'R1/P1D'", "timeCycle"), "bad_timer"),
    # SpiffWorkflow adds such a duration a month at a time: 8 minutes of CPU, now refused
    "timer 'P99999999Y'": (_timer("w", "'P99999999Y' if year else 'P1D'"), "bad_timer"),
    "cardinality 'abc'": (_loop("'abc' if year else 1"), "bad_cardinality"),
    "cardinality 2.5": (_loop("2.5 if year else 1"), "bad_cardinality"),
    "cardinality -1": (_loop("-1 if year else 1"), "bad_cardinality"),
}


@pytest.mark.parametrize("case", RUN_TIME_CASES)
def test_starting_an_instance_whose_value_cannot_run_creates_it_in_error(case, api_as):
    node, code = RUN_TIME_CASES[case]
    node_id = "w" if "timer" in case or "cycle" in case else "probe"
    _upload("annual_cycle", _chain((node_id, node)))
    api = api_as("admin")
    department = db.session.scalars(sa.select(Department).where(Department.code == "CZ-YS")).one()
    response = api.post("/api/v1/instances", json={"department_id": department.id, "year": 2026})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["error_task"], body["error_code"]) == ("error", node_id, code)
    assert body["error_text"].startswith(f"环节“{'等待w' if node_id == 'w' else '探测'}”")
    # nothing ran past the broken step: no task, the instance waits for the centre
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)) == 0


# --- upload: literal values that cannot run are refused, with element id and line -------------

LITERAL_CASES = {
    "'10 days'": (_timer("w", "'10 days'"), "bad_timer", "w"),
    "10": (_timer("w", "10"), "bad_timer", "w"),
    "'next monday'": (_timer("w", "'next monday'"), "bad_timer", "w"),
    "date 'P1D'": (_timer("w", "'P1D'", "timeDate"), "bad_timer", "w"),
    "'R/bad'": (_timer("w", "'R/bad'", "timeCycle"), "bad_timer", "w"),
    "huge duration": (_timer("w", "'P99999999Y'"), "bad_timer", "w"),
    "'abc'": (_loop("'abc'"), "bad_cardinality", "probe"),
    "2.5": (_loop("2.5"), "bad_cardinality", "probe"),
    "-1": (_loop("-1"), "bad_cardinality", "probe"),
}


def _value_line(data: bytes, marker: bytes) -> int:
    return next(i for i, line in enumerate(data.splitlines(), 1) if marker in line)


@pytest.mark.parametrize("case", LITERAL_CASES)
def test_an_upload_refuses_a_literal_that_cannot_run(case, org):
    node, code, element = LITERAL_CASES[case]
    node_id = "w" if element == "w" else "probe"
    data = bpmn(_chain((node_id, node)), "literal")
    with pytest.raises(Invalid) as refused:
        unit_of_work(lambda: definitions.upload("literal.bpmn", data, person("admin")))
    problems = [p for p in refused.value.extra["problems"] if p["code"] == code]
    marker = b"loopCardinality>" if code == "bad_cardinality" else b"xsi:type"
    assert [(p["element_id"], p["line"]) for p in problems] == [
        (element, _value_line(data, marker))
    ]
    assert definitions.latest("literal") is None


def test_an_upload_refuses_a_due_time_of_over_a_century(org):
    task = """
    <bpmn:laneSet id="lanes"><bpmn:lane id="l" name="department_head">
      <bpmn:flowNodeRef>draft</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:userTask id="draft" name="起草"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="letter_draft" />
      <spiffworkflow:property name="dueIn" value="P99999999Y" />
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"""
    data = bpmn(_chain(("draft", task)), "due")
    with pytest.raises(Invalid) as refused:
        unit_of_work(lambda: definitions.upload("due.bpmn", data, person("admin")))
    assert [(p["code"], p["element_id"]) for p in refused.value.extra["problems"]] == [
        ("bad_duration", "draft")
    ]


@pytest.mark.parametrize("good", ['"P10D"', '"PT2H"', "'R3/PT1H'", "plan['at']"])
def test_runnable_and_computed_timers_pass(good, org):
    kind = "timeCycle" if good.startswith("'R") else "timeDuration"
    _upload("fine", _chain(("w", _timer("w", good, kind))))
    assert definitions.latest("fine") is not None


def test_the_modeler_and_the_import_refuse_it_too(api_as):
    api = api_as("admin")
    data = bpmn(_chain(("w", _timer("w", "'10 days'"))), "annual_cycle")
    put = api.client.put(
        "/api/v1/modeler/drafts/annual_cycle",
        data=data,
        headers={**api.headers, "Content-Type": "application/xml"},
    )
    assert put.status_code in (200, 201), put.get_data(as_text=True)
    checked = api.post("/api/v1/modeler/drafts/annual_cycle/validate").get_json()
    assert [(p["code"], p["element_id"]) for p in checked["problems"]] == [("bad_timer", "w")]
    error = error_of(
        api.post("/api/v1/modeler/drafts/annual_cycle/publish"), 422, "validation_failed"
    )
    assert [p["code"] for p in error["problems"]] == ["bad_timer"]
    imported = error_of(
        api.post("/api/v1/definitions/import", **multipart("file", "x.bpmn", data)),
        422,
        "validation_failed",
    )
    assert [(p["code"], p["element_id"], p["message"]) for p in imported["problems"]] == [
        ("bad_timer", "w", "定时设置无法执行。")
    ]
    assert imported["problems"][0]["line"] == _value_line(data, b'id="w"')
    uploaded = error_of(
        api.post("/api/v1/definitions", **multipart("file", "x.bpmn", data)),
        422,
        "validation_failed",
    )
    assert [(p["code"], p["element_id"], p["line"]) for p in uploaded["problems"]] == [
        ("bad_timer", "w", _value_line(data, b"xsi:type"))
    ]
    assert definitions.latest("annual_cycle").version == 1


# --- completing a task and delivering a message -------------------------------------------------


DRAFT_BESIDE_A_TIMER = """
<bpmn:laneSet id="lanes">
  <bpmn:lane id="lane_head" name="department_head">
    <bpmn:flowNodeRef>draft_letter</bpmn:flowNodeRef>
  </bpmn:lane>
</bpmn:laneSet>
<bpmn:startEvent id="start" />
<bpmn:parallelGateway id="split" />
<bpmn:userTask id="draft_letter" name="起草绩效责任书">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="formKey" value="letter_draft" />
  </spiffworkflow:properties></bpmn:extensionElements>
</bpmn:userTask>
<bpmn:intermediateCatchEvent id="w" name="等待">
  <bpmn:timerEventDefinition id="w_def">
    <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT5H"</bpmn:timeDuration>
  </bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:parallelGateway id="join" />
<bpmn:endEvent id="done" />
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split" />
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="draft_letter" />
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="w" />
<bpmn:sequenceFlow id="f4" sourceRef="draft_letter" targetRef="join" />
<bpmn:sequenceFlow id="f5" sourceRef="w" targetRef="join" />
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="done" />
"""


def test_a_completion_whose_step_crashes_answers_409_and_keeps_nothing(api_as, clock):
    _upload("draft_beside_a_timer", DRAFT_BESIDE_A_TIMER)
    instance = _start("CZ-YS", "draft_beside_a_timer")
    state = _corrupt_timer(instance.id)  # the engine raises when it next looks at timers
    task = db.session.scalars(sa.select(HumanTask).where(HumanTask.bpmn_id == "draft_letter")).one()
    letters = db.session.scalar(sa.select(sa.func.count()).select_from(ResponsibilityLetter))
    response = api_as("head_fin").post(
        f"/api/v1/tasks/{task.id}/complete", json={"data": VALID_LETTER}
    )
    error = error_of(response, 409, "instance_error")
    assert (error["instance_id"], error["element_id"]) == (instance.id, "w")
    again = _fresh(instance.id)
    assert (again.status, again.error_code, again.error_task) == ("error", "engine_crashed", "w")
    assert again.state == state
    # the completion and the letter the form wrote were rolled back
    assert db.session.get(HumanTask, task.id).status == "ready"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponsibilityLetter)) == (
        letters
    )
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "task.complete"))
        == 0
    )


MESSAGE_BESIDE_A_TIMER = """
<bpmn:startEvent id="start" />
<bpmn:parallelGateway id="split" />
<bpmn:intermediateCatchEvent id="published" name="结果公示">
  <bpmn:messageEventDefinition id="published_message" messageRef="msg_published" />
</bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="w" name="等待">
  <bpmn:timerEventDefinition id="w_def">
    <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT5H"</bpmn:timeDuration>
  </bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:parallelGateway id="join" />
<bpmn:endEvent id="done" />
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split" />
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="published" />
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="w" />
<bpmn:sequenceFlow id="f4" sourceRef="published" targetRef="join" />
<bpmn:sequenceFlow id="f5" sourceRef="w" targetRef="join" />
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="done" />
"""


def test_a_message_whose_step_crashes_puts_only_that_instance_in_error(org, clock):
    data = bpmn(MESSAGE_BESIDE_A_TIMER, "message_beside_a_timer").replace(
        b"<bpmn:process",
        b'<bpmn:message id="msg_published" name="results_published" />\n<bpmn:process',
        1,
    )
    unit_of_work(lambda: definitions.upload("m.bpmn", data, person("admin")))
    broken = _start("CZ-YS", "message_beside_a_timer")
    healthy = _start("CZ-KJ", "message_beside_a_timer")
    state = _corrupt_timer(broken.id)
    with pytest.raises(InstanceFailed):
        unit_of_work(lambda: instances.deliver_message(broken.id, "results_published", {}))
    assert unit_of_work(lambda: instances.deliver_message(healthy.id, "results_published", {}))
    again = _fresh(broken.id)
    assert (again.status, again.error_code, again.error_task, again.state) == (
        "error",
        "engine_crashed",
        "w",
        state,
    )
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(
            InstanceEvent.instance_id == broken.id, InstanceEvent.kind == "message"
        )
    )
    assert _fresh(healthy.id).status == "waiting_timer"


# --- the scheduler's jobs are independent --------------------------------------------------------


def _late_review(clock):
    instance = start_instance()
    task_id = db.session.scalars(
        sa.select(HumanTask.id).where(HumanTask.bpmn_id == "draft_letter")
    ).one()
    unit_of_work(lambda: instances.complete_task(task_id, person("head_fin"), VALID_LETTER))
    clock.advance(timedelta(days=6))
    return instance


def test_a_failing_timer_sweep_does_not_skip_escalation_or_mail(app, org, clock, monkeypatch):
    _late_review(clock)

    def broken_sweep():
        raise RuntimeError("database went away")

    monkeypatch.setattr(timers, "sweep", broken_sweep)
    scheduler = TimerScheduler(app)
    assert scheduler.sweep() == 0
    db.session.rollback()
    assert list(db.session.scalars(sa.select(Notice.kind))) == ["yellow_card"]


def test_a_failing_escalation_does_not_skip_the_timers(app, org, clock, monkeypatch):
    _late_review(clock)
    from app.services import escalation

    def broken_escalation():
        raise RuntimeError("escalation broke")

    monkeypatch.setattr(escalation, "sweep", broken_escalation)
    scheduler = TimerScheduler(app)
    assert scheduler.sweep() == 1
    db.session.rollback()
    assert list(db.session.scalars(sa.select(Notice.kind))) == ["overdue_reminder"]
