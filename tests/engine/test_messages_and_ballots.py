"""Engine features the whole year needs: timers dated by a variable, one multi-instance task
per named evaluator, and waiting for a message the app delivers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import clock as app_clock
from app.clock import MovableClock
from app.engine import runner
from tests.engine.helpers import bpmn, compile_fixture
from tests.engine.test_validation import END, FLOWS, START, codes, user_task

AT = "2026-02-02T01:00:00+00:00"


@pytest.fixture
def clock():
    movable = MovableClock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))
    previous = app_clock.install(movable)
    yield movable
    app_clock.install(previous)


def _started(raters: list) -> runner.Run:
    compiled = compile_fixture("ballots_and_message.bpmn")
    run = runner.start(compiled.specs, None, {"plan": {"at": AT}, "raters": raters}, None)
    return run


def test_a_timer_dated_by_a_variable_waits_for_that_moment(clock):
    run = _started([7])
    snap = run.step()
    assert snap.status == "waiting_timer"
    assert snap.next_timer_at == datetime(2026, 2, 2, 1, 0, tzinfo=UTC)
    clock.set(datetime(2026, 2, 2, 1, 0, tzinfo=UTC))
    assert run.fire_timers().ready_tasks == []  # strictly after its time
    clock.set(datetime(2026, 2, 2, 1, 1, tzinfo=UTC))
    assert [t.bpmn_id for t in run.fire_timers().ready_tasks] == ["ballots"]


def test_each_evaluator_gets_a_task_of_their_own_then_the_message_moves_it_on(clock):
    run = _started([11, 12, 13])
    run.step()
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    ready = run.fire_timers().ready_tasks
    assert sorted(t.assignee_id for t in ready) == [11, 12, 13]
    assert {t.lane for t in ready} == {"supervising_leader"}
    for task in ready:
        snap = run.complete(task.task_id, {"score": 90})
    assert snap.status == "waiting_message"
    assert runner.waiting_messages(run.workflow) == ["results_published"]

    with pytest.raises(runner.NotWaitingForMessage):
        run.send_message("something_else", {})
    done = run.send_message("results_published", {"year": 2026})
    assert done.status == "completed"
    # the state survives a round trip while waiting for the message
    assert runner.waiting_messages(run.workflow) == []


def test_a_workflow_waiting_for_a_message_survives_saving_and_loading(clock):
    compiled = compile_fixture("ballots_and_message.bpmn")
    run = _started([5])
    run.step()
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    [task] = run.fire_timers().ready_tasks
    run.complete(task.task_id, {})
    state = run.dump()
    again = runner.load(compiled.specs, state, None)
    assert runner.waiting_messages(again.workflow) == ["results_published"]
    assert again.send_message("results_published", {}).status == "completed"


def test_no_evaluators_means_no_ballot_tasks(clock):
    run = _started([])
    run.step()
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    snap = run.fire_timers()
    assert snap.ready_tasks == [] and snap.status == "waiting_message"


def test_an_assignee_that_is_not_a_person_id_leaves_the_task_to_the_lane(clock):
    run = _started(["someone", True])
    run.step()
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    assert [t.assignee_id for t in run.fire_timers().ready_tasks] == [None, None]


MESSAGE = '<bpmn:message id="m" name="{name}" />'


def _with_message(body: str, name: str = "results_published") -> bytes:
    data = bpmn(body).decode()
    return data.replace("<bpmn:process ", MESSAGE.format(name=name) + "<bpmn:process ").encode()


def _catch(kind: str = "intermediateCatchEvent") -> str:
    return (
        f'{START}<bpmn:{kind} id="ev"><bpmn:incoming>f1</bpmn:incoming>'
        '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:messageEventDefinition id="md" messageRef="m" />'
        f"</bpmn:{kind}>{END}{FLOWS.format(node='ev')}"
    )


def test_only_known_messages_may_be_waited_for():
    assert codes(_with_message(_catch(), "pay_everyone")) == [("unknown_message", "ev")]


def test_diagrams_may_not_throw_messages():
    assert ("message_forbidden", "ev") in codes(_with_message(_catch("intermediateThrowEvent")))
    send = (
        f'{START}<bpmn:sendTask id="ev" messageRef="m"><bpmn:incoming>f1</bpmn:incoming>'
        f"<bpmn:outgoing>f2</bpmn:outgoing></bpmn:sendTask>{END}{FLOWS.format(node='ev')}"
    )
    assert ("message_forbidden", "ev") in codes(_with_message(send))


def test_the_assignee_property_must_name_a_variable():
    data = user_task().replace(
        b'<spiffworkflow:property name="formKey" value="letter_sign" />',
        b'<spiffworkflow:property name="formKey" value="letter_sign" />'
        b'<spiffworkflow:property name="assignee" value="__import__(\'os\')" />',
    )
    assert codes(data) == [("bad_assignee", "task")]
