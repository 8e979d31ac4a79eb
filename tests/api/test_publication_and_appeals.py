"""Approval and publication (公示), the appeal (申诉/复核) and the results application (结果应用),
through the API, on a small diagram of stages 4-6 (tests/fixtures/appeal_cycle.bpmn)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Appeal,
    AuditEvent,
    CalibrationEntry,
    Department,
    DepartmentResult,
    HumanTask,
    InstanceEvent,
    Notice,
    Outcome,
    Person,
    ProcessInstance,
    Publication,
)
from app.services import campaigns, definitions, instances, publications, results, timers
from app.services.transactions import unit_of_work
from handlers import HandlerContext
from handlers.appeals import open_window
from tests.api.helpers import count, error_of
from tests.conftest import person, reads_workflow_state, sql_statements
from tests.engine.helpers import fixture

V1 = "/api/v1"
# Quota 1 of six (20 %, floor): XF-JD keeps 优秀, DC-DC / CZ-YS / RS-RS are held to 称职.
SCORES = {"XF-JD": "95", "DC-DC": "93", "CZ-YS": "92", "RS-RS": "91", "CZ-KJ": "85", "XF-BX": "55"}


def dept(code: str) -> int:
    return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def record(code: str, score: str) -> None:
    unit_of_work(lambda: results.record_result(person("admin"), 2026, dept(code), score))


def calibrate() -> None:
    unit_of_work(lambda: results.calibrate(person("admin"), 2026))


@pytest.fixture
def cycle(org) -> dict[str, int]:
    """One appeal_cycle instance per department of SCORES, waiting for the publication."""
    unit_of_work(
        lambda: definitions.upload("appeal_cycle.bpmn", fixture("appeal_cycle.bpmn"), None)
    )
    unit_of_work(lambda: campaigns.get_or_create(2026))
    started = {}
    for code in SCORES:
        instance = unit_of_work(
            lambda c=code: instances.start(dept(c), 2026, person("admin"), "appeal_cycle")
        )
        started[code] = instance.id
    return started


@pytest.fixture
def scored(cycle) -> dict[str, int]:
    for code, score in SCORES.items():
        record(code, score)
    calibrate()
    return cycle


@pytest.fixture
def published(scored, api_as) -> dict[str, int]:
    admin = api_as("admin")
    assert admin.post(f"{V1}/campaigns/2026/approve").status_code == 201
    assert admin.post(f"{V1}/campaigns/2026/publish").status_code == 200
    return scored


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def task_of(instance_id: int, bpmn_id: str, status: str = "ready") -> HumanTask | None:
    db.session.expire_all()
    return db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == status,
        )
    ).first()


def complete(api, instance_id: int, bpmn_id: str, data):
    task = task_of(instance_id, bpmn_id)
    assert task is not None, f"{bpmn_id} is not ready"
    return api.post(f"{V1}/tasks/{task.id}/complete", json={"data": data})


def snapshot() -> tuple:
    """Everything filing or deciding an appeal may write."""
    db.session.expire_all()
    rows = [
        (r.department_id, r.final_score, r.grade, r.rank)
        for r in db.session.scalars(select(DepartmentResult).order_by(DepartmentResult.id))
    ]
    ready = [(t.id, t.status) for t in db.session.scalars(select(HumanTask).order_by(HumanTask.id))]
    return count(Appeal), count(CalibrationEntry), count(Outcome), rows, ready


# --- approval and publication -------------------------------------------------------------


def test_approval_needs_every_result_and_a_calibration_and_happens_once(cycle, api_as):
    admin = api_as("admin")
    for code in list(SCORES)[:-1]:
        record(code, SCORES[code])
    error = error_of(admin.post(f"{V1}/campaigns/2026/approve"), 409, "conflict")
    assert error["missing_results"] == ["XF-BX"] and error["calibrated"] is False
    record("XF-BX", SCORES["XF-BX"])
    error = error_of(admin.post(f"{V1}/campaigns/2026/approve"), 409, "conflict")
    assert error["missing_results"] == [] and error["calibrated"] is False
    assert count(Publication) == 0
    calibrate()

    response = admin.post(f"{V1}/campaigns/2026/approve")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved" and body["approved_by"]["id"] == person("admin").id
    assert body["published_at"] is None and body["delivery"] is None
    error_of(admin.post(f"{V1}/campaigns/2026/approve"), 409, "conflict")
    assert admin.get(f"{V1}/campaigns/2026/publication").get_json() == body
    # nobody else sees an approval that is not published yet
    error_of(api_as("head_fin").get(f"{V1}/campaigns/2026/publication"), 404, "not_found")
    error_of(api_as("head_fin").post(f"{V1}/campaigns/2026/approve"), 403, "forbidden")
    error_of(admin.post(f"{V1}/campaigns/2031/approve"), 404, "not_found")


def test_a_result_changed_after_approval_blocks_publication(scored, api_as):
    admin = api_as("admin")
    admin.post(f"{V1}/campaigns/2026/approve")
    record("CZ-KJ", "86")  # no longer calibrated
    error = error_of(admin.post(f"{V1}/campaigns/2026/publish"), 409, "conflict")
    assert error["calibrated"] is False
    assert fresh(Publication, 1).published_at is None
    assert count(Notice) == 0


def test_publication_once_notifies_heads_and_delivers_to_each_waiting_instance(
    scored, api_as, clock, monkeypatch
):
    admin = api_as("admin")
    error_of(admin.post(f"{V1}/campaigns/2026/publish"), 409, "conflict")  # not approved
    admin.post(f"{V1}/campaigns/2026/approve")
    # XF-JD also runs the annual cycle, which is not waiting for the message; RS-RS's
    # instance is broken (delivery raises): neither stops the others.
    from tests.conftest import start_instance

    start_instance("XF-JD")
    real = instances.deliver_message
    broken = scored["RS-RS"]

    def deliver(instance_id, name, payload):
        if instance_id == broken:
            raise RuntimeError("state unreadable")
        return real(instance_id, name, payload)

    monkeypatch.setattr(instances, "deliver_message", deliver)
    response = admin.post(f"{V1}/campaigns/2026/publish")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    delivery = body["delivery"]
    assert (delivery["delivered"], delivery["not_waiting"], delivery["failed"]) == (5, 1, 1)
    assert delivery["failures"] == [{"instance_id": broken, "error": "RuntimeError"}]
    assert body["status"] == "published" and body["appeal_window_days"] == 7
    publication = fresh(Publication, 1)
    assert publication.published_at == clock.now()
    assert publication.appeal_window_ends_at == clock.now() + timedelta(days=7)
    error_of(admin.post(f"{V1}/campaigns/2026/publish"), 409, "conflict")

    for code, instance_id in scored.items():
        event = db.session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "message"
            )
        ).first()
        ready = task_of(instance_id, "file_appeal")
        if code == "RS-RS":
            assert event is None and ready is None
            continue
        assert event.detail == {"year": 2026, "published_at": clock.now().isoformat()}
        assert ready.due_at == clock.now() + timedelta(days=7)  # the window's timer
    heads = {
        db.session.get(Person, n.person_id).username
        for n in db.session.scalars(select(Notice).where(Notice.kind == "results_published"))
    }
    assert {"head_fin", "head_insp", "head_bx"} <= heads
    assert all(not u.startswith(("staff", "leader")) for u in heads)
    # published: everyone signed in may read it
    assert api_as("head_fin").get(f"{V1}/campaigns/2026/publication").get_json() == body


def test_publication_state_before_anything(cycle, api_as):
    error_of(api_as("admin").get(f"{V1}/campaigns/2026/publication"), 404, "not_found")
    error_of(api_as("admin").post(f"{V1}/campaigns/2026/publish"), 409, "conflict")


def test_approving_and_publishing_read_each_workflow_state_only_to_deliver(scored):
    """Approval and publication need the instances' departments, not their workflow state
    (tens of KB each, hundreds of MB for a city): only each delivery loads its own."""
    admin = person("admin")

    def states_read(action) -> int:
        db.session.expire_all()
        with sql_statements() as statements:
            action()
        return sum(1 for s in statements if reads_workflow_state(s))

    assert states_read(lambda: unit_of_work(lambda: publications.approve(admin, 2026))) == 0
    assert states_read(lambda: publications.publish(admin, 2026)) == len(SCORES)
    delivery = db.session.scalars(select(Publication)).one().delivery
    assert delivery["delivered"] == len(SCORES) and delivery["failed"] == 0


def test_a_department_sees_its_own_grade_only_once_published(scored, api_as):
    head = api_as("head_fin")
    assert head.get(f"{V1}/campaigns/2026/results").get_json() == []
    assert api_as("fy_he").get(f"{V1}/campaigns/2026/results").get_json() == []
    admin = api_as("admin")
    assert len(admin.get(f"{V1}/campaigns/2026/results").get_json()) == 6
    admin.post(f"{V1}/campaigns/2026/approve")
    admin.post(f"{V1}/campaigns/2026/publish")
    mine = head.get(f"{V1}/campaigns/2026/results").get_json()
    assert [(r["department_id"], r["grade"]) for r in mine] == [(dept("CZ-YS"), "competent")]
    assert len(api_as("fy_he").get(f"{V1}/campaigns/2026/results").get_json()) == 6


# --- the appeal window ------------------------------------------------------------------------


def test_the_window_closes_by_itself_when_nobody_files(published, clock):
    instance_id = published["CZ-YS"]
    clock.advance(timedelta(days=7))
    assert timers.sweep() == 0  # the timer fires strictly after its due time
    clock.advance(timedelta(minutes=1))
    assert timers.sweep() == 6
    assert fresh(ProcessInstance, instance_id).status == "completed"
    assert task_of(instance_id, "file_appeal", "cancelled") is not None
    assert count(Appeal) == 0 and count(Outcome) == 6


def test_open_window_reads_the_campaign_settings(cycle):
    unit_of_work(
        lambda: campaigns.update_settings(
            person("admin"), 2026, {"appeal": {"window_days": 10, "decision_days": 3}}
        )
    )
    instance = db.session.get(ProcessInstance, cycle["CZ-YS"])
    ctx = HandlerContext(instance.id, instance.department_id, instance.campaign_id, {})
    assert open_window(ctx) == {"window": "P10D", "decision": "P3D"}


def test_accepting_the_result_files_nothing_and_records_the_outcome(published, api_as):
    instance_id = published["CZ-YS"]
    response = complete(api_as("head_fin"), instance_id, "file_appeal", {"decision": "accept"})
    assert response.status_code == 200, response.get_json()
    assert count(Appeal) == 0
    assert fresh(ProcessInstance, instance_id).status == "completed"
    outcome = db.session.scalars(select(Outcome).where(Outcome.instance_id == instance_id)).one()
    assert (outcome.grade, outcome.calibrated, outcome.rank) == ("competent", True, 3)
    assert (outcome.bonus_coefficient, outcome.reserve_pool) == (D("1.00"), False)
    assert (outcome.improvement_plan, outcome.head_deduction) == ([], D("0.00"))


def test_outcomes_are_the_campaign_outcomes_computation(published, api_as, clock):
    clock.advance(timedelta(days=8))
    timers.sweep()
    stored = {
        o.department.code: (o.grade, o.bonus_coefficient, o.reserve_pool, o.improvement_plan)
        for o in db.session.scalars(select(Outcome))
    }
    expected = {
        o.department.code: (
            o.outcome.grade.value,
            o.outcome.bonus_coefficient,
            o.outcome.reserve_pool,
            list(o.outcome.improvement_plan),
        )
        for o in results.outcomes(person("admin"), 2026)
    }
    assert stored == expected
    assert stored["XF-JD"][:2] == ("excellent", D("1.15"))
    assert stored["XF-BX"][3] == ["脱产培训", "岗位调整"]
    xf_bx = db.session.scalars(
        select(Outcome).where(Outcome.instance_id == published["XF-BX"])
    ).one()
    assert xf_bx.head_deduction == D("2.00")  # 55 < 80
    # what the handler handed the workflow
    run = instances._load(fresh(ProcessInstance, published["XF-BX"]))
    assert run.workflow.data["outcome"] == {
        "grade": "incompetent",
        "bonus_coefficient": "1.00",
        "reserve_pool": False,
        "improvement_plan": ["脱产培训", "岗位调整"],
        "head_deduction": "2.00",
    }


def test_outcome_without_calibration_uses_the_band_grade(cycle):
    for code, score in SCORES.items():
        record(code, score)
    from app.services import appeals

    outcome = unit_of_work(lambda: appeals.record_outcome(cycle["CZ-YS"]))
    assert (outcome.grade, outcome.calibrated, outcome.rank) == ("excellent", False, None)
    assert outcome.bonus_coefficient == D("1.15")


def test_an_outcome_costs_the_same_reads_in_a_small_or_a_large_field(cycle):
    """Each department's outcome ranks the whole field (the bottom-ranked rule), so its reads
    must not grow with the field: at 1,000 departments one read per result was minutes."""
    from app.services import appeals

    def reads_of_an_outcome() -> int:
        db.session.expire_all()  # as in a fresh unit of work
        with sql_statements() as seen:
            unit_of_work(lambda: appeals.record_outcome(cycle["CZ-YS"]))
        return len([s for s in seen if s.startswith("select")])

    record("CZ-YS", "92")
    record("XF-JD", "95")
    small = reads_of_an_outcome()
    others = db.session.scalars(select(Department.code).where(Department.code.not_in(SCORES)))
    for code in [*SCORES, *others]:
        record(code, "80")
    assert db.session.scalar(select(func.count()).select_from(DepartmentResult)) == 11
    assert reads_of_an_outcome() == small <= 8  # the outcome, then its consequence rows


# --- filing and deciding ----------------------------------------------------------------------


def file_cz_ys(api_as, published, **extra):
    data = {"decision": "appeal", "reasons": "督查扣分认定有误，附整改材料。", **extra}
    response = complete(api_as("head_fin"), published["CZ-YS"], "file_appeal", data)
    assert response.status_code == 200, response.get_json()
    return db.session.scalars(select(Appeal)).one()


def test_an_upheld_appeal_changes_nothing(published, api_as):
    appeal = file_cz_ys(api_as, published, deductions=True, evaluation=True)
    assert (appeal.status, appeal.year, appeal.filed_by_id) == (
        "filed",
        2026,
        person("head_fin").id,
    )
    assert appeal.disputed == {"lines": [], "deductions": True, "evaluation": True}
    before = snapshot()[1:4]
    response = complete(
        api_as("fy_he"),
        published["CZ-YS"],
        "decide_appeal",
        {"decision": "uphold", "reason": "扣分依据充分。"},
    )
    assert response.status_code == 200, response.get_json()
    after = snapshot()
    assert after[1] == before[0] and after[3] == before[2]  # log and results untouched
    appeal = fresh(Appeal, appeal.id)
    assert (appeal.status, appeal.decision_reason, appeal.adjustment) == (
        "upheld",
        "扣分依据充分。",
        None,
    )
    assert appeal.decided_by_id == person("fy_he").id
    assert fresh(ProcessInstance, published["CZ-YS"]).status == "completed"


def test_an_adjusted_appeal_recomputes_the_result_and_logs_the_grade_change(published, api_as):
    response = complete(
        api_as("head_bx"),
        published["XF-BX"],
        "file_appeal",
        {"decision": "appeal", "reasons": "指标数据取数口径错误。"},
    )
    assert response.status_code == 200, response.get_json()
    response = complete(
        api_as("fy_he"),
        published["XF-BX"],
        "decide_appeal",
        {"decision": "adjust", "reason": "核实后更正指标得分。", "indicator_score": "85"},
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    row = db.session.scalars(
        select(DepartmentResult).where(DepartmentResult.department_id == dept("XF-BX"))
    ).one()
    assert (row.final_score, row.band_grade, row.grade, row.rank) == (
        D("85.00"),
        "competent",
        "competent",
        6,  # 85 ties CZ-KJ; the code breaks the tie
    )
    [entry] = db.session.scalars(
        select(CalibrationEntry).where(CalibrationEntry.department_id == dept("XF-BX"))
    ).all()
    assert (entry.from_grade, entry.to_grade, entry.automatic) == (
        "incompetent",
        "competent",
        False,
    )
    assert entry.reason == "申诉复核：核实后更正指标得分。"
    assert entry.reason_parts == [{"kind": "appeal", "params": {"reason": "核实后更正指标得分。"}}]
    assert entry.actor_id == person("fy_he").id
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.status == "adjusted"
    assert appeal.adjustment["before"]["final_score"] == "55.00"
    assert appeal.adjustment["after"]["grade"] == "competent"
    assert (
        db.session.scalar(
            select(AuditEvent.actor_id)
            .where(AuditEvent.action == "result.record")
            .order_by(AuditEvent.id.desc())
        )
        is None
    )  # recorded by the system
    outcome = db.session.scalars(
        select(Outcome).where(Outcome.instance_id == published["XF-BX"])
    ).one()
    assert (outcome.grade, outcome.head_deduction) == ("competent", D("0.00"))


def test_an_adjustment_to_excellent_respects_the_quota(published, api_as):
    file_cz_ys(api_as, published)
    response = complete(
        api_as("fy_he"),
        published["CZ-YS"],
        "decide_appeal",
        {"decision": "adjust", "reason": "评价得分更正。", "indicator_score": "96"},
    )
    assert response.status_code == 200, response.get_json()
    grades = {r.department.code: (r.grade, r.rank) for r in results.results(person("admin"), 2026)}
    assert grades["CZ-YS"] == ("competent", 1)  # 优秀's single place stays with XF-JD
    assert grades["XF-JD"] == ("excellent", 2)
    assert count(CalibrationEntry, CalibrationEntry.reason.startswith("申诉")) == 0


# --- bad input and the wrong people -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([1, 2], "data"),
        ("appeal", "data"),
        ({}, "decision"),
        ({"decision": 1}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "appeal"}, "reasons"),
        ({"decision": "appeal", "reasons": "   "}, "reasons"),
        ({"decision": "appeal", "reasons": "长" * 2001}, "reasons"),
        ({"decision": "appeal", "reasons": 42}, "reasons"),
        ({"decision": "appeal", "reasons": "x", "lines": "1"}, "lines"),
        ({"decision": "appeal", "reasons": "x", "lines": ["a"]}, "lines"),
        ({"decision": "appeal", "reasons": "x", "lines": [99_999]}, "lines"),
        ({"decision": "appeal", "reasons": "x", "lines": [0]}, "lines"),
        ({"decision": "appeal", "reasons": "x", "deductions": "maybe"}, "deductions"),
        ({"decision": "appeal", "reasons": "x", "extra": 1}, "extra"),
    ],
)
def test_a_bad_appeal_is_422_on_its_field_and_writes_nothing(published, api_as, data, field):
    before = snapshot()
    task = task_of(published["CZ-YS"], "file_appeal")
    response = api_as("head_fin").post(f"{V1}/tasks/{task.id}/complete", json={"data": data})
    error = error_of(response, 422, "validation_failed")
    assert any(key == field or key.startswith(f"{field}.") for key in error["fields"]), error
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "uphold"}, "reason"),
        ({"decision": "uphold", "reason": " "}, "reason"),
        ({"decision": "uphold", "reason": "长" * 2001}, "reason"),
        ({"decision": "adjust", "reason": "更正"}, "indicator_score"),
        ({"decision": "uphold", "reason": "维持", "deductions": "1"}, "deductions"),
        ({"decision": "adjust", "reason": "更正", "indicator_score": "101"}, "indicator_score"),
        ({"decision": "adjust", "reason": "更正", "indicator_score": "abc"}, "indicator_score"),
        ({"decision": "adjust", "reason": "更正", "evaluation_score": "9.999"}, "evaluation_score"),
        ({"decision": "adjust", "reason": "更正", "deductions": "NaN"}, "deductions"),
        ({"decision": "adjust", "reason": "更正", "deductions": [1]}, "deductions"),
        ({"decision": "overturn", "reason": "更正"}, "decision"),
    ],
)
def test_a_bad_decision_is_422_on_its_field_and_writes_nothing(published, api_as, data, field):
    file_cz_ys(api_as, published)
    before = snapshot()
    task = task_of(published["CZ-YS"], "decide_appeal")
    response = api_as("fy_he").post(f"{V1}/tasks/{task.id}/complete", json={"data": data})
    error = error_of(response, 422, "validation_failed")
    assert any(key == field or key.startswith(f"{field}.") for key in error["fields"]), error
    assert snapshot() == before


def test_only_the_department_files_and_only_the_panel_decides(published, api_as):
    before = snapshot()
    task = task_of(published["CZ-YS"], "file_appeal")
    data = {"decision": "appeal", "reasons": "有异议"}
    url = f"{V1}/tasks/{task.id}/complete"
    error_of(api_as("head_insp").post(url, json={"data": data}), 404, "not_found")
    error_of(api_as("leader_li").post(url, json={"data": data}), 403, "forbidden")
    error_of(api_as("fy_he").post(url, json={"data": data}), 403, "forbidden")
    error_of(api_as("admin").post(url, json={"data": data}), 403, "forbidden")
    assert snapshot() == before
    file_cz_ys(api_as, published)
    decide = task_of(published["CZ-YS"], "decide_appeal")
    body = {"data": {"decision": "uphold", "reason": "维持"}}
    error_of(
        api_as("head_fin").post(f"{V1}/tasks/{decide.id}/complete", json=body), 403, "forbidden"
    )
    error_of(
        api_as("expert_gao").post(f"{V1}/tasks/{decide.id}/complete", json=body), 404, "not_found"
    )


def test_appeals_are_seen_by_the_department_the_panel_and_the_centre(published, api_as):
    appeal = file_cz_ys(api_as, published)
    cz_ys = dept("CZ-YS")
    for who in ("admin", "fy_he", "head_fin", "staff_fin"):
        listed = api_as(who).get(f"{V1}/appeals?year=2026").get_json()
        assert [a["id"] for a in listed] == [appeal.id], who
        assert listed[0]["reasons"] == appeal.reasons and listed[0]["status"] == "filed"
        one = api_as(who).get(f"{V1}/appeals?department_id={cz_ys}").get_json()
        assert [a["id"] for a in one] == [appeal.id]
    for who in ("head_insp", "leader_li", "kh_chen", "expert_gao"):
        assert api_as(who).get(f"{V1}/appeals").get_json() == [], who
    error_of(api_as("leader_li").get(f"{V1}/appeals?department_id={cz_ys}"), 403, "forbidden")
    error_of(api_as("kh_chen").get(f"{V1}/appeals?department_id={cz_ys}"), 403, "forbidden")
    error_of(api_as("head_insp").get(f"{V1}/appeals?department_id={cz_ys}"), 404, "not_found")
    error_of(api_as("admin").get(f"{V1}/appeals?department_id=99999"), 404, "not_found")
    assert api_as("admin").get(f"{V1}/appeals?year=2027").get_json() == []
    for query in ("year=abc", "year=1999", "department_id=0", "department_id=x"):
        response = api_as("admin").get(f"{V1}/appeals?{query}")
        assert response.status_code == 422, query


def test_publish_service_refuses_others(scored):
    from app.services.errors import Forbidden

    with pytest.raises(Forbidden):
        publications.publish(person("head_fin"), 2026)
    assert count(Publication) == 0
