"""Periods and values of actuals (app.rules.actuals), without a database."""

from decimal import Decimal

import pytest

from app.rules.actuals import parse_period, parse_value


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-03", "2026-03"),
        ("2026-3", "2026-03"),
        ("2026/03", "2026-03"),
        ("202603", "2026-03"),
        ("2026年3月", "2026-03"),
        ("2026-03-01 00:00:00", "2026-03"),
        ("2026-Q1", "2026-Q1"),
        ("2026q4", "2026-Q4"),
        ("2026年第2季度", "2026-Q2"),
        ("2026", "2026"),
        ("2026年", "2026"),
        (2026, "2026"),
    ],
)
def test_periods_are_normalised(text, key):
    assert parse_period(text).key == key


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "1999-01", "2101", "abc", "", "2026-03-02", None, 1.5]
)
def test_bad_periods_are_none(text):
    assert parse_period(text) is None


@pytest.mark.parametrize(
    ("raw", "unit", "value"),
    [
        ("96.5", "%", Decimal("96.5")),
        ("96.5%", "", Decimal("96.5")),
        ("1,234", "元", Decimal(1234)),
        (66.66666666666667, "%", Decimal("66.6667")),
        (3, "级", Decimal(3)),
        (Decimal("0"), "次", Decimal(0)),
    ],
)
def test_values_are_decimals_rounded_to_four_places(raw, unit, value):
    assert parse_value(raw, unit) == (value, None)


@pytest.mark.parametrize(
    ("raw", "unit", "message"),
    [
        ("abc", "", "数字"),
        ("NaN", "", "数字"),
        ("Infinity", "", "数字"),
        (True, "", "数字"),
        (None, "", "数字"),
        ("-0.5", "", "负数"),
        ("1e400", "", "不能大于"),
        ("100.01", "%", "百分比"),
        ("6", "级", "1至5"),
        ("2.5", "级", "1至5"),
    ],
)
def test_bad_values_say_why(raw, unit, message):
    value, problem = parse_value(raw, unit)
    assert value is None and message in problem
