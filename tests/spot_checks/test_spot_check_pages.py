"""The spot-check task pages through the Flask test client: the verification form shows the
sample, puts errors beside their fields and writes nothing, then succeeds; rectification and
confirmation follow on their pages."""

from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.models import LedgerEntry
from app.services import spot_checks
from tests.pages.test_pages import csrf
from tests.spot_checks.conftest import finding_count


def test_verify_page_errors_beside_the_field_then_success(spot_round, client, login_as):
    check = spot_round.check()
    task = spot_round.task("verify")
    login_as("kh_chen")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    body = page.get_data(True)
    assert "2026年3月抽检样本" in body
    entries = [db.session.get(LedgerEntry, i) for i in check.sample_ids]
    for entry in entries:
        assert entry.number in body
    assert '<option value="FIN-ERR"' in body and '<option value="COM-JI"' in body
    order = sorted(entries, key=lambda e: e.number)  # the page lists the sample by number

    form = {"csrf_token": csrf(page), "spot_check_id": str(check.id)}
    for i, entry in enumerate(order):
        form[f"entries-{i}-entry_id"] = str(entry.id)
        form[f"entries-{i}-verdict"] = "ok"
    form["entries-1-verdict"] = "finding"
    form["entries-1-points"] = "2.345"
    form["entries-3-verdict"] = "finding"
    form["entries-3-description"] = "未按规定登记"
    form["entries-3-points"] = "1"
    form["entries-3-indicator"] = "COM-JI"
    response = client.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 422
    body = response.get_data(True)
    assert 'id="form-errors"' in body
    assert (
        '<p class="field-error" id="entries-1-description-error">发现问题时必须填写问题描述</p>'
        in body
    )
    assert '<p class="field-error" id="entries-1-points-error">扣分最多两位小数</p>' in body
    assert 'aria-describedby="entries-1-points-error"' in body
    assert 'value="2.345"' in body and "未按规定登记" in body  # what was typed stays
    assert "entries-3-description-error" not in body
    assert finding_count() == 0 and spot_round.check().status == "drawn"

    form["csrf_token"] = csrf(response)
    form["entries-1-description"] = "缺少审批单"
    form["entries-1-points"] = "2.5"
    response = client.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 302, response.get_data(True)[:2000]
    assert response.headers["Location"] == "/"
    check = spot_round.check()
    assert check.status == "verified"
    assert [(f.ledger_entry_id, f.proposed_points, f.indicator_code) for f in check.findings] == [
        (order[1].id, Decimal("2.50"), None),
        (order[3].id, Decimal("1.00"), "COM-JI"),
    ]


def test_rectify_and_confirm_pages(spot_round, client, login_as, api_as):
    check = spot_round.check()
    findings = {0: {"description": "台账缺页", "points": "3"}}
    api_as("kh_chen").post(
        f"/api/v1/tasks/{spot_round.task('verify').id}/complete",
        json={"data": {"entries": [
            {"entry_id": i, "verdict": "ok"} if n not in findings
            else {"entry_id": i, "verdict": "finding", **findings[n]}
            for n, i in enumerate(check.sample_ids)
        ]}},
    )  # fmt: skip
    [finding] = spot_round.check().findings

    login_as("head_fin")
    rectify = spot_round.task("rectify")
    page = client.get(f"/tasks/{rectify.id}")
    assert "台账缺页" in page.get_data(True)
    form = {
        "csrf_token": csrf(page),
        "spot_check_id": str(check.id),
        "rectifications-0-finding_id": str(finding.id),
        "rectifications-0-text": "",
    }
    response = client.post(f"/tasks/{rectify.id}", data=form)
    assert response.status_code == 422
    assert 'id="rectifications-0-text-error">必须填写整改情况<' in response.get_data(True)
    form.update(csrf_token=csrf(response), **{"rectifications-0-text": "已补齐缺页"})
    assert client.post(f"/tasks/{rectify.id}", data=form).status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})

    login_as("kh_chen")
    confirm = spot_round.task("confirm")
    page = client.get(f"/tasks/{confirm.id}")
    assert "已补齐缺页" in page.get_data(True)
    form = {
        "csrf_token": csrf(page),
        "spot_check_id": str(check.id),
        "decisions-0-finding_id": str(finding.id),
        "decisions-0-decision": "confirm",
        "decisions-0-points": "4",
        "decisions-0-comment": "属实",
    }
    response = client.post(f"/tasks/{confirm.id}", data=form)
    assert response.status_code == 422
    assert 'id="decisions-0-points-error">认定扣分不得高于拟扣分值 3.00<' in response.get_data(True)
    form.update(csrf_token=csrf(response), **{"decisions-0-points": "2"})
    assert client.post(f"/tasks/{confirm.id}", data=form).status_code == 302
    deductions = spot_checks.confirmed_deductions(spot_round.department_id, 2026)
    assert [(d.points, d.indicator) for d in deductions] == [(Decimal("2.00"), None)]
    assert spot_round.instance().status == "completed"


def test_the_verify_page_is_not_for_the_department_head(spot_round, client, login_as):
    login_as("head_fin")
    assert client.get(f"/tasks/{spot_round.task('verify').id}").status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client.get("/"))})
    login_as("head_insp")  # another department's task: pages answer 403 (the API 404)
    response = client.get(f"/tasks/{spot_round.task('verify').id}")
    assert response.status_code == 403
    assert "LedgerEntry" not in response.get_data(True)
    assert "CZ-YS-2026" not in response.get_data(True)  # nothing of the sample leaks
