"""The quarterly interview's and the data verification's form keys: what a submission does
(effects) and what the page shows (context, as plain values)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.models import DataVerification, HumanTask, QuarterlyReview
from app.services import quarterly, verification

if TYPE_CHECKING:
    from app.forms.catalog import Submission


def interview_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    quarterly.record_interview(sub.instance, sub.actor, data)
    return {"interviewed": True}


def verification_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    return {"verified": len(verification.decide(sub.instance, sub.actor, data["decisions"]))}


def _figure(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def review_view(review: QuarterlyReview | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "id": review.id,
        "year": review.year,
        "quarter": review.quarter,
        "lagging": review.lagging,
        "lines": review.lines,
        "compared_at": review.compared_at.isoformat(),
    }


def interview_context(task: HumanTask) -> dict[str, Any]:
    return {"review": review_view(quarterly.open_review(task.instance_id))}


def difference_view(row: DataVerification) -> dict[str, Any]:
    return {
        "id": row.id,
        "indicator": row.indicator_code,
        "name": row.name,
        "unit": row.unit,
        "reported": _figure(row.reported),
        "pulled": _figure(row.pulled),
        "pulled_source": row.pulled_source,
    }


def verification_context(task: HumanTask) -> dict[str, Any]:
    rows = verification.open_differences(task.instance_id)
    return {"differences": [difference_view(row) for row in rows]}
