"""Validation of one indicator definition: every problem is reported, with its field."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from app.rules.indicators import (
    Band,
    BarsLevel,
    Dimension,
    Direction,
    IndicatorDefinition,
    Kind,
    Method,
    Nature,
    band_problems,
    validate_indicator,
)
from app.rules.templates import LIBRARY

ERROR_RATE = LIBRARY["FIN-ERR"]  # lower is better, target 0.5, threshold 1.0
SERVICE = LIBRARY["QUAL-SERVICE"]  # qualitative, five anchors


def fields(ind: IndicatorDefinition) -> list[str]:
    return [p.field for p in validate_indicator(ind)]


def test_every_seeded_indicator_is_valid():
    assert {code: validate_indicator(ind) for code, ind in LIBRARY.items()} == {
        code: [] for code in LIBRARY
    }


@pytest.mark.parametrize(
    ("direction", "threshold"),
    [(Direction.LOWER, D("0.5")), (Direction.LOWER, D("0.2")), (Direction.HIGHER, D("1.0"))],
)
def test_threshold_on_the_wrong_side_of_target(direction, threshold):
    ind = replace(ERROR_RATE, direction=direction, threshold=threshold)
    assert fields(ind) == ["threshold"]


def test_every_problem_is_reported_at_once():
    ind = replace(ERROR_RATE, code=" ", name="", kind=Kind.COMMON, cap=D("0.5"), threshold=D("0.1"))
    assert sorted(fields(ind)) == ["cap", "code", "dimension", "name", "threshold"]


def test_floats_are_refused_before_any_comparison():
    ind = replace(ERROR_RATE, target=0.5, threshold=float("nan"))
    assert fields(ind) == ["target", "threshold"]


def test_dimension_only_on_common_indicators():
    assert fields(replace(ERROR_RATE, dimension=Dimension.PROBITY)) == ["dimension"]
    assert fields(replace(LIBRARY["COM-JI"], dimension=None)) == ["dimension"]


@pytest.mark.parametrize("keep", [0, 4])
def test_qualitative_needs_exactly_five_anchors(keep):
    ind = replace(SERVICE, anchors=SERVICE.anchors[:keep])
    assert fields(ind) == ["anchors"]


def test_anchor_levels_must_be_one_to_five_with_rising_ratios_and_descriptions():
    twice = (*SERVICE.anchors[:4], BarsLevel(4, "again", D("0.9")))
    assert fields(replace(SERVICE, anchors=twice)) == ["anchors"]
    flat = tuple(replace(a, ratio=D("0.5")) for a in SERVICE.anchors)
    assert fields(replace(SERVICE, anchors=flat)) == ["anchors"]
    blank = (replace(SERVICE.anchors[0], description=" "), *SERVICE.anchors[1:])
    assert fields(replace(SERVICE, anchors=blank)) == ["anchors"]


def test_qualitative_must_use_bars_and_quantitative_must_not():
    assert fields(replace(SERVICE, nature=Nature.QUANTITATIVE)) == ["method"]
    assert "method" in fields(replace(ERROR_RATE, nature=Nature.QUALITATIVE))
    assert fields(replace(ERROR_RATE, anchors=SERVICE.anchors)) == ["anchors"]


def test_method_parameters_are_required():
    assert fields(replace(ERROR_RATE, threshold=None)) == ["threshold"]
    assert fields(replace(ERROR_RATE, direction=Direction.TARGET)) == ["direction"]
    assert fields(replace(LIBRARY["COM-QIN"], per_unit=None)) == ["per_unit"]
    assert fields(replace(LIBRARY["COM-QIN"], floor=D(-1))) == ["floor"]
    assert fields(replace(LIBRARY["COM-JI"], target=D(0))) == ["target"]
    budget = LIBRARY["FIN-BUDGET"]  # on target 95 ± 3, zero at 80
    assert fields(replace(budget, threshold=D(97))) == ["threshold"]
    assert fields(replace(budget, direction=Direction.HIGHER)) == ["direction"]
    assert fields(replace(budget, tolerance=D(-1))) == ["tolerance"]


def test_band_gaps_overlaps_and_order_are_rejected():
    ok = (Band(None, D(60), D(0)), Band(D(60), D(80), D("0.6")), Band(D(80), None, D(1)))
    assert band_problems(ok, Direction.HIGHER) == []
    gap = (Band(None, D(60), D(0)), Band(D(65), None, D(1)))
    assert band_problems(gap, Direction.HIGHER) == ["第 1 档与第 2 档之间有空档"]
    overlap = (Band(None, D(70), D(0)), Band(D(65), None, D(1)))
    assert band_problems(overlap, Direction.HIGHER) == ["第 1 档与第 2 档重叠"]
    assert band_problems(ok, Direction.LOWER) != []  # ratios rise although lower is better
    assert band_problems((), Direction.HIGHER) == ["分档评分至少需要一个档次"]
    inverted = (Band(D(80), D(60), D(1)),)
    assert band_problems(inverted, Direction.HIGHER) == ["第 1 档的下限必须小于上限"]
    too_rich = (Band(None, None, D("1.5")),)
    assert band_problems(too_rich, Direction.HIGHER) == ["第 1 档的得分比例必须在 0 到 1 之间"]


def test_banded_indicator_reports_band_problems_on_bands_field():
    ind = replace(LIBRARY["COM-LIAN"], bands=(Band(None, D(90), D(0)), Band(D(95), None, D(1))))
    assert fields(ind) == ["bands"]


def test_minimal_custom_definition():
    ind = IndicatorDefinition(
        code="X", name="x", kind=Kind.INDIVIDUAL, nature=Nature.QUANTITATIVE,
        method=Method.RATIO, direction=Direction.HIGHER, target=D(10),
    )  # fmt: skip
    assert validate_indicator(ind) == []
    assert ind.applies_to("anything")
    assert not replace(ind, categories=frozenset({"hr"})).applies_to("finance")
