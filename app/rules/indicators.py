"""Indicator definitions (指标) and the validation of a definition on its own.

An indicator says what is measured and how a measurement becomes a score; its *weight* belongs
to a responsibility-letter line (`app.rules.letter_policy.LetterLine`), not to the indicator,
because the same library indicator carries different weights in different letters.

Decisions a successor needs:
- Scores are computed as a *ratio of the line's weight* (1 = full marks). `cap` is the highest
  ratio an indicator can earn (default 1; e.g. 1.2 lets over-achievement earn 120 % of the
  weight). Band ratios and BARS anchor ratios are ratios too, so they stay right when a letter
  changes the weight. Only the deduction method speaks in absolute points (每次扣 0.5 分).
- `threshold` is the value at which the score reaches 0 (差错率 target 0.5 %, threshold 1.0 %:
  1.0 % scores 0). For on-target indicators the zero point is the distance |threshold - target|
  on either side.
- `categories` empty means the indicator applies to every function category.
- `tags` mark what category rules look at: `economic` (经济指标) and `satisfaction` (服务满意度).
- `validate_indicator` returns every problem at once, never stops at the first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.i18n import Message
from app.rules.numbers import ONE, ZERO

BARS_LEVELS = 5
MAX_CAP = Decimal("2")


class Kind(StrEnum):
    COMMON = "common"  # 共性指标
    INDIVIDUAL = "individual"  # 个性指标
    DYNAMIC = "dynamic"  # 动态指标


class Dimension(StrEnum):
    """The five dimensions of common indicators: 德 能 勤 绩 廉."""

    INTEGRITY = "integrity"  # 德
    COMPETENCE = "competence"  # 能
    DILIGENCE = "diligence"  # 勤
    ACHIEVEMENT = "achievement"  # 绩
    PROBITY = "probity"  # 廉


class Nature(StrEnum):
    QUANTITATIVE = "quantitative"  # 定量
    QUALITATIVE = "qualitative"  # 定性 (scored on BARS)


class Direction(StrEnum):
    HIGHER = "higher"  # ≥, higher is better
    LOWER = "lower"  # ≤, lower is better
    TARGET = "target"  # =, on target is best


class Method(StrEnum):
    LINEAR = "linear"  # interpolate between threshold and target
    ON_TARGET = "on_target"  # distance from target, with a tolerance
    BANDED = "banded"  # value ranges -> fixed ratios
    DEDUCTION = "deduction"  # points off per unit (per missed instruction, per day late)
    BARS = "bars"  # 行为锚定: level 1..5 -> anchored ratio
    RATIO = "ratio"  # achievement ratio actual / target, capped


class FunctionCategory(StrEnum):
    """Known function categories (职能类别); the set is open, any code string works."""

    FINANCE = "finance"
    INSPECTION = "inspection"
    HR = "hr"
    ADMIN_SUPPORT = "admin_support"
    PETITION = "petition"


class Tag(StrEnum):
    ECONOMIC = "economic"
    SATISFACTION = "satisfaction"


@dataclass(frozen=True)
class Band:
    """Half-open value range [lower, upper) scoring `ratio`; None is unbounded."""

    lower: Decimal | None
    upper: Decimal | None
    ratio: Decimal


@dataclass(frozen=True)
class BarsLevel:
    """One of the five behaviourally anchored levels (行为锚定), 1 = worst, 5 = best."""

    level: int
    description: str
    ratio: Decimal


@dataclass(frozen=True)
class IndicatorDefinition:
    code: str
    name: str
    kind: Kind
    nature: Nature
    method: Method
    direction: Direction
    unit: str = ""
    name_en: str = ""
    dimension: Dimension | None = None
    categories: frozenset[str] = frozenset()
    target: Decimal | None = None
    threshold: Decimal | None = None
    cap: Decimal = ONE
    tolerance: Decimal = ZERO
    bands: tuple[Band, ...] = ()
    per_unit: Decimal | None = None
    floor: Decimal = ZERO
    anchors: tuple[BarsLevel, ...] = ()
    data_source: str = ""
    evidence: str = ""
    tags: frozenset[str] = frozenset()

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def validate_indicator(ind: IndicatorDefinition) -> list[Problem]:
    """Every problem of one definition; an empty list means it can be used in a letter."""
    problems: list[Problem] = []

    def add(field: str, message: str) -> None:
        problems.append(Problem(field, message))

    for field in ("target", "threshold", "cap", "tolerance", "per_unit", "floor"):
        value = getattr(ind, field)
        if value is not None and (not isinstance(value, Decimal) or not value.is_finite()):
            add(field, Message("必须是有限的 Decimal 数值"))
    if problems:
        return problems  # the checks below compare numbers
    if not ind.code.strip():
        add("code", Message("指标编码不能为空"))
    if not ind.name.strip():
        add("name", Message("指标名称不能为空"))
    if ind.kind is Kind.COMMON and ind.dimension is None:
        add("dimension", Message("共性指标必须属于德、能、勤、绩、廉之一"))
    if ind.kind is not Kind.COMMON and ind.dimension is not None:
        add("dimension", Message("只有共性指标有维度"))
    if not ONE <= ind.cap <= MAX_CAP:
        add("cap", Message("封顶系数必须在 1 到 %(cap)s 之间", cap=MAX_CAP))
    if (ind.nature is Nature.QUALITATIVE) != (ind.method is Method.BARS):
        add("method", Message("定性指标必须且只能用行为锚定法评分"))
    if ind.method is not Method.BARS and ind.anchors:
        add("anchors", Message("只有行为锚定法的指标有锚定等级"))
    problems.extend(_METHOD_CHECKS[ind.method](ind))
    return problems


def _check_linear(ind: IndicatorDefinition) -> list[Problem]:
    if ind.direction is Direction.TARGET:
        return [
            Problem(
                "direction", Message("线性插值只用于越高越好或越低越好，目标值型请用 on_target")
            )
        ]
    if ind.target is None or ind.threshold is None:
        return [Problem("threshold", Message("线性插值需要目标值和门槛值"))]
    return _threshold_side(ind.direction, ind.target, ind.threshold)


def _threshold_side(direction: Direction, target: Decimal, threshold: Decimal) -> list[Problem]:
    if direction is Direction.HIGHER and threshold >= target:
        return [Problem("threshold", Message("越高越好的指标，门槛值必须低于目标值"))]
    if direction is Direction.LOWER and threshold <= target:
        return [Problem("threshold", Message("越低越好的指标，门槛值必须高于目标值"))]
    return []


def _check_on_target(ind: IndicatorDefinition) -> list[Problem]:
    problems = []
    if ind.direction is not Direction.TARGET:
        problems.append(Problem("direction", Message("目标值型评分的方向必须是“等于目标”")))
    if ind.tolerance < 0:
        problems.append(Problem("tolerance", Message("容差不能为负")))
    if ind.target is None or ind.threshold is None:
        problems.append(Problem("threshold", Message("目标值型评分需要目标值和门槛值")))
    elif abs(ind.threshold - ind.target) <= ind.tolerance:
        problems.append(Problem("threshold", Message("门槛值与目标值的距离必须大于容差")))
    return problems


def _check_banded(ind: IndicatorDefinition) -> list[Problem]:
    problems = [Problem("bands", m) for m in band_problems(ind.bands, ind.direction, ind.cap)]
    return problems


def band_problems(bands: tuple[Band, ...], direction: Direction, cap: Decimal = ONE) -> list[str]:
    """Bands must be listed in ascending order, contiguous (no gaps, no overlaps), with ratios
    in [0, cap] that never get worse in the indicator's direction."""
    if not bands:
        return [Message("分档评分至少需要一个档次")]
    problems = []
    for i, band in enumerate(bands):
        if not ZERO <= band.ratio <= cap:
            problems.append(
                Message("第 %(n)s 档的得分比例必须在 0 到 %(cap)s 之间", n=i + 1, cap=cap)
            )
        if band.lower is not None and band.upper is not None and band.lower >= band.upper:
            problems.append(Message("第 %(n)s 档的下限必须小于上限", n=i + 1))
        if band.lower is None and i > 0:
            problems.append(Message("只有第一档可以没有下限（第 %(n)s 档）", n=i + 1))
        if band.upper is None and i < len(bands) - 1:
            problems.append(Message("只有最后一档可以没有上限（第 %(n)s 档）", n=i + 1))
    for i, (low, high) in enumerate(itertools.pairwise(bands)):
        if low.upper is None or high.lower is None:
            continue
        if low.upper < high.lower:
            problems.append(Message("第 %(n)s 档与第 %(next)s 档之间有空档", n=i + 1, next=i + 2))
        elif low.upper > high.lower:
            problems.append(Message("第 %(n)s 档与第 %(next)s 档重叠", n=i + 1, next=i + 2))
        if direction is Direction.HIGHER and high.ratio < low.ratio:
            problems.append(
                Message(
                    "越高越好的指标，第 %(next)s 档得分不能低于第 %(n)s 档", n=i + 1, next=i + 2
                )
            )
        if direction is Direction.LOWER and high.ratio > low.ratio:
            problems.append(
                Message(
                    "越低越好的指标，第 %(next)s 档得分不能高于第 %(n)s 档", n=i + 1, next=i + 2
                )
            )
    return problems


