"""Grade bands, the 优秀 quota, tie-breaking, the quarterly rule and the calibration log."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.grading import (
    DEFAULT_BANDS,
    CalibrationConfig,
    Candidate,
    Grade,
    GradeBand,
    QuotaApproval,
    QuotaRounding,
    QuotaRule,
    calibrate,
    grade_band_problems,
    grade_for,
    quota_count,
    reason_part,
    reason_text,
)

E, C, B, INC = (Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT)
FOUR_E = (E, E, E, E)


@pytest.mark.parametrize(
    ("score", "grade"),
    [("100", E), ("90", E), ("89.99", C), ("70", C), ("69.99", B), ("60", B), ("59.99", INC),
     ("0", INC), ("-5", INC)],
)  # fmt: skip
def test_default_bands(score, grade):
    assert grade_for(D(score)) is grade
    assert grade.label in ("优秀", "称职", "基本称职", "不称职")


def test_band_validation():
    assert grade_band_problems(DEFAULT_BANDS) == []
    gap = (GradeBand(INC, None, D(60)), GradeBand(C, D(65), D(90)), GradeBand(E, D(90), None))
    assert grade_band_problems(gap) == ["不称职与称职之间有空档"]
    overlap = (GradeBand(INC, None, D(75)), GradeBand(C, D(70), None))
    assert grade_band_problems(overlap) == ["不称职与称职重叠"]
    closed = (GradeBand(INC, D(0), D(60)), GradeBand(E, D(60), D(100)))
    assert grade_band_problems(closed) == [
        "最低等次不能有下限（所有分数都必须有等次）",
        "最高等次不能有上限（所有分数都必须有等次）",
    ]
    twice = (GradeBand(C, None, D(60)), GradeBand(C, D(60), None))
    assert grade_band_problems(twice) == ["每个等次只能出现一次"]
    assert grade_band_problems(()) == ["至少需要一个等次"]
    with pytest.raises(ValueError, match="空档"):
        calibrate([Candidate("a", D(95))], CalibrationConfig(bands=gap))


@pytest.mark.parametrize(
    ("assessed", "rounding", "expected"),
    [(10, QuotaRounding.FLOOR, 2), (4, QuotaRounding.FLOOR, 0), (9, QuotaRounding.FLOOR, 1),
     (9, QuotaRounding.HALF_UP, 1), (7, QuotaRounding.HALF_UP, 1), (4, QuotaRounding.CEILING, 0),
     (0, QuotaRounding.CEILING, 0)],
)  # fmt: skip
def test_quota_count_rounding(assessed, rounding, expected):
    assert quota_count(assessed, QuotaRule(rounding=rounding)) == expected


def test_quota_raised_only_with_a_recorded_approval_up_to_25_percent():
    approval = QuotaApproval(D(25), approved_by="市绩效考核委员会", reference="绩考〔2026〕3号")
    assert quota_count(8, approval=approval) == 2  # 20 % would give 1
    with pytest.raises(ValueError, match="exceed 25"):
        quota_count(8, approval=QuotaApproval(D(30), "x", "y"))
    with pytest.raises(ValueError, match="who approved"):
        quota_count(8, approval=QuotaApproval(D(25), " ", "y"))
    with pytest.raises(ValueError):
        quota_count(-1)


def test_quota_demotes_the_lowest_ranked_with_a_reason():
    candidates = [Candidate(code, D(s)) for code, s in
                  [("A", "95"), ("B", "93"), ("C", "91"), ("D", "80"), ("E", "75"),
                   ("F", "65"), ("G", "72"), ("H", "50"), ("I", "88"), ("J", "92")]]  # fmt: skip
    result = calibrate(candidates)
    assert result.quota == 2
    assert [c for c, g in result.grades.items() if g is E] == ["A", "B"]
    assert result.grades["J"] is C and result.grades["C"] is C
    assert [(x.code, x.from_grade, x.to_grade) for x in result.log] == [("J", E, C), ("C", E, C)]
    assert result.log[0].reason == "超出优秀名额（名额 2 个，排名第 3）"
    assert result.grades["F"] is B and result.grades["H"] is INC  # others untouched
    assert result.order[:4] == ("A", "B", "J", "C")


def test_tie_break_score_then_indicator_score_then_fewer_deductions_then_code():
    candidates = [
        Candidate("D4", D(92), D(85), D(0)),
        Candidate("D3", D(92), D(88), D(1)),
        Candidate("D2", D(92), D(88), D(0)),
        Candidate("D1", D(92), D(88), D(0)),
        Candidate("D0", D(91), D(99), D(0)),
    ]
    result = calibrate(candidates)  # 5 x 20 % = 1 place
    assert result.order == ("D1", "D2", "D3", "D4", "D0")
    assert [c for c, g in result.grades.items() if g is E] == ["D1"]
    assert len(result.log) == 4


def test_quarterly_rule_promotes_and_takes_places_first():
    candidates = [
        Candidate("Q", D(88), quarterly=FOUR_E),  # four quarterly 优秀, annual 称职
        Candidate("S", D(96), quarterly=(E, E, E, C)),
        *[Candidate(f"X{i}", D(75)) for i in range(3)],
    ]
    result = calibrate(candidates)  # one place
    assert result.grades["Q"] is E and result.grades["S"] is C
    assert [(x.code, x.from_grade, x.to_grade) for x in result.log] == [("Q", C, E), ("S", E, C)]
    assert result.log[0].reason == "四个季度均为优秀，年度定为优秀"


def test_quarterly_rule_switched_off():
    candidates = [Candidate("Q", D(88), quarterly=FOUR_E), Candidate("S", D(96)),
                  *[Candidate(f"X{i}", D(75)) for i in range(3)]]  # fmt: skip
    result = calibrate(candidates, CalibrationConfig(quarterly_rule=False))
    assert result.grades["Q"] is C and result.grades["S"] is E and result.log == ()


def test_quarterly_excellents_never_break_the_quota():
    candidates = [
        Candidate("Q1", D(85), quarterly=FOUR_E),
        Candidate("Q2", D(95), quarterly=FOUR_E),
        *[Candidate(f"X{i}", D(70)) for i in range(3)],
    ]
    result = calibrate(candidates)  # 1 place, two with four quarterly 优秀
    assert result.grades["Q2"] is E and result.grades["Q1"] is C
    assert [(x.code, x.to_grade) for x in result.log] == [("Q1", E), ("Q1", C)]
    assert result.log[1].reason.endswith("四个季度优秀者优先占用名额，但名额不得突破")


def test_duplicate_candidates_are_refused():
    with pytest.raises(ValueError, match="once"):
        calibrate([Candidate("A", D(90)), Candidate("A", D(80))])


candidate_st = st.builds(
    Candidate,
    code=st.text("ABCDEFGH", min_size=1, max_size=3),
    score=st.decimals(min_value=0, max_value=100, places=1),
    indicator_score=st.decimals(min_value=0, max_value=100, places=0),
    deductions=st.decimals(min_value=0, max_value=5, places=0),
    quarterly=st.sampled_from([(), FOUR_E, (E, E, C, E)]),
)


@given(
    candidates=st.lists(candidate_st, max_size=25, unique_by=lambda c: c.code),
    rounding=st.sampled_from(QuotaRounding),
    quarterly=st.booleans(),
    seed=st.randoms(),
)
def test_quota_never_exceeded_every_change_logged_and_order_independent(
    candidates, rounding, quarterly, seed
):
    config = CalibrationConfig(quota=QuotaRule(rounding=rounding), quarterly_rule=quarterly)
    result = calibrate(candidates, config)
    excellent = [c for c, g in result.grades.items() if g is E]
    assert len(excellent) <= result.quota
    for c in candidates:
        start = grade_for(c.score)
        changes = [x for x in result.log if x.code == c.code]
        end = changes[-1].to_grade if changes else start
        assert end is result.grades[c.code]
        assert all(x.reason for x in changes)
    shuffled = list(candidates)
    seed.shuffle(shuffled)
    assert calibrate(shuffled, config).grades == result.grades


def test_band_grades_from_an_edited_grade_table_replace_the_default_bands():
    candidates = [Candidate("a", D(91)), Candidate("b", D(95)), Candidate("c", D(80))]
    one_place = CalibrationConfig(quota=QuotaRule(share=D(34), cap=D(34)))  # 3 x 34 % -> 1
    # A table with 优秀 from 92: "a" is only 称职 there, so nobody is over the quota.
    edited = calibrate(candidates, one_place, band_grades={"a": C, "b": E, "c": C})
    assert edited.grades == {"a": C, "b": E, "c": C} and edited.log == ()
    default = calibrate(candidates, one_place)
    assert default.grades == edited.grades
    assert [(x.code, x.from_grade, x.to_grade) for x in default.log] == [("a", E, C)]


def test_reasons_are_kinds_and_values_composed_in_chinese_or_through_a_translation():
    parts = [
        reason_part("over_quota_after_quarters", quota=1, place=2),
        reason_part("appeal_quota_full", reason="更正指标得分", quota=1),
    ]
    assert reason_text(parts) == (
        "超出优秀名额（名额 1 个，排名第 2）；四个季度优秀者优先占用名额，但名额不得突破"
        "；申诉复核：更正指标得分（优秀名额 1 个已满）"
    )
    shout = reason_text(parts, lambda text, **values: f"<{text % values}>", " / ")
    assert shout.count("<") == 2 and " / " in shout
    with pytest.raises(KeyError):
        reason_part("over_quota", quota=1)  # its text names a place too
    with pytest.raises(KeyError):
        reason_part("a_kind_nobody_wrote")
