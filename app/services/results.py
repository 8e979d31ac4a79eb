"""Department results of a campaign, calibration (校准) with its log, and outcomes (结果应用).

- Recording a result computes the final score with the campaign's composition
  (`app.rules.aggregation.final_score`) and its band grade with the campaign's grade table
  (`app.services.grades`). The grade starts as the band grade and the rank is cleared: a
  campaign whose results changed must be calibrated again before its outcomes are drawn.
- Calibration runs `app.rules.grading.calibrate` over every result of the campaign with its
  quota and quarterly rule, starting from the band grades. It rewrites every grade and rank;
  each department whose stored grade changes gets one log entry (automatic) giving the rule's
  reason. A manual override made before is therefore undone by calibrating again, and that
  reversal is logged too. A share above the default (20 %) needs an approval (who approved
  it and why, up to 25 %), which is recorded in the campaign settings and the audit trail.
- An override is a person's decision with a required reason; it is refused when it would
  give more 优秀 than the quota allows.
- Outcomes use the calibrated grades and, for the reserve cadre pool, the grades of earlier
  campaigns' results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import (
    CalibrationEntry,
    Campaign,
    Department,
    DepartmentResult,
    Person,
    Publication,
)
from app.rules import grading
from app.rules import outcomes as outcome_rules
from app.rules.aggregation import final_score
from app.rules.grading import Candidate, Grade
from app.services import audit, campaigns, grades, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

SCORE_MAX = Decimal(100)
REASON_MAX = 500
DETAIL_MAX_BYTES = 20_000

# The published order: ranked first by rank, then by score; the department code breaks ties.
RANKING_ORDER = (
    DepartmentResult.rank.is_(None),
    DepartmentResult.rank,
    DepartmentResult.final_score.desc(),
    Department.code,
)


def _require_admin(actor: Person, what: str) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden(f"only the performance-management centre {what}")


def _score(value: Any, field: str, errors: dict[str, list[str]], nullable: bool = False):
    if value is None and nullable:
        return None
    number = None
    if isinstance(value, int | str | Decimal) and not isinstance(value, bool):
        text = str(value).strip()
        if len(text) <= 20:
            try:
                number = Decimal(text)
            except ArithmeticError:
                number = None
    if number is None or not number.is_finite() or not 0 <= number <= SCORE_MAX:
        errors.setdefault(field, []).append(Message("须为0至100之间的数字。"))
        return None
    if number != number.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(Message("最多两位小数。"))
        return None
    return number + 0


def _department(department_id: Any) -> Department:
    department = (
        db.session.get(Department, department_id) if isinstance(department_id, int) else None
    )
    if department is None:
        raise NotFound(f"department {department_id} not found")
    return department


def campaign_results(campaign: Campaign) -> list[DepartmentResult]:
    """Every result of the campaign with its department in one statement: the rules that rank
    the field (calibration, outcomes, an appeal's adjustment) read each department's code."""
    return list(
        db.session.scalars(
            select(DepartmentResult)
            .options(joinedload(DepartmentResult.department))
            .where(DepartmentResult.campaign_id == campaign.id)
        )
    )


def _candidate(result: DepartmentResult) -> Candidate:
    # Only how many quarters were 优秀 matters to the rule; the others are shown as 称职.
    quarters = (Grade.EXCELLENT,) * result.excellent_quarters
    quarters += (Grade.COMPETENT,) * (4 - result.excellent_quarters)
    return Candidate(
        code=result.department.code,
        score=result.final_score,
        indicator_score=result.indicator_score,
        deductions=result.deductions,
        quarterly=quarters,
    )


def record_result(
    actor: Person | None,
    year: int,
    department_id: int,
    indicator_score: Any,
    evaluation_score: Any = None,
    deductions: Any = 0,
    excellent_quarters: Any = 0,
    detail: Mapping[str, Any] | None = None,
) -> DepartmentResult:
    """Store (or replace) a department's scored result; its grade is the band grade until the
    campaign is calibrated. `actor` None is the system (the engine: a service task or a form's
    effect, e.g. an adjusted appeal), audited without a person; HTTP callers always pass the
    signed-in person, who must be the centre."""
    if actor is not None:
        _require_admin(actor, "records results")
    errors: dict[str, list[str]] = {}
    indicator = _score(indicator_score, "indicator_score", errors)
    evaluation = _score(evaluation_score, "evaluation_score", errors, nullable=True)
    deducted = _score(deductions, "deductions", errors)
    if (
        not isinstance(excellent_quarters, int)
        or isinstance(excellent_quarters, bool)
        or not 0 <= excellent_quarters <= 4
    ):
        errors["excellent_quarters"] = [Message("须为0至4之间的整数。")]
    detail = dict(detail or {})
    try:
        too_big = len(json.dumps(detail, ensure_ascii=False)) > DETAIL_MAX_BYTES
    except (TypeError, ValueError):
        errors["detail"] = [Message("须为 JSON 对象。")]
    else:
        if too_big:
            errors["detail"] = [Message("不超过%(n)s个字符。", n=DETAIL_MAX_BYTES)]
    if errors:
        raise Invalid("the result is invalid", fields=errors)
    campaign = campaigns.get(year)
    department = _department(department_id)
    settings = campaigns.settings_of(campaign)
    score = final_score(indicator, evaluation, deducted, settings.composition)
    band, table = grades.band(score, campaign)
    result = db.session.scalars(
        select(DepartmentResult).where(
            DepartmentResult.campaign_id == campaign.id,
            DepartmentResult.department_id == department.id,
        )
    ).first()
    if result is None:
        result = DepartmentResult(campaign_id=campaign.id, department_id=department.id)
        db.session.add(result)
    detail["grade_table"] = {"decision": table.process_key, "version": table.version}
    detail["composition"] = settings.document["composition"]
    result.indicator_score = indicator
    result.evaluation_score = evaluation
    result.deductions = deducted
    result.final_score = score
    result.band_grade = band.value
    result.grade = band.value
    result.rank = None
    result.excellent_quarters = excellent_quarters
    result.detail = detail
    result.updated_at = clock.now()
    db.session.flush()
    audit.record(
        "result.record",
        actor,
        "department",
        department.id,
        year=year,
        final_score=str(score),
        band_grade=band.value,
    )
    return result


def results(actor: Person, year: int) -> list[DepartmentResult]:
    """The campaign's results, best ranked first: all for the centre; for anyone else nothing
    before the results are published (公示), then the departments the person may see (a
    department its own)."""
    campaign = campaigns.get(year)
    query = (
        select(DepartmentResult)
        .join(Department, Department.id == DepartmentResult.department_id)
        .options(contains_eager(DepartmentResult.department))
        .where(DepartmentResult.campaign_id == campaign.id)
        .order_by(*RANKING_ORDER)
    )
    if not permissions.is_centre_admin(actor):
        if not is_published(campaign):
            return []
        query = query.where(
            DepartmentResult.department_id.in_(permissions.visible_departments(actor))
        )
    return list(db.session.scalars(query))


def is_published(campaign: Campaign) -> bool:
    return (
        db.session.scalar(
            select(Publication.id).where(
                Publication.campaign_id == campaign.id, Publication.published_at.is_not(None)
            )
        )
        is not None
    )


@dataclass(frozen=True)
class CalibrationSummary:
    year: int
    assessed: int
    quota: int
    share: Decimal  # the configured (or approved) share
    approval: dict[str, Any] | None
    excellent: int
    changes: list[CalibrationEntry]
    cap_share: Decimal = Decimal(20)  # the share 优秀 may never exceed

    @property
    def excellent_share(self) -> Decimal:
        """The share that is really 优秀, in percent (one decimal)."""
        if not self.assessed:
            return Decimal(0)
        return round(Decimal(self.excellent) * 100 / self.assessed, 1)


def calibrate(
    actor: Person, year: int, approval: Mapping[str, Any] | None = None
) -> CalibrationSummary:
    """Apply the quarterly rule and the 优秀 quota to every result of the campaign."""
    _require_admin(actor, "calibrates results")
    campaign = campaigns.get(year)
    # scoring records results through this module: imported here, no cycle at import time
    from app.services import scoring

    scoring.refresh_evaluations(campaign)  # void ballots judged on complete sheets
    settings = (
        campaigns.record_quota_approval(actor, campaign, dict(approval))
        if approval is not None
        else campaigns.settings_of(campaign)
    )
    rows = campaign_results(campaign)
    if not rows:
        raise Conflict(f"no results are recorded for {year}")
    by_code = {row.department.code: row for row in rows}
    outcome = grading.calibrate(
        [_candidate(row) for row in rows],
        settings.calibration_config(),
        settings.quota_approval,
        band_grades={code: Grade(row.band_grade) for code, row in by_code.items()},
    )
    reasons: dict[str, list[dict[str, Any]]] = {}
    for entry in outcome.log:
        reasons.setdefault(entry.code, []).append(entry.part)
    changes = []
    for rank, code in enumerate(outcome.order, start=1):
        row = by_code[code]
        new = outcome.grades[code].value
        if row.grade != new:
            parts = reasons.get(code) or [grading.reason_part("restored")]
            entry = CalibrationEntry(
                campaign_id=campaign.id,
                department_id=row.department_id,
                from_grade=row.grade,
                to_grade=new,
                reason=grading.reason_text(parts),
                reason_parts=parts,
                automatic=True,
                actor_id=actor.id,
            )
            db.session.add(entry)
            changes.append(entry)
            row.grade = new
        row.rank = rank
    db.session.flush()
    excellent = sum(1 for g in outcome.grades.values() if g is Grade.EXCELLENT)
    approval_doc = settings.document["quota"]["approval"]
    audit.record(
        "campaign.calibrate",
        actor,
        "campaign",
        campaign.id,
        year=year,
        assessed=len(rows),
        quota=outcome.quota,
        approval=approval_doc,
        changes=len(changes),
    )
    share = settings.quota_approval.share if settings.quota_approval else settings.quota.share
    cap = grading.quota_cap_share(settings.quota, settings.quota_approval)
    return CalibrationSummary(
        year, len(rows), outcome.quota, share, approval_doc, excellent, changes, cap
    )


APPROVAL_MAX = 200


def _text_field(value: Any, field: str, errors: dict[str, list[str]], longest: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors[field] = [Message("须为文本。")]
    elif len(value.strip()) > longest:
        errors[field] = [Message("不超过%(n)s个字符。", n=longest)]
    else:
        return value.strip()
    return None


def override(
    actor: Person,
    year: int,
    department_id: int,
    grade: Any,
    reason: Any,
    approved_by: Any = None,
    approval_ref: Any = None,
) -> DepartmentResult:
    """A person's change of one department's grade, with its reason, within the quota.

    A grade other than the one the score's band gives (a 55-point department set to 称职, a
    93-point one to 称职) needs the centre's recorded approval: who approved it and the
    reference of the approval (document or minutes number). Back to the band grade, a reason
    is enough."""
    _require_admin(actor, "changes grades")
    errors: dict[str, list[str]] = {}
    if not isinstance(grade, str) or grade not in {g.value for g in Grade}:
        errors["grade"] = [
            Message("须为 excellent、competent、basically_competent 或 incompetent。")
        ]
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = [Message("必填。")]
    elif len(reason.strip()) > REASON_MAX:
        errors["reason"] = [Message("不超过%(n)s个字符。", n=REASON_MAX)]
    approver = _text_field(approved_by, "approved_by", errors, APPROVAL_MAX)
    reference = _text_field(approval_ref, "approval_ref", errors, APPROVAL_MAX)
    if errors:
        raise Invalid("the grade change is invalid", fields=errors)
    campaign = campaigns.get(year)
    department = _department(department_id)
    rows = campaign_results(campaign)
    row = next((r for r in rows if r.department_id == department.id), None)
    if row is None:
        raise NotFound(f"no result of department {department_id} for {year}")
    if row.grade == grade:
        raise Conflict(f"the department already has the grade {grade}")
    quota, excellent = _quota_use(campaign, rows, row)
    if grade == Grade.EXCELLENT and excellent + 1 > quota:
        raise Conflict(
            f"the 优秀 quota of {quota} is already used", quota=quota, excellent=excellent
        )
    against_band = grade != row.band_grade
    if against_band and not (approver and reference):
        needed = Message(
            "调整后的等次与总分所在档次（%(band)s）不符，须填写绩效管理中心的批准。",
            band=Message(grading.GRADE_LABELS[Grade(row.band_grade)]),
        )
        raise Invalid(
            "a grade against its band needs a recorded approval",
            fields={
                name: [needed]
                for name, given in (("approved_by", approver), ("approval_ref", reference))
                if not given
            },
        )
    db.session.add(
        CalibrationEntry(
            campaign_id=campaign.id,
            department_id=department.id,
            from_grade=row.grade,
            to_grade=grade,
            reason=reason.strip(),
            automatic=False,
            actor_id=actor.id,
            approved_by=approver if against_band else None,
            approval_ref=reference if against_band else None,
        )
    )
    audit.record(
        "result.override",
        actor,
        "department",
        department.id,
        year=year,
        before=row.grade,
        after=grade,
        band=row.band_grade,
        reason=reason.strip(),
        approved_by=approver if against_band else None,
        approval_ref=reference if against_band else None,
    )
    row.grade = grade
    row.updated_at = clock.now()
    db.session.flush()
    return row


def _quota_use(
    campaign: Campaign, rows: list[DepartmentResult], row: DepartmentResult
) -> tuple[int, int]:
    """The campaign's 优秀 quota and how many departments other than `row` hold 优秀."""
    settings = campaigns.settings_of(campaign)
    quota = grading.quota_count(len(rows), settings.quota, settings.quota_approval)
    return quota, sum(1 for r in rows if r.grade == Grade.EXCELLENT and r is not row)


