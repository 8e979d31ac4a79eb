"""The quarterly review's pure rules (pro-rating, value to date, lagging, the quarter's score)
and the data verification's tolerance, at their boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules import quarterly as q
from app.rules import verification as v
from app.rules.indicators import Direction, IndicatorDefinition, Kind, Method, Nature
from app.rules.templates import LIBRARY

D = Decimal
SEED = LIBRARY
BARS = next(ind for ind in LIBRARY.values() if ind.method is Method.BARS)


def _definition(unit="%", name="某指标", direction=Direction.HIGHER, target="100", **kw):
    return IndicatorDefinition(
        code="X", name=name, kind=Kind.INDIVIDUAL, nature=Nature.QUANTITATIVE,
        method=kw.pop("method", Method.LINEAR), direction=direction, unit=unit,
        target=D(target), threshold=kw.pop("threshold", D(0) if direction is Direction.HIGHER
                                           else D(2) * D(target) + 1), **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("unit", "name", "cumulative"),
    [
        ("%", "群众诉求办结率", False),
        ("小时", "应急响应时效", False),
        ("", "某指标", False),
        ("次", "出勤", True),
        ("件", "办件量", True),
        ("万元", "非税收入", True),
        ("%", "重大决策落实进度", True),
    ],
)
def test_which_lines_accumulate(unit, name, cumulative):
    assert q.accumulates(_definition(unit=unit, name=name)) is cumulative


def test_qualitative_lines_are_not_checked():
    bars = BARS
    assert not q.is_quantitative(bars)
    assert q.check_line("b", bars, {"2026-03": D(5)}, 2026, 1) is None


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_cumulative_targets_are_pro_rated_and_rates_are_not(quarter):
    assert q.expected_to_date(D(120), quarter, True) == D(30) * quarter
    assert q.expected_to_date(D(95), quarter, False) == D(95)


@pytest.mark.parametrize("quarter", [0, 5, -1, True, 1.0, "1"])
def test_a_quarter_is_1_to_4(quarter):
    with pytest.raises(ValueError):
        q.expected_to_date(D(1), quarter, True)


VALUES = {
    "2026-01": D(1), "2026-02": D(2), "2026-03": D(3),  # Q1 by month
    "2026-Q2": D(10), "2026-05": D(99),  # Q2 has its own value: the month is not added
    "2026-07": D(4),  # Q3: one month only
    "2025-12": D(1000), "2027-01": D(1000),  # other years never count
}  # fmt: skip


def test_value_to_date_sums_quarters_or_their_months_for_cumulative_lines():
    assert [q.value_to_date(VALUES, 2026, n, True) for n in (1, 2, 3, 4)] == [
        D(6), D(16), D(20), D(20),
    ]  # fmt: skip
    assert q.value_to_date({**VALUES, "2026": D(50)}, 2026, 4, True) == D(50)
    assert q.value_to_date({}, 2026, 2, True) is None


def test_value_to_date_of_a_rate_is_the_latest_period():
    assert [q.value_to_date(VALUES, 2026, n, False) for n in (1, 2, 3, 4)] == [
        D(3), D(10), D(4), D(4),
    ]  # fmt: skip
    # at the same end, the quarter's own value wins over its last month's
    assert q.value_to_date({"2026-03": D(1), "2026-Q1": D(2)}, 2026, 1, False) == D(2)
    assert q.value_to_date({"2026-04": D(1)}, 2026, 1, False) is None  # after the quarter


@pytest.mark.parametrize(
    ("direction", "actual", "expected", "lagging"),
    [
        (Direction.HIGHER, "94.99", "95", True),
        (Direction.HIGHER, "95", "95", False),  # exactly on the expectation is not lagging
        (Direction.LOWER, "0.5", "0.5", False),
        (Direction.LOWER, "0.5001", "0.5", True),
        (Direction.TARGET, "98", "95", False),  # within the tolerance of 3
        (Direction.TARGET, "98.01", "95", True),
        (Direction.TARGET, "91.99", "95", True),
    ],
)
def test_lagging_at_the_boundaries(direction, actual, expected, lagging):
    assert q.is_lagging(D(actual), D(expected), direction, D(3)) is lagging


def test_check_line_of_the_seed_error_rate_and_attendance():
    err, attendance = SEED["FIN-ERR"], SEED["COM-QIN"]
    check = q.check_line("FIN-ERR", err, {"2026-02": D("0.75")}, 2026, 1)
    assert (check.actual, check.expected, check.lagging, check.reason) == (
        D("0.75"), D("0.5"), True, "behind",
    )  # fmt: skip
    # 出勤 counts 次 against a yearly 0: any absence in the year so far lags
    ok = q.check_line("COM-QIN", attendance, {"2026-01": D(0)}, 2026, 1)
    assert (ok.lagging, ok.reason) == (False, "ok")
    none = q.check_line("FIN-ERR", err, {}, 2026, 3)
    assert (none.actual, none.lagging, none.reason) == (None, True, "no_data")


@given(
    target=st.decimals(min_value=1, max_value=10**6, places=2),
    quarter=st.integers(1, 4),
    share=st.decimals(min_value=0, max_value=2, places=3),
)
def test_a_cumulative_higher_line_lags_exactly_below_its_pro_rated_share(target, quarter, share):
    definition = _definition(unit="件", target=str(target))
    expected = target * quarter / 4
    actual = expected * share
    check = q.check_line("x", definition, {f"2026-Q{quarter}": actual} | {
        f"2026-Q{n}": D(0) for n in range(1, quarter)
    }, 2026, quarter)  # fmt: skip
    assert check.expected == expected
    assert check.lagging is (actual < expected)


def test_the_quarter_score_projects_cumulative_lines_and_normalises_the_weights():
    err = SEED["FIN-ERR"]  # linear lower 0.5 / 1.0
    hires = _definition(unit="人", target="40", threshold=D(20))  # cumulative, linear higher
    lines = [
        q.RatedLine(err, D(20), {"2026-03": D("0.75")}),  # 0.5 of 20 = 10
        q.RatedLine(hires, D(30), {"2026-Q1": D(6), "2026-05": D(2)}),  # 8 -> 16/yr: 0 of 30
        q.RatedLine(BARS, D(50), {}),  # qualitative: skipped
    ]  # fmt: skip
    assert q.quarter_score(lines, 2026, 2) == D("20.00")  # 10 of 50 weights -> 20
    # 12 hires by Q2 project to 24 a year: (24 - 20) / 20 = 0.2 of 30 = 6; (10 + 6) / 50
    lines[1] = q.RatedLine(hires, D(30), {"2026-Q1": D(6), "2026-Q2": D(6)})
    assert q.quarter_score(lines, 2026, 2) == D("32.00")
    assert q.quarter_score(lines[2:], 2026, 2) is None  # no quantitative line


@pytest.mark.parametrize(
    ("reported", "pulled", "differs"),
    [
        ("95.20", "95.2049", False),  # within 0.01
        ("95.20", "95.2101", True),
        ("0", "0.01", False),
        ("0", "0.0101", True),
        ("1000000", "1000099", False),  # 0.01 % of a large amount
        ("1000000", "1000102", True),
    ],
)
def test_the_verification_tolerance(reported, pulled, differs):
    assert v.differs(D(reported), D(pulled)) is differs


def test_the_scored_value_prefers_verified_then_pulled_then_reported():
    assert v.scored_value(D(1), D(2), D(3)) == (D(1), "verified")
    assert v.scored_value(None, D(2), D(3)) == (D(2), "pulled")
    assert v.scored_value(None, None, D(3)) == (D(3), "reported")
    assert v.scored_value(None, None, None) == (None, "missing")
