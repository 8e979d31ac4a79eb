"""The monthly spot check's form keys: what a submission does (effects) and what its page shows
(context: the spot check the task acts on, as plain values)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.models import Evidence, Finding, HumanTask, LedgerEntry, SpotCheck
from app.services import spot_checks

if TYPE_CHECKING:
    from app.forms.catalog import Submission


def verify_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    return {"findings": spot_checks.verify(sub.instance, sub.actor, data)}


def rectify_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    return {"rectified": spot_checks.rectify(sub.instance, sub.actor, data)}


def confirm_effect(sub: Submission, data: dict[str, Any]) -> dict[str, Any]:
    return {"confirmed": spot_checks.confirm(sub.instance, sub.actor, data)}


def _points(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _evidence_name(evidence: Evidence | None) -> str | None:
    return None if evidence is None else evidence.filename


def entry_view(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "number": entry.number,
        "month": entry.month,
        "title": entry.title,
        "detail": entry.detail,
        "amount": _points(entry.amount),
    }


def finding_view(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "entry": entry_view(finding.ledger_entry),
        "description": finding.description,
        "indicator": finding.indicator_code,
        "proposed_points": _points(finding.proposed_points),
        "confirmed_points": _points(finding.confirmed_points),
        "status": finding.status,
        "evidence_note": finding.evidence_note,
        "evidence": _evidence_name(finding.evidence),
        "rectifications": [
            {
                "id": r.id,
                "text": r.text,
                "evidence_note": r.evidence_note,
                "evidence": _evidence_name(r.evidence),
                "at": r.at.isoformat(),
            }
            for r in finding.rectifications
        ],
    }


def _check_view(check: SpotCheck | None, findings: list[Finding]) -> dict[str, Any]:
    if check is None:
        return {"spot_check": None}
    return {
        "spot_check": {
            "id": check.id,
            "year": check.year,
            "month": check.month,
            "sample": [entry_view(e) for e in spot_checks.sample_entries(check)],
            "findings": [finding_view(f) for f in findings],
        }
    }


def verify_context(task: HumanTask) -> dict[str, Any]:
    check = spot_checks.pending(task.instance_id, "verify")
    view = _check_view(check, [])
    view["indicator_codes"] = (
        spot_checks.letter_codes(check.department_id, check.year) if check else []
    )
    return view


def rectify_context(task: HumanTask) -> dict[str, Any]:
    check = spot_checks.pending(task.instance_id, "rectify")
    return _check_view(check, [f for f in check.findings if f.status == "open"] if check else [])


def confirm_context(task: HumanTask) -> dict[str, Any]:
    check = spot_checks.pending(task.instance_id, "confirm")
    undecided = ("open", "rectified")
    return _check_view(check, [f for f in check.findings if f.status in undecided] if check else [])
