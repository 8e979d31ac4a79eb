"""The appeal's form keys: what a submission does (effects) and what its page shows (context:
the department's published result and, for the panel, the appeal), as plain values."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Appeal, DepartmentResult, HumanTask
from app.services import appeals, letters

if TYPE_CHECKING:
    from app.forms.catalog import Submission

# the same msgids as the results page's, so one translation serves both
GRADE_NAMES = {
    "excellent": _l("优秀"),
    "competent": _l("称职"),
    "basically_competent": _l("基本称职"),
    "incompetent": _l("不称职"),
}


def file_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    if data["decision"] != "appeal":
        return {"appealed": False, "appeal_id": None}
    appeal = appeals.file(sub.instance, sub.actor, data)
    return {"appealed": True, "appeal_id": appeal.id}


def decide_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    appeals.decide(sub.instance, sub.actor, data)
    return {"appeal_decision": data["decision"]}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _result_view(task: HumanTask) -> dict[str, Any] | None:
    row = db.session.scalars(
        select(DepartmentResult).where(
            DepartmentResult.campaign_id == task.instance.campaign_id,
            DepartmentResult.department_id == task.department_id,
        )
    ).first()
    if row is None:
        return None
    return {
        "indicator_score": _text(row.indicator_score),
        "evaluation_score": _text(row.evaluation_score),
        "deductions": _text(row.deductions),
        "final_score": _text(row.final_score),
        "grade": row.grade,
        "rank": row.rank,
        "year": task.instance.campaign.year,
        "department_id": row.department_id,
    }


def _appeal_view(appeal: Appeal | None) -> dict[str, Any] | None:
    if appeal is None:
        return None
    letter = letters.current(appeal.instance_id)
    names = {line.id: line.name for line in letter.lines} if letter is not None else {}
    disputed = appeal.disputed or {}
    return {
        "id": appeal.id,
        "reasons": appeal.reasons,
        "filed_at": appeal.filed_at,
        "lines": [names.get(i, str(i)) for i in disputed.get("lines", [])],
        "deductions": bool(disputed.get("deductions")),
        "evaluation": bool(disputed.get("evaluation")),
    }


def file_context(task: HumanTask) -> dict[str, Any]:
    letter = letters.current(task.instance_id)
    lines = [{"id": line.id, "name": line.name} for line in letter.lines] if letter else []
    return {"result": _result_view(task), "letter_lines": lines, "grade_names": GRADE_NAMES}


def decide_context(task: HumanTask) -> dict[str, Any]:
    return {
        "result": _result_view(task),
        "appeal": _appeal_view(appeals.of_instance(task.instance_id)),
        "grade_names": GRADE_NAMES,
    }
