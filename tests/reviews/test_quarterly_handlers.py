"""`quarterly.compare` and `quarterly.rate`, called as the engine calls them, and
`excellent_quarters`."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import QuarterlyReview
from app.services import quarterly
from app.services.errors import Conflict
from app.services.transactions import unit_of_work
from handlers import REGISTRY
from tests.reviews.conftest import put_actual, signed_letter

D = Decimal


def _call(name, ctx, **params):
    return unit_of_work(lambda: REGISTRY[name](ctx, **params))


def _review(review_id) -> QuarterlyReview:
    db.session.expire_all()
    return db.session.get(QuarterlyReview, review_id)


def test_compare_without_lagging_lines(setup):
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026-02", "reported", "0.6")
    put_actual(cz, "FIN-ERR", "2026-03", "reported", "0.4")  # the latest month counts
    put_actual(cz, "FIN-PAY", "2026-Q1", "reported", "100")
    result = _call("quarterly.compare", setup.ctx, quarter=1)
    review = _review(result["review_id"])
    assert result == {"review_id": review.id, "lagging": 0}
    assert (review.year, review.quarter, review.lines, review.department_id) == (
        2026, 1, [], setup.instance.department_id,
    )  # fmt: skip
    assert review.compared_at is not None


def test_compare_lists_each_lagging_line_with_actual_and_expected(setup):
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026-06", "reported", "0.3")
    put_actual(cz, "FIN-ERR", "2026-06", "pull", "0.8")  # the pulled figure wins
    result = _call("quarterly.compare", setup.ctx, quarter=2)
    review = _review(result["review_id"])
    assert result["lagging"] == 2
    assert review.lines == [
        {
            "line_id": setup.lines["FIN-ERR"].id, "indicator": "FIN-ERR", "name": "财务报表差错率",
            "unit": "%", "direction": "lower", "actual": "0.8", "expected": "0.5",
            "reason": "behind",
        },
        {
            "line_id": setup.lines["FIN-PAY"].id, "indicator": "FIN-PAY", "name": "资金支付及时率",
            "unit": "%", "direction": "higher", "actual": None, "expected": "100",
            "reason": "no_data",
        },
    ]  # fmt: skip
    # comparing the quarter again refreshes the same review
    put_actual(cz, "FIN-PAY", "2026-05", "file", "100")
    again = _call("quarterly.compare", setup.ctx, quarter=2)
    assert again == {"review_id": review.id, "lagging": 1}


def test_a_line_count_in_次_lags_once_absences_exceed_the_share_to_date(org):
    from app.services import definitions, instances
    from tests.conftest import person
    from tests.engine.helpers import fixture
    from tests.reviews.conftest import PROCESS, Setup

    unit_of_work(lambda: definitions.upload(f"{PROCESS}.bpmn", fixture(f"{PROCESS}.bpmn"), None))
    started = unit_of_work(
        lambda: instances.start(org["CZ-YS"].id, 2026, person("admin"), process_key=PROCESS)
    )
    lines = signed_letter(
        started,
        (("COM-QIN", "出勤率（迟到/缺勤扣分）", "common", "lower", "0", None, "次", "100"),),
    )
    s = Setup(started, lines)
    put_actual(started.department_id, "COM-QIN", "2026-01", "pull", "0")
    assert _call("quarterly.compare", s.ctx, quarter=1)["lagging"] == 0
    put_actual(started.department_id, "COM-QIN", "2026-04", "pull", "1")
    put_actual(started.department_id, "COM-QIN", "2026-05", "pull", "2")
    result = _call("quarterly.compare", s.ctx, quarter=2)
    assert result["lagging"] == 1
    assert _review(result["review_id"]).lines[0]["actual"] == "3"  # 0 + 1 + 2 to date


def test_compare_refuses_before_the_letter_is_locked(setup):
    from app.models import ResponsibilityLetter

    unit_of_work(
        lambda: db.session.execute(sa.update(ResponsibilityLetter).values(status="approved"))
    )
    with pytest.raises(Conflict):
        _call("quarterly.compare", setup.ctx, quarter=1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarterlyReview)) == 0


@pytest.mark.parametrize("quarter", [0, 5, "2", None])
def test_compare_refuses_a_quarter_outside_1_to_4(setup, quarter):
    with pytest.raises(ValueError):
        _call("quarterly.compare", setup.ctx, quarter=quarter)


def test_rate_scores_the_quarter_and_grades_it_with_the_grade_table(setup):
    cz = setup.instance.department_id
    put_actual(cz, "FIN-ERR", "2026-03", "reported", "0.3")
    put_actual(cz, "FIN-PAY", "2026-03", "reported", "100")
    assert _call("quarterly.rate", setup.ctx, quarter=1) == {"quarter": 1, "rating": "excellent"}
    # Q2: 0.75 % scores half of 20; 资金支付及时率 96 scores 0.6 of 80 -> (10 + 48) / 100
    put_actual(cz, "FIN-ERR", "2026-Q2", "pull", "0.75")
    put_actual(cz, "FIN-PAY", "2026-06", "pull", "96")
    assert _call("quarterly.rate", setup.ctx, quarter=2) == {
        "quarter": 2,
        "rating": "incompetent",
    }
    q2 = db.session.scalars(sa.select(QuarterlyReview).where(QuarterlyReview.quarter == 2)).one()
    assert (q2.score, q2.lagging) == (D("58.00"), 2)  # compared before it was rated
    assert quarterly.excellent_quarters(cz, 2026) == 1
    assert quarterly.excellent_quarters(cz, 2025) == 0
    assert quarterly.excellent_quarters(cz + 1000, 2026) == 0
