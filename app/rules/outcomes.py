"""Results application (结果应用): bonus, reserve cadre pool, improvement plan, head deduction.

Decisions (all in `OutcomePolicy`, per campaign):
- Bonus coefficient = 1 + rate of the grade. 优秀's rate must lie within 10–20 % (seed:
  上浮10%-20%); default 15 %. Other grades default to 0 (coefficient 1.00).
- Reserve cadre pool (后备干部库): 优秀 in each of the last `reserve_years` (default 3)
  consecutive years, the current year included; a missing year breaks the run.
- Improvement plan (脱产培训 + 岗位调整) for the bottom-ranked: the last `bottom_count` (default
  1) of the ranking, or `bottom_share` % of those assessed (floor) when set, never the whole
  field — at most n − 1 — and never anyone ranked above the bottom. The ranking is
  `app.rules.grading.rank_key` (score, indicator score, fewer deductions, code), so ties are
  broken deterministically. Every department graded 不称职 gets one too, wherever it ranks:
  a failing grade is never left without a plan because others failed worse.
- A department scoring under `head_threshold` (default 80) costs its head `head_deduction`
  points (default 2) on the head's own appraisal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from app.rules.grading import Candidate, Grade, rank_key
from app.rules.numbers import HUNDRED, ONE, ZERO, rounded

EXCELLENT_BONUS_RANGE = (Decimal("0.10"), Decimal("0.20"))
IMPROVEMENT_MEASURES = ("脱产培训", "岗位调整")


def _default_bonus() -> Mapping[Grade, Decimal]:
    return MappingProxyType({Grade.EXCELLENT: Decimal("0.15")})


@dataclass(frozen=True)
class OutcomePolicy:
    bonus_rate: Mapping[Grade, Decimal] = field(default_factory=_default_bonus)
    reserve_years: int = 3
    bottom_count: int = 1
    bottom_share: Decimal | None = None  # percent; replaces bottom_count when set
    head_threshold: Decimal = Decimal(80)
    head_deduction: Decimal = Decimal(2)

    def __post_init__(self) -> None:
        low, high = EXCELLENT_BONUS_RANGE
        if not low <= self.bonus_rate.get(Grade.EXCELLENT, ZERO) <= high:
            raise ValueError("优秀 bonus rate must be within 10–20 %")
        if any(rate < 0 for rate in self.bonus_rate.values()):
            raise ValueError("bonus rates cannot be negative")
        if self.reserve_years < 1 or self.bottom_count < 0 or self.head_deduction < 0:
            raise ValueError("reserve_years ≥ 1, bottom_count ≥ 0, head_deduction ≥ 0")
        if self.bottom_share is not None and not ZERO <= self.bottom_share <= HUNDRED:
            raise ValueError("bottom_share is a percentage 0..100")


def bonus_coefficient(grade: Grade, policy: OutcomePolicy | None = None) -> Decimal:
    policy = policy or OutcomePolicy()
    return rounded(ONE + policy.bonus_rate.get(grade, ZERO))


def enters_reserve_pool(
    grades_by_year: Mapping[int, Grade], year: int, policy: OutcomePolicy | None = None
) -> bool:
    """优秀 in `year` and each of the `reserve_years - 1` years before it."""
    policy = policy or OutcomePolicy()
    years = range(year - policy.reserve_years + 1, year + 1)
    return all(grades_by_year.get(y) is Grade.EXCELLENT for y in years)


def bottom_ranked(
    candidates: Sequence[Candidate], policy: OutcomePolicy | None = None
) -> tuple[str, ...]:
    """Codes of the candidates who get an improvement plan, worst first."""
    policy = policy or OutcomePolicy()
    n = len(candidates)
    if policy.bottom_share is not None:
        size = int(Decimal(n) * policy.bottom_share / HUNDRED)  # floor for n ≥ 0
    else:
        size = policy.bottom_count
    size = max(0, min(size, n - 1))
    ranked = sorted(candidates, key=rank_key)
    return tuple(c.code for c in reversed(ranked[n - size :])) if size else ()


def head_deduction(department_score: Decimal, policy: OutcomePolicy | None = None) -> Decimal:
    policy = policy or OutcomePolicy()
    return rounded(policy.head_deduction if department_score < policy.head_threshold else ZERO)


@dataclass(frozen=True)
class Outcome:
    code: str
    grade: Grade
    bonus_coefficient: Decimal
    reserve_pool: bool
    improvement_plan: tuple[str, ...]  # measures, empty when none
    head_deduction: Decimal


def outcomes(
    candidates: Sequence[Candidate],
    grades: Mapping[str, Grade],
    history: Mapping[str, Mapping[int, Grade]],
    year: int,
    policy: OutcomePolicy | None = None,
) -> list[Outcome]:
    """Every consequence for every candidate, in ranking order. `grades` are the calibrated
    grades of `year`; `history` the earlier years' grades by department code."""
    policy = policy or OutcomePolicy()
    bottom = set(bottom_ranked(candidates, policy))
    result = []
    for c in sorted(candidates, key=rank_key):
        grade = grades[c.code]
        past = {**history.get(c.code, {}), year: grade}
        result.append(
            Outcome(
                code=c.code,
                grade=grade,
                bonus_coefficient=bonus_coefficient(grade, policy),
                reserve_pool=enters_reserve_pool(past, year, policy),
                improvement_plan=IMPROVEMENT_MEASURES
                if c.code in bottom or grade is Grade.INCOMPETENT
                else (),
                head_deduction=head_deduction(c.score, policy),
            )
        )
    return result
