"""Evaluator ballots (评价票) -> an evaluation score, and the final score's composition.

Formulas and decisions:
- Rater groups (评价人组) weigh the evaluation: default leader 40, peers 30, service recipients
  30 (per campaign, `AggregationConfig.group_weights`, must sum to 100).
- A ballot marks several ratees (departments), each 0..full mark. It is void when it gives
  every ratee the full mark, or every ratee the same mark (both switchable). Those two rules
  only apply to ballots marking at least `min_marks_for_uniformity` ratees (default 2): a
  leader marking the one department they supervise cannot be "uniform". A mark outside
  0..full voids the ballot too.
- Within a group: the mean of the valid marks; with more than `trim_above` (default 5) marks,
  the trimmed mean that drops one highest and one lowest mark.
- A group with no valid mark for a ratee has its weight redistributed proportionally over the
  groups that have marks: w'_g = w_g x 100 / Σ w_present. The result lists those groups.
- Evaluation score = Σ w'_g x mean_g / 100. Everything is order-independent (ballots are
  aggregated as multisets).
- Anonymity: a group's mean is only *exposed* (shown to the ratee) over at least
  `min_exposed_ballots` (default 3) ballots; `exposed_mean` returns None below that.
- Final score = (I x w_I + E x w_E) / 100 − total deductions, floored at `floor` (default 0),
  default w_I = 70, w_E = 30; with no evaluation at all the indicator score counts 100 %.
- Each returned figure is rounded once from exact values (`app.rules.numbers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from app.i18n import N_
from app.rules.numbers import HUNDRED, ZERO, rounded


class RaterGroup(StrEnum):
    LEADER = "leader"  # 分管领导评价
    PEER = "peer"  # 同事互评 / 民主测评
    SERVICE_RECIPIENT = "service_recipient"  # 服务对象评议


DEFAULT_GROUP_WEIGHTS: Mapping[str, Decimal] = MappingProxyType(
    {
        RaterGroup.LEADER: Decimal(40),
        RaterGroup.PEER: Decimal(30),
        RaterGroup.SERVICE_RECIPIENT: Decimal(30),
    }
)


@dataclass(frozen=True)
class Ballot:
    group: str
    marks: Mapping[str, Decimal]  # ratee code -> mark
    ballot_id: str = ""


@dataclass(frozen=True)
class BallotRules:
    full_mark: Decimal = HUNDRED
    void_if_all_full: bool = True
    void_if_all_same: bool = True
    min_marks_for_uniformity: int = 2


@dataclass(frozen=True)
class AggregationConfig:
    group_weights: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_GROUP_WEIGHTS)
    rules: BallotRules = field(default_factory=BallotRules)
    trim_above: int = 5
    min_exposed_ballots: int = 3

    def __post_init__(self) -> None:
        if sum(self.group_weights.values(), ZERO) != HUNDRED:
            raise ValueError("rater group weights must sum to exactly 100")
        if any(w < 0 for w in self.group_weights.values()):
            raise ValueError("rater group weights cannot be negative")


def void_reasons(ballot: Ballot, rules: BallotRules = BallotRules()) -> list[str]:
    """Why a ballot is void; empty when it counts."""
    marks = list(ballot.marks.values())
    reasons = []
    if not marks:
        reasons.append("空票")
    if any(not isinstance(m, Decimal) or not ZERO <= m <= rules.full_mark for m in marks):
        return [*reasons, f"分数必须在 0 到 {rules.full_mark} 之间"]
    if len(marks) >= rules.min_marks_for_uniformity:
        if rules.void_if_all_full and all(m == rules.full_mark for m in marks):
            reasons.append(N_("全部打满分，视为无效票"))
        elif rules.void_if_all_same and len(set(marks)) == 1:
            reasons.append(N_("全部打同一分数，视为无效票"))
    return reasons


def group_mean(marks: Sequence[Decimal], trim_above: int = 5) -> Decimal:
    """Exact mean; trimmed (one highest and one lowest dropped) when len(marks) > trim_above."""
    if not marks:
        raise ValueError("no marks")
    ordered = sorted(marks)
    if len(ordered) > trim_above:
        ordered = ordered[1:-1]
    return sum(ordered, ZERO) / len(ordered)


def redistribute(weights: Mapping[str, Decimal], present: set[str]) -> dict[str, Decimal]:
    """Exact weights of the present groups, scaled so that they still sum to the same total."""
    kept = {g: w for g, w in weights.items() if g in present}
    kept_total = sum(kept.values(), ZERO)
    if kept_total == 0:
        return {}
    total = sum(weights.values(), ZERO)
    return {g: w * total / kept_total for g, w in kept.items()}


@dataclass(frozen=True)
class GroupResult:
    group: str
    ballots: int  # valid marks for this ratee
    mean: Decimal | None  # rounded; None when no valid mark
    weight: Decimal  # effective weight after redistribution, rounded


@dataclass(frozen=True)
class EvaluationResult:
    ratee: str
    score: Decimal | None  # None when no group has a valid mark
    groups: tuple[GroupResult, ...]
    redistributed_from: tuple[str, ...]  # groups whose weight went to the others
    void_ballots: int
    notes: tuple[str, ...]


def evaluate(
    ratee: str, ballots: Sequence[Ballot], config: AggregationConfig | None = None
) -> EvaluationResult:
    """The evaluation score of one ratee from all ballots of the campaign."""
    config = config or AggregationConfig()
    marks: dict[str, list[Decimal]] = {g: [] for g in config.group_weights}
    void = 0
    for ballot in ballots:
        if ballot.group not in marks:
            raise ValueError(f"unknown rater group: {ballot.group}")
        if ratee not in ballot.marks:
            continue
        if void_reasons(ballot, config.rules):
            void += 1
            continue
        marks[ballot.group].append(ballot.marks[ratee])
    means = {g: group_mean(m, config.trim_above) for g, m in marks.items() if m}
    weights = redistribute(config.group_weights, set(means))
    missing = tuple(g for g in config.group_weights if g not in means)
    notes = [f"{g} 组无有效评价票，其权重按比例分配给其他组" for g in missing if means]
    score = None
    if means:
        score = rounded(sum((weights[g] * means[g] for g in means), ZERO) / HUNDRED)
    else:
        notes.append("没有任何有效评价票")
    groups = tuple(
        GroupResult(
            group=g,
            ballots=len(m),
            mean=rounded(means[g]) if g in means else None,
            weight=rounded(weights.get(g, ZERO)),
        )
        for g, m in marks.items()
    )
    return EvaluationResult(ratee, score, groups, missing if means else (), void, tuple(notes))


def exposed_mean(result: GroupResult, min_ballots: int = 3) -> Decimal | None:
    """A group's mean as the ratee may see it: hidden (None) under `min_ballots` ballots."""
    return result.mean if result.ballots >= min_ballots else None


@dataclass(frozen=True)
class Composition:
    indicator_weight: Decimal = Decimal(70)
    evaluation_weight: Decimal = Decimal(30)
    floor: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.indicator_weight + self.evaluation_weight != HUNDRED:
            raise ValueError("indicator and evaluation weights must sum to 100")
        if self.indicator_weight < 0 or self.evaluation_weight < 0:
            raise ValueError("composition weights cannot be negative")


def final_score(
    indicator_score: Decimal,
    evaluation_score: Decimal | None,
    deductions: Decimal = ZERO,
    composition: Composition | None = None,
) -> Decimal:
    """(I x w_I + E x w_E) / 100 − deductions, not below the floor; I alone when E is None."""
    c = composition or Composition()
    if deductions < 0:
        raise ValueError("deductions cannot be negative")
    if evaluation_score is None:
        weighted = indicator_score
    else:
        weighted = (
            indicator_score * c.indicator_weight + evaluation_score * c.evaluation_weight
        ) / HUNDRED
    return rounded(max(c.floor, weighted - deductions))
