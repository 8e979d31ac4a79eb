"""Results application: bonus, reserve pool, improvement plan, head deduction."""

from decimal import Decimal as D

import pytest

from app.rules.grading import Candidate, Grade
from app.rules.outcomes import (
    IMPROVEMENT_MEASURES,
    OutcomePolicy,
    bonus_coefficient,
    bottom_ranked,
    enters_reserve_pool,
    head_deduction,
    outcomes,
)

E, C, B = Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT


def test_bonus_coefficient_by_grade():
    assert bonus_coefficient(E) == D("1.15")
    assert bonus_coefficient(C) == D("1.00")
    policy = OutcomePolicy(bonus_rate={E: D("0.20"), C: D("0.05")})
    assert (bonus_coefficient(E, policy), bonus_coefficient(C, policy)) == (D("1.20"), D("1.05"))
    for bad in ("0.09", "0.21"):
        with pytest.raises(ValueError, match="10–20"):
            OutcomePolicy(bonus_rate={E: D(bad)})
    with pytest.raises(ValueError, match="negative"):
        OutcomePolicy(bonus_rate={E: D("0.1"), B: D("-0.1")})


def test_reserve_pool_after_three_consecutive_excellent_years():
    assert enters_reserve_pool({2024: E, 2025: E, 2026: E}, 2026)
    assert not enters_reserve_pool({2023: E, 2025: E, 2026: E}, 2026)  # 2024 missing
    assert not enters_reserve_pool({2024: E, 2025: C, 2026: E}, 2026)
    assert not enters_reserve_pool({2024: E, 2025: E, 2026: C}, 2026)
    assert enters_reserve_pool({2025: E, 2026: E}, 2026, OutcomePolicy(reserve_years=2))


CANDIDATES = [
    Candidate("A", D(95)), Candidate("B", D(60), D(50)), Candidate("C", D(60), D(55)),
    Candidate("D", D(85)), Candidate("E", D(78)),
]  # fmt: skip


def test_bottom_ranked_by_count_share_and_tie_break():
    assert bottom_ranked(CANDIDATES) == ("B",)  # tie on 60: lower indicator score is last
    assert bottom_ranked(CANDIDATES, OutcomePolicy(bottom_count=2)) == ("B", "C")
    assert bottom_ranked(CANDIDATES, OutcomePolicy(bottom_share=D(40))) == ("B", "C")
    assert bottom_ranked(CANDIDATES, OutcomePolicy(bottom_share=D(10))) == ()  # floor(0.5)
    assert bottom_ranked(CANDIDATES, OutcomePolicy(bottom_count=0)) == ()
    assert bottom_ranked(CANDIDATES[:1]) == ()  # never the whole field
    assert bottom_ranked([], OutcomePolicy(bottom_count=3)) == ()
    assert len(bottom_ranked(CANDIDATES, OutcomePolicy(bottom_count=99))) == 4


def test_head_deduction_under_80():
    assert head_deduction(D("79.99")) == D("2.00")
    assert head_deduction(D(80)) == D("0.00")
    policy = OutcomePolicy(head_threshold=D(85), head_deduction=D("1.5"))
    assert head_deduction(D(84), policy) == D("1.50")


def test_invalid_policies_are_refused():
    for kwargs in ({"reserve_years": 0}, {"bottom_count": -1}, {"head_deduction": D(-1)},
                   {"bottom_share": D(101)}):  # fmt: skip
        with pytest.raises(ValueError):
            OutcomePolicy(**kwargs)


def test_outcomes_for_a_campaign():
    grades = {"A": E, "B": B, "C": B, "D": C, "E": C}
    history = {"A": {2024: E, 2025: E}, "D": {2024: E, 2025: E}}
    result = {o.code: o for o in outcomes(CANDIDATES, grades, history, 2026)}
    assert [o.code for o in outcomes(CANDIDATES, grades, history, 2026)] == [
        "A", "D", "E", "C", "B",
    ]  # fmt: skip
    a, b, d, e = result["A"], result["B"], result["D"], result["E"]
    assert (a.bonus_coefficient, a.reserve_pool, a.head_deduction) == (D("1.15"), True, D("0.00"))
    assert d.reserve_pool is False  # 2026 not 优秀
    assert b.improvement_plan == IMPROVEMENT_MEASURES and result["C"].improvement_plan == ()
    assert (e.head_deduction, b.head_deduction) == (D("2.00"), D("2.00"))


def test_every_incompetent_department_gets_a_plan_not_only_the_bottom():
    field = [
        Candidate("A", D("90"), D("60"), D("0")),
        Candidate("B", D("55"), D("40"), D("0")),  # 不称职, but not last
        Candidate("C", D("50"), D("35"), D("0")),  # last
    ]
    grades = {"A": E, "B": Grade.INCOMPETENT, "C": Grade.INCOMPETENT}
    planned = {o.code for o in outcomes(field, grades, {}, 2026) if o.improvement_plan}
    assert planned == {"B", "C"}
    grades["B"] = B  # 基本称职 above the bottom: no plan
    planned = {o.code for o in outcomes(field, grades, {}, 2026) if o.improvement_plan}
    assert planned == {"C"}
