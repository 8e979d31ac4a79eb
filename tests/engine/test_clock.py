"""SpiffWorkflow's timers follow `app.clock`. These fail if a SpiffWorkflow upgrade moves its
`datetime.now` call away from what `app.engine.clock_adapter` patches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from app.engine import clock_adapter, runner
from tests.engine.helpers import compile_fixture

# Far from the real date, so a timer that read the system clock could not pass by accident.
FAR = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)


def test_the_adapter_is_installed_in_spiffworkflows_timer_module(clock):
    assert spiff_timer.datetime is clock_adapter.ClockDatetime
    clock.set(FAR)
    assert spiff_timer.datetime.now(UTC) == FAR
    assert spiff_timer.datetime.now() == FAR.replace(tzinfo=None)


def test_intermediate_timer_fires_only_after_the_clock_passes_its_due_time(clock):
    clock.set(FAR)
    run = runner.start(compile_fixture("timer_intermediate.bpmn").specs, None, {})
    snap = run.step()
    assert (snap.status, snap.next_timer_at) == ("waiting_timer", FAR + timedelta(hours=1))

    clock.advance(timedelta(minutes=59, seconds=59))
    assert run.fire_timers().status == "waiting_timer"
    clock.advance(timedelta(seconds=1))  # exactly due: SpiffWorkflow fires strictly after
    assert run.fire_timers().status == "waiting_timer"
    clock.advance(timedelta(seconds=1))
    snap = run.fire_timers()
    assert snap.status == "completed"
    assert "wait_hour" in {step.bpmn_id for step in run.completed}


def test_boundary_timer_interrupts_a_waiting_task_after_its_duration(clock):
    clock.set(FAR)
    run = runner.start(compile_fixture("timer_boundary.bpmn").specs, None, {})
    snap = run.step()
    assert snap.status == "waiting_people"
    assert [t.bpmn_id for t in snap.ready_tasks] == ["sign"]
    assert snap.ready_tasks[0].due_at == FAR + timedelta(days=2)  # the boundary timer's time
    assert snap.next_timer_at == FAR + timedelta(days=2)

    clock.advance(timedelta(days=1, hours=23))
    snap = run.fire_timers()
    assert [t.bpmn_id for t in snap.ready_tasks] == ["sign"]

    clock.advance(timedelta(hours=1, seconds=1))
    snap = run.fire_timers()
    assert snap.status == "completed"
    assert snap.ready_tasks == []
    finished = {step.bpmn_id for step in run.completed}
    assert "sign_overdue" in finished and "sign" not in finished


def test_a_saved_and_reloaded_workflow_keeps_its_timer_on_the_app_clock(clock):
    clock.set(FAR)
    specs = compile_fixture("timer_intermediate.bpmn").specs
    run = runner.start(specs, None, {})
    run.step()
    state = run.dump()
    clock.advance(timedelta(hours=2))
    reloaded = runner.load(specs, state, None)
    assert reloaded.fire_timers().status == "completed"
