"""Scoring methods at their boundaries, the seed's examples, and hypothesis properties."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.indicators import Band, Direction
from app.rules.numbers import rounded
from app.rules.scoring import (
    achievement_points,
    banded_points,
    bars_points,
    deduction_points,
    linear_points,
    on_target_points,
    score_line,
)
from app.rules.templates import LIBRARY

W = D(20)


@pytest.mark.parametrize(
    ("actual", "points"),
    [
        ("0", "20.00"),
        ("0.5", "20.00"),  # at target: full marks
        ("0.6", "16.00"),
        ("0.75", "10.00"),  # half way: half the weight
        ("0.999", "0.04"),
        ("1.0", "0.00"),  # at threshold: nothing
        ("3", "0.00"),
    ],
)
def test_error_rate_example_lower_is_better(actual, points):
    """差错率 target ≤0.5 %, threshold 1.0 %, weight 20 (the issue's example)."""
    got = linear_points(
        D(actual), direction=Direction.LOWER, target=D("0.5"), threshold=D("1.0"), weight=W
    )
    assert got == D(points)
    assert score_line(LIBRARY["FIN-ERR"], W, D(actual)) == D(points)


@pytest.mark.parametrize(
    ("actual", "cap", "points"),
    [("70", "1", "0.00"), ("80", "1", "0.00"), ("87.5", "1", "7.50"), ("95", "1", "15.00"),
     ("100", "1", "15.00"), ("97", "1.2", "17.00"), ("100", "1.2", "18.00")],
)  # fmt: skip
def test_higher_is_better_with_cap(actual, cap, points):
    """群众诉求办结率 ≥95 %, threshold 80, weight 15. With cap 1.2 the slope continues past the
    target: 97 → 17/15 of the weight = 17; 100 → 20/15, capped at 1.2 → 18."""
    got = linear_points(
        D(actual), direction=Direction.HIGHER, target=D(95), threshold=D(80), weight=D(15),
        cap=D(cap),
    )  # fmt: skip
    assert got == D(points)


def test_linear_refuses_a_threshold_on_the_wrong_side():
    with pytest.raises(ValueError, match="threshold"):
        linear_points(D(1), direction=Direction.HIGHER, target=D(5), threshold=D(6), weight=W)
    with pytest.raises(ValueError, match="direction"):
        linear_points(D(1), direction=Direction.TARGET, target=D(5), threshold=D(6), weight=W)


@pytest.mark.parametrize(
    ("actual", "points"),
    [("95", "15.00"), ("98", "15.00"), ("92", "15.00"), ("91.9", "14.88"), ("86", "7.50"),
     ("104", "7.50"), ("80", "0.00"), ("110", "0.00"), ("50", "0.00")],
)  # fmt: skip
def test_on_target(actual, points):
    """预算执行率 target 95 ± 3, zero at 15 away: 86 is 9 away → (15−9)/(15−3) = 0.5."""
    got = on_target_points(
        D(actual), target=D(95), tolerance=D(3), zero_distance=D(15), weight=D(15)
    )
    assert got == D(points)
    assert score_line(LIBRARY["FIN-BUDGET"], D(15), D(actual)) == D(points)


def test_on_target_refuses_zero_distance_within_tolerance():
    with pytest.raises(ValueError):
        on_target_points(D(1), target=D(1), tolerance=D(3), zero_distance=D(3), weight=W)


BANDS = (Band(None, D(90), D(0)), Band(D(90), D(95), D("0.5")), Band(D(95), D(100), D("0.8")),
         Band(D(100), None, D(1)))  # fmt: skip


@pytest.mark.parametrize(
    ("actual", "points"),
    [("0", "0.00"), ("89.99", "0.00"), ("90", "3.00"), ("94.99", "3.00"), ("95", "4.80"),
     ("99.99", "4.80"), ("100", "6.00"), ("1000", "6.00")],
)  # fmt: skip
def test_banded_lower_bound_inclusive_upper_exclusive(actual, points):
    assert banded_points(D(actual), bands=BANDS, weight=D(6)) == D(points)
    assert score_line(LIBRARY["COM-LIAN"], D(6), D(actual)) == D(points)


def test_banded_value_outside_every_band_scores_zero():
    bands = (Band(D(0), D(10), D(1)),)
    assert banded_points(D(10), bands=bands, weight=W) == D("0.00")
    assert banded_points(D(-1), bands=bands, weight=W) == D("0.00")


@pytest.mark.parametrize(
    ("units", "floor", "points"),
    [("0", "0", "6.00"), ("1", "0", "5.50"), ("12", "0", "0.00"), ("100", "0", "0.00"),
     ("100", "2", "2.00"), ("3", "2", "4.50")],
)  # fmt: skip
def test_deduction_per_unit_with_floor(units, floor, points):
    """出勤率: 0.5 points per late/absent instance, weight 6."""
    got = deduction_points(D(units), per_unit=D("0.5"), weight=D(6), floor=D(floor))
    assert got == D(points)


def test_deduction_refuses_negative_units():
    with pytest.raises(ValueError):
        deduction_points(D(-1), per_unit=D(1), weight=W)
    with pytest.raises(ValueError):
        score_line(LIBRARY["COM-QIN"], D(6), D(-1))


def test_a_floor_above_the_weight_cannot_give_more_than_the_weight():
    assert deduction_points(D(0), per_unit=D(1), weight=D(5), floor=D(9)) == D("5.00")


@pytest.mark.parametrize(("level", "points"), [(1, "2.00"), (3, "6.00"), (5, "10.00")])
def test_bars_level(level, points):
    ind = LIBRARY["QUAL-SERVICE"]
    assert bars_points(level, anchors=ind.anchors, weight=D(10)) == D(points)
    assert score_line(ind, D(10), level) == D(points)


@pytest.mark.parametrize("level", [0, 6, True])
def test_bars_unknown_level(level):
    with pytest.raises(ValueError):
        bars_points(level, anchors=LIBRARY["QUAL-SERVICE"].anchors, weight=D(10))


def test_bars_needs_an_int_level_and_quantitative_needs_a_decimal():
    with pytest.raises(TypeError):
        score_line(LIBRARY["QUAL-SERVICE"], D(10), D(3))
    with pytest.raises(TypeError):
        score_line(LIBRARY["FIN-ERR"], W, 0.75)
    with pytest.raises(TypeError):
        score_line(LIBRARY["FIN-ERR"], W, D("NaN"))


@pytest.mark.parametrize(
    ("actual", "direction", "cap", "points"),
    [("100", Direction.HIGHER, "1", "10.00"), ("85", Direction.HIGHER, "1", "8.50"),
     ("130", Direction.HIGHER, "1", "10.00"), ("130", Direction.HIGHER, "1.2", "12.00"),
     ("-5", Direction.HIGHER, "1", "0.00"), ("200", Direction.LOWER, "1", "5.00"),
     ("50", Direction.LOWER, "1.5", "15.00"), ("0", Direction.LOWER, "1.2", "12.00")],
)  # fmt: skip
def test_achievement_ratio(actual, direction, cap, points):
    """费用控制目标达成率 target 100 %, weight 10."""
    got = achievement_points(
        D(actual), direction=direction, target=D(100), weight=D(10), cap=D(cap)
    )
    assert got == D(points)


def test_achievement_ratio_refuses_non_positive_target():
    with pytest.raises(ValueError):
        achievement_points(D(1), direction=Direction.HIGHER, target=D(0), weight=W)


def test_rounding_is_half_up_once():
    # 10 x (1/3) = 3.333… → 3.33; 0.125 of 1 point → 0.13 (half up, not banker's 0.12)
    assert linear_points(
        D(1), direction=Direction.HIGHER, target=D(3), threshold=D(0), weight=D(10)
    ) == D("3.33")
    assert linear_points(
        D("0.125"), direction=Direction.HIGHER, target=D(1), threshold=D(0), weight=D(1)
    ) == D("0.13")


# --- properties -------------------------------------------------------------------------

values = st.decimals(min_value=-1000, max_value=1000, places=3)
weights = st.decimals(min_value="0.01", max_value=100, places=2)
caps = st.decimals(min_value=1, max_value=2, places=2)
METHOD_SAMPLES = [LIBRARY[c] for c in ("FIN-ERR", "INS-PETITION", "FIN-BUDGET", "COM-LIAN",
                                        "FIN-COST", "DYN-EMERGENCY", "INS-DECISION")]  # fmt: skip


@given(ind=st.sampled_from(METHOD_SAMPLES), a=values, weight=weights, cap=caps)
def test_score_always_within_zero_and_weight_times_cap(ind, a, weight, cap):
    if ind.method.value in ("linear", "ratio"):
        ind = replace(ind, cap=cap)
    points = score_line(ind, weight, a)
    assert D(0) <= points <= rounded(weight * ind.cap)  # the same rounding rule


@given(ind=st.sampled_from(METHOD_SAMPLES), a=values, b=values, weight=weights)
def test_score_is_monotonic_in_the_direction(ind, a, b, weight):
    if ind.direction is Direction.TARGET:  # monotonic in the distance from the target
        near, far = sorted((a, b), key=lambda v: abs(v - ind.target))
    elif ind.direction is Direction.HIGHER:
        far, near = sorted((a, b))
    else:
        near, far = sorted((a, b))
    assert score_line(ind, weight, near) >= score_line(ind, weight, far)


@given(units=st.decimals(min_value=0, max_value=10**6, places=0), weight=weights)
def test_deduction_never_negative_and_falls_with_units(units, weight):
    ind = LIBRARY["COM-QIN"]
    points = score_line(ind, weight, units)
    assert D(0) <= points <= weight
    assert score_line(ind, weight, units + 1) <= points
