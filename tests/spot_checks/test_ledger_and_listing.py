"""The demo ledgers (deterministic, fitting each department's function) and the read-only
listing of a department's spot checks."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, LedgerEntry
from app.services import ledger
from app.services.transactions import unit_of_work
from tests.api.helpers import error_of
from tests.spot_checks.conftest import TWO_FINDINGS_PAYLOAD, department, verdicts


def test_demo_entries_are_deterministic_and_fit_the_function(org):
    budget, inspection, hr = department("CZ-YS"), department("DC-DC"), department("RS-RS")
    first = ledger.demo_entries(budget, 2026, 3)
    assert first == ledger.demo_entries(budget, 2026, 3)
    assert first != ledger.demo_entries(budget, 2026, 4)
    assert first != ledger.demo_entries(budget, 2026, 3, seed=7)
    assert len(first) == 12
    assert [e["number"] for e in first[:2]] == ["CZ-YS-202603-001", "CZ-YS-202603-002"]
    budget_words = ("预算", "资金", "采购", "报销", "财务", "绩效")
    assert all(any(w in e["title"] for w in budget_words) for e in first)
    assert any(e["amount"] is not None for e in first)
    assert all(
        any(w in e["title"] for w in ("督办", "批示", "诉求", "督查"))
        for e in ledger.demo_entries(inspection, 2026, 3)
    )
    assert all(
        any(w in e["title"] for w in ("招聘", "到岗", "培训", "档案", "社会保险"))
        for e in ledger.demo_entries(hr, 2026, 3)
    )


def test_seeding_the_demo_ledger_once_per_year(org):
    assert unit_of_work(lambda: ledger.seed_demo(2026)) == 11 * 12 * 12
    assert unit_of_work(lambda: ledger.seed_demo(2026)) == 0  # idempotent
    counts = db.session.execute(
        sa.select(LedgerEntry.month, sa.func.count())
        .where(LedgerEntry.department_id == department("XF-JD").id)
        .group_by(LedgerEntry.month)
    ).all()
    assert dict(counts) == {month: 12 for month in range(1, 13)}
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.startswith("ledger."))
    ).all()
    assert actions == ["ledger.seed_demo"]


def test_the_listing_shows_samples_findings_and_rectifications(spot_round, api_as):
    check = spot_round.check()
    complete = api_as("kh_chen").post(
        f"/api/v1/tasks/{spot_round.task('verify').id}/complete",
        json={"data": verdicts(check, TWO_FINDINGS_PAYLOAD)},
    )
    assert complete.status_code == 200, complete.get_json()
    url = f"/api/v1/spot-checks?department_id={spot_round.department_id}&year=2026"
    for viewer in ("head_fin", "staff_fin", "leader_li", "kh_huang", "admin"):
        response = api_as(viewer).get(url)
        assert response.status_code == 200, (viewer, response.get_json())
    [body] = response.get_json()
    assert (body["month"], body["status"], body["seed"]) == (3, "verified", str(check.seed))
    assert [e["id"] for e in body["sample"]] == sorted(
        check.sample_ids, key=lambda i: db.session.get(LedgerEntry, i).number
    )
    assert body["sample"][0]["number"].startswith("CZ-YS-202603-")
    assert [(f["status"], f["proposed_points"], f["indicator_code"]) for f in body["findings"]] == [
        ("open", "1.50", "FIN-ERR"),
        ("open", "2.00", None),
    ]
    assert api_as("admin").get(url.replace("2026", "2025")).get_json() == []
    error_of(api_as("head_insp").get(url), 404, "not_found")
    error_of(api_as("leader_zhao").get(url), 404, "not_found")
    error_of(api_as("admin").get("/api/v1/spot-checks?department_id=1"), 422, "validation_failed")
