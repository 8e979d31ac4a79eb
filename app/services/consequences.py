"""Consequences of a grade as records (结果应用), and the improvement plan's follow-up.

When a department's outcome is drawn (`appeals.record_outcome`), each consequence the rules
name (app.rules.outcomes) becomes a `Consequence` row:
- `improvement_plan` (bottom-ranked or 不称职): status `open`. The annual cycle then asks the
  department head to submit the plan (脱产培训 and 岗位调整 arrangements and the measures,
  form `improvement_plan`, due in 30 days) and the supervising leader to check it (form
  `improvement_check`, due in 10 days): accepted closes it, returned opens it again.
- `reserve_pool` (优秀 in each of the last `reserve_years` years): the department's head enters
  the reserve cadre pool (后备干部库), which the centre reads at /admin/reserve-pool.
- `head_deduction` (score under the threshold): the points the head loses on their own
  appraisal, recorded against the head.
Drawing an outcome again replaces rows whose follow-up has not started; a plan already
submitted or accepted stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Campaign, Consequence, HumanTask, Outcome, Person, ProcessInstance
from app.services import audit, permissions
from app.services.errors import Conflict, Forbidden, NotFound

UNSTARTED = ("recorded", "open")
PLAN_FORMS = ("improvement_plan", "improvement_check")


def _head(instance: ProcessInstance) -> Person | None:
    heads = permissions.candidates("department_head", instance.department)
    return heads[0] if heads else None


def named(outcome: Outcome, year: int, reserve_years: int) -> dict[str, dict[str, Any]]:
    """kind -> detail of every consequence the outcome names."""
    found: dict[str, dict[str, Any]] = {}
    if outcome.improvement_plan:
        found["improvement_plan"] = {
            "measures": list(outcome.improvement_plan),
            "rank": outcome.rank,
            "grade": outcome.grade,
        }
    if outcome.reserve_pool:
        found["reserve_pool"] = {"years": list(range(year - reserve_years + 1, year + 1))}
    if outcome.head_deduction:
        found["head_deduction"] = {
            "points": f"{outcome.head_deduction:f}",
            "score": f"{outcome.final_score:f}",
        }
    return found


def record(instance: ProcessInstance, outcome: Outcome, reserve_years: int) -> list[Consequence]:
    """Make the rows of what `outcome` names (replacing unstarted ones drawn before)."""
    existing = {
        c.kind: c
        for c in db.session.scalars(
            select(Consequence).where(
                Consequence.campaign_id == instance.campaign_id,
                Consequence.department_id == instance.department_id,
            )
        )
    }
    wanted = named(outcome, instance.campaign.year, reserve_years)
    head = _head(instance)
    for kind, row in existing.items():
        if kind not in wanted and row.status in UNSTARTED:
            db.session.delete(row)
    rows = []
    for kind, detail in wanted.items():
        row = existing.get(kind)
        if row is None:
            row = Consequence(
                campaign_id=instance.campaign_id,
                department_id=instance.department_id,
                kind=kind,
                status="open" if kind == "improvement_plan" else "recorded",
            )
            db.session.add(row)
        elif row.status not in UNSTARTED:
            rows.append(row)
            continue
        row.instance_id = instance.id
        row.person_id = head.id if head is not None else None
        row.detail = detail
        row.recorded_at = clock.now()
        rows.append(row)
    db.session.flush()
    return rows


def _plan_of(instance: ProcessInstance) -> Consequence:
    row = db.session.scalars(
        select(Consequence).where(
            Consequence.campaign_id == instance.campaign_id,
            Consequence.department_id == instance.department_id,
            Consequence.kind == "improvement_plan",
        )
    ).first()
    if row is None:
        raise NotFound(f"{instance.department.name} has no improvement plan")
    return row


def submit_plan(instance: ProcessInstance, actor: Person, plan: dict[str, str]) -> Consequence:
    row = _plan_of(instance)
    if row.status != "open":
        raise Conflict(f"the improvement plan is {row.status}, not open")
    row.plan = {**plan, "submitted_by": actor.id}
    row.status = "submitted"
    row.submitted_at = clock.now()
    audit.record("consequence.plan_submitted", actor, "consequence", row.id)
    return row


def check_plan(
    instance: ProcessInstance, actor: Person, accepted: bool, comment: str
) -> Consequence:
    row = _plan_of(instance)
    if row.status != "submitted":
        raise Conflict(f"the improvement plan is {row.status}, not submitted")
    row.status = "accepted" if accepted else "open"
    row.plan = {**(row.plan or {}), "check_comment": comment}
    row.checked_at = clock.now()
    row.checked_by_id = actor.id
    audit.record("consequence.plan_checked", actor, "consequence", row.id, accepted=accepted)
    return row


@dataclass(frozen=True)
class Listed:
    row: Consequence
    step: HumanTask | None  # the improvement plan's open step (submit or check), with its due time


def listing(campaign: Campaign) -> list[Listed]:
    """The campaign's consequences for the results page, each plan with its open step."""
    rows = of_campaign(campaign)
    plan_instances = [r.instance_id for r in rows if r.kind == "improvement_plan"]
    steps = {
        t.instance_id: t
        for t in db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id.in_(plan_instances),
                HumanTask.form_key.in_(PLAN_FORMS),
                HumanTask.status == "ready",
            )
        )
    }
    return [
        Listed(r, steps.get(r.instance_id) if r.kind == "improvement_plan" else None) for r in rows
    ]


def of_campaign(campaign: Campaign) -> list[Consequence]:
    return list(
        db.session.scalars(
            select(Consequence)
            .where(Consequence.campaign_id == campaign.id)
            .order_by(Consequence.kind, Consequence.department_id)
        )
    )


def reserve_pool(actor: Person) -> list[Consequence]:
    """Every entry of the reserve cadre pool, newest year first (the centre only)."""
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre reads the reserve pool")
    return list(
        db.session.scalars(
            select(Consequence)
            .join(Campaign, Campaign.id == Consequence.campaign_id)
            .where(Consequence.kind == "reserve_pool")
            .order_by(Campaign.year.desc(), Consequence.department_id)
        )
    )