def is_calibrated(rows: list[DepartmentResult]) -> bool:
    """Calibrated and unchanged since: every result has its rank."""
    return bool(rows) and all(row.rank is not None for row in rows)


FIGURES = ("indicator_score", "evaluation_score", "deductions")


def adjust_on_appeal(
    decider: Person, year: int, department_id: int, corrected: Mapping[str, Any], reason: str
) -> dict[str, Any]:
    """The review panel's correction of a department's figures (复核调整): the result is
    recomputed by the system (`record_result` with no actor). When the campaign was calibrated
    it stays calibrated without touching anyone else's grade: the department's new grade is
    what calibration would give it (quarterly rule, band), capped at 称职 when the 优秀 places
    are all held by others (the override's quota rule), ranks are recomputed, and a changed
    grade goes into the calibration log with the appeal's reason. Returns the result's
    figures and grade before and after."""
    campaign = campaigns.get(year)
    department = _department(department_id)
    rows = campaign_results(campaign)
    row = next((r for r in rows if r.department_id == department.id), None)
    if row is None:
        raise NotFound(f"no result of department {department_id} for {year}")
    calibrated = is_calibrated(rows)

    def figures(r: DepartmentResult) -> dict[str, Any]:
        values = {name: getattr(r, name) for name in (*FIGURES, "final_score")}
        texts = {k: None if v is None else f"{v:f}" for k, v in values.items()}
        return {**texts, "grade": r.grade, "rank": r.rank}

    before = figures(row)
    changes = {name: corrected[name] for name in FIGURES if corrected.get(name) is not None}
    old_grade = row.grade
    record_result(
        None,
        year,
        department.id,
        changes.get("indicator_score", row.indicator_score),
        changes.get("evaluation_score", row.evaluation_score),
        changes.get("deductions", row.deductions),
        row.excellent_quarters,
        {**row.detail, "appeal": {"reason": reason, "corrected": sorted(changes)}},
    )
    if calibrated:
        settings = campaigns.settings_of(campaign)
        outcome = grading.calibrate(
            [_candidate(r) for r in rows],
            settings.calibration_config(),
            settings.quota_approval,
            band_grades={r.department.code: Grade(r.band_grade) for r in rows},
        )
        grade = outcome.grades[department.code]
        note = grading.reason_part("appeal", reason=reason)
        if grade is Grade.EXCELLENT:
            quota, excellent = _quota_use(campaign, rows, row)
            if excellent + 1 > quota:
                grade = Grade.COMPETENT
                note = grading.reason_part("appeal_quota_full", reason=reason, quota=quota)
        row.grade = grade.value
        for rank, code in enumerate(outcome.order, start=1):
            next(r for r in rows if r.department.code == code).rank = rank
        if row.grade != old_grade:
            db.session.add(
                CalibrationEntry(
                    campaign_id=campaign.id,
                    department_id=department.id,
                    from_grade=old_grade,
                    to_grade=row.grade,
                    reason=grading.reason_text([note]),
                    reason_parts=[note],
                    automatic=False,
                    actor_id=decider.id,
                )
            )
        db.session.flush()
    after = figures(row)
    audit.record(
        "result.appeal_adjust",
        decider,
        "department",
        department.id,
        year=year,
        before=before,
        after=after,
        reason=reason,
    )
    return {"before": before, "after": after, "corrected": {k: f"{v}" for k, v in changes.items()}}


