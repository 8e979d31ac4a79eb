"""Results, calibration with its log, manual overrides and outcomes, through the services."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import AuditEvent, CalibrationEntry, Campaign, Department, DepartmentResult
from app.rules.grading import QuotaRule, quota_count
from app.services import campaigns, publications, results
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.transactions import unit_of_work
from tests.conftest import person

# Final scores (indicator score only, no evaluation): four at 优秀 level among eleven.
SCORES = {
    "XF-JD": "95", "DC-DC": "93", "CZ-YS": "92", "RS-RS": "91", "CZ-KJ": "88", "CZ-GK": "85",
    "RS-JY": "80", "JG-ZH": "75", "DC-DB": "72", "JG-HQ": "65", "XF-BX": "55",
}  # fmt: skip


def dept(code: str) -> int:
    return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def record(code: str, indicator, year: int = 2026, **kw) -> DepartmentResult:
    return unit_of_work(
        lambda: results.record_result(person("admin"), year, dept(code), indicator, **kw)
    )


def grades_by_code(year: int = 2026) -> dict[str, str]:
    db.session.expire_all()
    return {r.department.code: r.grade for r in results.results(person("admin"), year)}


def state() -> tuple[int, int, int, list]:
    db.session.expire_all()
    n = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    settings_rows = [c.settings for c in db.session.scalars(select(Campaign).order_by(Campaign.id))]
    rows = [
        (r.department_id, r.final_score, r.grade, r.rank)
        for r in db.session.scalars(select(DepartmentResult).order_by(DepartmentResult.id))
    ]
    return n(AuditEvent), n(CalibrationEntry), len(rows), [settings_rows, rows]


@pytest.fixture
def campaign(org):
    return unit_of_work(lambda: campaigns.get_or_create(2026))


@pytest.fixture
def eleven(campaign):
    for code, score in SCORES.items():
        record(code, score)
    return campaign


def set_settings(year: int, document: dict) -> None:
    unit_of_work(lambda: campaigns.update_settings(person("admin"), year, document))


def test_recording_composes_the_final_score_and_takes_the_band_grade(campaign):
    result = record("CZ-YS", "90", evaluation_score="80", deductions="1")
    assert result.final_score == D("86.00")  # 90 x 70 % + 80 x 30 % − 1
    assert (result.band_grade, result.grade, result.rank) == ("competent", "competent", None)
    assert result.detail["grade_table"] == {"decision": "grade_bands", "version": 1}
    assert result.detail["composition"] == {"indicators": "70", "evaluation": "30"}
    alone = record("DC-DC", "92", detail={"note": "评价票不足"})
    assert (alone.final_score, alone.grade) == (D("92.00"), "excellent")
    assert alone.detail["note"] == "评价票不足"
    set_settings(2026, {"composition": {"indicators": 50, "evaluation": 50}})
    again = record("CZ-YS", "90", evaluation_score="80", deductions="1")
    assert again.id == result.id and again.final_score == D("84.00")
    assert db.session.scalar(select(func.count()).select_from(DepartmentResult)) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"indicator_score": "abc"}, "indicator_score"),
        ({"indicator_score": "100.01"}, "indicator_score"),
        ({"indicator_score": -1}, "indicator_score"),
        ({"indicator_score": "1e999999"}, "indicator_score"),
        ({"indicator_score": 90.5}, "indicator_score"),
        ({"indicator_score": None}, "indicator_score"),
        ({"evaluation_score": True}, "evaluation_score"),
        ({"deductions": "0.001"}, "deductions"),
        ({"excellent_quarters": 5}, "excellent_quarters"),
        ({"excellent_quarters": "4"}, "excellent_quarters"),
        ({"detail": {"x": {1, 2}}}, "detail"),
        ({"detail": {"x": "长" * 30_000}}, "detail"),
    ],
)
def test_a_bad_result_writes_nothing(campaign, kwargs, field):
    before = state()
    args = {"indicator_score": "90", **kwargs}
    with pytest.raises(Invalid) as caught:
        unit_of_work(lambda: results.record_result(person("admin"), 2026, dept("CZ-YS"), **args))
    assert field in caught.value.extra["fields"]
    assert state() == before


def test_unknown_year_department_and_non_admins_are_refused(campaign):
    before = state()
    with pytest.raises(NotFound):
        unit_of_work(lambda: results.record_result(person("admin"), 2031, dept("CZ-YS"), "90"))
    with pytest.raises(NotFound):
        unit_of_work(lambda: results.record_result(person("admin"), 2026, 99_999, "90"))
    with pytest.raises(Forbidden):
        unit_of_work(lambda: results.record_result(person("head_fin"), 2026, dept("CZ-YS"), "90"))
    assert state() == before


def test_calibration_applies_the_quota_ranks_everyone_and_logs_each_change(eleven):
    summary = unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    assert (summary.assessed, summary.quota, summary.excellent, summary.share) == (11, 2, 2, 20)
    assert [(c.department.code, c.from_grade, c.to_grade) for c in summary.changes] == [
        ("CZ-YS", "excellent", "competent"),
        ("RS-RS", "excellent", "competent"),
    ]
    assert summary.changes[0].reason == "超出优秀名额（名额 2 个，排名第 3）"
    assert all(c.automatic and c.actor_id == person("admin").id for c in summary.changes)
    listed = results.results(person("admin"), 2026)
    assert [r.department.code for r in listed] == list(SCORES)
    assert [r.rank for r in listed] == list(range(1, 12))
    assert grades_by_code()["CZ-YS"] == "competent"
    assert listed[2].band_grade == "excellent"
    # Calibrating again changes nothing and logs nothing more.
    again = unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    assert again.changes == [] and len(results.calibration_log(person("admin"), 2026)) == 2
    assert db.session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "campaign.calibrate")
        .order_by(AuditEvent.id)
    ).first() == {"year": 2026, "assessed": 11, "quota": 2, "approval": None, "changes": 2}


def test_an_approved_share_above_twenty_percent_is_recorded_and_restores_a_place(eleven):
    unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    # a twelfth department makes 12 x 25 % = 3 places (11 x 25 % = 2.75 would still be 2)
    unit_of_work(
        lambda: db.session.add(
            Department(unit_id=1, code="CZ-XX", name="新设科", function_category="finance")
        )
    )
    record("CZ-XX", "50")
    approval = {"share": "25", "approved_by": "市考核委员会", "reason": "市考委〔2026〕3号"}
    summary = unit_of_work(lambda: results.calibrate(person("admin"), 2026, approval))
    assert (summary.quota, summary.share, summary.excellent) == (3, 25, 3)
    assert (summary.cap_share, summary.excellent_share) == (25, D("25.0"))
    assert summary.approval == approval
    [restored] = summary.changes
    assert (restored.department.code, restored.to_grade) == ("CZ-YS", "excellent")
    assert restored.reason == "重新校准：恢复为等次表结果"
    assert campaigns.get(2026).settings["quota"]["approval"] == approval
    recorded = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.quota_approval")
    ).one()
    assert recorded.detail["after"] == approval and recorded.detail["before"] is None
    # The recorded approval keeps applying to later calibrations.
    assert unit_of_work(lambda: results.calibrate(person("admin"), 2026)).quota == 3


@pytest.mark.parametrize(
    ("approval", "field"),
    [
        ({"share": "30", "approved_by": "x", "reason": "y"}, "approval.share"),
        ({"share": "20", "approved_by": "x", "reason": "y"}, "approval.share"),
        ({"share": "25", "approved_by": "", "reason": "y"}, "approval.approved_by"),
        ({"share": "25", "approved_by": "x"}, "approval.reason"),
    ],
)
def test_a_bad_approval_writes_nothing(eleven, approval, field):
    before = state()
    with pytest.raises(Invalid) as caught:
        unit_of_work(lambda: results.calibrate(person("admin"), 2026, approval))
    assert field in caught.value.extra["fields"]
    assert state() == before


def test_four_excellent_quarters_take_a_place_first_within_the_quota(campaign):
    for code, score in SCORES.items():
        record(code, score, excellent_quarters=4 if code == "CZ-KJ" else 3)
    summary = unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    by_code = {c.department.code: c for c in summary.changes}
    assert by_code["CZ-KJ"].to_grade == "excellent"
    assert by_code["CZ-KJ"].reason == "四个季度均为优秀，年度定为优秀"
    assert {code for code, g in grades_by_code().items() if g == "excellent"} == {"XF-JD", "CZ-KJ"}
    set_settings(2026, {"quarterly_rule": False})
    unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    assert {code for code, g in grades_by_code().items() if g == "excellent"} == {"XF-JD", "DC-DC"}


def test_an_override_needs_a_reason_is_logged_and_cannot_break_the_quota(eleven):
    admin = person("admin")
    unit_of_work(lambda: results.calibrate(admin, 2026))
    before = state()
    with pytest.raises(Conflict, match="quota"):
        unit_of_work(lambda: results.override(admin, 2026, dept("CZ-YS"), "excellent", "表现突出"))
    with pytest.raises(Invalid) as caught:
        unit_of_work(lambda: results.override(admin, 2026, dept("CZ-YS"), "great", "  "))
    assert set(caught.value.extra["fields"]) == {"grade", "reason"}
    with pytest.raises(Conflict, match="already"):
        unit_of_work(lambda: results.override(admin, 2026, dept("CZ-YS"), "competent", "无变化"))
    with pytest.raises(NotFound):
        unit_of_work(lambda: results.override(admin, 2026, 99_999, "competent", "x"))
    with pytest.raises(Forbidden):
        unit_of_work(
            lambda: results.override(person("kh_chen"), 2026, dept("DC-DC"), "competent", "x")
        )
    assert state() == before

    unit_of_work(
        lambda: results.override(
            admin,
            2026,
            dept("DC-DC"),
            "competent",
            "核查发现数据不实",
            approved_by="市绩效考核委员会",
            approval_ref="绩考委纪要〔2026〕5号",
        )
    )
    row = unit_of_work(
        lambda: results.override(admin, 2026, dept("CZ-YS"), "excellent", "复核后上调")
    )
    assert row.grade == "excellent"
    log = results.calibration_log(admin, 2026)
    assert [(e.department.code, e.from_grade, e.to_grade, e.automatic) for e in log[-2:]] == [
        ("DC-DC", "excellent", "competent", False),
        ("CZ-YS", "competent", "excellent", False),
    ]
    assert log[-1].reason == "复核后上调" and log[-1].actor_id == admin.id
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "result.override")
        )
        == 2
    )


def test_a_result_without_a_row_and_a_campaign_without_results(campaign):
    with pytest.raises(NotFound, match="no result"):
        unit_of_work(
            lambda: results.override(person("admin"), 2026, dept("CZ-YS"), "excellent", "x")
        )
    with pytest.raises(Conflict, match="no results"):
        unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    with pytest.raises(NotFound):
        results.calibration_log(person("admin"), 2030)


def test_results_are_shown_only_for_departments_the_person_sees(eleven):
    visible = lambda who: {r.department.code for r in results.results(person(who), 2026)}  # noqa: E731
    # before publication (公示) only the centre sees results
    assert visible("admin") == set(SCORES)
    assert visible("kh_chen") == visible("head_fin") == visible("fy_he") == set()
    unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    unit_of_work(lambda: publications.approve(person("admin"), 2026))
    publications.publish(person("admin"), 2026)
    assert visible("admin") == set(SCORES) == visible("kh_chen") == visible("fy_he")
    assert visible("head_fin") == {"CZ-YS"} == visible("staff_fin")
    assert visible("leader_li") == {"CZ-YS", "RS-RS"}
    assert visible("expert_gao") == set()


def _two_earlier_years() -> None:
    """2024 and 2025, five assessed each: one 优秀 place, taken by XF-JD both years."""
    for year in (2024, 2025):
        unit_of_work(lambda y=year: campaigns.get_or_create(y))
        for code, score in (("XF-JD", "96"), ("DC-DC", "91"), ("CZ-YS", "85"), ("RS-RS", "80")):
            record(code, score, year=year)
        record("CZ-KJ", "70", year=year)
        unit_of_work(lambda y=year: results.calibrate(person("admin"), y))


def test_outcomes_follow_the_calibrated_grades_and_earlier_years(eleven):
    admin = person("admin")
    with pytest.raises(Conflict, match="calibrate"):
        results.outcomes(admin, 2026)
    _two_earlier_years()
    unit_of_work(lambda: results.calibrate(admin, 2026))
    found = {o.department.code: o for o in results.outcomes(admin, 2026)}
    assert [o.department.code for o in results.outcomes(admin, 2026)] == list(SCORES)
    top, second = found["XF-JD"], found["DC-DC"]
    assert (top.rank, top.outcome.grade.value, top.outcome.bonus_coefficient) == (
        1,
        "excellent",
        D("1.15"),
    )
    assert top.outcome.reserve_pool is True  # 优秀 in 2024, 2025 and 2026
    assert second.outcome.reserve_pool is False  # 称职 (over the quota) in 2024 and 2025
    assert found["CZ-YS"].outcome.bonus_coefficient == D("1.00")
    assert found["XF-BX"].outcome.improvement_plan == ("脱产培训", "岗位调整")
    assert [c for c, o in found.items() if o.outcome.improvement_plan] == ["XF-BX"]
    assert found["RS-JY"].outcome.head_deduction == D("0.00")  # 80 is not under 80
    assert found["JG-ZH"].outcome.head_deduction == D("2.00")
    set_settings(
        2026,
        {
            "outcomes": {
                "bottom_count": 2,
                "head_deduction": "3",
                "bonus_percent": {"excellent": 20},
            }
        },
    )
    found = {o.department.code: o for o in results.outcomes(admin, 2026)}
    assert [c for c, o in found.items() if o.outcome.improvement_plan] == ["JG-HQ", "XF-BX"]
    assert found["JG-ZH"].outcome.head_deduction == D("3.00")
    assert found["XF-JD"].outcome.bonus_coefficient == D("1.20")
    # A result recorded after calibration needs a new calibration before outcomes.
    record("CZ-GK", "86")
    with pytest.raises(Conflict, match="calibrate"):
        results.outcomes(admin, 2026)
    with pytest.raises(Forbidden):
        results.outcomes(person("kh_chen"), 2026)


score_st = st.decimals(min_value=0, max_value=100, places=2)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(sorted(SCORES)), score_st, st.integers(0, 4)),
        min_size=1,
        max_size=11,
        unique_by=lambda p: p[0],
    ),
    rounding=st.sampled_from(["floor", "half_up", "ceiling"]),
    overrides=st.lists(st.sampled_from(sorted(SCORES)), max_size=4),
)
def test_calibration_and_overrides_never_exceed_the_quota(campaign, picks, rounding, overrides):
    admin = person("admin")
    unit_of_work(lambda: db.session.execute(delete(CalibrationEntry)))
    unit_of_work(lambda: db.session.execute(delete(DepartmentResult)))
    set_settings(2026, {"quota": {"rounding": rounding}})
    for code, score, quarters in picks:
        record(code, score, excellent_quarters=quarters)
    summary = unit_of_work(lambda: results.calibrate(admin, 2026))
    quota = quota_count(len(picks), QuotaRule(rounding=rounding))
    cap = len(picks) * 20 // 100  # 20 %, rounded down: whatever the rounding setting
    assert summary.quota == quota <= cap
    assert list(grades_by_code().values()).count("excellent") <= cap
    assert summary.excellent_share <= 20
    for code in overrides:
        with contextlib.suppress(Conflict, NotFound):  # over the quota, or not among picks
            unit_of_work(
                lambda c=code: results.override(
                    admin,
                    2026,
                    dept(c),
                    "excellent",
                    "上调",
                    approved_by="市考委",
                    approval_ref="1",
                )
            )
        assert list(grades_by_code().values()).count("excellent") <= cap


def test_a_rounding_that_would_pass_the_cap_is_refused_for_the_departments_assessed(eleven):
    """11 departments x 20 % = 2.2: rounding up would give 3 优秀 (27 %)."""
    before = state()
    with pytest.raises(Invalid) as refused:
        set_settings(2026, {"quota": {"rounding": "ceiling"}})
    (message,) = refused.value.extra["fields"]["quota.rounding"]
    assert "11 个参评科室将有 3 个优秀名额（27.3%）" in message and "20% 的上限" in message
    assert state() == before  # nothing written
    set_settings(2026, {"quota": {"rounding": "half_up"}})  # 2.2 -> 2: within the cap
    set_settings(2026, {"quota": {"share": 15, "rounding": "ceiling"}})  # 1.65 -> 2 (18 %)
    summary = unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    assert (summary.quota, summary.excellent, summary.excellent_share) == (2, 2, D("18.2"))


def test_the_cap_holds_when_departments_are_added_after_the_setting(campaign):
    """Rounding up chosen before any department was assessed: calibration still holds 20 %,
    with and without an approval of 25 % (11 x 25 % = 2.75: 2 places, never 3)."""
    set_settings(2026, {"quota": {"rounding": "ceiling"}})
    for code, score in SCORES.items():
        record(code, score)
    admin = person("admin")
    summary = unit_of_work(lambda: results.calibrate(admin, 2026))
    assert (summary.quota, summary.excellent, summary.cap_share) == (2, 2, D(20))
    assert summary.excellent_share == D("18.2")
    approval = {"share": "25", "approved_by": "市绩效考核委员会", "reason": "绩考委〔2026〕3号"}
    summary = unit_of_work(lambda: results.calibrate(admin, 2026, approval))
    assert (summary.quota, summary.excellent, summary.cap_share) == (2, 2, D(25))
    with pytest.raises(Conflict, match="quota"):
        unit_of_work(lambda: results.override(admin, 2026, dept("RS-RS"), "excellent", "上调"))
    assert list(grades_by_code().values()).count("excellent") == 2


def test_a_grade_against_its_band_needs_the_centres_recorded_approval(eleven):
    """XF-BX scored 55 (不称职): 称职 with only a reason is refused; with who approved it and
    the approval's reference it is logged as an approved change. Back to the band grade a
    reason is enough."""
    admin = person("admin")
    unit_of_work(lambda: results.calibrate(admin, 2026))
    before = state()
    with pytest.raises(Invalid) as refused:
        unit_of_work(lambda: results.override(admin, 2026, dept("XF-BX"), "competent", "表现尚可"))
    fields = refused.value.extra["fields"]
    assert set(fields) == {"approved_by", "approval_ref"}
    assert "与总分所在档次（不称职）不符" in fields["approved_by"][0]
    with pytest.raises(Invalid) as refused:
        unit_of_work(
            lambda: results.override(
                admin, 2026, dept("XF-BX"), "competent", "表现尚可", approved_by="市考委"
            )
        )
    assert set(refused.value.extra["fields"]) == {"approval_ref"}
    with pytest.raises(Invalid) as refused:
        unit_of_work(
            lambda: results.override(
                admin, 2026, dept("XF-BX"), "competent", "x", approved_by=7, approval_ref="y" * 201
            )
        )
    assert set(refused.value.extra["fields"]) == {"approved_by", "approval_ref"}
    assert state() == before  # nothing written

    row = unit_of_work(
        lambda: results.override(
            admin,
            2026,
            dept("XF-BX"),
            "competent",
            "重大专项任务表现突出",
            approved_by="市绩效考核委员会",
            approval_ref="绩考委纪要〔2026〕7号",
        )
    )
    assert (row.final_score, row.band_grade, row.grade) == (D(55), "incompetent", "competent")
    log = results.calibration_log(admin, 2026)
    latest = results.latest_changes(log)[row.department_id]
    assert (latest.approved_by, latest.approval_ref) == (
        "市绩效考核委员会",
        "绩考委纪要〔2026〕7号",
    )
    assert results.grade_explained(row, latest)
    # back to the band grade: a reason is enough, and nothing is recorded as approved
    row = unit_of_work(
        lambda: results.override(admin, 2026, dept("XF-BX"), "incompetent", "撤回调整")
    )
    latest = results.latest_changes(results.calibration_log(admin, 2026))[row.department_id]
    assert (row.grade, latest.approved_by) == ("incompetent", None)


def test_recorded_outcomes_become_consequence_records_and_the_reserve_pool_list(
    eleven, client, login_as
):
    """Drawing each department's outcome (as its instance does at 结果应用) records every
    consequence the rules name, against the head where it falls on a person; the centre
    reads the reserve pool on its page."""
    from app.models import Consequence
    from app.services import appeals, consequences, instances

    admin = person("admin")
    _two_earlier_years()
    unit_of_work(lambda: results.calibrate(admin, 2026))
    started = {
        code: unit_of_work(lambda c=code: instances.start(dept(c), 2026, admin)).id
        for code in ("XF-JD", "JG-ZH", "XF-BX", "CZ-YS")
    }
    for instance_id in started.values():
        unit_of_work(lambda i=instance_id: appeals.record_outcome(i))
    rows = {
        (db.session.get(Department, c.department_id).code, c.kind): c
        for c in db.session.scalars(select(Consequence))
    }
    assert set(rows) == {
        ("XF-JD", "reserve_pool"),
        ("JG-ZH", "head_deduction"),
        ("XF-BX", "head_deduction"),
        ("XF-BX", "improvement_plan"),
    }
    pool = rows[("XF-JD", "reserve_pool")]
    assert pool.detail == {"years": [2024, 2025, 2026]} and pool.status == "recorded"
    assert pool.person.username == "head_jd"  # the head enters the pool
    assert rows[("JG-ZH", "head_deduction")].detail == {"points": "2.00", "score": "75.00"}
    assert rows[("XF-BX", "improvement_plan")].status == "open"
    # drawn again (an appeal changed nothing): the same rows, not duplicates
    unit_of_work(lambda: appeals.record_outcome(started["XF-BX"]))
    assert db.session.scalar(select(func.count()).select_from(Consequence)) == 4
    with pytest.raises(Forbidden):
        consequences.reserve_pool(person("head_jd"))

    login_as("admin")
    page = client.get("/admin/reserve-pool")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2024、2025、2026" in text and pool.person.display_name in text
