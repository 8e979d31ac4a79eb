"""Grades (等次), the 优秀 quota (优秀名额) and calibration (校准) with its log.

Decisions:
- Bands are half-open [lower, upper); default 优秀 ≥ 90, 称职 70 to under 90, 基本称职 60 to
  under 70, 不称职 under 60. Bands are validated: ascending, contiguous (no gap, no overlap),
  the lowest open below, the highest open above, each grade once.
- Quota: default 20 % of those assessed, raised up to 25 % only with a recorded approval
  (`QuotaApproval`). The count is rounded with `QuotaRounding.FLOOR` by default (5 assessed x
  20 % = 1; 4 x 20 % = 0.8 -> 0); HALF_UP and CEILING are available per campaign for a share
  below the cap, but no rounding ever passes the cap: the count is at most assessed x cap / 100
  rounded down (`quota_limit`), and a setting whose rounding would need more is refused.
- Ranking, deterministic: higher final score, then higher indicator score, then fewer
  deduction points, then department code ascending. Candidates over the quota are moved from
  优秀 to 称职, each with a log entry stating the quota and their rank.
- Quarterly rule (江油市, switchable): four quarterly 优秀 make the year 优秀 even when the annual
  score falls below the 优秀 band (logged as a promotion). Interaction with the quota: such
  candidates take the quota places FIRST (ranked among themselves by the same tie-break), and
  the quota is never exceeded — if there are more of them than places, the lowest-ranked are
  moved to 称职 like anyone else, with the reason saying so.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.i18n import N_
from app.rules.numbers import HUNDRED, ZERO


class Grade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    COMPETENT = "competent"  # 称职
    BASICALLY_COMPETENT = "basically_competent"  # 基本称职
    INCOMPETENT = "incompetent"  # 不称职

    @property
    def label(self) -> str:
        return GRADE_LABELS[self]


GRADE_LABELS = {
    Grade.EXCELLENT: "优秀",
    Grade.COMPETENT: "称职",
    Grade.BASICALLY_COMPETENT: "基本称职",
    Grade.INCOMPETENT: "不称职",
}


@dataclass(frozen=True)
class GradeBand:
    grade: Grade
    lower: Decimal | None  # inclusive; None = unbounded
    upper: Decimal | None  # exclusive; None = unbounded


DEFAULT_BANDS: tuple[GradeBand, ...] = (
    GradeBand(Grade.INCOMPETENT, None, Decimal(60)),
    GradeBand(Grade.BASICALLY_COMPETENT, Decimal(60), Decimal(70)),
    GradeBand(Grade.COMPETENT, Decimal(70), Decimal(90)),
    GradeBand(Grade.EXCELLENT, Decimal(90), None),
)


def grade_band_problems(bands: Sequence[GradeBand]) -> list[str]:
    """Every problem of a band table (ascending order expected); empty when usable."""
    if not bands:
        return ["至少需要一个等次"]
    problems = []
    if bands[0].lower is not None:
        problems.append("最低等次不能有下限（所有分数都必须有等次）")
    if bands[-1].upper is not None:
        problems.append("最高等次不能有上限（所有分数都必须有等次）")
    if len({b.grade for b in bands}) != len(bands):
        problems.append("每个等次只能出现一次")
    for i, band in enumerate(bands):
        if band.lower is not None and band.upper is not None and band.lower >= band.upper:
            problems.append(f"{band.grade.label}的下限必须小于上限")
        if i > 0 and band.lower is None:
            problems.append(f"{band.grade.label}缺少下限")
        if i < len(bands) - 1 and band.upper is None:
            problems.append(f"{band.grade.label}缺少上限")
    for low, high in itertools.pairwise(bands):
        if low.upper is None or high.lower is None:
            continue
        if low.upper < high.lower:
            problems.append(f"{low.grade.label}与{high.grade.label}之间有空档")
        elif low.upper > high.lower:
            problems.append(f"{low.grade.label}与{high.grade.label}重叠")
    return problems


def grade_for(score: Decimal, bands: Sequence[GradeBand] = DEFAULT_BANDS) -> Grade:
    for band in bands:
        if (band.lower is None or score >= band.lower) and (
            band.upper is None or score < band.upper
        ):
            return band.grade
    raise ValueError(f"no grade band contains {score}; validate bands with grade_band_problems")


class QuotaRounding(StrEnum):
    FLOOR = "floor"
    HALF_UP = "half_up"
    CEILING = "ceiling"


_ROUNDING_MODES = {
    QuotaRounding.FLOOR: ROUND_FLOOR,
    QuotaRounding.HALF_UP: ROUND_HALF_UP,
    QuotaRounding.CEILING: ROUND_CEILING,
}


@dataclass(frozen=True)
class QuotaRule:
    share: Decimal = Decimal(20)  # percent of those assessed
    max_share: Decimal = Decimal(25)  # highest share an approval may grant
    rounding: QuotaRounding = QuotaRounding.FLOOR
    cap: Decimal = Decimal(20)  # the highest share without an approval, whatever the rounding


@dataclass(frozen=True)
class QuotaApproval:
    """A recorded decision raising the 优秀 share above the default for one campaign."""

    share: Decimal
    approved_by: str
    reference: str  # e.g. the document number of the approval


def _share(rule: QuotaRule, approval: QuotaApproval | None) -> Decimal:
    if approval is None:
        return rule.share
    if not approval.approved_by.strip() or not approval.reference.strip():
        raise ValueError("a quota approval needs who approved it and a reference")
    if not ZERO <= approval.share <= rule.max_share:
        raise ValueError(f"an approved quota share cannot exceed {rule.max_share} %")
    return approval.share


def quota_cap_share(
    rule: QuotaRule | None = None, approval: QuotaApproval | None = None
) -> Decimal:
    """The share 优秀 may never exceed: 20 %, or the approved share (up to 25 %)."""
    rule = rule or QuotaRule()
    return _share(rule, approval) if approval is not None else rule.cap


def rounded_quota(
    assessed: int, rule: QuotaRule | None = None, approval: QuotaApproval | None = None
) -> int:
    """assessed x share / 100, rounded by the rule's rounding mode (before the cap)."""
    rule = rule or QuotaRule()
    if assessed < 0:
        raise ValueError("assessed cannot be negative")
    exact = Decimal(assessed) * _share(rule, approval) / HUNDRED
    return int(exact.quantize(Decimal(1), rounding=_ROUNDING_MODES[rule.rounding]))