# Grade changes the review panel's appeal decision makes (its reasons' kinds).
APPEAL_REASONS = frozenset({"appeal", "appeal_quota_full"})


def latest_changes(log: list[CalibrationEntry]) -> dict[int, CalibrationEntry]:
    """Each department's latest grade change (the log in order): what explains its grade."""
    latest: dict[int, CalibrationEntry] = {}
    for entry in log:
        latest[entry.department_id] = entry
    return latest


def grade_explained(row: DepartmentResult, latest: CalibrationEntry | None) -> bool:
    """The invariant: a grade is its band's, or the latest change to it was automatic (the
    quota, the quarterly rule), the review panel's appeal decision, or approved by the
    centre."""
    if row.grade == row.band_grade:
        return True
    by_appeal = (
        any(part.get("kind") in APPEAL_REASONS for part in (latest.reason_parts or []))
        if latest is not None
        else False
    )
    return (
        latest is not None
        and latest.to_grade == row.grade
        and (latest.automatic or by_appeal or bool(latest.approved_by and latest.approval_ref))
    )


def calibration_log(actor: Person, year: int) -> list[CalibrationEntry]:
    _require_admin(actor, "reads the calibration log")
    return campaign_log(campaigns.get(year))


def campaign_log(campaign: Campaign) -> list[CalibrationEntry]:
    """The campaign's grade changes in the order they were made."""
    return list(
        db.session.scalars(
            select(CalibrationEntry)
            .where(CalibrationEntry.campaign_id == campaign.id)
            .order_by(CalibrationEntry.id)
        )
    )


