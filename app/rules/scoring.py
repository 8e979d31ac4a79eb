"""Scoring methods: how one measurement becomes the points of one letter line.

Each method first computes an exact *ratio* r of the line's weight w (1 = full marks), clamped
to [0, cap]; the public `*_points` functions return w x r rounded once (see `app.rules.numbers`).
`score_line` dispatches on an `IndicatorDefinition`'s method and subtracts confirmed
indicator-level deductions before its single rounding.

Formulas (a = actual value, T = target, H = threshold, i.e. the value that scores 0):
- linear, higher is better:   r = (a - H) / (T - H)          clamped to [0, cap]
- linear, lower is better:    r = (H - a) / (H - T)          clamped to [0, cap]
  e.g. 差错率 T = 0.5, H = 1.0: a ≤ 0.5 -> 1, a = 0.75 -> 0.5, a ≥ 1.0 -> 0.
  With cap > 1 the same slope continues past the target until the cap.
- on target:  d = |a - T|;  r = 1 if d ≤ tol;  0 if d ≥ Z;  else (Z - d) / (Z - tol),
  where Z = |H - T| is the distance that scores 0.
- banded:     r = ratio of the band [lower, upper) containing a; 0 when no band contains a.
- deduction:  points = max(floor, w - per_unit x units), never above w nor below 0.
- BARS:       r = the ratio anchored to the level (1..5).
- achievement ratio, higher:  r = a / T;  lower:  r = T / a (a ≤ 0 -> cap);  clamped to [0, cap].
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.rules.indicators import Band, BarsLevel, Direction, IndicatorDefinition, Method
from app.rules.numbers import ONE, ZERO, clamp, rounded


def linear_ratio(
    actual: Decimal,
    *,
    direction: Direction,
    target: Decimal,
    threshold: Decimal,
    cap: Decimal = ONE,
) -> Decimal:
    if direction is Direction.HIGHER:
        if threshold >= target:
            raise ValueError("higher is better: threshold must be below target")
        raw = (actual - threshold) / (target - threshold)
    elif direction is Direction.LOWER:
        if threshold <= target:
            raise ValueError("lower is better: threshold must be above target")
        raw = (threshold - actual) / (threshold - target)
    else:
        raise ValueError("linear scoring needs direction higher or lower")
    return clamp(raw, ZERO, cap)


def linear_points(
    actual: Decimal,
    *,
    direction: Direction,
    target: Decimal,
    threshold: Decimal,
    weight: Decimal,
    cap: Decimal = ONE,
) -> Decimal:
    """Linear interpolation between threshold (0 points) and target (full weight), capped."""
    ratio = linear_ratio(actual, direction=direction, target=target, threshold=threshold, cap=cap)
    return rounded(weight * ratio)


def on_target_ratio(
    actual: Decimal, *, target: Decimal, tolerance: Decimal, zero_distance: Decimal
) -> Decimal:
    if tolerance < 0 or zero_distance <= tolerance:
        raise ValueError("need 0 ≤ tolerance < zero_distance")
    distance = abs(actual - target)
    if distance <= tolerance:
        return ONE
    return clamp((zero_distance - distance) / (zero_distance - tolerance), ZERO, ONE)


def on_target_points(
    actual: Decimal,
    *,
    target: Decimal,
    tolerance: Decimal,
    zero_distance: Decimal,
    weight: Decimal,
) -> Decimal:
    """Full weight within `tolerance` of the target, falling linearly to 0 at `zero_distance`."""
    ratio = on_target_ratio(actual, target=target, tolerance=tolerance, zero_distance=zero_distance)
    return rounded(weight * ratio)


def banded_ratio(actual: Decimal, bands: Sequence[Band]) -> Decimal:
    for band in bands:
        above_lower = band.lower is None or actual >= band.lower
        below_upper = band.upper is None or actual < band.upper
        if above_lower and below_upper:
            return band.ratio
    return ZERO


def banded_points(actual: Decimal, *, bands: Sequence[Band], weight: Decimal) -> Decimal:
    """The ratio of the band containing the value, times the weight. Validate bands first with
    `app.rules.indicators.band_problems` (gaps and overlaps are rejected there)."""
    return rounded(weight * banded_ratio(actual, bands))


def deduction_points(
    units: Decimal, *, per_unit: Decimal, weight: Decimal, floor: Decimal = ZERO
) -> Decimal:
    """Full weight minus `per_unit` points per unit (missed instruction, day late), not below
    `floor`; negative unit counts are refused."""
    if units < 0:
        raise ValueError("units cannot be negative")
    return rounded(_deduction_exact(units, per_unit=per_unit, weight=weight, floor=floor))


def _deduction_exact(units: Decimal, *, per_unit: Decimal, weight: Decimal, floor: Decimal):
    return clamp(max(floor, weight - per_unit * units), ZERO, weight)


def bars_ratio(level: int, anchors: Sequence[BarsLevel]) -> Decimal:
    for anchor in anchors:
        if anchor.level == level and not isinstance(level, bool):
            return anchor.ratio
    raise ValueError(f"no anchored level {level!r}")


def bars_points(level: int, *, anchors: Sequence[BarsLevel], weight: Decimal) -> Decimal:
    """The ratio anchored to the chosen level (行为锚定), times the weight."""
    return rounded(weight * bars_ratio(level, anchors))


def achievement_ratio(
    actual: Decimal, *, direction: Direction, target: Decimal, cap: Decimal = ONE
) -> Decimal:
    if target <= 0:
        raise ValueError("achievement ratio needs a positive target")
    if direction is Direction.HIGHER:
        raw = actual / target
    elif direction is Direction.LOWER:
        raw = cap if actual <= 0 else target / actual
    else:
        raise ValueError("achievement ratio needs direction higher or lower")
    return clamp(raw, ZERO, cap)


def achievement_points(
    actual: Decimal,
    *,
    direction: Direction,
    target: Decimal,
    weight: Decimal,
    cap: Decimal = ONE,
) -> Decimal:
    """Achievement ratio (actual / target, or target / actual when lower is better), capped."""
    return rounded(weight * achievement_ratio(actual, direction=direction, target=target, cap=cap))


def line_points_exact(
    indicator: IndicatorDefinition, weight: Decimal, measurement: Decimal | int
) -> Decimal:
    """Unrounded points of one line; `measurement` is the actual value, the number of units
    (deduction) or the level 1..5 (BARS)."""
    ind = indicator
    if ind.method is Method.BARS:
        if not isinstance(measurement, int) or isinstance(measurement, bool):
            raise TypeError("a BARS indicator is scored with an int level 1..5")
        return weight * bars_ratio(measurement, ind.anchors)
    if not isinstance(measurement, Decimal) or not measurement.is_finite():
        raise TypeError("a quantitative measurement must be a finite Decimal")
    if ind.method is Method.LINEAR:
        return weight * linear_ratio(
            measurement,
            direction=ind.direction,
            target=_required(ind.target),
            threshold=_required(ind.threshold),
            cap=ind.cap,
        )
    if ind.method is Method.ON_TARGET:
        target = _required(ind.target)
        return weight * on_target_ratio(
            measurement,
            target=target,
            tolerance=ind.tolerance,
            zero_distance=abs(_required(ind.threshold) - target),
        )
    if ind.method is Method.BANDED:
        return weight * banded_ratio(measurement, ind.bands)
    if ind.method is Method.DEDUCTION:
        if measurement < 0:
            raise ValueError("units cannot be negative")
        return _deduction_exact(
            measurement, per_unit=_required(ind.per_unit), weight=weight, floor=ind.floor
        )
    return weight * achievement_ratio(
        measurement, direction=ind.direction, target=_required(ind.target), cap=ind.cap
    )


def score_line(
    indicator: IndicatorDefinition, weight: Decimal, measurement: Decimal | int
) -> Decimal:
    """Points of one letter line, rounded once."""
    return rounded(line_points_exact(indicator, weight, measurement))


def _required(value: Decimal | None) -> Decimal:
    if value is None:
        raise ValueError("the indicator definition lacks a parameter its method needs")
    return value
