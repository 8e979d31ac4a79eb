"""Races with real concurrent connections: each thread has its own app context, session and
database connection. Meant for PostgreSQL (row locks, SKIP LOCKED); on SQLite the same
guarantees come from the row-version column and the retry loop."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import HumanTask, InstanceEvent, Notice, ResponsibilityLetter, RoleAssignment
from app.services import instances, timers
from app.services.errors import Conflict
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person, start_instance, template_letter


def _race(app, *workers):
    """Run the callables at the same moment in threads; return each result or exception."""
    barrier = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)

    def run(i, work):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work()
            except Exception as exc:  # the outcome under test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_people_complete_the_same_task_once(app, org, clock, round_):
    instance = start_instance()
    deputy = person("staff_fin")
    unit_of_work(
        lambda: db.session.add(
            RoleAssignment(
                person_id=deputy.id, role="department_head", department_id=instance.department_id
            )
        )
    )
    task_id = db.session.scalars(
        select(HumanTask.id).where(HumanTask.bpmn_id == "draft_letter")
    ).one()
    head_id, deputy_id = person("head_fin").id, deputy.id

    def complete_as(person_id):
        from app.models import Person

        return lambda: unit_of_work(
            lambda: (
                instances.complete_task(task_id, db.session.get(Person, person_id), VALID_LETTER).id
            )
        )

    results = _race(app, complete_as(head_id), complete_as(deputy_id))

    successes = [r for r in results if r == task_id]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(successes) == 1 and len(conflicts) == 1, results
    db.session.rollback()  # end this session's snapshot; see the threads' commits
    assert db.session.scalar(select(func.count()).select_from(ResponsibilityLetter)) == 1
    reviews = db.session.scalars(
        select(HumanTask).where(HumanTask.bpmn_id == "review_letter")
    ).all()
    assert [r.status for r in reviews] == ["ready"]
    completions = db.session.scalar(
        select(func.count())
        .select_from(InstanceEvent)
        .where(InstanceEvent.kind == "task_completed", InstanceEvent.bpmn_id == "draft_letter")
    )
    assert completions == 1


def test_racing_sweeps_fire_each_boundary_timer_exactly_once(app, org, clock):
    started = [start_instance(code) for code in ("CZ-YS", "DC-DC", "RS-RS", "JG-ZH")]
    heads = {"CZ-YS": "head_fin", "DC-DC": "head_insp", "RS-RS": "head_hr", "JG-ZH": "head_admin"}
    for instance in started:
        task_id = db.session.scalars(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance.id, HumanTask.bpmn_id == "draft_letter"
            )
        ).one()
        head = person(heads[instance.department.code])
        letter = template_letter(instance.department.function_category)
        unit_of_work(lambda t=task_id, h=head, d=letter: instances.complete_task(t, h, d))

    clock.advance(timedelta(days=5, minutes=1))
    results = _race(app, timers.sweep, timers.sweep, timers.sweep)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == len(started)
    db.session.rollback()  # end this session's snapshot; see the threads' commits
    fired = db.session.scalars(
        select(InstanceEvent.instance_id).where(InstanceEvent.bpmn_id == "review_overdue")
    ).all()
    assert sorted(fired) == sorted(i.id for i in started)
    # one reminder per instance, each to its department's one supervising leader
    assert db.session.scalar(select(func.count()).select_from(Notice)) == len(started)
    assert timers.sweep() == 0