def quota_limit(
    assessed: int, rule: QuotaRule | None = None, approval: QuotaApproval | None = None
) -> int:
    """The most 优秀 places the cap allows: assessed x cap / 100, rounded down."""
    exact = Decimal(max(assessed, 0)) * quota_cap_share(rule, approval) / HUNDRED
    return int(exact.quantize(Decimal(1), rounding=ROUND_FLOOR))


def quota_count(
    assessed: int, rule: QuotaRule | None = None, approval: QuotaApproval | None = None
) -> int:
    """Number of 优秀 places: assessed x share / 100, rounded by the rule's rounding mode, and
    never more than the cap allows (a rounding up that would pass 20 %, or the approved share,
    is held to it; settings that would need that are refused where the count is known)."""
    return min(rounded_quota(assessed, rule, approval), quota_limit(assessed, rule, approval))


def quota_within_cap(
    excellent: int,
    assessed: int,
    rule: QuotaRule | None = None,
    approval: QuotaApproval | None = None,
) -> bool:
    """The invariant: no more 优秀 than the cap allows (for the year checker and tests)."""
    return excellent <= quota_limit(assessed, rule, approval)


@dataclass(frozen=True)
class Candidate:
    code: str  # department code; the last tie-breaker
    score: Decimal
    indicator_score: Decimal = ZERO
    deductions: Decimal = ZERO
    quarterly: tuple[Grade, ...] = ()  # the four quarterly grades, in order


def rank_key(c: Candidate) -> tuple[Decimal, Decimal, Decimal, str]:
    """Sort key of the documented tie-break: score, indicator score, fewer deductions, code."""
    return (-c.score, -c.indicator_score, c.deductions, c.code)


