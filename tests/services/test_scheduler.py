"""APScheduler wiring: a sweep arms one wake-up at the earliest due timer; a running
scheduler fires due timers on its own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, Notice
from app.scheduler import WAKE_JOB, TimerScheduler
from app.services import instances
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person, start_instance


def _submit_draft():
    instance = start_instance()
    task_id = db.session.scalars(
        select(HumanTask.id).where(HumanTask.bpmn_id == "draft_letter")
    ).one()
    unit_of_work(lambda: instances.complete_task(task_id, person("head_fin"), VALID_LETTER))
    return instance


def test_sweep_arms_a_wake_up_at_the_earliest_timer(app, org, clock):
    instance = _submit_draft()
    scheduler = TimerScheduler(app)
    scheduler.scheduler.start(paused=True)
    try:
        assert scheduler.sweep() == 0
        job = scheduler.scheduler.get_job(WAKE_JOB)
        assert job is not None
        due_in = instance.next_timer_at - clock.now()
        expected = datetime.now(UTC) + due_in
        assert abs((job.next_run_time - expected).total_seconds()) < 5
    finally:
        scheduler.shutdown()


def test_running_scheduler_fires_a_due_timer(app, org, clock):
    _submit_draft()
    clock.advance(timedelta(days=6))
    swept = threading.Event()
    scheduler = TimerScheduler(app)
    original = scheduler.sweep

    def observed_sweep():
        fired = original()
        if fired:
            swept.set()
        return fired

    scheduler.sweep = observed_sweep
    scheduler.start()
    try:
        assert swept.wait(timeout=20), "the scheduler never fired the due timer"
    finally:
        scheduler.shutdown()
    db.session.rollback()  # end this session's snapshot; see the threads' commits
    # the diagram's own reminder, and the escalation's yellow card (the review is a day late)
    kinds = sorted(db.session.scalars(select(Notice.kind)))
    assert kinds == ["overdue_reminder", "yellow_card"]
