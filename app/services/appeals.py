"""Appeals (申诉) against a published result, their review (复核), and the results application
(结果应用) drawn at the end of a department's year.

- A department head files through the `appeal_file` form while the appeal window is open
  (the diagram's interrupting timer closes it): reasons (required, ≤ 2000 characters) and
  optionally what is disputed — lines of the department's current letter (by id), the
  deductions, the evaluation. One appeal per instance.
- The review panel decides through `appeal_decide`: `uphold` keeps the result as it is;
  `adjust` gives corrected figures and the result is recomputed by the system
  (`results.adjust_on_appeal`: calibration log, quota, ranks); corrections that change
  neither the figures nor the grade are recorded as upheld. The decision is due the
  campaign's `appeal.decision_days` (7) after filing (`decision_due`); a late one is marked
  (`decided_late`), and the step's yellow card at the limit also tells the centre.
- Who sees appeals (`permissions.may_view_appeals`): the centre, the review panel, and the
  department's own head and staff. Nobody else, not even the supervising leader.
- `record_outcome` stores the department's outcome (`Outcome`) from the same computation as
  `results.outcomes`; with the calibrated grade, or the band grade when the campaign was
  never calibrated (or changed since).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import (
    Appeal,
    Campaign,
    Department,
    DepartmentResult,
    Outcome,
    Person,
    ProcessInstance,
)
from app.services import audit, campaigns, consequences, letters, permissions, results
from app.services.errors import Conflict, Forbidden, Invalid, NotFound


def terms(campaign: Campaign) -> dict[str, str]:
    """The appeal window and the decision time as ISO-8601 durations (calendar days)."""
    settings = campaigns.settings_of(campaign)
    return {
        "window": f"P{settings.appeal_window_days}D",
        "decision": f"P{settings.appeal_decision_days}D",
    }


def decision_due(appeal: Appeal) -> datetime:
    """When the review panel's decision is due: the campaign's decision days (7 by default)
    after filing, as the diagram's timer on `decide_appeal` counts them."""
    campaign = campaigns.get(appeal.year)
    return appeal.filed_at + timedelta(days=campaigns.settings_of(campaign).appeal_decision_days)


def decided_late(appeal: Appeal, now: datetime | None = None) -> bool:
    """Decided after its limit, or still undecided past it."""
    if appeal.status == "withdrawn":
        return False
    return (appeal.decided_at or now or clock.now()) > decision_due(appeal)


def _result(instance: ProcessInstance) -> DepartmentResult:
    row = db.session.scalars(
        select(DepartmentResult).where(
            DepartmentResult.campaign_id == instance.campaign_id,
            DepartmentResult.department_id == instance.department_id,
        )
    ).first()
    if row is None:
        raise Conflict("the department has no result to appeal against")
    return row


def of_instance(instance_id: int) -> Appeal | None:
    return db.session.scalars(select(Appeal).where(Appeal.instance_id == instance_id)).first()


def file(instance: ProcessInstance, actor: Person, data: Mapping[str, Any]) -> Appeal:
    """Store the department's appeal; the schema has checked the shapes, this checks that the
    named letter lines are the department's own."""
    _result(instance)
    if of_instance(instance.id) is not None:
        raise Conflict("this department has already appealed")
    letter = letters.current(instance.id)
    known = {line.id for line in letter.lines} if letter is not None else set()
    unknown = [i for i in data["lines"] if i not in known]
    if unknown:
        raise Invalid(
            "the appeal is invalid",
            fields={
                "lines": [
                    Message("不是本科室绩效责任书的指标：%(ids)s", ids=[str(u) for u in unknown])
                ]
            },
        )
    appeal = Appeal(
        instance_id=instance.id,
        department_id=instance.department_id,
        year=instance.campaign.year,
        filed_by_id=actor.id,
        filed_at=clock.now(),
        reasons=data["reasons"].strip(),
        disputed={
            "lines": sorted(set(data["lines"])),
            "deductions": data["deductions"],
            "evaluation": data["evaluation"],
        },
        status="filed",
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(
        "appeal.file", actor, "appeal", appeal.id, instance_id=instance.id, year=appeal.year
    )
    return appeal


def decide(instance: ProcessInstance, actor: Person, data: Mapping[str, Any]) -> Appeal:
    appeal = of_instance(instance.id)
    if appeal is None or appeal.status != "filed":
        raise Conflict("there is no appeal waiting for a decision")
    reason = data["reason"].strip()
    appeal.status = "upheld"
    if data["decision"] == "adjust":
        adjustment = results.adjust_on_appeal(
            actor, appeal.year, appeal.department_id, data, reason
        )
        appeal.adjustment = adjustment
        # "adjusted" means the result changed; corrections that change nothing uphold it
        if adjustment["before"] != adjustment["after"]:
            appeal.status = "adjusted"
    appeal.decided_by_id = actor.id
    appeal.decided_at = clock.now()
    appeal.decision_reason = reason
    db.session.flush()
    audit.record(
        "appeal.decide",
        actor,
        "appeal",
        appeal.id,
        decision=data["decision"],
        status=appeal.status,
        reason=reason,
        late=decided_late(appeal),
    )
    return appeal


def listing(actor: Person, year: int | None = None, department_id: int | None = None):
    """Appeals the person may see, newest first; a named department they cannot see is 404,
    one they see but whose appeals are not theirs to see is 403."""
    query = select(Appeal).order_by(Appeal.filed_at.desc(), Appeal.id.desc())
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None or not permissions.may_view_department(actor, department):
            raise NotFound(f"department {department_id} not found")
        if not permissions.may_view_appeals(actor, department):
            raise Forbidden("only the department, the review panel and the centre see appeals")
        query = query.where(Appeal.department_id == department.id)
    else:
        query = query.where(Appeal.department_id.in_(permissions.appeal_departments(actor)))
    if year is not None:
        query = query.where(Appeal.year == year)
    return list(db.session.scalars(query))


def record_outcome(instance_id: int) -> Outcome:
    """The department's outcome, stored with its instance (replaced if drawn again)."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"instance {instance_id} not found")
    campaign = instance.campaign
    rows = results.campaign_results(campaign)
    calibrated = results.is_calibrated(rows)
    found = results.compute_outcomes(campaign, rows, calibrated=calibrated)
    mine = next((o for o in found if o.department.id == instance.department_id), None)
    if mine is None:
        raise Conflict(f"{instance.department.name} has no result for {campaign.year}")
    row = db.session.scalars(select(Outcome).where(Outcome.instance_id == instance.id)).first()
    if row is None:
        row = Outcome(
            instance_id=instance.id,
            campaign_id=campaign.id,
            department_id=instance.department_id,
        )
        db.session.add(row)
    o = mine.outcome
    row.grade = o.grade.value
    row.calibrated = calibrated
    row.final_score = mine.final_score
    row.rank = mine.rank
    row.bonus_coefficient = o.bonus_coefficient
    row.reserve_pool = o.reserve_pool
    row.improvement_plan = list(o.improvement_plan)
    row.head_deduction = o.head_deduction
    row.recorded_at = clock.now()
    db.session.flush()
    policy = campaigns.settings_of(campaign).outcomes
    consequences.record(instance, row, policy.reserve_years)
    audit.record("outcome.record", None, "instance", instance.id, grade=row.grade)
    return row
