"""A campaign's settings document (考核活动设置): parsed, validated and normalised.

The document is plain JSON, stored in `Campaign.settings`. Every key is optional; a missing key
(or a missing section) takes the default below, so `{}` is a complete, valid document. Numbers
may be JSON numbers or numeric strings; the normalised document writes decimals as strings
("40", "0.15"), counts and days as integers.

    rater_weights   leader 40 / peer 30 / service_recipient 30; each 0..100, at most 2
                    decimals, summing to exactly 100 (a group without valid ballots has its
                    weight redistributed, see app.rules.aggregation)
    composition     indicators 70 / evaluation 30 (percent of the final score), summing to 100
    ballots         void_if_all_full true, void_if_all_same true, min_marks_for_uniformity 2
                    (1..100), trim_above 5 (2..1000), min_exposed_ballots 3 (1..100)
    quota           share 20 (percent of those assessed, 0..20), rounding floor | half_up |
                    ceiling, approval null or {share, approved_by, reason}: a recorded approval
                    raising the share above `share`, up to 25 %
    quarterly_rule  true: four quarterly 优秀 make the year 优秀 (within the quota)
    outcomes        bonus_percent by grade (优秀 10..20, default 15; the others 0..100,
                    default 0), reserve_years 3 (1..10), bottom_count 1 (0..1000),
                    bottom_share null or 0..100 (replaces bottom_count), head_threshold 80 and
                    head_deduction 2 (0..100 each)
    grade_table     decision "grade_bands": the DMN decision that maps a score to a grade;
                    version null = the latest stored version, or a pinned version number
    appeal          window_days 7 (1..30), decision_days 7 (1..30)
    escalation      remind_hours 24 (0..720) before a step's due time, red_after_working_days
                    2 (0..30) after it, group_supervisor centre_admin: the role a city-wide
                    group's red cards go to (see app.rules.escalation)

Field errors are reported per dotted path ("rater_weights.leader", "composition"), all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from app.i18n import Message
from app.rules.aggregation import AggregationConfig, BallotRules, Composition, RaterGroup
from app.rules.escalation import EscalationPolicy
from app.rules.grading import CalibrationConfig, Grade, QuotaApproval, QuotaRounding, QuotaRule
from app.rules.numbers import HUNDRED, ZERO
from app.rules.outcomes import EXCELLENT_BONUS_RANGE, OutcomePolicy

DEFAULT_QUOTA_SHARE = QuotaRule().share  # 20: the highest share without an approval
MAX_APPROVED_SHARE = QuotaRule().max_share  # 25: the highest share an approval may grant
# Roles that may supervise a city-wide group's overdue steps (receive its red cards).
GROUP_SUPERVISOR_ROLES = frozenset({"centre_admin", "review_panel", "assessment_group"})
DECISION_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
TEXT_MAX = 200

DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "rater_weights": {"leader": "40", "peer": "30", "service_recipient": "30"},
        "composition": {"indicators": "70", "evaluation": "30"},
        "ballots": {
            "void_if_all_full": True,
            "void_if_all_same": True,
            "min_marks_for_uniformity": 2,
            "trim_above": 5,
            "min_exposed_ballots": 3,
        },
        "quota": {"share": "20", "rounding": "floor", "approval": None},
        "quarterly_rule": True,
        "outcomes": {
            "bonus_percent": {
                "excellent": "15",
                "competent": "0",
                "basically_competent": "0",
                "incompetent": "0",
            },
            "reserve_years": 3,
            "bottom_count": 1,
            "bottom_share": None,
            "head_threshold": "80",
            "head_deduction": "2",
        },
        "grade_table": {"decision": "grade_bands", "version": None},
        "appeal": {"window_days": 7, "decision_days": 7},
        "escalation": {
            "remind_hours": 24,
            "red_after_working_days": 2,
            "group_supervisor": "centre_admin",
        },
    }
)


class SettingsInvalid(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class CampaignSettings:
    """The parsed document: the domain core's configuration objects, ready to use."""

    aggregation: AggregationConfig
    composition: Composition
    quota: QuotaRule
    quota_approval: QuotaApproval | None
    quarterly_rule: bool
    outcomes: OutcomePolicy
    grade_decision: str
    grade_decision_version: int | None
    appeal_window_days: int
    appeal_decision_days: int
    escalation: EscalationPolicy
    document: Mapping[str, Any]  # the normalised document, every key present

    def calibration_config(self) -> CalibrationConfig:
        return CalibrationConfig(quota=self.quota, quarterly_rule=self.quarterly_rule)


