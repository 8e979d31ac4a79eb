"""The one rounding rule of the domain core, and strict conversion to Decimal.

Rounding rule (applies to every module under `app.rules`):
    every figure a public function returns (points, scores, shares, coefficients) is rounded
    ONCE, at the end, to 2 decimal places with ROUND_HALF_UP (0.125 -> 0.13, 0.124 -> 0.12).
    Intermediate values stay exact Decimals (28 significant digits); a result is never computed
    from already-rounded intermediates, so rounding errors cannot accumulate.

Floats are refused: 0.1 + 0.2 != 0.3 in binary, and a weight total of 99.99999999 must not
pass as 100. Callers pass Decimal, int or a numeric string.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PLACES = Decimal("0.01")
ROUNDING = ROUND_HALF_UP
ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")


def rounded(value: Decimal) -> Decimal:
    """The domain rounding rule: 2 places, ROUND_HALF_UP."""
    return value.quantize(PLACES, rounding=ROUNDING)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """A finite Decimal from Decimal, int or numeric str; TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{field} must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{field} is not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{field} must be finite: {value!r}")
    return result


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))
