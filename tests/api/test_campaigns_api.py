"""The campaigns API: settings, results, calibration, overrides, the log and outcomes, with
bad input (each a clear 4xx that writes nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditEvent,
    CalibrationEntry,
    Campaign,
    Department,
    DepartmentResult,
    ProcessDefinition,
)
from app.rules.campaign_settings import DEFAULTS
from app.services import campaigns, publications, results
from app.services.transactions import unit_of_work
from tests.api.helpers import count, error_of, multipart
from tests.conftest import person

APPROVAL = {"approved_by": "市绩效考核委员会", "approval_ref": "绩考委纪要〔2026〕5号"}
V1 = "/api/v1/campaigns"
SCORES = {"XF-JD": "95", "DC-DC": "93", "CZ-YS": "92", "RS-RS": "91", "CZ-KJ": "85", "XF-BX": "55"}


def dept(code: str) -> int:
    return db.session.scalars(select(Department.id).where(Department.code == code)).one()


@pytest.fixture
def admin(api_as):
    return api_as("admin")


@pytest.fixture
def scored(org):
    """Campaign 2026 with six results: quota 1 (6 x 20 %, floor)."""
    unit_of_work(lambda: campaigns.get_or_create(2026))
    for code, score in SCORES.items():
        unit_of_work(
            lambda c=code, s=score: results.record_result(person("admin"), 2026, dept(c), s)
        )


def written() -> tuple:
    """Everything these endpoints may write."""
    db.session.expire_all()
    settings = [(c.year, c.settings) for c in db.session.scalars(select(Campaign))]
    rows = [
        (r.department_id, r.grade, r.rank)
        for r in db.session.scalars(select(DepartmentResult).order_by(DepartmentResult.id))
    ]
    return count(AuditEvent), count(CalibrationEntry), settings, rows


def test_settings_read_write_round_trip(admin):
    assert admin.get(f"{V1}/2026/settings").get_json() == DEFAULTS
    body = {
        "rater_weights": {"leader": 50, "peer": "25", "service_recipient": 25},
        "quota": {"share": 15, "rounding": "ceiling"},
        "quarterly_rule": False,
        "appeal": {"window_days": 10},
    }
    response = admin.put(f"{V1}/2026/settings", json=body)
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()
    assert saved["rater_weights"] == {"leader": "50", "peer": "25", "service_recipient": "25"}
    assert saved["quota"] == {"share": "15", "rounding": "ceiling", "approval": None}
    assert saved["quarterly_rule"] is False and saved["appeal"]["decision_days"] == 7
    assert admin.get(f"{V1}/2026/settings").get_json() == saved
    assert admin.put(f"{V1}/2026/settings", json=saved).get_json() == saved
    assert admin.put(f"{V1}/2026/settings", json={}).get_json() == DEFAULTS


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"rater_weights": {"leader": 41}}, {"rater_weights"}),
        (
            {"rater_weights": {"leader": "abc", "boss": 1}},
            {"rater_weights.leader", "rater_weights.boss"},
        ),
        ({"composition": "70/30"}, {"composition"}),
        ({"composition": {"indicators": "1e999999", "evaluation": 30}}, {"composition.indicators"}),
        ({"composition": {"indicators": 10**30, "evaluation": 30}}, {"composition.indicators"}),
        ({"quota": {"share": 25}}, {"quota.share"}),
        (
            {"quota": {"approval": {"share": 25}}},
            {"quota.approval.approved_by", "quota.approval.reason"},
        ),
        ({"quarterly_rule": "yes"}, {"quarterly_rule"}),
        ({"quarterly_rule": None}, {"quarterly_rule"}),
        (
            {"appeal": {"window_days": 31, "decision_days": 2.5}},
            {"appeal.window_days", "appeal.decision_days"},
        ),
        ({"outcomes": {"bonus_percent": {"excellent": 25}}}, {"outcomes.bonus_percent.excellent"}),
        ({"grade_table": {"decision": "no_such_table"}}, {"grade_table.decision"}),
        ({"grade_table": {"decision": "grade_bands", "version": 99}}, {"grade_table.version"}),
        ({"colour": "blue"}, {"colour"}),
    ],
)
def test_bad_settings_are_422_per_field_and_write_nothing(admin, body, fields):
    before = written()
    error = error_of(admin.put(f"{V1}/2027/settings", json=body), 422, "validation_failed")
    assert set(error["fields"]) == fields, error
    assert written() == before


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"json": [1, 2]}, 422),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        (
            {
                "data": '{"appeal": {"window_days": 1' + "0" * 5000 + "}}",
                "content_type": "application/json",
            },
            400,
        ),
    ],
    ids=["list", "malformed", "huge-int"],
)
def test_unusable_bodies_are_refused(admin, kwargs, status):
    before = written()
    assert admin.put(f"{V1}/2027/settings", **kwargs).status_code == status
    assert written() == before


def test_years_and_ids_outside_the_range_are_404(admin, scored):
    for url in (f"{V1}/1999/settings", f"{V1}/2101/results", f"{V1}/99999999999/outcomes"):
        error_of(admin.get(url), 404, "not_found")
    error_of(admin.get(f"{V1}/2030/results"), 404, "not_found")  # in range, no campaign
    error_of(admin.get(f"{V1}/2030/calibration-log"), 404, "not_found")
    before = written()
    error_of(admin.post(f"{V1}/2030/calibrate", json={}), 404, "not_found")
    reason = {"grade": "competent", "reason": "x"}
    error_of(admin.post(f"{V1}/2026/results/99999/grade", json=reason), 404, "not_found")
    error_of(admin.post(f"{V1}/2026/results/{2**31}/grade", json=reason), 404, "not_found")
    missing = dept("JG-ZH")  # a department without a result
    error_of(admin.post(f"{V1}/2026/results/{missing}/grade", json=reason), 404, "not_found")
    assert written() == before


def test_calibrate_override_log_and_outcomes(admin, scored):
    error_of(admin.get(f"{V1}/2026/outcomes"), 409, "conflict")
    summary = admin.post(f"{V1}/2026/calibrate").get_json()
    assert (summary["assessed"], summary["quota"], summary["excellent"]) == (6, 1, 1)
    assert [(c["department_code"], c["to_grade"]) for c in summary["changes"]] == [
        ("DC-DC", "competent"),
        ("CZ-YS", "competent"),
        ("RS-RS", "competent"),
    ]
    listed = admin.get(f"{V1}/2026/results").get_json()
    assert [(r["department_code"], r["rank"], r["grade"]) for r in listed][:2] == [
        ("XF-JD", 1, "excellent"),
        ("DC-DC", 2, "competent"),
    ]
    assert listed[0]["final_score"] == "95.00" and listed[0]["band_grade"] == "excellent"

    before = written()
    error_of(
        admin.post(
            f"{V1}/2026/results/{dept('DC-DC')}/grade",
            json={"grade": "excellent", "reason": "复核"},
        ),
        409,
        "conflict",
    )
    assert written() == before
    changed = admin.post(
        f"{V1}/2026/results/{dept('XF-JD')}/grade",
        json={"grade": "competent", "reason": "数据不实", **APPROVAL},
    )
    assert changed.status_code == 200 and changed.get_json()["grade"] == "competent"
    promoted = admin.post(
        f"{V1}/2026/results/{dept('DC-DC')}/grade", json={"grade": "excellent", "reason": "复核"}
    )
    assert promoted.get_json()["grade"] == "excellent"
    log = admin.get(f"{V1}/2026/calibration-log").get_json()
    assert [(e["department_code"], e["automatic"], e["reason"]) for e in log[-2:]] == [
        ("XF-JD", False, "数据不实"),
        ("DC-DC", False, "复核"),
    ]
    assert log[0]["reason"].startswith("超出优秀名额")

    outcomes = admin.get(f"{V1}/2026/outcomes").get_json()
    assert [o["department_code"] for o in outcomes] == list(SCORES)
    assert outcomes[1] == {
        "department_id": dept("DC-DC"),
        "department_code": "DC-DC",
        "department_name": "督查科",
        "rank": 2,
        "final_score": "93.00",
        "grade": "excellent",
        "bonus_coefficient": "1.15",
        "reserve_pool": False,
        "improvement_plan": [],
        "head_deduction": "0.00",
    }
    assert outcomes[-1]["improvement_plan"] == ["脱产培训", "岗位调整"]
    assert outcomes[-1]["head_deduction"] == "2.00"


def test_calibrating_with_an_approval_records_it(admin, scored):
    admin.put(f"{V1}/2026/settings", json={"quota": {"rounding": "half_up"}})
    body = {"approval": {"share": 25, "approved_by": "市考核委员会", "reason": "市考委〔2026〕3号"}}
    summary = admin.post(f"{V1}/2026/calibrate", json=body).get_json()
    # 6 x 25 % = 1.5: rounding half up would give 2 (33 %), over the approved 25 %: 1 place
    assert (summary["quota"], summary["share"], summary["cap_share"]) == (1, "25", "25")
    assert summary["excellent_share"] == str(round(100 * summary["excellent"] / 6, 1))
    assert summary["approval"] == {**body["approval"], "share": "25"}
    assert admin.get(f"{V1}/2026/settings").get_json()["quota"]["approval"] == summary["approval"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"approval": {"share": "abc", "approved_by": "x", "reason": "y"}}, {"approval.share"}),
        ({"approval": {"share": 30, "approved_by": "x", "reason": "y"}}, {"approval.share"}),
        ({"approval": {"share": 25}}, {"approval.approved_by", "approval.reason"}),
        (
            {"approval": {"share": 25, "approved_by": "x" * 201, "reason": "y"}},
            {"approval.approved_by"},
        ),
        ({"approval": "yes"}, {"approval._schema"}),
        ({"quota": 3}, {"quota"}),
    ],
)
def test_bad_calibration_requests_write_nothing(admin, scored, body, fields):
    before = written()
    error = error_of(admin.post(f"{V1}/2026/calibrate", json=body), 422, "validation_failed")
    assert set(error["fields"]) == fields, error
    assert written() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"grade", "reason"}),
        ({"grade": "superb", "reason": "x"}, {"grade"}),
        ({"grade": 1, "reason": "x"}, {"grade"}),
        ({"grade": "competent", "reason": ""}, {"reason"}),
        ({"grade": "competent", "reason": "长" * 501}, {"reason"}),
        ({"grade": "competent", "reason": ["x"]}, {"reason"}),
    ],
)
def test_bad_overrides_write_nothing(admin, scored, body, fields):
    before = written()
    url = f"{V1}/2026/results/{dept('XF-JD')}/grade"
    error = error_of(admin.post(url, json=body), 422, "validation_failed")
    assert set(error["fields"]) == fields, error
    assert written() == before


def test_calibrating_without_results_is_a_conflict(admin, org):
    admin.put(f"{V1}/2026/settings", json={})
    before = written()
    error_of(admin.post(f"{V1}/2026/calibrate", json={}), 409, "conflict")
    assert written() == before


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "kh_chen", "fy_he", "expert_gao"])
def test_only_the_centre_configures_calibrates_and_changes_grades(api_as, scored, username):
    someone = api_as(username)
    before = written()
    url = f"{V1}/2026/results/{dept('CZ-YS')}/grade"
    for response in (
        someone.get(f"{V1}/2026/settings"),
        someone.put(f"{V1}/2026/settings", json={}),
        someone.post(f"{V1}/2026/calibrate", json={}),
        someone.post(url, json={"grade": "competent", "reason": "x"}),
        someone.get(f"{V1}/2026/calibration-log"),
        someone.get(f"{V1}/2026/outcomes"),
    ):
        error_of(response, 403, "forbidden")
    assert written() == before


def test_an_admin_token_without_the_admin_scope_only_reads(api_as, scored):
    reader = api_as("admin", scopes=["read", "tasks"])
    assert reader.get(f"{V1}/2026/settings").status_code == 200
    before = written()
    error_of(reader.put(f"{V1}/2026/settings", json={}), 403, "forbidden")
    error_of(reader.post(f"{V1}/2026/calibrate", json={}), 403, "forbidden")
    assert written() == before


def test_results_are_filtered_by_visibility(api_as, scored):
    def codes(who: str) -> list[str]:
        return [r["department_code"] for r in api_as(who).get(f"{V1}/2026/results").get_json()]

    # before publication (公示) only the centre sees results
    assert codes("admin") == list(SCORES)
    assert codes("kh_chen") == codes("head_fin") == codes("leader_li") == []
    unit_of_work(lambda: results.calibrate(person("admin"), 2026))
    unit_of_work(lambda: publications.approve(person("admin"), 2026))
    publications.publish(person("admin"), 2026)
    assert codes("admin") == list(SCORES) == codes("kh_chen")
    assert codes("head_fin") == ["CZ-YS"]
    assert codes("leader_li") == ["CZ-YS", "RS-RS"]
    assert codes("expert_gao") == []


def test_the_grade_table_is_edited_by_uploading_a_new_version(admin, org):
    shipped = (Path(__file__).resolve().parents[2] / "workflows/bpmn/grade_bands.dmn").read_bytes()
    unit_of_work(lambda: campaigns.get_or_create(2026))
    gap = shipped.replace(b"&gt;= 90", b"&gt;= 92")
    before = (count(ProcessDefinition), written())
    error = error_of(
        admin.post("/api/v1/definitions", **multipart("file", "grade_bands.dmn", gap)),
        422,
        "validation_failed",
    )
    assert [(p["code"], p["element_id"]) for p in error["problems"]] == [
        ("grade_gap", "grade_bands")
    ]
    assert "scores 90, 90.01, 91.99 match no row" in error["problems"][0]["message"]
    assert (count(ProcessDefinition), written()) == before

    stricter = gap.replace(b"70 &lt;= ? &lt; 90", b"70 &lt;= ? &lt; 92")
    uploaded = admin.post("/api/v1/definitions", **multipart("file", "grade_bands.dmn", stricter))
    assert uploaded.status_code == 201 and uploaded.get_json()["version"] == 2
    unit_of_work(lambda: results.record_result(person("admin"), 2026, dept("CZ-YS"), "91"))
    [row] = admin.get(f"{V1}/2026/results").get_json()
    assert (row["final_score"], row["band_grade"]) == ("91.00", "competent")
