"""The single rounding rule and strict Decimal conversion."""

from decimal import Decimal as D

import pytest

from app.rules.numbers import rounded, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.125", "0.13"), ("0.124", "0.12"), ("2.675", "2.68"), ("-0.125", "-0.13"), ("7", "7.00")],
)
def test_round_half_up_to_two_places(value, expected):
    assert str(rounded(D(value))) == expected


def test_to_decimal_accepts_decimal_int_and_numeric_strings():
    assert to_decimal("0.5") == D("0.5") and to_decimal(3) == D(3) and to_decimal(D(1)) == D(1)


@pytest.mark.parametrize(("value", "error"), [(0.5, TypeError), (True, TypeError),
                         (None, TypeError), ("abc", ValueError), ("NaN", ValueError),
                         ("Infinity", ValueError)])  # fmt: skip
def test_to_decimal_refuses_floats_bools_and_non_finite(value, error):
    with pytest.raises(error):
        to_decimal(value, "weight")
