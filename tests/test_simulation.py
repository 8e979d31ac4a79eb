"""The whole year, end to end: `app.simulation` runs every stage of the shipped diagram for a
small synthetic city on a fast clock, playing every role through the services."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    DepartmentResult,
    HumanTask,
    InstanceEvent,
    ProcessInstance,
    Publication,
    QuarterlyReview,
    SpotCheck,
)
from app.services import definitions
from app.services.transactions import unit_of_work
from app.simulation import YearSimulation, synthetic_city

DEPARTMENTS = 3


@pytest.fixture
def year(app):
    unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))
    summary = YearSimulation(2026, seed=3).run(lambda: synthetic_city(DEPARTMENTS, 2026))
    db.session.expire_all()
    return summary


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _per_instance(bpmn_id: str) -> Counter:
    """How many times each instance passed the element."""
    return Counter(
        db.session.scalars(
            select(InstanceEvent.instance_id).where(InstanceEvent.bpmn_id == bpmn_id)
        )
    )


def test_every_department_runs_the_whole_year_to_its_outcome(year):
    assert year.errors == []
    assert year.completed == DEPARTMENTS
    statuses = db.session.scalars(select(ProcessInstance.status)).all()
    assert statuses == ["completed"] * DEPARTMENTS
    # every stage left its mark on every instance
    for bpmn_id, per_instance in (
        ("lock_letter", 1),
        ("rate_quarter", 4),
        ("compute_score", 1),
        ("results_published", 1),
        ("record_outcome", 1),
    ):
        assert sorted(_per_instance(bpmn_id).values()) == [per_instance] * DEPARTMENTS, bpmn_id
    # Monthly spot checks, February to December, one month at a time: a month whose
    # unannounced day passes while the previous round is still open (late people) is skipped.
    draws = _per_instance("draw_sample")
    assert len(draws) == DEPARTMENTS and all(9 <= n <= 11 for n in draws.values()), draws
    assert _count(SpotCheck) == sum(draws.values())
    assert _count(QuarterlyReview) == 4 * DEPARTMENTS
    assert _count(HumanTask, HumanTask.status == "ready") == 0


def test_the_results_are_graded_published_and_summarised(year):
    results = db.session.scalars(select(DepartmentResult)).all()
    assert len(results) == DEPARTMENTS
    assert all(r.grade and r.rank for r in results)
    assert sum(year.grades.values()) == DEPARTMENTS
    publication = db.session.scalars(select(Publication)).one()
    assert publication.delivery["delivered"] == DEPARTMENTS
    assert year.tasks_completed > 20 * DEPARTMENTS
    assert year.survey_ballots > 0


def test_late_steps_were_escalated_and_the_state_stays_bounded(year):
    assert year.tasks_late > 0
    assert year.cards["yellow_card"] > 0
    assert year.state_kb_max < 200  # a whole year of one department, without its specs
    assert year.simulated_until.year == 2027
