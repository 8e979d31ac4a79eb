"""The improvement plan's form keys (整改提升计划): what a submission does and what its page
shows (the rule that named the department, and for the check the submitted plan)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.extensions import db
from app.forms.appeal_forms import GRADE_NAMES
from app.models import Consequence, HumanTask
from app.services import consequences

if TYPE_CHECKING:
    from app.forms.catalog import Submission


def plan_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    consequences.submit_plan(sub.instance, sub.actor, data)
    return {}


def check_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    accepted = data["decision"] == "accept"
    consequences.check_plan(sub.instance, sub.actor, accepted, data.get("comment") or "")
    return {"plan_accepted": accepted}


def context(task: HumanTask) -> dict[str, Any]:
    row = db.session.scalars(
        select(Consequence).where(
            Consequence.campaign_id == task.instance.campaign_id,
            Consequence.department_id == task.department_id,
            Consequence.kind == "improvement_plan",
        )
    ).first()
    if row is None:
        return {"consequence": None, "grade_names": GRADE_NAMES}
    return {
        "grade_names": GRADE_NAMES,
        "consequence": {
            "status": row.status,
            "rank": row.detail.get("rank"),
            "grade": row.detail.get("grade"),
            "measures": list(row.detail.get("measures", [])),
            "plan": {k: v for k, v in (row.plan or {}).items() if isinstance(v, str)},
            "year": task.instance.campaign.year,
        },
    }