def _check_deduction(ind: IndicatorDefinition) -> list[Problem]:
    problems = []
    if ind.direction is not Direction.LOWER:
        problems.append(
            Problem("direction", Message("扣分制指标的方向必须是越低越好（次数越少越好）"))
        )
    if ind.per_unit is None or ind.per_unit <= 0:
        problems.append(Problem("per_unit", Message("扣分制指标必须有大于 0 的单位扣分")))
    if ind.floor < 0:
        problems.append(Problem("floor", Message("保底分不能为负")))
    return problems


def _check_bars(ind: IndicatorDefinition) -> list[Problem]:
    levels = sorted(ind.anchors, key=lambda a: a.level)
    if [a.level for a in levels] != list(range(1, BARS_LEVELS + 1)):
        return [Problem("anchors", Message("定性指标必须有 1 到 5 五个行为锚定等级，各一个"))]
    problems = []
    for anchor in levels:
        if not anchor.description.strip():
            problems.append(
                Problem("anchors", Message("第 %(level)s 级缺少行为描述", level=anchor.level))
            )
        if not ZERO <= anchor.ratio <= ind.cap:
            problems.append(
                Problem(
                    "anchors",
                    Message("第 %(level)s 级得分比例超出 0 到封顶范围", level=anchor.level),
                )
            )
    if any(b.ratio <= a.ratio for a, b in itertools.pairwise(levels)):
        problems.append(Problem("anchors", Message("锚定等级越高，得分比例必须越高")))
    return problems


def _check_ratio(ind: IndicatorDefinition) -> list[Problem]:
    problems = []
    if ind.direction is Direction.TARGET:
        problems.append(Problem("direction", Message("达成率评分的方向必须是越高越好或越低越好")))
    if ind.target is None or ind.target <= 0:
        problems.append(Problem("target", Message("达成率评分需要大于 0 的目标值")))
    return problems


_METHOD_CHECKS = {
    Method.LINEAR: _check_linear,
    Method.ON_TARGET: _check_on_target,
    Method.BANDED: _check_banded,
    Method.DEDUCTION: _check_deduction,
    Method.BARS: _check_bars,
    Method.RATIO: _check_ratio,
}