@dataclass(frozen=True)
class DepartmentOutcome:
    department: Department
    rank: int | None
    final_score: Decimal
    outcome: outcome_rules.Outcome


def outcomes(actor: Person, year: int) -> list[DepartmentOutcome]:
    """Bonus coefficient, reserve pool, improvement plan and head deduction per department,
    in ranking order. Needs a calibrated campaign."""
    _require_admin(actor, "reads outcomes")
    campaign = campaigns.get(year)
    rows = campaign_results(campaign)
    if not rows:
        raise Conflict(f"no results are recorded for {year}")
    if any(row.rank is None for row in rows):
        raise Conflict(f"the results of {year} changed since calibration: calibrate first")
    return compute_outcomes(campaign, rows, calibrated=True)


def compute_outcomes(
    campaign: Campaign, rows: list[DepartmentResult], calibrated: bool
) -> list[DepartmentOutcome]:
    """The outcome rules over the campaign's results: the calibrated grades, or the band grades
    when `calibrated` is False (a campaign that was never calibrated)."""
    year = campaign.year
    history: dict[str, dict[int, Grade]] = {}
    earlier = db.session.execute(
        select(Campaign.year, Department.code, DepartmentResult.grade)
        .select_from(DepartmentResult)
        .join(Campaign, Campaign.id == DepartmentResult.campaign_id)
        .join(Department, Department.id == DepartmentResult.department_id)
        .where(Campaign.year < year)
    )
    for past_year, code, grade in earlier:
        history.setdefault(code, {})[past_year] = Grade(grade)
    by_code = {row.department.code: row for row in rows}
    policy = campaigns.settings_of(campaign).outcomes
    found = outcome_rules.outcomes(
        [_candidate(row) for row in rows],
        {code: Grade(row.grade if calibrated else row.band_grade) for code, row in by_code.items()},
        history,
        year,
        policy,
    )
    return [
        DepartmentOutcome(
            by_code[o.code].department, by_code[o.code].rank, by_code[o.code].final_score, o
        )
        for o in found
    ]
