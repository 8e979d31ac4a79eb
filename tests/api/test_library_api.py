"""The indicator library, templates and plans through the API: every rule of a definition and
of a letter comes back as a 422 on the field concerned, and a refused request writes nothing."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import (
    AuditEvent,
    Campaign,
    DepartmentPlan,
    DepartmentResult,
    Indicator,
    IndicatorTemplate,
    ResponsibilityLetter,
)
from app.rules.templates import LIBRARY
from app.services import library
from app.services.transactions import unit_of_work
from tests.api.helpers import count, error_of, inbox_task
from tests.conftest import VALID_LETTER, start_instance, template_letter

LINEAR = {
    "name": "信访事项按期办结率",
    "kind": "individual",
    "nature": "quantitative",
    "method": "linear",
    "direction": "higher",
    "target": "95",
    "threshold": "80",
    "unit": "%",
    "categories": ["petition"],
    "data_source": "信访信息系统",
}
ANCHORS = [
    {"level": level, "description": f"第{level}级表现", "ratio": ratio}
    for level, ratio in zip(range(1, 6), ("0.2", "0.4", "0.6", "0.8", "1"), strict=True)
]


def _new(**changes):
    return {"year": 2026, "code": "XF-DONE", **LINEAR, **changes}


@pytest.fixture
def admin(api_as):
    return api_as("admin")


def _id(code: str, year: int = 2026) -> int:
    return library.by_code(year, [code])[code].id


# --- indicators ----------------------------------------------------------------------------


def test_the_seeded_library_lists_the_seed_figures(admin):
    rows = admin.get("/api/v1/indicators?year=2026").get_json()
    by_code = {row["code"]: row for row in rows}
    assert len(rows) == len(LIBRARY)
    err = by_code["FIN-ERR"]
    assert (err["name"], err["direction"], err["target"], err["threshold"]) == (
        "财务报表差错率", "lower", "0.5000", "1.0000",
    )  # fmt: skip
    assert by_code["INS-INSTR"]["target"] == "100.0000"
    assert len(by_code["QUAL-SERVICE"]["anchors"]) == 5
    inspection = admin.get("/api/v1/indicators?year=2026&category=inspection").get_json()
    codes = {row["code"] for row in inspection}
    assert "INS-INSTR" in codes and "FIN-ERR" not in codes and "COM-JI" in codes
    common = admin.get("/api/v1/indicators?year=2026&kind=common").get_json()
    assert {row["dimension"] for row in common} == {
        "integrity", "competence", "diligence", "achievement", "probity",
    }  # fmt: skip


def test_an_admin_adds_an_indicator_and_it_is_audited(admin):
    response = admin.post("/api/v1/indicators", json=_new())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["code"], body["method"], body["threshold"]) == ("XF-DONE", "linear", "80.0000")
    assert count(AuditEvent, AuditEvent.action == "indicator.create") == 1
    again = admin.post("/api/v1/indicators", json=_new())
    error_of(again, 409, "conflict")
    assert count(Indicator, Indicator.code == "XF-DONE") == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"threshold": None}, "threshold"),
        ({"threshold": "99"}, "threshold"),  # above the target of a higher-is-better one
        ({"nature": "qualitative"}, "method"),
        ({"kind": "common"}, "dimension"),
        ({"dimension": "integrity"}, "dimension"),
        ({"cap": "0.5"}, "cap"),
        ({"method": "on_target"}, "direction"),
        ({"method": "deduction", "direction": "lower", "per_unit": None}, "per_unit"),
        (
            {
                "method": "banded",
                "bands": [
                    {"lower": None, "upper": "90", "ratio": "0"},
                    {"lower": "85", "upper": None, "ratio": "1"},
                ],
            },
            "bands",
        ),
        (
            {"nature": "qualitative", "method": "bars", "anchors": ANCHORS[:4]},
            "anchors",
        ),
        (
            {"nature": "qualitative", "method": "bars", "anchors": ANCHORS[::-1][:1] + ANCHORS[1:]},
            "anchors",
        ),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"kind": "bonus"}, "kind"),
        ({"target": "abc"}, "target"),
        ({"target": "1e400"}, "target"),
        ({"target": "NaN"}, "target"),
        ({"year": "2026"}, "year"),
        ({"year": 1900}, "year"),
        ({"code": "有空格 的编码"}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"categories": "finance"}, "categories"),
        ({"tags": ["sparkly"]}, "tags.0"),
        ({"anchors": [{"level": 9, "description": "x", "ratio": "1"}]}, "anchors.0.level"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_a_bad_indicator_is_422_on_its_field_and_writes_nothing(admin, changes, field):
    before = count(Indicator)
    body = _new(**changes)
    response = admin.post("/api/v1/indicators", json=body)
    error = error_of(response, 422, "validation_failed")
    assert field in error["fields"], error
    assert count(Indicator) == before
    assert count(AuditEvent, AuditEvent.action.startswith("indicator.")) == 0


def test_a_missing_field_and_a_non_object_body_are_422(admin):
    response = admin.post("/api/v1/indicators", json={"year": 2026, "code": "X"})
    assert set(error_of(response, 422, "validation_failed")["fields"]) >= {
        "name", "kind", "nature", "method", "direction",
    }  # fmt: skip
    error_of(admin.post("/api/v1/indicators", json=["a"]), 422, "validation_failed")


def test_unknown_ids_and_years_are_404(admin):
    error_of(admin.get("/api/v1/indicators/999999"), 404, "not_found")
    error_of(admin.put("/api/v1/indicators/999999", json=LINEAR), 404, "not_found")
    assert admin.get("/api/v1/indicators/99999999999").status_code == 404
    assert admin.get("/api/v1/indicators?year=1999").status_code == 422


def test_an_update_replaces_the_definition_and_records_what_changed(admin):
    ind_id = _id("INS-LATE")
    body = admin.get(f"/api/v1/indicators/{ind_id}").get_json()
    fields = {k: body[k] for k in LINEAR if k in body} | {
        "method": "deduction", "direction": "lower", "per_unit": "2", "name": "督查件超期办理",
    }  # fmt: skip
    fields.pop("threshold")
    response = admin.put(f"/api/v1/indicators/{ind_id}", json=fields)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["per_unit"] == "2.0000"
    logged = db.session.query(AuditEvent).filter_by(action="indicator.update").one()
    assert logged.detail["changed"]["per_unit"] == {"from": "1", "to": "2"}


def test_an_indicator_measured_by_a_signed_letter_cannot_change(admin, api_as):
    start_instance("CZ-YS")
    head = api_as("head_fin")
    task = inbox_task(head, "draft_letter")
    done = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    assert done.status_code == 200
    letter = db.session.query(ResponsibilityLetter).one()
    letter.status = "locked"  # as the signing stage leaves it
    db.session.commit()
    body = admin.get(f"/api/v1/indicators/{_id('COM-JI')}").get_json()
    fields = {k: body[k] for k in ("name", "kind", "dimension", "nature", "method", "direction")}
    response = admin.put(f"/api/v1/indicators/{_id('COM-JI')}", json=fields | {"target": "90"})
    error_of(response, 409, "conflict")
    assert library.by_code(2026, ["COM-JI"])["COM-JI"].target == Decimal(100)


def test_an_indicator_in_a_template_cannot_be_retired(admin):
    error_of(admin.post(f"/api/v1/indicators/{_id('FIN-ERR')}/retire"), 409, "conflict")
    made = admin.post("/api/v1/indicators", json=_new()).get_json()
    retired = admin.post(f"/api/v1/indicators/{made['id']}/retire").get_json()
    assert retired["retired"] is True
    listed = {r["code"] for r in admin.get("/api/v1/indicators?year=2026").get_json()}
    assert "XF-DONE" not in listed
    every = admin.get("/api/v1/indicators?year=2026&include_retired=true").get_json()
    assert "XF-DONE" in {r["code"] for r in every}
    assert admin.post(f"/api/v1/indicators/{made['id']}/restore").get_json()["retired"] is False


def test_a_department_head_reads_but_cannot_write(api_as):
    head = api_as("head_fin")
    assert head.get("/api/v1/indicators?year=2026").status_code == 200
    error_of(head.post("/api/v1/indicators", json=_new()), 403, "forbidden")
    assert count(Indicator, Indicator.code == "XF-DONE") == 0


# --- yearly review and roll-over -----------------------------------------------------------


def _result(department_id: int, ratios: dict[str, str]) -> None:
    campaign = db.session.query(Campaign).filter_by(year=2026).one()
    db.session.add(
        DepartmentResult(
            campaign_id=campaign.id,
            department_id=department_id,
            indicator_score=Decimal(90),
            final_score=Decimal(90),
            band_grade="excellent",
            grade="excellent",
            detail={"lines": [{"code": c, "ratio": r} for c, r in ratios.items()]},
        )
    )
    db.session.commit()


def test_the_review_flags_what_everyone_met_and_the_roll_over_drops_it(admin, org):
    start_instance("CZ-YS")  # makes the 2026 campaign
    _result(org["CZ-YS"].id, {"COM-JI": "1", "FIN-ERR": "0.5"})
    _result(org["CZ-KJ"].id, {"COM-JI": "1.1", "FIN-ERR": "1"})
    review = admin.get("/api/v1/indicator-years/2026/review").get_json()
    assert (review["departments"], review["flagged"]) == (2, ["COM-JI"])

    response = admin.post(
        "/api/v1/indicator-years/2026/roll-over", json={"to_year": 2027, "drop": review["flagged"]}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"year": 2027, "copied": len(LIBRARY) - 1, "dropped": ["COM-JI"]}
    codes = {r["code"] for r in admin.get("/api/v1/indicators?year=2027").get_json()}
    assert "COM-JI" not in codes and "FIN-ERR" in codes
    templates = admin.get("/api/v1/templates?year=2027").get_json()
    assert len(templates) == 5
    assert all("COM-JI" not in {ln["indicator"] for ln in t["lines"]} for t in templates)
    # the 2026 library is untouched
    assert len(admin.get("/api/v1/indicators?year=2026").get_json()) == len(LIBRARY)


def test_a_roll_over_is_refused_twice_backwards_and_from_nothing(admin):
    url = "/api/v1/indicator-years/2026/roll-over"
    assert admin.post(url, json={"to_year": 2027}).status_code == 201
    before = count(Indicator)
    error_of(admin.post(url, json={"to_year": 2027}), 409, "conflict")
    error_of(admin.post(url, json={"to_year": 2025}), 422, "validation_failed")
    error_of(
        admin.post("/api/v1/indicator-years/2030/roll-over", json={"to_year": 2031}),
        404,
        "not_found",
    )
    error_of(admin.post(url, json={"to_year": "next"}), 422, "validation_failed")
    assert count(Indicator) == before


# --- templates and plans -------------------------------------------------------------------


def _finance(**changes):
    data = {"year": 2026, "category": "finance", "name": "财务部门"}
    data["lines"] = copy.deepcopy(template_letter("finance")["lines"])
    return data | changes


def _template_id(admin, category: str) -> int:
    templates = admin.get("/api/v1/templates?year=2026").get_json()
    return next(t["id"] for t in templates if t["category"] == category)


def test_a_template_is_replaced_and_audited(admin):
    data = _finance()
    data["lines"][5]["weight"], data["lines"][6]["weight"] = "25", "5"  # FIN-ERR 25, FIN-COST 5
    response = admin.put("/api/v1/templates", json=data)
    assert response.status_code == 200, response.get_json()
    weights = {ln["indicator"]: ln["weight"] for ln in response.get_json()["lines"]}
    assert (weights["FIN-ERR"], weights["FIN-COST"]) == ("25.00", "5.00")
    assert count(IndicatorTemplate, IndicatorTemplate.year == 2026) == 5
    assert count(AuditEvent, AuditEvent.action == "template.save") == 1


def _with_weights(*pairs):
    data = _finance()
    for index, weight in pairs:
        data["lines"][index]["weight"] = weight
    return data


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (_with_weights((0, "6.5")), {"weight_total"}),
        # common 5 x 6 = 30 → 25 and individual 75: both shares broken
        (_with_weights((0, "1"), (5, "25")), {"lines"}),
        (_finance(lines=[{"indicator": "NOPE", "weight": "100"}]), {"lines.0.indicator"}),
        # an inspection indicator in a finance template
        (
            _finance(
                lines=[*_finance()["lines"][:5], {"indicator": "INS-INSTR", "weight": "70"}]
            ),
            {"lines.5.indicator"},
        ),
        (_finance(lines=[]), {"lines"}),
        (_with_weights((0, "abc")), {"lines.0.weight"}),
        (_with_weights((0, "-6")), {"lines.0.weight"}),
        (_finance(category=""), {"category"}),
        (_finance(year=99999), {"year"}),
    ],
    ids=[
        "sum-100.5", "shares", "unknown-indicator", "wrong-category", "no-lines", "weight-text",
        "weight-negative", "no-category", "huge-year",
    ],
)  # fmt: skip
def test_a_bad_template_is_422_and_writes_nothing(admin, data, fields):
    before = admin.get(f"/api/v1/templates/{_template_id(admin, 'finance')}").get_json()
    error = error_of(admin.put("/api/v1/templates", json=data), 422, "validation_failed")
    assert set(error["fields"]) == fields, error
    after = admin.get(f"/api/v1/templates/{_template_id(admin, 'finance')}").get_json()
    assert after == before


def test_bulk_assignment_then_one_adjustment_survives_the_next_assignment(admin, org):
    finance = _template_id(admin, "finance")
    ids = [org[c].id for c in ("CZ-YS", "CZ-KJ", "CZ-GK")]
    result = admin.post(f"/api/v1/templates/{finance}/assign", json={"department_ids": ids})
    assert result.get_json() == {"assigned": sorted(ids), "skipped": []}
    plans = admin.get("/api/v1/plans/2026").get_json()
    assert {p["department_id"] for p in plans} == set(ids)
    assert all(len(p["lines"]) == 10 and not p["adjusted"] for p in plans)

    adjusted = _with_weights((5, "25"), (6, "5"))["lines"]
    response = admin.put(f"/api/v1/plans/2026/{org['CZ-KJ'].id}", json={"lines": adjusted})
    assert response.status_code == 200 and response.get_json()["adjusted"] is True

    again = admin.post(f"/api/v1/templates/{finance}/assign", json={"department_ids": ids})
    assert again.get_json()["skipped"] == [org["CZ-KJ"].id]
    kept = admin.get(f"/api/v1/plans/2026/{org['CZ-KJ'].id}").get_json()
    assert {ln["indicator"]: ln["weight"] for ln in kept["lines"]}["FIN-ERR"] == "25.00"
    forced = admin.post(
        f"/api/v1/templates/{finance}/assign", json={"department_ids": ids, "overwrite": True}
    )
    assert sorted(forced.get_json()["assigned"]) == sorted(ids)


def test_a_template_that_does_not_fit_a_department_assigns_nowhere(admin, org):
    finance = _template_id(admin, "finance")
    ids = [org["CZ-YS"].id, org["DC-DC"].id]  # finance indicators do not apply to 督查科
    response = admin.post(f"/api/v1/templates/{finance}/assign", json={"department_ids": ids})
    error = error_of(response, 422, "validation_failed")
    assert list(error["fields"]) == [f"department_ids.{org['DC-DC'].id}"]
    assert count(DepartmentPlan) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"department_ids": []},
        {"department_ids": [999999]},
        {"department_ids": ["1"]},
        {"department_ids": 1},
        {},
        {"department_ids": [1], "overwrite": "perhaps"},
    ],
)
def test_bad_assignments_are_422_and_write_nothing(admin, body):
    finance = _template_id(admin, "finance")
    error_of(admin.post(f"/api/v1/templates/{finance}/assign", json=body), 422, "validation_failed")
    assert count(DepartmentPlan) == 0


def test_plans_of_other_departments_are_hidden(admin, api_as, org):
    inspection = _template_id(admin, "inspection")
    admin.post(f"/api/v1/templates/{inspection}/assign", json={"department_ids": [org["DC-DC"].id]})
    head = api_as("head_fin")
    assert head.get("/api/v1/plans/2026").get_json() == []
    error_of(head.get(f"/api/v1/plans/2026/{org['DC-DC'].id}"), 404, "not_found")
    error_of(admin.get(f"/api/v1/plans/2026/{org['CZ-YS'].id}"), 404, "not_found")  # none yet
    error_of(admin.get("/api/v1/templates/999999"), 404, "not_found")


# --- the letter measured against the library -----------------------------------------------


@pytest.fixture
def draft(api_as):
    start_instance("CZ-YS")
    head = api_as("head_fin")
    return head, inbox_task(head, "draft_letter")


def _submit(draft, data):
    head, task = draft
    return head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})


def test_a_letter_of_library_lines_takes_their_definitions_and_own_targets(draft):
    data = template_letter("finance")
    data["lines"][5]["target"] = "0.4"  # FIN-ERR, stricter than the library's 0.5
    response = _submit(draft, data)
    assert response.status_code == 200, response.get_json()
    letter = db.session.query(ResponsibilityLetter).one()
    lines = {line.indicator_code: line for line in letter.lines}
    assert lines["FIN-ERR"].name == "财务报表差错率"
    assert (lines["FIN-ERR"].target, lines["FIN-ERR"].threshold) == (Decimal("0.4"), Decimal(1))
    assert lines["COM-QIN"].kind == "common" and lines["COM-QIN"].unit == "次"


def test_a_qualitative_line_is_stored_without_a_target(api_as):
    start_instance("RS-RS")
    head = api_as("head_hr")
    task = inbox_task(head, "draft_letter")
    response = head.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": template_letter("hr")}
    )
    assert response.status_code == 200, response.get_json()
    letter = db.session.query(ResponsibilityLetter).one()
    service = next(ln for ln in letter.lines if ln.indicator_code == "QUAL-SERVICE")
    assert service.target is None and service.kind == "individual"


def _valid(**line_changes):
    data = copy.deepcopy(VALID_LETTER)
    for index, changes in line_changes.items():
        data["lines"][int(index.removeprefix("l"))].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (_valid(l3={"indicator": "NOPE"}), {"lines.3.indicator"}),
        (_valid(l3={"indicator": None}), {"lines.3.indicator"}),  # ad-hoc common
        # an inspection indicator, and no common weight left
        (_valid(l3={"indicator": "INS-INSTR"}), {"lines", "lines.3.indicator"}),
        (_valid(l3={"indicator": "有空格"}), {"lines.3.indicator"}),
        # common 15, individual 85
        (_valid(l2={"weight": "55"}, l3={"weight": "15"}), {"lines"}),
        (_valid(l2={"direction": "target"}), {"lines.2.threshold"}),
        (_valid(l2={"threshold": "99"}), {"lines.2.threshold"}),  # above its target 95
        (_valid(l2={"threshold": "abc"}), {"lines.2.threshold"}),
    ],
    ids=[
        "unknown-code", "adhoc-common", "wrong-category", "bad-code", "shares",
        "on-target-no-threshold", "threshold-wrong-side", "threshold-text",
    ],
)  # fmt: skip
def test_a_letter_breaking_the_policy_is_422_on_the_field(draft, data, fields):
    response = _submit(draft, data)
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) == fields, error
    assert count(ResponsibilityLetter) == 0


def test_administrative_support_needs_satisfaction_weight(api_as):
    start_instance("JG-ZH")
    head = api_as("head_admin")
    task = inbox_task(head, "draft_letter")
    response = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    error = error_of(response, 422, "validation_failed")
    assert any("服务满意度" in m for m in error["fields"]["lines"])
    ok = head.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": template_letter("admin_support")}
    )
    assert ok.status_code == 200, ok.get_json()


def test_the_plan_is_where_the_draft_starts(admin, org):
    from app.services import plans

    start_instance("CZ-YS")
    instance = db.session.query(ResponsibilityLetter).first()
    assert instance is None
    finance = _template_id(admin, "finance")
    admin.post(f"/api/v1/templates/{finance}/assign", json={"department_ids": [org["CZ-YS"].id]})
    from app.models import ProcessInstance

    started = db.session.query(ProcessInstance).one()
    lines = unit_of_work(lambda: plans.draft_lines(started))
    assert [ln["indicator"] for ln in lines][:5] == ["COM-DE", "COM-NENG", "COM-QIN", "COM-JI",
                                                     "COM-LIAN"]  # fmt: skip
    assert sum(ln["weight"] for ln in lines) == 100
