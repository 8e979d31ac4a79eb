"""Spot-check findings and other confirmed deductions (扣分), applied to a line or to the total.

Decisions:
- Only *confirmed* deductions count (a finding under rectification or appeal does not); the
  others are returned as skipped, with the reason, so nothing disappears silently.
- Scope is configured per campaign: `INDICATOR` applies a deduction that names an indicator to
  that line, floored at 0 — a line never goes negative, and the excess is NOT carried over to
  the total (the finding's weight is bounded by the line it concerns). Deductions naming no
  indicator, and every deduction under scope `TOTAL`, are summed into `total`, which the final
  score subtracts (`app.rules.aggregation.final_score`).
- A deduction naming an indicator that is not on the letter is a caller error (ValueError).
- Returned figures are rounded once (`app.rules.numbers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.rules.numbers import ZERO, rounded


class DeductionScope(StrEnum):
    INDICATOR = "indicator"
    TOTAL = "total"


@dataclass(frozen=True)
class Deduction:
    points: Decimal
    reason: str
    indicator: str | None = None  # indicator code, or None for the total
    confirmed: bool = True
    source: str = "spot_check"
    params: Mapping[str, Any] | None = None  # what `reason` names (app.services.score_texts)


@dataclass(frozen=True)
class DeductionResult:
    lines: dict[str, Decimal]  # line points after indicator-level deductions
    total: Decimal  # points to subtract from the final score
    applied: tuple[Deduction, ...]
    skipped: tuple[tuple[Deduction, str], ...]


def apply_deductions(
    line_points: Mapping[str, Decimal],
    deductions: Sequence[Deduction],
    scope: DeductionScope = DeductionScope.INDICATOR,
) -> DeductionResult:
    """Line points (by indicator code) and deductions -> adjusted lines and a total deduction."""
    lines = dict(line_points)
    total = ZERO
    applied: list[Deduction] = []
    skipped: list[tuple[Deduction, str]] = []
    for d in deductions:
        if d.points < 0:
            raise ValueError(f"a deduction cannot be negative: {d.reason}")
        if not d.confirmed:
            skipped.append((d, "未确认的扣分不计入"))
            continue
        if scope is DeductionScope.INDICATOR and d.indicator is not None:
            if d.indicator not in lines:
                raise ValueError(f"deduction names an indicator not on the letter: {d.indicator}")
            lines[d.indicator] = max(ZERO, lines[d.indicator] - d.points)
        else:
            total += d.points
        applied.append(d)
    return DeductionResult(
        lines={code: rounded(p) for code, p in lines.items()},
        total=rounded(total),
        applied=tuple(applied),
        skipped=tuple(skipped),
    )
