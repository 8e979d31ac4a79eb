"""A month's spot check end to end on the round diagram: drawing the sample (reproducible,
recorded, drawn once), verification with and without findings, rectification, confirmation,
and the deductions the year-end scoring takes; every bad input is a 422 on its field with
nothing written, and only the lane's candidates act."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Finding, LedgerEntry, Rectification, SpotCheck
from app.rules import sampling
from app.rules.deductions import Deduction, apply_deductions
from app.services import spot_checks
from app.services.transactions import unit_of_work
from tests.api.helpers import error_of
from tests.spot_checks.conftest import (
    TWO_FINDINGS_PAYLOAD,
    department,
    finding_count,
    seed_ledger,
    sign_letter,
    start_round,
    verdicts,
)

TWO_FINDINGS = TWO_FINDINGS_PAYLOAD


def complete(api, task_id: int, data):
    return api.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data})


def audit_actions(prefix: str) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)
        )
    )


# --- drawing the sample ----------------------------------------------------------------------


def test_the_draw_records_seed_population_and_a_reproducible_sample(spot_round):
    check = spot_round.check()
    march = db.session.scalars(
        sa.select(LedgerEntry.id).where(
            LedgerEntry.department_id == spot_round.department_id, LedgerEntry.month == 3
        )
    ).all()
    assert (check.year, check.month, check.status) == (2026, 3, "drawn")
    assert sorted(check.population_ids) == sorted(march) and len(march) == 12
    assert check.sample_size == 5 and len(check.sample_ids) == 5
    assert set(check.sample_ids) <= set(march)
    assert 0 <= check.seed < 2**63
    # the recorded seed redraws the recorded sample, by the documented rule
    assert spot_checks.redraw(check) == check.sample_ids
    assert sampling.sample_ids(check.seed, reversed(march), 5) == check.sample_ids
    # the handler's result went into the workflow
    instance = spot_round.instance()
    assert instance.status == "waiting_people"
    assert audit_actions("spot_check.") == ["spot_check.draw"]


def test_a_month_is_drawn_once_and_other_months_differ(spot_round):
    instance = spot_round.instance()
    march = spot_round.check()
    again = unit_of_work(lambda: spot_checks.draw(instance, 3))
    assert (again.id, again.seed, again.sample_ids) == (march.id, march.seed, march.sample_ids)

    april = unit_of_work(lambda: spot_checks.draw(instance, 4))
    may_same_seed = unit_of_work(lambda: spot_checks.draw(instance, 5, seed=march.seed))
    assert april.seed != march.seed
    assert not set(april.sample_ids) & set(march.sample_ids)  # different months' entries
    assert not set(may_same_seed.sample_ids) & set(march.sample_ids)
    assert len(april.sample_ids) == len(may_same_seed.sample_ids) == 5
    assert audit_actions("spot_check.") == ["spot_check.draw"] * 3


@pytest.mark.parametrize(("per_month", "size", "drawn"), [(3, 5, 3), (12, 8, 8), (12, 0, 0)])
def test_sample_size_and_fewer_entries_than_the_size(round_diagram, per_month, size, drawn):
    seed_ledger(per_month=per_month)
    started = start_round()
    instance = started.instance()
    check = unit_of_work(lambda: spot_checks.draw(instance, 6, size=size))
    assert (check.sample_size, len(check.sample_ids), len(check.population_ids)) == (
        size,
        drawn,
        per_month,
    )
    assert spot_checks.redraw(check) == check.sample_ids


def test_the_sample_size_is_configurable(round_diagram, app):
    seed_ledger()
    previous = app.config["SPOT_CHECK_SAMPLE_SIZE"]
    assert previous == 5
    app.config["SPOT_CHECK_SAMPLE_SIZE"] = 3
    try:
        started = start_round()
    finally:
        app.config["SPOT_CHECK_SAMPLE_SIZE"] = previous
    assert len(started.check().sample_ids) == 3


@pytest.mark.parametrize("month", [0, 13, "3", True, None])
def test_a_bad_month_is_refused_and_draws_nothing(round_diagram, month):
    seed_ledger()
    started = start_round()  # March is drawn
    with pytest.raises(ValueError, match="month must be an integer"):
        unit_of_work(lambda: spot_checks.draw(started.instance(), month))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpotCheck)) == 1


def test_a_month_without_ledger_entries_is_verified_as_empty(round_diagram, api_as):
    started = start_round()  # no ledger at all
    check = started.check()
    assert (check.population_ids, check.sample_ids) == ([], [])
    verify = started.task("verify")
    response = complete(api_as("kh_chen"), verify.id, {"entries": []})
    assert response.status_code == 200, response.get_json()
    check = started.check()
    assert (check.status, check.findings) == ("closed", [])
    instance = started.instance()
    assert instance.status == "completed"
    assert spot_checks.confirmed_deductions(started.department_id, 2026) == []


# --- the round -------------------------------------------------------------------------------


def test_verification_without_findings_ends_the_round(spot_round, api_as):
    check = spot_round.check()
    response = complete(api_as("kh_chen"), spot_round.task("verify").id, verdicts(check))
    assert response.status_code == 200, response.get_json()
    check = spot_round.check()
    assert check.status == "closed" and check.verified_by_id is not None
    assert finding_count() == 0
    assert spot_round.instance().status == "completed"
    assert audit_actions("spot_check.") == ["spot_check.draw", "spot_check.verify"]


def test_findings_rectified_then_confirmed_lowered_and_dismissed(spot_round, api_as):
    group, head = api_as("kh_chen"), api_as("head_fin")
    check = spot_round.check()
    response = complete(group, spot_round.task("verify").id, verdicts(check, TWO_FINDINGS))
    assert response.status_code == 200, response.get_json()

    check = spot_round.check()
    assert check.status == "verified"
    findings = check.findings
    assert [
        (f.ledger_entry_id, f.indicator_code, f.proposed_points, f.status) for f in findings
    ] == [
        (check.sample_ids[0], "FIN-ERR", Decimal("1.50"), "open"),
        (check.sample_ids[2], None, Decimal("2.00"), "open"),
    ]
    assert findings[1].evidence_note == "现场照片3张"
    # open findings are not deductions yet, but the rule can list them as skipped
    assert spot_checks.confirmed_deductions(spot_round.department_id, 2026) == []
    pending = spot_checks.confirmed_deductions(spot_round.department_id, 2026, include_pending=True)
    assert [(d.points, d.confirmed) for d in pending] == [
        (Decimal("1.50"), False),
        (Decimal("2.00"), False),
    ]

    rectify = spot_round.task("rectify")
    assert rectify.role == "department_head"
    response = complete(
        head,
        rectify.id,
        {
            "rectifications": [
                {"finding_id": findings[0].id, "text": "已补签字", "evidence_note": "补签页"},
                {"finding_id": findings[1].id, "text": "已补齐附件"},
            ]
        },
    )
    assert response.status_code == 200, response.get_json()
    assert [f.status for f in spot_round.check().findings] == ["rectified", "rectified"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rectification)) == 2

    response = complete(
        group,
        spot_round.task("confirm").id,
        {
            "decisions": [
                {"finding_id": findings[0].id, "decision": "confirm", "points": "0.5",
                 "comment": "已及时整改，减轻扣分"},
                {"finding_id": findings[1].id, "decision": "dismiss", "comment": "附件已在系统中"},
            ]
        },
    )  # fmt: skip
    assert response.status_code == 200, response.get_json()
    check = spot_round.check()
    assert check.status == "closed"
    assert [(f.status, f.confirmed_points) for f in check.findings] == [
        ("confirmed", Decimal("0.50")),
        ("dismissed", None),
    ]
    assert spot_round.instance().status == "completed"

    deductions = spot_checks.confirmed_deductions(spot_round.department_id, 2026)
    number = check.findings[0].ledger_entry.number
    assert deductions == [
        Deduction(
            points=Decimal("0.50"),
            reason=f"2026年3月督查（{number}）：调整审批缺少分管领导签字",
            indicator="FIN-ERR",
            confirmed=True,
            source="spot_check",
            params={
                "year": 2026,
                "month": 3,
                "entry": number,
                "description": "调整审批缺少分管领导签字",
            },
        )
    ]
    result = apply_deductions({"FIN-ERR": Decimal("20"), "COM-JI": Decimal("30")}, deductions)
    assert result.lines == {"FIN-ERR": Decimal("19.50"), "COM-JI": Decimal("30.00")}
    assert result.total == Decimal("0.00")
    # including pending changes nothing once everything is decided (dismissed never counts)
    assert (
        spot_checks.confirmed_deductions(spot_round.department_id, 2026, include_pending=True)
        == deductions
    )
    assert spot_checks.confirmed_deductions(department("DC-DC").id, 2026) == []
    assert audit_actions("finding.") == [
        "finding.record",
        "finding.record",
        "finding.rectify",
        "finding.rectify",
        "finding.confirm",
        "finding.dismiss",
    ]


def _through_rectification(spot_round, api_as) -> list[int]:
    check = spot_round.check()
    complete(api_as("kh_chen"), spot_round.task("verify").id, verdicts(check, TWO_FINDINGS))
    ids = [f.id for f in spot_round.check().findings]
    items = [{"finding_id": i, "text": "已整改"} for i in ids]
    response = complete(
        api_as("head_fin"), spot_round.task("rectify").id, {"rectifications": items}
    )
    assert response.status_code == 200, response.get_json()
    return ids


def test_points_cannot_be_raised_at_confirmation(spot_round, api_as):
    ids = _through_rectification(spot_round, api_as)
    confirm = spot_round.task("confirm")
    decisions = [
        {"finding_id": ids[0], "decision": "confirm", "points": "1.51", "comment": "情节较重"},
        {"finding_id": ids[1], "decision": "confirm", "comment": "属实"},
    ]
    error = error_of(
        complete(api_as("kh_chen"), confirm.id, {"decisions": decisions}), 422, "validation_failed"
    )
    assert error["fields"] == {"decisions.0.points": ["认定扣分不得高于拟扣分值 1.50"]}
    assert [f.status for f in spot_round.check().findings] == ["rectified", "rectified"]
    assert spot_round.task("confirm").id == confirm.id  # still waiting

    decisions[0]["points"] = "1.5"  # as proposed is fine; no points means as proposed
    response = complete(api_as("kh_chen"), confirm.id, {"decisions": decisions})
    assert response.status_code == 200, response.get_json()
    deductions = spot_checks.confirmed_deductions(spot_round.department_id, 2026)
    assert [(d.points, d.indicator) for d in deductions] == [
        (Decimal("1.50"), "FIN-ERR"),
        (Decimal("2.00"), None),
    ]
    result = apply_deductions({"FIN-ERR": Decimal("20"), "COM-JI": Decimal("30")}, deductions)
    assert (result.lines["FIN-ERR"], result.total) == (Decimal("18.50"), Decimal("2.00"))


# --- bad input: 422 on the field, nothing written --------------------------------------------


def _finding(**fields) -> dict:
    return {"verdict": "finding", "description": "问题", "points": "1", **fields}


VERIFY_CASES = {
    "not an object": (lambda c: ["ok"], {"data"}),
    "no entries": (lambda c: {}, {"entries"}),
    "entries not a list": (lambda c: {"entries": "all ok"}, {"entries"}),
    "entry id a string": (
        lambda c: {"entries": [{"entry_id": str(c.sample_ids[0]), "verdict": "ok"}]},
        {"entries.0.entry_id"},
    ),
    "unknown verdict": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], "verdict": "maybe"}]},
        {"entries.0.verdict"},
    ),
    "finding without description": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], **_finding(description="  ")}]},
        {"entries.0.description"},
    ),
    "finding without points": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], **_finding(points=None)}]},
        {"entries.0.points"},
    ),
    "negative points": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], **_finding(points="-1")}]},
        {"entries.0.points"},
    ),
    "huge points": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], **_finding(points="10.01")}]},
        {"entries.0.points"},
    ),
    "three decimals": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], **_finding(points="1.255")}]},
        {"entries.0.points"},
    ),
    "points not a number": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], **_finding(points="NaN")}]},
        {"entries.0.points"},
    ),
    "unknown field": (
        lambda c: {"entries": [{"entry_id": c.sample_ids[0], "verdict": "ok", "score": 1}]},
        {"entries.0.score"},
    ),
    "entry not in the sample": (
        lambda c: {
            "entries": [{"entry_id": i, "verdict": "ok"} for i in c.sample_ids[1:]]
            + [
                {
                    "entry_id": next(i for i in c.population_ids if i not in c.sample_ids),
                    "verdict": "ok",
                }
            ]
        },
        {"entries.4.entry_id", "entries"},
    ),
    "an entry twice": (
        lambda c: {
            "entries": [{"entry_id": i, "verdict": "ok"} for i in c.sample_ids]
            + [{"entry_id": c.sample_ids[0], "verdict": "ok"}]
        },
        {"entries.5.entry_id"},
    ),
    "a sampled entry left out": (
        lambda c: {"entries": [{"entry_id": i, "verdict": "ok"} for i in c.sample_ids[:-1]]},
        {"entries"},
    ),
    "indicator not on the letter": (
        lambda c: verdicts(c, {1: {"description": "问题", "points": "1", "indicator": "HR-REC"}}),
        {"entries.1.indicator"},
    ),
    "evidence that does not exist": (
        lambda c: verdicts(c, {1: {"description": "问题", "points": "1", "evidence_id": 999}}),
        {"entries.1.evidence_id"},
    ),
    "spot check of another step": (
        lambda c: {**verdicts(c), "spot_check_id": c.id + 1000},
        {"spot_check_id"},
    ),
}


@pytest.mark.parametrize("case", VERIFY_CASES, ids=str)
def test_bad_verification_is_refused_on_its_field(spot_round, api_as, case):
    build, expected = VERIFY_CASES[case]
    check = spot_round.check()
    verify = spot_round.task("verify")
    error = error_of(complete(api_as("kh_chen"), verify.id, build(check)), 422, "validation_failed")
    assert set(error["fields"]) == expected, error["fields"]  # flat dotted paths
    assert finding_count() == 0
    assert spot_round.check().status == "drawn"
    assert spot_round.task("verify").id == verify.id
    assert audit_actions("finding.") == [] and audit_actions("task.") == []


def test_bad_rectification_and_confirmation_are_refused(spot_round, api_as):
    check = spot_round.check()
    complete(api_as("kh_chen"), spot_round.task("verify").id, verdicts(check, TWO_FINDINGS))
    ids = [f.id for f in spot_round.check().findings]
    rectify = spot_round.task("rectify")
    head = api_as("head_fin")
    cases = [
        ({"rectifications": [{"finding_id": ids[0], "text": " "}]}, {"rectifications.0.text"}),
        ({"rectifications": [{"finding_id": ids[0], "text": "好"}]}, {"rectifications"}),
        ({"rectifications": [{"finding_id": ids[0], "text": "好"},
                             {"finding_id": 99999, "text": "好"}]},
         {"rectifications.1.finding_id", "rectifications"}),
        ({"rectifications": [{"finding_id": i} for i in ids]},
         {"rectifications.0.text", "rectifications.1.text"}),
        ({"rectifications": "done"}, {"rectifications"}),
    ]  # fmt: skip
    for payload, expected in cases:
        error = error_of(complete(head, rectify.id, payload), 422, "validation_failed")
        assert set(error["fields"]) == expected, (payload, error["fields"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rectification)) == 0
    assert [f.status for f in spot_round.check().findings] == ["open", "open"]

    items = [{"finding_id": i, "text": "已整改"} for i in ids]
    assert complete(head, rectify.id, {"rectifications": items}).status_code == 200
    confirm, group = spot_round.task("confirm"), api_as("kh_chen")

    def decision(i, **fields):
        return {"finding_id": ids[i], "decision": "confirm", "comment": "属实", **fields}

    cases = [
        ({"decisions": [decision(0), decision(1, decision="keep")]}, {"decisions.1.decision"}),
        ({"decisions": [decision(0), decision(1, comment="")]}, {"decisions.1.comment"}),
        ({"decisions": [decision(0, points="-0.5"), decision(1)]}, {"decisions.0.points"}),
        ({"decisions": [decision(0, points="0.123"), decision(1)]}, {"decisions.0.points"}),
        ({"decisions": [decision(0, points=3), decision(1)]}, {"decisions.0.points"}),
        ({"decisions": [decision(0)]}, {"decisions"}),
        ({"decisions": [decision(0), decision(0)]}, {"decisions.1.finding_id", "decisions"}),
        ({"decisions": [decision(0), decision(1)], "note": "x"}, {"note"}),
    ]
    for payload, expected in cases:
        error = error_of(complete(group, confirm.id, payload), 422, "validation_failed")
        assert set(error["fields"]) == expected, (payload, error["fields"])
    assert [(f.status, f.confirmed_points) for f in spot_round.check().findings] == [
        ("rectified", None),
        ("rectified", None),
    ]
    assert audit_actions("finding.confirm") == []


# --- who may act -----------------------------------------------------------------------------


def test_only_the_lanes_candidates_complete_the_tasks(spot_round, api_as):
    check = spot_round.check()
    verify = spot_round.task("verify")
    payload = verdicts(check, TWO_FINDINGS)
    error_of(complete(api_as("head_fin"), verify.id, payload), 403, "forbidden")
    error_of(complete(api_as("leader_li"), verify.id, payload), 403, "forbidden")
    error_of(complete(api_as("head_insp"), verify.id, payload), 404, "not_found")
    assert finding_count() == 0

    assert complete(api_as("kh_yang"), verify.id, payload).status_code == 200
    rectify = spot_round.task("rectify")
    items = {
        "rectifications": [
            {"finding_id": f.id, "text": "已整改"} for f in spot_round.check().findings
        ]
    }
    error_of(complete(api_as("kh_chen"), rectify.id, items), 403, "forbidden")
    error_of(complete(api_as("head_insp"), rectify.id, items), 404, "not_found")
    error_of(complete(api_as("staff_fin"), rectify.id, items), 403, "forbidden")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rectification)) == 0
    assert complete(api_as("head_fin"), rectify.id, items).status_code == 200


def test_indicator_codes_come_from_the_signed_letter_only(round_diagram, api_as):
    seed_ledger()
    started = start_round()  # no letter signed: a finding may only name the total
    check = started.check()
    payload = verdicts(check, {0: {"description": "问题", "points": "1", "indicator": "FIN-ERR"}})
    error = error_of(complete(api_as("kh_chen"), started.task("verify").id, payload), 422,
                     "validation_failed")  # fmt: skip
    assert error["fields"] == {"entries.0.indicator": ["责任书中没有指标 FIN-ERR"]}
    sign_letter(started.instance_id)
    assert spot_checks.letter_codes(started.department_id, 2026) == ["FIN-ERR", "COM-JI"]
    response = complete(api_as("kh_chen"), started.task("verify").id, payload)
    assert response.status_code == 200, response.get_json()
    assert spot_round_check_codes(started) == ["FIN-ERR"]


def spot_round_check_codes(started) -> list[str | None]:
    return [f.indicator_code for f in started.check().findings]


def test_the_spot_check_row_is_only_written_by_the_draw(spot_round):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpotCheck)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0


def test_the_handler_by_name_returns_a_small_result(spot_round):
    import handlers

    instance = spot_round.instance()
    context = handlers.HandlerContext(
        instance.id, instance.department_id, instance.campaign_id, {"spot_check_month": 4}
    )
    result = unit_of_work(
        lambda: handlers.call("spot_checks.draw_sample", context, {"month": 4, "size": 2})
    )
    check = db.session.get(SpotCheck, result["spot_check_id"])
    assert result == {"spot_check_id": check.id, "sampled": 2}
    assert (check.month, check.sample_size, check.instance_id) == (4, 2, instance.id)