# Why a grade changed in calibration, by kind; the values are the entry's `params`. Kept as
# kind and values so that the log shows in the reader's language (app.pages.display).
REASONS = {
    "quarterly_rule": N_("四个季度均为优秀，年度定为优秀"),
    "over_quota": N_("超出优秀名额（名额 %(quota)s 个，排名第 %(place)s）"),
    "over_quota_after_quarters": N_(
        "超出优秀名额（名额 %(quota)s 个，排名第 %(place)s）；"
        "四个季度优秀者优先占用名额，但名额不得突破"
    ),
    "restored": N_("重新校准：恢复为等次表结果"),
    "appeal": N_("申诉复核：%(reason)s"),
    "appeal_quota_full": N_("申诉复核：%(reason)s（优秀名额 %(quota)s 个已满）"),
}


def reason_part(kind: str, **params: object) -> dict[str, object]:
    """One stated reason: its kind (a key of REASONS) and the values its text names."""
    REASONS[kind] % params  # a missing value fails here, not when the log is shown
    return {"kind": kind, "params": params}


def reason_text(parts: Sequence[Mapping], translate=None, separator: str = "；") -> str:
    """The reasons as text: in Chinese, or through `translate` (a gettext)."""
    compose = translate or (lambda text, **values: text % values)
    return separator.join(compose(REASONS[p["kind"]], **p["params"]) for p in parts)


@dataclass(frozen=True)
class CalibrationEntry:
    code: str
    from_grade: Grade
    to_grade: Grade
    kind: str  # a key of REASONS
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def part(self) -> dict[str, object]:
        return reason_part(self.kind, **self.params)

    @property
    def reason(self) -> str:
        return reason_text([self.part])


@dataclass(frozen=True)
class CalibrationConfig:
    bands: tuple[GradeBand, ...] = DEFAULT_BANDS
    quota: QuotaRule = field(default_factory=QuotaRule)
    quarterly_rule: bool = True


@dataclass(frozen=True)
class CalibrationResult:
    grades: dict[str, Grade]
    quota: int
    order: tuple[str, ...]  # every candidate, best first
    log: tuple[CalibrationEntry, ...]


def four_excellent_quarters(c: Candidate) -> bool:
    return len(c.quarterly) == 4 and all(g is Grade.EXCELLENT for g in c.quarterly)


def calibrate(
    candidates: Sequence[Candidate],
    config: CalibrationConfig | None = None,
    approval: QuotaApproval | None = None,
    band_grades: Mapping[str, Grade] | None = None,
) -> CalibrationResult:
    """Grades after the quarterly rule and the 优秀 quota, with a log entry for every change.

    `band_grades` are the grades the campaign's grade table gave each candidate (the table may
    be an edited DMN decision, see app.services.grades); by default `config.bands` decide."""
    config = config or CalibrationConfig()
    problems = grade_band_problems(config.bands)
    if problems:
        raise ValueError("; ".join(problems))
    codes = [c.code for c in candidates]
    if len(set(codes)) != len(codes):
        raise ValueError("each department can be a candidate only once")
    quota = quota_count(len(candidates), config.quota, approval)
    if band_grades is None:
        grades = {c.code: grade_for(c.score, config.bands) for c in candidates}
    else:
        grades = {c.code: Grade(band_grades[c.code]) for c in candidates}
    log: list[CalibrationEntry] = []
    priority: set[str] = set()
    if config.quarterly_rule:
        for c in sorted(candidates, key=rank_key):
            if four_excellent_quarters(c):
                priority.add(c.code)
                if grades[c.code] is not Grade.EXCELLENT:
                    log.append(
                        CalibrationEntry(c.code, grades[c.code], Grade.EXCELLENT, "quarterly_rule")
                    )
                    grades[c.code] = Grade.EXCELLENT
    order = sorted(candidates, key=rank_key)
    contenders = [c for c in order if grades[c.code] is Grade.EXCELLENT]
    contenders.sort(key=lambda c: (c.code not in priority, *rank_key(c)))
    for place, c in enumerate(contenders, start=1):
        if place > quota:
            kind = "over_quota_after_quarters" if c.code in priority else "over_quota"
            values = {"quota": quota, "place": place}
            log.append(CalibrationEntry(c.code, Grade.EXCELLENT, Grade.COMPETENT, kind, values))
            grades[c.code] = Grade.COMPETENT
    return CalibrationResult(grades, quota, tuple(c.code for c in order), tuple(log))