def number_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros: 40, 0.15, 33.33."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Reader:
    """Reads one document, collecting every error under its dotted path."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def section(self, doc: Mapping[str, Any], name: str) -> dict[str, Any]:
        """The section merged over its defaults; unknown keys are errors."""
        given = doc.get(name, {})
        if given is None:
            given = {}
        if not isinstance(given, Mapping):
            self.fail(name, Message("须为对象。"))
            given = {}
        default = DEFAULTS[name]
        for key in given:
            if key not in default:
                self.fail(f"{name}.{key}", Message("未知的设置项。"))
        return {**default, **{k: v for k, v in given.items() if k in default}}

    def decimal(
        self, value: Any, path: str, low: Decimal, high: Decimal, nullable: bool = False
    ) -> Decimal | None:
        if value is None and nullable:
            return None
        number = None
        if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
            text = repr(value) if isinstance(value, float) else str(value).strip()
            if len(text) <= 40:
                try:
                    number = Decimal(text)
                except InvalidOperation:
                    number = None
        if number is None or not number.is_finite():
            self.fail(path, Message("须为数字。"))
            return None
        if not low <= number <= high:
            self.fail(
                path,
                Message(
                    "须在%(low)s至%(high)s之间。", low=number_text(low), high=number_text(high)
                ),
            )
            return None
        if number != number.quantize(Decimal("0.01")):
            self.fail(path, Message("最多两位小数。"))
            return None
        return number + ZERO  # -0 -> 0

    def integer(self, value: Any, path: str, low: int, high: int) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, Message("须为整数。"))
            return None
        if not low <= value <= high:
            self.fail(path, Message("须在%(low)s至%(high)s之间。", low=low, high=high))
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, Message("须为 true 或 false。"))
            return None
        return value

    def text(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, Message("必填。"))
            return None
        if len(value.strip()) > TEXT_MAX:
            self.fail(path, Message("不超过%(n)s个字符。", n=TEXT_MAX))
            return None
        return value.strip()

    def weights(
        self, section: str, values: Mapping[str, Any], keys: tuple[str, ...]
    ) -> dict[str, Decimal] | None:
        parsed = {k: self.decimal(values[k], f"{section}.{k}", ZERO, HUNDRED) for k in keys}
        if any(v is None for v in parsed.values()):
            return None
        total = sum(parsed.values(), ZERO)
        if total != HUNDRED:
            self.fail(
                section, Message("各项权重之和须为100（现为%(total)s）。", total=number_text(total))
            )
            return None
        return parsed  # type: ignore[return-value]


def _parse_approval(r: _Reader, value: Any, base: Decimal | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        r.fail("quota.approval", Message("须为对象或 null。"))
        return None
    for key in value:
        if key not in ("share", "approved_by", "reason"):
            r.fail(f"quota.approval.{key}", Message("未知的设置项。"))
    share = r.decimal(value.get("share"), "quota.approval.share", ZERO, MAX_APPROVED_SHARE)
    if share is not None and base is not None and share <= base:
        r.fail(
            "quota.approval.share", Message("批准的比例须高于%(base)s%%。", base=number_text(base))
        )
    approved_by = r.text(value.get("approved_by"), "quota.approval.approved_by")
    reason = r.text(value.get("reason"), "quota.approval.reason")
    if share is None or approved_by is None or reason is None:
        return None
    return {"share": share, "approved_by": approved_by, "reason": reason}


def parse(doc: Any) -> CampaignSettings:
    """The settings of a document; `SettingsInvalid` with every field error otherwise."""
    r = _Reader()
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise SettingsInvalid({"_schema": [Message("设置须为对象。")]})
    for key in doc:
        if key not in DEFAULTS:
            r.fail(str(key), Message("未知的设置项。"))

    groups = tuple(g.value for g in RaterGroup)
    group_weights = r.weights("rater_weights", r.section(doc, "rater_weights"), groups)
    comp = r.weights("composition", r.section(doc, "composition"), ("indicators", "evaluation"))

    b = r.section(doc, "ballots")
    ballots = {
        "void_if_all_full": r.boolean(b["void_if_all_full"], "ballots.void_if_all_full"),
        "void_if_all_same": r.boolean(b["void_if_all_same"], "ballots.void_if_all_same"),
        "min_marks_for_uniformity": r.integer(
            b["min_marks_for_uniformity"], "ballots.min_marks_for_uniformity", 1, 100
        ),
        "trim_above": r.integer(b["trim_above"], "ballots.trim_above", 2, 1000),
        "min_exposed_ballots": r.integer(
            b["min_exposed_ballots"], "ballots.min_exposed_ballots", 1, 100
        ),
    }

    q = r.section(doc, "quota")
    share = r.decimal(q["share"], "quota.share", ZERO, DEFAULT_QUOTA_SHARE)
    rounding = q["rounding"]
    if not isinstance(rounding, str) or rounding not in set(QuotaRounding):
        r.fail("quota.rounding", Message("须为 floor、half_up 或 ceiling。"))
        rounding = None
    approval = _parse_approval(r, q["approval"], share)

    quarterly = doc.get("quarterly_rule", DEFAULTS["quarterly_rule"])
    quarterly = r.boolean(quarterly, "quarterly_rule")

    o = r.section(doc, "outcomes")
    bonus = _parse_bonus(r, o["bonus_percent"])
    outcome_values = {
        "reserve_years": r.integer(o["reserve_years"], "outcomes.reserve_years", 1, 10),
        "bottom_count": r.integer(o["bottom_count"], "outcomes.bottom_count", 0, 1000),
        "bottom_share": r.decimal(
            o["bottom_share"], "outcomes.bottom_share", ZERO, HUNDRED, nullable=True
        ),
        "head_threshold": r.decimal(o["head_threshold"], "outcomes.head_threshold", ZERO, HUNDRED),
        "head_deduction": r.decimal(o["head_deduction"], "outcomes.head_deduction", ZERO, HUNDRED),
    }

    g = r.section(doc, "grade_table")
    decision = g["decision"]
    if not isinstance(decision, str) or not DECISION_ID.match(decision):
        r.fail(
            "grade_table.decision", Message("须为决策表的 id（字母、数字、下划线，最长100字符）。")
        )
        decision = None
    version = g["version"]
    if version is not None:
        version = r.integer(version, "grade_table.version", 1, 2**31 - 1)

    a = r.section(doc, "appeal")
    window = r.integer(a["window_days"], "appeal.window_days", 1, 30)
    decision_days = r.integer(a["decision_days"], "appeal.decision_days", 1, 30)

    e = r.section(doc, "escalation")
    remind_hours = r.integer(e["remind_hours"], "escalation.remind_hours", 0, 720)
    red_days = r.integer(e["red_after_working_days"], "escalation.red_after_working_days", 0, 30)
    group_supervisor = e["group_supervisor"]
    if not isinstance(group_supervisor, str) or group_supervisor not in GROUP_SUPERVISOR_ROLES:
        r.fail(
            "escalation.group_supervisor",
            Message("须为 %(roles)s 之一。", roles=sorted(GROUP_SUPERVISOR_ROLES)),
        )
        group_supervisor = None

    if r.errors:
        raise SettingsInvalid(r.errors)

    rules = BallotRules(
        void_if_all_full=ballots["void_if_all_full"],
        void_if_all_same=ballots["void_if_all_same"],
        min_marks_for_uniformity=ballots["min_marks_for_uniformity"],
    )
    aggregation = AggregationConfig(
        group_weights=MappingProxyType({RaterGroup(k): v for k, v in group_weights.items()}),
        rules=rules,
        trim_above=ballots["trim_above"],
        min_exposed_ballots=ballots["min_exposed_ballots"],
    )
    outcomes = OutcomePolicy(
        bonus_rate=MappingProxyType({Grade(k): v / HUNDRED for k, v in bonus.items()}),
        **outcome_values,
    )
    document = {
        "rater_weights": {k: number_text(v) for k, v in group_weights.items()},
        "composition": {k: number_text(v) for k, v in comp.items()},
        "ballots": ballots,
        "quota": {
            "share": number_text(share),
            "rounding": str(rounding),
            "approval": None
            if approval is None
            else {**approval, "share": number_text(approval["share"])},
        },
        "quarterly_rule": quarterly,
        "outcomes": {
            "bonus_percent": {k: number_text(v) for k, v in bonus.items()},
            **{
                k: number_text(v) if isinstance(v, Decimal) else v
                for k, v in outcome_values.items()
            },
        },
        "grade_table": {"decision": decision, "version": version},
        "appeal": {"window_days": window, "decision_days": decision_days},
        "escalation": {
            "remind_hours": remind_hours,
            "red_after_working_days": red_days,
            "group_supervisor": group_supervisor,
        },
    }
    return CampaignSettings(
        aggregation=aggregation,
        composition=Composition(comp["indicators"], comp["evaluation"]),
        quota=QuotaRule(share=share, rounding=QuotaRounding(rounding)),
        quota_approval=None
        if approval is None
        else QuotaApproval(approval["share"], approval["approved_by"], approval["reason"]),
        quarterly_rule=quarterly,
        outcomes=outcomes,
        grade_decision=decision,
        grade_decision_version=version,
        appeal_window_days=window,
        appeal_decision_days=decision_days,
        escalation=EscalationPolicy(timedelta(hours=remind_hours), red_days, group_supervisor),
        document=document,
    )


def _parse_bonus(r: _Reader, value: Any) -> dict[str, Decimal]:
    default = DEFAULTS["outcomes"]["bonus_percent"]
    if not isinstance(value, Mapping):
        r.fail("outcomes.bonus_percent", Message("须为对象。"))
        return {}
    for key in value:
        if key not in default:
            r.fail(f"outcomes.bonus_percent.{key}", Message("未知的等次。"))
    merged = {**default, **{k: v for k, v in value.items() if k in default}}
    low, high = (bound * HUNDRED for bound in EXCELLENT_BONUS_RANGE)
    parsed: dict[str, Decimal] = {}
    for grade, raw in merged.items():
        bounds = (low, high) if grade == Grade.EXCELLENT else (ZERO, HUNDRED)
        number = r.decimal(raw, f"outcomes.bonus_percent.{grade}", *bounds)
        if number is not None:
            parsed[grade] = number
    return parsed


def with_approval(document: Mapping[str, Any], approval: Mapping[str, Any]) -> dict[str, Any]:
    """The document with a quota approval recorded in it (validated by `parse` as usual)."""
    quota = {**document.get("quota", {}), "approval": dict(approval)}
    return {**document, "quota": quota}
