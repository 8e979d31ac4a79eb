"""Year-end scoring (年终考评) of one department's instance, run by the engine (`scoring.compute`).

1. Each letter line is scored (`app.rules.scoring.score_line`) from its year value: the value
   the assessment group accepted in the data verification, else the pulled (or imported)
   figure, else the reported one (`app.rules.verification.scored_value`). A line without any
   value scores 0, and its detail says so. A qualitative line's value is its anchored level.
2. Confirmed spot-check deductions (`app.services.spot_checks.confirmed_deductions`) are
   applied with `app.rules.deductions` (scope indicator: a deduction naming a line comes off
   that line, floored at 0; the others off the total). A deduction naming an indicator that
   is not on the letter comes off the total.
3. The indicator score is the sum of the lines, at most 100 (caps above 1 can take the sum
   past 100; the detail keeps the uncapped sum).
4. The evaluation score comes from the year's ballots (leader, peers, service recipients)
   with the campaign's aggregation settings (`app.rules.aggregation.evaluate`).
5. `app.services.results.record_result` (actor None: the system) composes the final score and
   its band grade, with the number of 优秀 quarters for the quarterly rule.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.models import Campaign, Department, DepartmentResult
from app.rules import aggregation
from app.rules.deductions import Deduction, DeductionScope, apply_deductions
from app.rules.numbers import HUNDRED, ZERO, rounded
from app.rules.scoring import score_line
from app.rules.verification import scored_value
from app.services import (
    ballots,
    campaigns,
    measures,
    quarterly,
    results,
    score_texts,
    spot_checks,
    verification,
)


def _measurement(value: Decimal, measure: measures.Measure) -> Decimal | int:
    if measure.definition.method.value == "bars":
        return int(value)
    return value


COMPUTED_BY = "scoring.compute"


def achievement_ratio(points: Decimal, weight: Decimal) -> Decimal:
    """Points over weight: 1 when the line was met in full (before any deduction)."""
    return rounded(points / weight) if weight else ZERO


def _evaluate(campaign: Campaign, department: Department) -> aggregation.EvaluationResult:
    settings = campaigns.settings_of(campaign)
    sheets = ballots.sheets(campaign.id, department.id)
    return aggregation.evaluate(department.code, sheets, settings.aggregation)


def _evaluation_detail(evaluation: aggregation.EvaluationResult) -> dict[str, Any]:
    return {
        "groups": [
            {
                "group": g.group,
                "ballots": g.ballots,
                "mean": None if g.mean is None else f"{g.mean:f}",
                "weight": f"{g.weight:f}",
            }
            for g in evaluation.groups
        ],
        "void_ballots": evaluation.void_ballots,
        "notes": list(evaluation.notes),
    }


def refresh_evaluations(campaign: Campaign) -> int:
    """Re-evaluate every computed result with the ballot sheets as they stand now.

    A department's score is computed when its own year-end review closes, possibly before
    some of its voters finished their sheets; whether a voter's sheet is uniform (and so void)
    is only final once every ballot is in. Calibration calls this first, so every result
    counts exactly the ballots the rules leave valid. Returns how many results changed.
    """
    changed = 0
    for result in results.campaign_results(campaign):
        detail = dict(result.detail or {})
        if detail.get("computed_by") != COMPUTED_BY:
            continue  # recorded by hand or by an import: not ours to recompute
        evaluation = _evaluate(campaign, result.department)
        fresh = _evaluation_detail(evaluation)
        if evaluation.score == result.evaluation_score and fresh == detail.get("evaluation"):
            continue
        detail["evaluation"] = fresh
        results.record_result(
            None,
            campaign.year,
            result.department_id,
            result.indicator_score,
            evaluation.score,
            result.deductions,
            result.excellent_quarters,
            detail,
        )
        changed += 1
    return changed


def compute(instance_id: int) -> DepartmentResult:
    process = measures.instance(instance_id)
    campaign = process.campaign
    department = process.department
    accepted = verification.accepted_values(process.id)
    lines: list[dict[str, Any]] = []
    points: dict[str, Decimal] = {}
    for m in measures.measures(process):
        pulled, _ = m.pulled_year_value()
        value, origin = scored_value(accepted.get(m.line.id), pulled, m.year_value("reported"))
        entry: dict[str, Any] = {
            "line": m.key,
            "name": m.line.name,
            "weight": f"{m.line.weight:f}",
            "value": None if value is None else f"{value.normalize():f}",
            "source": origin,
        }
        if value is None:
            score = rounded(ZERO)
            entry.update(score_texts.note_fields("no_value"))
        else:
            try:
                score = score_line(m.definition, m.line.weight, _measurement(value, m))
            except (TypeError, ValueError) as exc:
                score = rounded(ZERO)
                entry.update(score_texts.note_fields("unscorable", error=str(exc)))
        points[m.key] = score
        entry["points"] = f"{score:f}"
        # what the yearly indicator review reads: the indicator and how fully it was met
        entry["code"] = m.line.indicator_code
        entry["ratio"] = f"{achievement_ratio(score, m.line.weight):f}"
        lines.append(entry)

    on_letter = set(points)
    deductions = [
        d if d.indicator is None or d.indicator in on_letter else _to_total(d)
        for d in spot_checks.confirmed_deductions(department.id, campaign.year)
    ]
    deducted = apply_deductions(points, deductions, DeductionScope.INDICATOR)
    for entry in lines:
        entry["after_deductions"] = f"{deducted.lines[entry['line']]:f}"
    line_sum = rounded(sum(deducted.lines.values(), ZERO))
    indicator_score = min(line_sum, HUNDRED)

    evaluation = _evaluate(campaign, department)
    detail = {
        "lines": lines,
        "line_sum": f"{line_sum:f}",
        "deductions": [
            {
                "points": f"{d.points:f}",
                "reason": d.reason[:200],
                "indicator": d.indicator,
                "params": d.params,
            }
            for d in deducted.applied
        ],
        "evaluation": _evaluation_detail(evaluation),
        "computed_by": COMPUTED_BY,
    }
    return results.record_result(
        None,  # the system: no person acts in a service task
        campaign.year,
        department.id,
        indicator_score,
        evaluation.score,
        deducted.total,
        quarterly.excellent_quarters(department.id, campaign.year),
        detail,
    )


def _to_total(d: Deduction) -> Deduction:
    """A deduction naming an indicator not on the letter comes off the total, and says so."""
    reason, params = score_texts.off_letter(d.reason, d.params, str(d.indicator))
    return Deduction(d.points, reason, None, d.confirmed, d.source, params)
