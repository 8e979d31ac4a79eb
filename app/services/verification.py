"""Year-end data verification (数据核验): each quantitative line's reported year figure against
the pulled (or imported) one; differences beyond the tolerance (`app.rules.verification`) wait
for the assessment group's decision, and the decided value is what the line is scored from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import DataVerification, Person, ProcessInstance
from app.rules import verification as rules
from app.rules.actuals import parse_value
from app.rules.quarterly import is_quantitative
from app.services import audit, measures
from app.services.errors import Conflict, Invalid

REASON_MAX = 500


SELF_LEVEL = "self_level"  # pulled_source of a self-reported anchored level to confirm


def compare(instance_id: int) -> list[DataVerification]:
    """Record a difference for every line whose two figures differ, and every self-reported
    anchored level (qualitative lines: the group confirms or corrects it); a line already
    decided keeps its decision, an open one gets the current figures. Returns the open ones."""
    process = measures.instance(instance_id)
    existing = {v.letter_line_id: v for v in _rows(process.id)}
    for m in measures.measures(process):
        reported = m.year_value("reported")
        pulled, source = m.pulled_year_value()
        if not is_quantitative(m.definition):
            # a self-reported anchored level: the assessment group confirms or corrects it
            pulled, source = (reported, SELF_LEVEL) if reported is not None else (None, None)
        row = existing.get(m.line.id)
        needs_review = source == SELF_LEVEL and reported is not None
        if not needs_review and (
            reported is None or pulled is None or not rules.differs(reported, pulled)
        ):
            if row is not None and row.status == "open":
                db.session.delete(row)  # the figures agree now: nothing left to decide
            continue
        if row is None:
            row = DataVerification(
                instance_id=process.id,
                department_id=process.department_id,
                year=process.campaign.year,
                letter_line_id=m.line.id,
                indicator_code=m.line.indicator_code,
                name=m.line.name,
                unit=m.line.unit,
                created_at=clock.now(),
            )
            db.session.add(row)
        elif row.status != "open":
            continue
        row.reported, row.pulled, row.pulled_source = reported, pulled, source
    db.session.flush()
    return open_differences(process.id)


def _rows(instance_id: int) -> list[DataVerification]:
    return list(
        db.session.scalars(
            select(DataVerification)
            .where(DataVerification.instance_id == instance_id)
            .order_by(DataVerification.letter_line_id)
        )
    )


def open_differences(instance_id: int) -> list[DataVerification]:
    return [row for row in _rows(instance_id) if row.status == "open"]


def accepted_values(instance_id: int) -> dict[int, Decimal]:
    """Letter line id -> the value the group accepted."""
    return {
        row.letter_line_id: row.accepted_value
        for row in _rows(instance_id)
        if row.status == "decided" and row.accepted_value is not None
    }


def decide(
    process: ProcessInstance, actor: Person, decisions: Sequence[Mapping[str, Any]]
) -> list[DataVerification]:
    """The group's decision on every open difference of the instance: all at once, each
    once; `other` needs a value (checked like an actual of the line's unit) and a reason."""
    rows = {row.id: row for row in open_differences(process.id)}
    if not rows:
        raise Conflict("there is no open difference to verify")
    errors: dict[str, list[str]] = {}
    chosen: dict[int, tuple[str, Decimal, str | None]] = {}
    for i, item in enumerate(decisions):
        row = rows.get(item["verification_id"])
        if row is None:
            errors[f"decisions.{i}.verification_id"] = [Message("不是本科室待核验的差异。")]
            continue
        if row.id in chosen:
            errors[f"decisions.{i}.verification_id"] = [Message("每项差异只能核定一次。")]
            continue
        accepted = item["accepted"]
        reason = (item.get("reason") or "").strip() or None
        if accepted == "reported":
            value = row.reported
        elif accepted == "pulled":
            value = row.pulled
        else:
            value, problem = parse_value(item.get("value"), row.unit)
            if item.get("value") is None:
                errors[f"decisions.{i}.value"] = [Message("选择“其他”时须填写核定值。")]
            elif problem:
                errors[f"decisions.{i}.value"] = [problem]
            if reason is None:
                errors[f"decisions.{i}.reason"] = [Message("选择“其他”时须说明理由。")]
        chosen[row.id] = (accepted, value, reason)
    missing = [row.name for row_id, row in rows.items() if row_id not in chosen]
    if missing:
        errors.setdefault("decisions", []).append(
            Message("以下差异尚未核定：%(rows)s", rows=missing)
        )
    if errors:
        raise Invalid("the verification has errors", fields=errors)
    now = clock.now()
    for row_id, (accepted, value, reason) in chosen.items():
        row = rows[row_id]
        row.status, row.accepted, row.accepted_value, row.reason = (
            "decided",
            accepted,
            value,
            reason,
        )
        row.decided_by_id, row.decided_at = actor.id, now
        audit.record(
            "verification.decide",
            actor,
            "data_verification",
            row.id,
            instance_id=process.id,
            indicator=row.indicator_code,
            reported=f"{row.reported:f}",
            pulled=f"{row.pulled:f}",
            accepted=accepted,
            value=f"{value:f}",
            reason=reason,
        )
    db.session.flush()
    return [rows[row_id] for row_id in chosen]
