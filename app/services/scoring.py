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

from sqlalchemy import select

from app.extensions import db
from app.models import Ballot, DepartmentResult
from app.rules import aggregation
from app.rules.deductions import Deduction, DeductionScope, apply_deductions
from app.rules.numbers import HUNDRED, ZERO, rounded
from app.rules.scoring import score_line
from app.rules.verification import scored_value
from app.services import (
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


def _ballots(campaign_id: int, department_id: int, code: str) -> list[aggregation.Ballot]:
    rows = db.session.execute(
        select(Ballot.id, Ballot.rater_group, Ballot.score).where(
            Ballot.campaign_id == campaign_id, Ballot.department_id == department_id
        )
    )
    return [aggregation.Ballot(group, {code: score}, str(i)) for i, group, score in rows]


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

    settings = campaigns.settings_of(campaign)
    evaluation = aggregation.evaluate(
        department.code,
        _ballots(campaign.id, department.id, department.code),
        settings.aggregation,
    )
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
        "evaluation": {
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
        },
        "computed_by": "scoring.compute",
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
