"""Year-end data verification (数据核验): reported against pulled figures, and which value a line
is scored from. Pure.

Decisions:
- **Tolerance**: two figures of a line differ when |reported - pulled| > max(0.01, 0.01 % of
  |pulled|). 0.01 absorbs systems that keep two decimals against our four (95.2 % against
  95.2049 %) and is what counts for every figure up to 100 (rates, counts, levels); the
  relative part only matters for large amounts, where it keeps rounding (1,000,000 元 against
  1,000,099 元) off the assessment group's desk. Anything larger is a difference to decide.
- **Only where both exist**: a line with only a reported or only a pulled figure has nothing
  to verify against.
- **The value scored** (`scored_value`): the group's accepted value when a difference was
  decided; else the pulled/imported figure; else the reported one; else nothing (the line
  scores 0 and the result says so).
"""

from __future__ import annotations

from decimal import Decimal

ABSOLUTE_TOLERANCE = Decimal("0.01")
RELATIVE_TOLERANCE = Decimal("0.0001")
ACCEPTED = ("reported", "pulled", "other")


def tolerance(pulled: Decimal) -> Decimal:
    return max(ABSOLUTE_TOLERANCE, abs(pulled) * RELATIVE_TOLERANCE)


def differs(reported: Decimal, pulled: Decimal) -> bool:
    return abs(reported - pulled) > tolerance(pulled)


def scored_value(
    accepted: Decimal | None, pulled: Decimal | None, reported: Decimal | None
) -> tuple[Decimal | None, str]:
    """(value, where it came from: verified | pulled | reported | missing)."""
    if accepted is not None:
        return accepted, "verified"
    if pulled is not None:
        return pulled, "pulled"
    if reported is not None:
        return reported, "reported"
    return None, "missing"
