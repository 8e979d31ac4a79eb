"""Quarterly review (季度反馈): a letter line's value to date against its pro-rated target. Pure.

Decisions (a successor should not have to guess them):
- **Which lines**: quantitative lines only; qualitative (行为锚定, unit 级, no target) lines are
  skipped — they have no quarterly figure.
- **Cumulative or rate**: a line *accumulates* over the year when its unit counts or sums
  something (`CUMULATIVE_UNITS`: 次, 件, 项, 个, 人, 人次, 天, 元, 万元 …) or when its name says it
  is a progress percentage (`进度`). Everything else — percentages, hours, scores, unknown
  units — is a *rate*: it is meaningful at any moment of the year.
- **Value to date** of quarter q (from the periods `YYYY-MM`, `YYYY-Qn`, `YYYY`):
  cumulative: the sum over quarters 1..q of the quarter's own value when it has one, else the
  sum of its months' values; a rate: the value of the latest period ending by the end of
  quarter q (a quarter's value wins over its last month's). In quarter 4 the year's own value
  (`YYYY`), when there is one, is the value to date. No value at all: None.
- **Expected to date**: cumulative lines pro-rate the annual target, T x q / 4 (a target of
  120 件 expects 30 after Q1, 60 after Q2); rates and progress-free percentages are compared
  to the annual target directly.
- **Lagging**: higher is better: actual < expected; lower is better: actual > expected; on
  target: |actual - expected| > the indicator's tolerance. A line with no value to date is
  lagging too (reason `no_data`): the leader asks why nothing was reported.
- **Quarterly rating**: cumulative values are projected to the year (actual x 4 / q) and
  scored with the line's own method; a rate is scored as it is. The quarter's score is the
  points of the scored (quantitative) lines over their weights, x 100, rounded once; a line
  without a value scores 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.rules.indicators import Direction, IndicatorDefinition, Method, Nature
from app.rules.numbers import HUNDRED, ZERO, rounded
from app.rules.scoring import line_points_exact

QUARTERS = (1, 2, 3, 4)
CUMULATIVE_UNITS = frozenset(
    {"次", "件", "项", "个", "人", "人次", "天", "元", "万元", "亿元", "份", "篇", "场", "户"}
)
PROGRESS_MARKERS = ("进度",)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def accumulates(definition: IndicatorDefinition) -> bool:
    """Whether the line's figure grows through the year (see the module docstring)."""
    return adds_up(definition.unit, definition.name)


def adds_up(unit: str | None, name: str) -> bool:
    """`accumulates` for any line: by its unit and its name."""
    if (unit or "").strip() in CUMULATIVE_UNITS:
        return True
    return any(marker in name for marker in PROGRESS_MARKERS)


def is_quantitative(definition: IndicatorDefinition) -> bool:
    return (
        definition.nature is Nature.QUANTITATIVE
        and definition.method is not Method.BARS
        and definition.target is not None
    )


def _check_quarter(quarter: int) -> None:
    if not isinstance(quarter, int) or isinstance(quarter, bool) or quarter not in QUARTERS:
        raise ValueError(f"quarter must be 1..4, not {quarter!r}")


def _periods(values: Mapping[str, Decimal], year: int) -> tuple[dict, dict]:
    months: dict[int, Decimal] = {}
    quarters: dict[int, Decimal] = {}
    for key, value in values.items():
        if (m := _MONTH.match(key)) and int(m[1]) == year and 1 <= int(m[2]) <= 12:
            months[int(m[2])] = value
        elif (q := _QUARTER.match(key)) and int(q[1]) == year:
            quarters[int(q[2])] = value
    return months, quarters


def value_to_date(
    values: Mapping[str, Decimal], year: int, quarter: int, cumulative: bool
) -> Decimal | None:
    """The line's value at the end of `quarter` from its values by period key."""
    _check_quarter(quarter)
    if quarter == 4 and str(year) in values:
        return values[str(year)]
    months, quarters = _periods(values, year)
    if cumulative:
        total, found = ZERO, False
        for q in range(1, quarter + 1):
            if q in quarters:
                total += quarters[q]
                found = True
                continue
            for month in range(3 * q - 2, 3 * q + 1):
                if month in months:
                    total += months[month]
                    found = True
        return total if found else None
    # a rate: the latest period; at the same end, the quarter's value over its last month's
    for q in range(quarter, 0, -1):
        if q in quarters:
            return quarters[q]
        for month in range(3 * q, 3 * q - 3, -1):
            if month in months:
                return months[month]
    return None


def year_value(values: Mapping[str, Decimal], year: int, cumulative: bool) -> Decimal | None:
    """The year's figure: the year's own value, else what the months and quarters add up to."""
    return value_to_date(values, year, 4, cumulative)


def expected_to_date(target: Decimal, quarter: int, cumulative: bool) -> Decimal:
    _check_quarter(quarter)
    return target * quarter / 4 if cumulative else target


def is_lagging(
    actual: Decimal, expected: Decimal, direction: Direction, tolerance: Decimal = ZERO
) -> bool:
    if direction is Direction.HIGHER:
        return actual < expected
    if direction is Direction.LOWER:
        return actual > expected
    return abs(actual - expected) > tolerance


@dataclass(frozen=True)
class LineCheck:
    key: str  # the caller's id of the line
    actual: Decimal | None
    expected: Decimal
    lagging: bool
    reason: str  # behind | no_data | ok


def check_line(
    key: str,
    definition: IndicatorDefinition,
    values: Mapping[str, Decimal],
    year: int,
    quarter: int,
) -> LineCheck | None:
    """The quarter's check of one line; None for a line that is not checked (qualitative)."""
    if not is_quantitative(definition):
        return None
    cumulative = accumulates(definition)
    expected = expected_to_date(definition.target, quarter, cumulative)
    actual = value_to_date(values, year, quarter, cumulative)
    if actual is None:
        return LineCheck(key, None, expected, True, "no_data")
    behind = is_lagging(actual, expected, definition.direction, definition.tolerance)
    return LineCheck(key, actual, expected, behind, "behind" if behind else "ok")


@dataclass(frozen=True)
class RatedLine:
    definition: IndicatorDefinition
    weight: Decimal
    values: Mapping[str, Decimal]


def quarter_score(lines: Sequence[RatedLine], year: int, quarter: int) -> Decimal | None:
    """The quarter's score 0..100 (times the caps) over its quantitative lines; None when the
    letter has none."""
    _check_quarter(quarter)
    points, weights = ZERO, ZERO
    for line in lines:
        if not is_quantitative(line.definition):
            continue
        weights += line.weight
        cumulative = accumulates(line.definition)
        actual = value_to_date(line.values, year, quarter, cumulative)
        if actual is None:
            continue
        measurement = actual * 4 / quarter if cumulative else actual
        points += line_points_exact(line.definition, line.weight, measurement)
    if weights == 0:
        return None
    return rounded(points * HUNDRED / weights)
