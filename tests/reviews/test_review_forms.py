"""The `quarterly_interview` and `data_verification` forms through `complete_task`, their
pages, and `GET /api/v1/quarterly-reviews`: good input is stored and audited; bad input gives
422 per field and writes nothing; the wrong person gets 403 or 404."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import AuditEvent, DataVerification, Interview
from app.services import instances
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.transactions import unit_of_work
from handlers import REGISTRY
from tests.conftest import person
from tests.reviews.conftest import put_actual

TODAY = date(2026, 1, 5)  # the test clock's day in Beijing


def _lagging(setup) -> dict:
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026-03", "reported", "0.9")  # FIN-PAY: no data
    return unit_of_work(lambda: REGISTRY["quarterly.compare"](setup.ctx, quarter=1))


def _interview(setup, **changes) -> dict:
    return {
        "notes": "约谈预算科负责人，分析差错原因。",
        "commitments": [
            {"line_id": setup.lines["FIN-ERR"].id, "commitment": "4月起报表双人复核"},
            {"line_id": setup.lines["FIN-PAY"].id, "commitment": "4月10日前补报支付数据"},
        ],
        "next_check": (TODAY + timedelta(days=30)).isoformat(),
    } | changes


def _complete(task_id, username, payload):
    return unit_of_work(lambda: instances.complete_task(task_id, person(username), payload))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_leader_records_the_interview(setup):
    _lagging(setup)
    task = setup.task("quarterly_interview")
    _complete(task.id, "leader_li", _interview(setup))
    [interview] = db.session.scalars(sa.select(Interview)).all()
    assert interview.notes == "约谈预算科负责人，分析差错原因。"
    assert [c["indicator"] for c in interview.commitments] == ["FIN-ERR", "FIN-PAY"]
    assert (interview.next_check, interview.interviewer_id) == (
        date(2026, 2, 4),
        person("leader_li").id,
    )
    assert setup.task("quarterly_interview").status == "completed"
    assert setup.task("data_verification").status == "ready"
    actions = [e.action for e in db.session.scalars(sa.select(AuditEvent))]
    assert "quarterly.interview" in actions


def _bad_interviews(setup):
    err, pay = setup.lines["FIN-ERR"].id, setup.lines["FIN-PAY"].id
    one = [{"line_id": err, "commitment": "复核"}]
    return [
        (["not", "an", "object"], "_"),
        ({}, "notes"),
        (_interview(setup, notes="   "), "notes"),
        (_interview(setup, notes=123), "notes"),
        (_interview(setup, notes="长" * 5001), "notes"),
        (_interview(setup, commitments="复核"), "commitments"),
        (_interview(setup, commitments=[{"line_id": "abc", "commitment": "x"}]), "commitments"),
        (_interview(setup, commitments=[{"line_id": err}]), "commitments"),
        (_interview(setup, commitments=[{"line_id": 2**40, "commitment": "x"}]), "commitments"),
        (_interview(setup, commitments=one), "commitments"),  # FIN-PAY has none
        (_interview(setup, commitments=[*one, {"line_id": 999999, "commitment": "x"}]),
         "commitments.1.line_id"),
        (_interview(setup, commitments=[*one, *one]), "commitments.1.line_id"),
        (_interview(setup, commitments=[*one, {"line_id": pay, "commitment": "长" * 1001}]),
         "commitments"),
        (_interview(setup, next_check="下周"), "next_check"),
        (_interview(setup, next_check=20260301), "next_check"),
        (_interview(setup, next_check=TODAY.isoformat()), "next_check"),
        (_interview(setup, next_check="2025-12-31"), "next_check"),
        (_interview(setup, next_check="2028-01-01"), "next_check"),
        (_interview(setup, next_check="9999-12-31"), "next_check"),
    ]  # fmt: skip


def test_bad_interviews_are_refused_per_field_and_write_nothing(setup):
    _lagging(setup)
    task = setup.task("quarterly_interview")
    for payload, field in _bad_interviews(setup):
        with pytest.raises(Invalid) as caught:
            _complete(task.id, "leader_li", payload)
        fields = caught.value.extra["fields"]
        assert field in fields, (payload, fields)
    assert _count(Interview) == 0
    assert setup.task("quarterly_interview").status == "ready"
    # the furthest next check allowed: the end of the following year
    _complete(task.id, "leader_li", _interview(setup, next_check="2027-12-31"))
    assert _count(Interview) == 1


@pytest.mark.parametrize(
    ("username", "error"),
    [("head_fin", Forbidden), ("kh_chen", Forbidden), ("leader_zhao", NotFound)],
)
def test_only_the_departments_leader_interviews(setup, username, error):
    _lagging(setup)
    with pytest.raises(error):
        _complete(setup.task("quarterly_interview").id, username, _interview(setup))
    assert _count(Interview) == 0


def test_an_interview_without_a_lagging_review_is_a_conflict(setup):
    with pytest.raises(Conflict):
        _complete(setup.task("quarterly_interview").id, "leader_li", _interview(setup))


def _to_verification(setup) -> list[DataVerification]:
    _lagging(setup)
    _complete(setup.task("quarterly_interview").id, "leader_li", _interview(setup))
    cz = setup.instance.department_id
    for code, reported, pulled in (("FIN-ERR", "0.5", "0.75"), ("FIN-PAY", "98", "95")):
        put_actual(cz, code, "2026", "reported", reported)
        put_actual(cz, code, "2026", "pull", pulled)
    unit_of_work(lambda: REGISTRY["verification.compare"](setup.ctx))
    db.session.expire_all()
    return db.session.scalars(sa.select(DataVerification).order_by(DataVerification.id)).all()


def test_the_group_decides_every_difference(setup):
    err, pay = _to_verification(setup)
    _complete(
        setup.task("data_verification").id,
        "kh_chen",
        {
            "decisions": [
                {"verification_id": pay.id, "accepted": "other", "value": "96.5",
                 "reason": "以财政一体化系统12月31日数据为准"},
                {"verification_id": err.id, "accepted": "pulled"},
            ]
        },
    )  # fmt: skip
    db.session.expire_all()
    err, pay = db.session.scalars(sa.select(DataVerification).order_by(DataVerification.id))
    assert (err.status, err.accepted, str(err.accepted_value)) == ("decided", "pulled", "0.7500")
    assert (pay.accepted, str(pay.accepted_value), pay.decided_by_id) == (
        "other",
        "96.5000",
        person("kh_chen").id,
    )
    audits = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "verification.decide")
    ).all()
    assert len(audits) == 2
    assert setup.task("data_verification").status == "completed"


def test_bad_verifications_are_refused_per_field_and_write_nothing(setup):
    err, pay = _to_verification(setup)
    ok = {"verification_id": pay.id, "accepted": "reported"}
    cases = [
        ("全部采用", "_"),
        ({}, "decisions"),
        ({"decisions": []}, "decisions"),
        ({"decisions": [{"verification_id": err.id, "accepted": "maybe"}, ok]}, "decisions"),
        ({"decisions": [{"verification_id": "x", "accepted": "pulled"}, ok]}, "decisions"),
        ({"decisions": [{"verification_id": err.id, "accepted": "other"}, ok]}, "decisions"),
        ({"decisions": [{"verification_id": err.id, "accepted": "other", "value": "1e20",
                         "reason": "核对"}, ok]}, "decisions"),
        ({"decisions": [{"verification_id": err.id, "accepted": "other", "value": "NaN",
                         "reason": "核对"}, ok]}, "decisions"),
        ({"decisions": [{"verification_id": err.id, "accepted": "other", "value": "120",
                         "reason": "核对"}, ok]}, "decisions.0.value"),  # a percentage > 100
        ({"decisions": [ok]}, "decisions"),  # FIN-ERR left undecided
        ({"decisions": [ok, ok]}, "decisions.1.verification_id"),
        ({"decisions": [ok, {"verification_id": 999999, "accepted": "pulled"}]},
         "decisions.1.verification_id"),
    ]  # fmt: skip
    task = setup.task("data_verification")
    for payload, field in cases:
        with pytest.raises(Invalid) as caught:
            _complete(task.id, "kh_chen", payload)
        assert field in caught.value.extra["fields"], (payload, caught.value.extra)
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(DataVerification))} == {"open"}
    with pytest.raises(Forbidden):
        _complete(task.id, "leader_li", {"decisions": [ok]})
    with pytest.raises(NotFound):
        _complete(task.id, "expert_gao", {"decisions": [ok]})


def _csrf(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def test_the_interview_page_shows_the_lagging_lines_and_errors_beside_fields(
    setup, client, login_as
):
    _lagging(setup)
    task = setup.task("quarterly_interview")
    login_as("leader_li")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "财务报表差错率" in text and "资金支付及时率" in text and "未报送" in text
    form = {
        "csrf_token": _csrf(page.data),
        "notes": "",
        "next_check": TODAY.isoformat(),
        "commitments-0-line_id": str(setup.lines["FIN-ERR"].id),
        "commitments-0-commitment": "双人复核",
        "commitments-1-line_id": str(setup.lines["FIN-PAY"].id),
        "commitments-1-commitment": "",
    }
    bad = client.post(f"/tasks/{task.id}", data=form)
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    for field in ("notes", "commitments-1-commitment"):
        assert f'id="{field}-error"' in body, field
    assert "双人复核" in body  # what was typed stays
    assert _count(Interview) == 0
    form |= {
        "notes": "已约谈",
        "next_check": "2026-04-15",
        "commitments-1-commitment": "补报数据",
    }
    good = client.post(f"/tasks/{task.id}", data=form)
    assert good.status_code == 302
    assert _count(Interview) == 1


def test_the_verification_page_takes_each_decision(setup, client, login_as):
    err, pay = _to_verification(setup)
    task = setup.task("data_verification")
    login_as("kh_chen")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "0.75" in page.get_data(as_text=True)
    form = {
        "csrf_token": _csrf(page.data),
        "decisions-0-verification_id": str(err.id),
        "decisions-0-accepted": "other",
        "decisions-0-value": "",
        "decisions-0-reason": "",
        "decisions-1-verification_id": str(pay.id),
        "decisions-1-accepted": "pulled",
    }
    bad = client.post(f"/tasks/{task.id}", data=form)
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'id="decisions-0-value-error"' in body and 'id="decisions-0-reason-error"' in body
    form |= {"decisions-0-value": "0.6", "decisions-0-reason": "现场核对凭证"}
    assert client.post(f"/tasks/{task.id}", data=form).status_code == 302
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(DataVerification))} == {"decided"}


def test_the_api_lists_quarterly_reviews_to_whoever_may_see_the_department(setup, api_as):
    _lagging(setup)
    _complete(setup.task("quarterly_interview").id, "leader_li", _interview(setup))
    cz = setup.instance.department_id
    url = f"/api/v1/quarterly-reviews?department_id={cz}&year=2026"
    response = api_as("head_fin").get(url)
    assert response.status_code == 200
    [review] = response.get_json()
    assert (review["quarter"], review["lagging"], review["rating"]) == (1, 2, None)
    assert review["lines"][0]["expected"] == "0.5"
    assert review["interview"]["commitments"][0]["commitment"] == "4月起报表双人复核"
    assert review["interview"]["next_check"] == "2026-02-04"
    assert api_as("head_insp").get(url).status_code == 404
    assert api_as("head_fin").get(f"{url[:-4]}1999").status_code == 422
    assert api_as("head_fin").get("/api/v1/quarterly-reviews?year=2026").status_code == 422
    assert clock.today() == TODAY
