"""The element states the instance page's diagram marks (app.engine.progress)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import clock as app_clock
from app.clock import MovableClock
from app.engine import progress, runner
from tests.engine.helpers import compile_fixture

AT = "2026-02-02T01:00:00+00:00"


@pytest.fixture
def clock():
    movable = MovableClock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))
    previous = app_clock.install(movable)
    yield movable
    app_clock.install(previous)


def _stored(run: runner.Run, compiled) -> dict[str, str]:
    """The states as the service reads them: from the saved state, not the live workflow."""
    return progress.element_states(compiled.specs, run.dump())


def test_a_waiting_timer_then_evaluators_then_the_message(clock):
    compiled = compile_fixture("ballots_and_message.bpmn")
    run = runner.start(compiled.specs, None, {"plan": {"at": AT}, "raters": [11, 12]}, None)
    run.step()
    assert _stored(run, compiled) == {"start": "completed", "wait_date": "waiting"}

    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    first, second = run.fire_timers().ready_tasks
    assert _stored(run, compiled) == {
        "start": "completed",
        "wait_date": "completed",
        "ballots": "ready",
    }
    # one evaluator done, one to go: the step is still ready, not completed
    run.complete(first.task_id, {"score": 90})
    assert _stored(run, compiled)["ballots"] == "ready"
    run.complete(second.task_id, {"score": 80})
    states = _stored(run, compiled)
    assert states["ballots"] == "completed"
    assert states["published"] == "waiting"
    assert "end" not in states

    run.send_message("results_published", {})
    assert _stored(run, compiled) == {
        "start": "completed",
        "wait_date": "completed",
        "ballots": "completed",
        "published": "completed",
        "end": "completed",
    }


def test_a_failed_service_task_is_in_error(clock):
    compiled = compile_fixture("handler_probe.bpmn")

    def fail(name, params, data):
        raise RuntimeError("the source system is down")

    run = runner.start(compiled.specs, fail, {}, None)
    snap = run.step()
    assert snap.status == "error"
    assert snap.error_task_id == "call_probe"
    assert _stored(run, compiled) == {"start": "completed", "call_probe": "error"}
