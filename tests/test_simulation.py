"""The whole year, end to end: `app.simulation` runs every stage of the shipped diagram for a
small synthetic city on a fast clock, playing every role through the services."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app import simulation
from app.extensions import db
from app.models import (
    Ballot,
    Consequence,
    DataVerification,
    DepartmentResult,
    HumanTask,
    InstanceEvent,
    Outcome,
    ProcessInstance,
    Publication,
    QuarterlyReview,
    SpotCheck,
)
from app.services import actuals, campaigns, definitions, library, year_check
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
        ("pull_sources", 1),
        ("rate_quarter", 4),
        ("compute_score", 1),
        ("results_published", 1),
        ("record_outcome", 1),
    ):
        assert sorted(_per_instance(bpmn_id).values()) == [per_instance] * DEPARTMENTS, bpmn_id
    # Monthly spot checks: every month February to December, one after the other; a month
    # whose unannounced day passed while the previous round was still open is checked at
    # once, never skipped (the letter is signed in January: nothing is skipped for it).
    draws = _per_instance("draw_sample")
    assert sorted(draws.values()) == [11] * DEPARTMENTS, draws
    months = db.session.execute(select(SpotCheck.instance_id, SpotCheck.month)).all()
    assert sorted(m for _, m in months) == sorted(list(range(2, 13)) * DEPARTMENTS)
    assert _count(SpotCheck, SpotCheck.status == "skipped") == 0
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


def test_the_year_holds_every_checked_invariant(year):
    assert year_check.check(2026) == []


def test_the_indicator_review_flags_what_every_department_met_in_full(year):
    """The simulated city keeps a clean discipline record (COM-DE at its target) everywhere:
    the review, reading what scoring wrote, flags it and nothing any department missed."""
    by_code: dict[str, list[Decimal]] = {}
    for result in db.session.scalars(select(DepartmentResult)):
        for line in result.detail["lines"]:
            if line.get("code"):
                points, weight = Decimal(line["points"]), Decimal(line["weight"])
                by_code.setdefault(line["code"], []).append(points / weight)
    met = {c for c, ratios in by_code.items() if len(ratios) >= 2 and min(ratios) >= 1}
    review = library.review(2026)
    assert review["departments"] == DEPARTMENTS
    assert "COM-DE" in review["flagged"]
    assert set(review["flagged"]) == met


def _sheets() -> dict[tuple[int, str], dict[int, Decimal]]:
    sheets: dict[tuple[int, str], dict[int, Decimal]] = {}
    for ballot in db.session.scalars(select(Ballot).where(Ballot.voter_id.is_not(None))):
        sheets.setdefault((ballot.voter_id, ballot.rater_group), {})[ballot.department_id] = (
            ballot.score
        )
    return sheets


def test_a_voter_giving_everyone_the_same_mark_has_every_such_ballot_voided(year):
    """Void sheets counted from the ballots cast through the ballot tasks (a lenient voter
    gives every department 100), against the void ballots each result counted."""
    expected: Counter = Counter()
    for sheet in _sheets().values():
        if len(sheet) >= 2 and len(set(sheet.values())) == 1:
            expected.update(sheet.keys())
    assert sum(expected.values()) > 0, "the simulation had no uniform voter"
    for result in db.session.scalars(select(DepartmentResult)):
        counted = result.detail["evaluation"]["void_ballots"]
        assert counted == expected[result.department_id], result.department_id


def test_the_checker_reports_a_rule_broken_behind_the_services(year):
    """A defect that sets a grade outside its band (as a direct write would) is caught."""
    row = db.session.scalars(
        select(DepartmentResult).where(DepartmentResult.grade != "excellent")
    ).first()
    unit_of_work(
        lambda: db.session.execute(
            update(DepartmentResult).where(DepartmentResult.id == row.id).values(grade="excellent")
        )
    )
    rules = {v.rule for v in year_check.check(2026)}
    assert "grade_band" in rules


HALF_UP = {"share": "20", "rounding": "half_up", "approval": None}
APPROVED_QUARTER = {  # floor: 8 x 20 % = 1 place, 8 x 25 % = 2 with the approval
    "share": "20",
    "rounding": "floor",
    "approval": {"share": "25", "approved_by": "市考核委员会", "reason": "市考委〔2026〕3号"},
}


@pytest.mark.parametrize(
    ("seed", "departments", "quota"), [(7, 5, HALF_UP), (11, 8, APPROVED_QUARTER)]
)
def test_other_seeds_and_sizes_hold_every_checked_invariant(app, seed, departments, quota):
    """Other seeds and sizes, with half-up rounding, and with an approved 25 % share; with a
    government system that cannot be reached, too: its year-end pull fails, is recorded,
    and the year goes on."""
    unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))

    def city():
        built = synthetic_city(departments, 2026)
        campaigns.update_settings(simulation._centre(), 2026, {"quota": quota})
        actuals.save_source(
            simulation._centre(),
            "finance",
            {
                "description": "财政一体化系统",
                "url": "http://127.0.0.1:9/",
                "mapping": {"rows": "data", "department": "d", "period": "p", "value": "v"},
                "timeout_seconds": 0.2,
                "retries": 0,
                "active": True,
            },
        )
        return built

    summary = YearSimulation(2026, seed=seed).run(city)
    assert summary.errors == [] and summary.completed == departments
    assert year_check.check(2026) == []
    assert [r.error_kind for r in actuals.failed_pulls()] == ["connection"]
    assert campaigns.get(2026).settings["quota"] == quota  # the year ran under these rules


def test_year_end_verification_decides_real_differences(year):
    """The pulled file (some figures 3 % below the reported ones) is imported whole, and each
    difference is decided by the assessment group before scoring."""
    assert year.errors == []  # no pulled row refused
    rows = db.session.scalars(select(DataVerification)).all()
    differing = [r for r in rows if r.pulled_source == "file" and r.pulled != r.reported]
    assert differing and all(r.status == "decided" for r in differing)
    scored = [
        line
        for result in db.session.scalars(select(DepartmentResult))
        for line in result.detail["lines"]
        if line["source"] in ("verified", "pulled")
    ]
    assert scored  # pulled or verified figures, not only self-reported ones, were scored


def test_every_consequence_is_a_record_and_the_plan_is_followed_up(year):
    """The bottom-ranked and every 不称职 department get an improvement plan that the head
    submits and the supervising leader checks as steps of the year; a score under 80 costs the
    head points, recorded against the head; nothing is left as a bare label."""
    outcomes = {o.department_id: o for o in db.session.scalars(select(Outcome))}
    rows = {(c.department_id, c.kind): c for c in db.session.scalars(select(Consequence))}
    bottom = max(outcomes.values(), key=lambda o: o.rank)
    planned = {d for d, o in outcomes.items() if o.improvement_plan}
    assert bottom.department_id in planned
    assert planned >= {d for d, o in outcomes.items() if o.grade == "incompetent"}
    for department_id in planned:
        plan = rows[(department_id, "improvement_plan")]
        assert plan.status == "accepted" and plan.plan["training"] and plan.checked_by_id
        assert plan.person_id is not None  # the head answers for it

    def done(bpmn_id: str) -> Counter:
        return Counter(
            db.session.scalars(
                select(InstanceEvent.instance_id).where(
                    InstanceEvent.bpmn_id == bpmn_id, InstanceEvent.kind == "task_completed"
                )
            )
        )

    submitted, checked = done("submit_improvement_plan"), done("check_improvement_plan")
    assert set(submitted) == {outcomes[d].instance_id for d in planned}
    assert checked == submitted  # each submission checked (a returned one submitted again)
    deducted = {d for d, o in outcomes.items() if o.head_deduction > 0}
    assert deducted == {d for d, o in outcomes.items() if o.final_score < 80}
    for department_id in deducted:
        row = rows[(department_id, "head_deduction")]
        assert Decimal(row.detail["points"]) == outcomes[department_id].head_deduction
    assert {k for _, k in rows} <= {"improvement_plan", "head_deduction"}  # no reserve: year 1
