"""Responsibility-letter (绩效责任书) policy: the rules on the set of lines as a whole.

`app.rules.letters` holds the basic field checks the target-setting form already uses; this
module adds the indicator-system rules. Every violation names the line indexes concerned.

Default rules (`DEFAULT_POLICY`; all shares are weights of a 100-point letter):
- weights are positive Decimals summing to exactly 100;
- common indicators (共性) 30–40; individual (个性) 60–70 — dynamic indicators (动态) count as
  individual, since they are the department's own priorities for the year (switchable);
- quantitative weight ≥ 70 (定量为主);
- every indicator definition is itself valid (`validate_indicator`), which includes the five
  BARS anchors of each qualitative indicator; each indicator appears once and applies to the
  letter's function category.

Per-category overrides are data (`CATEGORY_POLICIES`). Administrative support (行政辅助岗,
"降低经济指标权重，侧重服务满意度"): economic-tagged weight ≤ 10 and satisfaction-tagged
weight ≥ 20.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType

from app.i18n import Message
from app.rules.indicators import (
    Direction,
    FunctionCategory,
    IndicatorDefinition,
    Kind,
    Method,
    Nature,
    Tag,
    validate_indicator,
)
from app.rules.numbers import HUNDRED, ZERO


@dataclass(frozen=True)
class LetterLine:
    indicator: IndicatorDefinition
    weight: Decimal


@dataclass(frozen=True)
class ShareRange:
    low: Decimal
    high: Decimal

    def __contains__(self, value: Decimal) -> bool:
        return self.low <= value <= self.high


def _frozen(mapping: Mapping[str, Decimal] | None = None) -> Mapping[str, Decimal]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class LetterPolicy:
    weight_total: Decimal = HUNDRED
    common_share: ShareRange = ShareRange(Decimal(30), Decimal(40))
    individual_share: ShareRange = ShareRange(Decimal(60), Decimal(70))
    dynamic_counts_as_individual: bool = True
    min_quantitative_share: Decimal = Decimal(70)
    max_tag_share: Mapping[str, Decimal] = field(default_factory=_frozen)
    min_tag_share: Mapping[str, Decimal] = field(default_factory=_frozen)


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    lines: tuple[int, ...]


DEFAULT_POLICY = LetterPolicy()
CATEGORY_POLICIES: Mapping[str, LetterPolicy] = MappingProxyType(
    {
        FunctionCategory.ADMIN_SUPPORT: replace(
            DEFAULT_POLICY,
            max_tag_share=_frozen({Tag.ECONOMIC: Decimal(10)}),
            min_tag_share=_frozen({Tag.SATISFACTION: Decimal(20)}),
        ),
    }
)


def policy_for(
    category: str, overrides: Mapping[str, LetterPolicy] = CATEGORY_POLICIES
) -> LetterPolicy:
    return overrides.get(category, DEFAULT_POLICY)


def weight_total_message(required: Decimal | int, total: Decimal) -> Message:
    """The weight-total message (the letter form states it too)."""
    return Message(
        "权重合计必须恰好为 %(required)s，当前为 %(total)s",
        required=required,
        total=f"{total.normalize():f}",
    )


def letter_violations(
    lines: Sequence[LetterLine], category: str, policy: LetterPolicy | None = None
) -> list[Violation]:
    """Every violation of the letter; an empty list means the letter may be signed."""
    policy = policy or policy_for(category)
    if not lines:
        return [Violation("no_lines", Message("责任书至少需要一项指标"), ())]
    bad_weights = tuple(
        i for i, ln in enumerate(lines) if not _is_weight(ln.weight) or ln.weight <= 0
    )
    if bad_weights:
        # Shares below compare numbers; they are meaningless until every weight is one.
        return [
            Violation(
                "weight_invalid", Message("每项指标的权重必须是大于 0 的 Decimal"), bad_weights
            )
        ]
    found: list[Violation] = []
    found += _line_checks(lines, category)
    total = sum((ln.weight for ln in lines), ZERO)
    if total != policy.weight_total:
        message = weight_total_message(policy.weight_total, total)
        found.append(Violation("weight_total", message, tuple(range(len(lines)))))
    found += _share_checks(lines, policy)
    found += _tag_checks(lines, policy)
    return found


def _is_weight(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _line_checks(lines: Sequence[LetterLine], category: str) -> list[Violation]:
    found = []
    first_index: dict[str, int] = {}
    for i, line in enumerate(lines):
        ind = line.indicator
        for problem in validate_indicator(ind):
            code = "bars_anchors" if problem.field == "anchors" else "indicator_invalid"
            message = Message("%(name)s：%(problem)s", name=ind.name, problem=problem.message)
            found.append(Violation(code, message, (i,)))
        if ind.code in first_index:
            pair = (first_index[ind.code], i)
            found.append(Violation("duplicate", Message("指标重复：%(name)s", name=ind.name), pair))
        first_index.setdefault(ind.code, i)
        if not ind.applies_to(category):
            found.append(
                Violation("category", Message("%(name)s 不适用于该职能类别", name=ind.name), (i,))
            )
    return found


def _share_checks(lines: Sequence[LetterLine], policy: LetterPolicy) -> list[Violation]:
    individual_kinds = {Kind.INDIVIDUAL}
    if policy.dynamic_counts_as_individual:
        individual_kinds.add(Kind.DYNAMIC)
    groups = [
        ("common_share", Message("共性指标"), {Kind.COMMON}, policy.common_share),
        ("individual_share", Message("个性指标"), individual_kinds, policy.individual_share),
    ]
    found = []
    for code, label, kinds, allowed in groups:
        idx = tuple(i for i, ln in enumerate(lines) if ln.indicator.kind in kinds)
        share = sum((lines[i].weight for i in idx), ZERO)
        if share not in allowed:
            message = Message(
                "%(label)s权重应在 %(low)s–%(high)s 之间，当前为 %(share)s",
                label=label,
                low=allowed.low,
                high=allowed.high,
                share=f"{share:f}",
            )
            found.append(Violation(code, message, idx))
    qualitative = tuple(
        i for i, ln in enumerate(lines) if ln.indicator.nature is Nature.QUALITATIVE
    )
    quantitative = sum(
        (ln.weight for ln in lines if ln.indicator.nature is Nature.QUANTITATIVE), ZERO
    )
    if quantitative < policy.min_quantitative_share:
        message = Message(
            "定量指标权重不得低于 %(least)s，当前为 %(share)s",
            least=policy.min_quantitative_share,
            share=f"{quantitative:f}",
        )
        found.append(Violation("quantitative_share", message, qualitative))
    return found


def _tag_checks(lines: Sequence[LetterLine], policy: LetterPolicy) -> list[Violation]:
    found = []

    def tagged(tag: str) -> tuple[tuple[int, ...], Decimal]:
        idx = tuple(i for i, ln in enumerate(lines) if tag in ln.indicator.tags)
        return idx, sum((lines[i].weight for i in idx), ZERO)

    for tag, most in policy.max_tag_share.items():
        idx, share = tagged(tag)
        if share > most:
            message = Message(
                "%(label)s权重不得超过 %(most)s，当前为 %(share)s",
                label=_TAG_LABELS.get(tag, tag),
                most=most,
                share=f"{share:f}",
            )
            found.append(Violation(f"max_{tag}", message, idx))
    for tag, least in policy.min_tag_share.items():
        idx, share = tagged(tag)
        if share < least:
            message = Message(
                "%(label)s权重不得低于 %(least)s，当前为 %(share)s",
                label=_TAG_LABELS.get(tag, tag),
                least=least,
                share=f"{share:f}",
            )
            found.append(Violation(f"min_{tag}", message, idx))
    return found


_TAG_LABELS = {Tag.ECONOMIC: Message("经济指标"), Tag.SATISFACTION: Message("服务满意度指标")}


# --- letters as a department submits them -----------------------------------------------------

# Letter-level rules are reported on the indicator list as a whole, not on a line.
_LETTER_LEVEL = ("common_share", "individual_share", "quantitative_share", "max_", "min_")
# Where a definition problem of a self-defined (ad hoc) line belongs on the form.
_ADHOC_FIELD = {
    "target": "target",
    "threshold": "threshold",
    "direction": "direction",
    "method": "direction",
    "dimension": "kind",
}


def adhoc_definition(
    index: int,
    name: str,
    kind: str,
    direction: str,
    target: Decimal | None,
    threshold: Decimal | None,
    unit: str = "",
) -> IndicatorDefinition:
    """A department's own quantitative line (自定义指标), not in the library. Its scoring method
    follows from what it gives: on target needs a threshold (the zero point); higher or lower
    is better interpolates linearly when it has a threshold, else scores the achievement
    ratio. Common indicators (共性) have no ad-hoc form: they come from the library."""
    direction_ = Direction(direction)
    if direction_ is Direction.TARGET:
        method = Method.ON_TARGET
    elif threshold is not None:
        method = Method.LINEAR
    else:
        method = Method.RATIO
    return IndicatorDefinition(
        code=f"adhoc-{index}",
        name=name,
        kind=Kind(kind),
        nature=Nature.QUANTITATIVE,
        method=method,
        direction=direction_,
        unit=unit,
        target=target,
        threshold=threshold,
    )


def adhoc_problems(index: int, ind: IndicatorDefinition) -> dict[str, list[str]]:
    """Problems of an ad-hoc line, keyed by the form field they belong to."""
    if ind.kind is Kind.COMMON:
        return {f"lines.{index}.indicator": [Message("共性指标须从指标库中选择")]}
    found: dict[str, list[str]] = {}
    for problem in validate_indicator(ind):
        field = _ADHOC_FIELD.get(problem.field, "name")
        found.setdefault(f"lines.{index}.{field}", []).append(problem.message)
    return found


def violation_fields(
    violations: Sequence[Violation], adhoc: frozenset[int] = frozenset()
) -> dict[str, list[str]]:
    """Violations keyed by form path: letter-level rules on `lines`, line rules on the line's
    `indicator` field. The weight total and the definitions of ad-hoc lines are left out:
    the form's own checks and `adhoc_problems` report those more precisely."""
    found: dict[str, list[str]] = {}
    for v in violations:
        if v.code == "weight_total":
            continue
        if v.code == "indicator_invalid" and set(v.lines) <= adhoc:
            continue
        if v.code.startswith(_LETTER_LEVEL) or not v.lines:
            found.setdefault("lines", []).append(v.message)
            continue
        for i in sorted(set(v.lines)):
            field = "weight" if v.code == "weight_invalid" else "indicator"
            found.setdefault(f"lines.{i}.{field}", []).append(v.message)
    return found
