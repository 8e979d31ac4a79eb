"""`verification.compare` and `scoring.compute`, called as the engine calls them: differences
beyond the tolerance, the worked example of a year-end result by hand, and missing values."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import (
    AuditEvent,
    Ballot,
    DataVerification,
    DepartmentResult,
    Finding,
    LedgerEntry,
    ProcessInstance,
    QuarterlyReview,
    SpotCheck,
)
from app.services.transactions import unit_of_work
from handlers import REGISTRY
from tests.conftest import person
from tests.reviews.conftest import put_actual

D = Decimal


def _call(name, ctx, **params):
    return unit_of_work(lambda: REGISTRY[name](ctx, **params))


def _rows(model):
    db.session.expire_all()
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def test_no_differences_when_the_figures_agree_within_the_tolerance(setup):
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026", "reported", "0.40")
    put_actual(cz, "FIN-ERR", "2026", "pull", "0.4049")  # within 0.01
    put_actual(cz, "FIN-PAY", "2026", "reported", "97")  # nothing pulled: nothing to verify
    assert _call("verification.compare", setup.ctx) == {"differences": 0}
    assert _rows(DataVerification) == []


def test_a_difference_beyond_the_tolerance_waits_for_a_decision(setup):
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026", "reported", "0.5")
    put_actual(cz, "FIN-ERR", "2026", "file", "0.7")
    put_actual(cz, "FIN-ERR", "2026", "pull", "0.75")  # pulled wins over imported
    for month, value in (("2026-11", "99"), ("2026-12", "98")):  # a rate: the latest month
        put_actual(cz, "FIN-PAY", month, "reported", value)
    put_actual(cz, "FIN-PAY", "2026-12", "file", "96")
    assert _call("verification.compare", setup.ctx) == {"differences": 2}
    err, pay = _rows(DataVerification)
    assert (err.letter_line_id, err.reported, err.pulled, err.pulled_source, err.status) == (
        setup.lines["FIN-ERR"].id, D("0.5"), D("0.75"), "pull", "open",
    )  # fmt: skip
    assert (pay.reported, pay.pulled, pay.pulled_source) == (D(98), D(96), "file")
    # again: the same rows, refreshed; once the figures agree the open row goes
    put_actual(cz, "FIN-PAY", "2026-12", "reported", "96")
    assert _call("verification.compare", setup.ctx) == {"differences": 1}
    assert [r.id for r in _rows(DataVerification)] == [err.id]


def _confirmed_finding(setup, points: str, indicator: str | None) -> None:
    def write():
        entry = LedgerEntry(
            department_id=setup.instance.department_id,
            year=2026,
            month=6,
            number=f"CZ-2026-{points}",
            title="报销凭证",
        )
        db.session.add(entry)
        db.session.flush()
        check = db.session.scalars(sa.select(SpotCheck)).first()
        if check is None:
            check = SpotCheck(
                instance_id=setup.instance.id,
                department_id=setup.instance.department_id,
                year=2026,
                month=6,
                seed=1,
                sample_size=1,
                population_ids=[entry.id],
                sample_ids=[entry.id],
                status="closed",
            )
            db.session.add(check)
            db.session.flush()
        db.session.add(
            Finding(
                spot_check_id=check.id,
                ledger_entry_id=entry.id,
                description="凭证缺少审批签字",
                indicator_code=indicator,
                proposed_points=D(points),
                confirmed_points=D(points),
                status="confirmed",
                found_by_id=person("kh_chen").id,
                found_at=clock.now(),
            )
        )
        db.session.flush()

    unit_of_work(write)


def _ballots(setup, *marks: tuple[str, str]) -> None:
    def write():
        for group, score in marks:
            db.session.add(
                Ballot(
                    campaign_id=setup.instance.campaign_id,
                    department_id=setup.instance.department_id,
                    rater_group=group,
                    score=D(score),
                )
            )
        db.session.flush()

    unit_of_work(write)


def _excellent_quarters(setup, n: int) -> None:
    def write():
        for quarter in range(1, n + 1):
            db.session.add(
                QuarterlyReview(
                    instance_id=setup.instance.id,
                    department_id=setup.instance.department_id,
                    campaign_id=setup.instance.campaign_id,
                    year=2026,
                    quarter=quarter,
                    lines=[],
                    rating="excellent",
                    score=D(95),
                )
            )
        db.session.flush()

    unit_of_work(write)


def test_the_worked_example_of_a_year_end_result(setup):
    """By hand:
    财务报表差错率 (≤0.5 %, zero at 1.0 %, weight 20): reported 0.5, pulled 0.75; the group
      accepts the pulled 0.75 -> (1.0 - 0.75) / (1.0 - 0.5) = 0.5 of 20 = 10 points.
    资金支付及时率 (≥100 %, zero at 90 %, weight 80): only reported, 98 -> 0.8 of 80 = 64,
      less a confirmed finding of 2 points on the line = 62.
    Indicator score 10 + 62 = 72.
    Ballots: leader 90; peers 80, 70, 90 (mean 80); service recipients 60, 80 (mean 70)
      -> evaluation (40 x 90 + 30 x 80 + 30 x 70) / 100 = 81.
    Final (72 x 70 + 81 x 30) / 100 = 74.70, less a confirmed 1.5 on the total = 73.20: 称职.
    """
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026", "reported", "0.5")
    put_actual(cz, "FIN-ERR", "2026", "pull", "0.75")
    put_actual(cz, "FIN-PAY", "2026", "reported", "98")
    assert _call("verification.compare", setup.ctx) == {"differences": 1}
    [row] = _rows(DataVerification)
    unit_of_work(
        lambda: db.session.execute(
            sa.update(DataVerification)
            .where(DataVerification.id == row.id)
            .values(status="decided", accepted="pulled", accepted_value=D("0.75"))
        )
    )
    _confirmed_finding(setup, "2", "FIN-PAY")
    _confirmed_finding(setup, "1.5", None)
    _ballots(
        setup,
        ("leader", "90"),
        ("peer", "80"),
        ("peer", "70"),
        ("peer", "90"),
        ("service_recipient", "60"),
        ("service_recipient", "80"),
    )
    _excellent_quarters(setup, 2)

    assert _call("scoring.compute", setup.ctx) == {"final_score": "73.20", "grade": "competent"}
    [result] = _rows(DepartmentResult)
    assert (result.indicator_score, result.evaluation_score, result.deductions) == (
        D(72), D(81), D("1.5"),
    )  # fmt: skip
    assert (result.final_score, result.band_grade, result.excellent_quarters) == (
        D("73.2"), "competent", 2,
    )  # fmt: skip
    lines = {line["line"]: line for line in result.detail["lines"]}
    assert (lines["FIN-ERR"]["value"], lines["FIN-ERR"]["source"]) == ("0.75", "verified")
    assert (lines["FIN-ERR"]["points"], lines["FIN-ERR"]["after_deductions"]) == ("10.00", "10.00")
    assert (lines["FIN-PAY"]["source"], lines["FIN-PAY"]["points"]) == ("reported", "64.00")
    assert lines["FIN-PAY"]["after_deductions"] == "62.00"
    assert [g["mean"] for g in result.detail["evaluation"]["groups"]] == ["90.00", "80.00", "70.00"]
    [audit] = [e for e in _rows(AuditEvent) if e.action == "result.record"]
    assert audit.actor_id is None  # the system, not a person


def test_missing_values_score_zero_and_say_so(setup):
    put_actual(setup.instance.department_id, "FIN-ERR", "2026", "pull", "0.5")
    assert _call("scoring.compute", setup.ctx) == {"final_score": "20.00", "grade": "incompetent"}
    [result] = _rows(DepartmentResult)
    lines = {line["line"]: line for line in result.detail["lines"]}
    assert (lines["FIN-ERR"]["points"], lines["FIN-ERR"]["source"]) == ("20.00", "pulled")
    assert lines["FIN-PAY"] == {
        "line": "FIN-PAY",
        "name": "资金支付及时率",
        "weight": "80.00",
        "value": None,
        "source": "missing",
        "points": "0.00",
        "note": "无实际值，按0分计",
        "note_kind": "no_value",
        "note_params": {},
        "after_deductions": "0.00",
        "code": "FIN-PAY",
        "ratio": "0.00",  # what the yearly indicator review reads
    }
    # no ballots at all: the indicator score counts alone
    assert (result.evaluation_score, result.indicator_score) == (None, D(20))


def test_a_self_reported_level_is_confirmed_or_corrected_at_verification(org):
    """创新工作 (anchored levels, evidence required): the head reports level 5 with a case file;
    verification puts the level before the assessment group, who corrects it to 3 with a
    reason; the year-end score uses 3."""
    from app.services import actuals, definitions, instances, verification
    from tests.engine.helpers import fixture
    from tests.reviews.conftest import FINANCE_LINES, PROCESS, Setup, signed_letter

    unit_of_work(lambda: definitions.upload(f"{PROCESS}.bpmn", fixture(f"{PROCESS}.bpmn"), None))
    started = unit_of_work(
        lambda: instances.start(org["CZ-YS"].id, 2026, person("admin"), process_key=PROCESS)
    )
    instance = db.session.get(ProcessInstance, started.id)
    innovation = ("QUAL-INNOVATION", "创新工作", "individual", "higher", "5", None, "级", "20")
    setup = Setup(instance, signed_letter(instance, (FINANCE_LINES[0], innovation)))
    head = person("head_fin")
    case = ("创新案例.pdf", b"%PDF-1.4\n% case\n%%EOF\n")
    unit_of_work(
        lambda: actuals.report(head, org["CZ-YS"].id, "QUAL-INNOVATION", "2026", "5", upload=case)
    )
    unit_of_work(lambda: actuals.report(head, org["CZ-YS"].id, "FIN-ERR", "2026", "0.4"))
    assert _call("verification.compare", setup.ctx) == {"differences": 1}
    [row] = _rows(DataVerification)
    assert (row.indicator_code, row.reported, row.pulled_source) == (
        "QUAL-INNOVATION", D(5), "self_level",
    )  # fmt: skip
    decision = {"verification_id": row.id, "accepted": "other", "value": "3", "reason": "案例一般"}
    unit_of_work(lambda: verification.decide(instance, person("kh_chen"), [decision]))
    _call("scoring.compute", setup.ctx)
    [result] = _rows(DepartmentResult)
    line = next(x for x in result.detail["lines"] if x["line"] == "QUAL-INNOVATION")
    assert (line["value"], line["source"]) == ("3", "verified")
