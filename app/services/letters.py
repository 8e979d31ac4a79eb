"""Responsibility letters: revisions on submit, review, signatures, locking."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import LetterLine, LetterSignature, Person, ProcessInstance, ResponsibilityLetter
from app.rules import letter_policy
from app.services import library
from app.services.errors import Invalid

REQUIRED_SIGNERS = ("department_head", "supervising_leader")


class LetterStateError(Exception):
    """The letter is not in a state that allows this step."""


def current(instance_id: int) -> ResponsibilityLetter | None:
    return db.session.scalars(
        select(ResponsibilityLetter)
        .where(ResponsibilityLetter.instance_id == instance_id)
        .order_by(ResponsibilityLetter.revision.desc())
        .limit(1)
    ).first()


def revisions(instance_id: int) -> list[ResponsibilityLetter]:
    return list(
        db.session.scalars(
            select(ResponsibilityLetter)
            .where(ResponsibilityLetter.instance_id == instance_id)
            .order_by(ResponsibilityLetter.revision)
        )
    )


def checked_lines(
    instance: ProcessInstance, lines: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The columns of each line, library lines resolved from the campaign year's library; raises
    Invalid with every violation of the letter policy (`app.rules.letter_policy`) by field."""
    year = instance.campaign.year
    category = instance.department.function_category
    library_rows = library.by_code(year, [ln["indicator"] for ln in lines if ln.get("indicator")])
    columns: list[dict[str, Any]] = []
    policy_lines: list[letter_policy.LetterLine] = []
    errors: dict[str, list[str]] = {}
    adhoc: set[int] = set()
    for i, line in enumerate(lines):
        code = line.get("indicator")
        row = library_rows.get(code) if code else None
        if code and (row is None or row.retired):
            errors[f"lines.{i}.indicator"] = [f"{year} 年度指标库中没有指标 {code}"]
            continue
        if row is not None:
            target = line.get("target") if line.get("target") is not None else row.target
            definition = library.to_definition(row, target)
        else:
            adhoc.add(i)
            definition = letter_policy.adhoc_definition(
                i, line["name"].strip(), line["kind"], line["direction"],
                line["target"], line.get("threshold"), line.get("unit") or "",
            )  # fmt: skip
            errors.update(letter_policy.adhoc_problems(i, definition))
        policy_lines.append(letter_policy.LetterLine(definition, line["weight"]))
        columns.append(
            {
                "indicator_code": code,
                "name": definition.name,
                "kind": definition.kind.value,
                "direction": definition.direction.value,
                "target": definition.target,
                "threshold": definition.threshold,
                "unit": definition.unit,
            }
        )
    if not errors:
        violations = letter_policy.letter_violations(policy_lines, category)
        errors.update(letter_policy.violation_fields(violations, frozenset(adhoc)))
    if errors:
        raise Invalid("the letter breaks the indicator rules", fields=errors)
    return columns


def submit(
    instance: ProcessInstance, actor: Person, data: Mapping[str, Any]
) -> ResponsibilityLetter:
    latest = current(instance.id)
    if latest is not None and latest.status == "locked":
        raise LetterStateError("letter is locked")
    revision = (
        db.session.scalar(
            select(func.max(ResponsibilityLetter.revision)).where(
                ResponsibilityLetter.instance_id == instance.id
            )
        )
        or 0
    ) + 1
    letter = ResponsibilityLetter(
        instance_id=instance.id,
        department_id=instance.department_id,
        campaign_id=instance.campaign_id,
        revision=revision,
        status="submitted",
        note=data.get("note"),
        submitted_by_id=actor.id,
        submitted_at=clock.now(),
        lines=[
            LetterLine(position=i, weight=line["weight"], **columns)
            for i, (line, columns) in enumerate(
                zip(data["lines"], checked_lines(instance, data["lines"]), strict=True)
            )
        ],
    )
    db.session.add(letter)
    db.session.flush()
    return letter


def review(
    instance: ProcessInstance, actor: Person, decision: str, comment: str
) -> ResponsibilityLetter:
    letter = current(instance.id)
    if letter is None or letter.status != "submitted":
        raise LetterStateError("no submitted letter to review")
    letter.status = "approved" if decision == "approve" else "returned"
    letter.reviewed_by_id = actor.id
    letter.reviewed_at = clock.now()
    letter.review_comment = comment or None
    db.session.flush()
    return letter


def sign(instance: ProcessInstance, actor: Person, role: str) -> LetterSignature:
    letter = current(instance.id)
    if letter is None or letter.status != "approved":
        raise LetterStateError("only an approved letter can be signed")
    signature = LetterSignature(
        letter_id=letter.id, person_id=actor.id, role=role, signed_at=clock.now()
    )
    letter.signatures.append(signature)
    db.session.flush()
    return signature


def content_hash(letter: ResponsibilityLetter) -> str:
    canonical = [
        [
            line.indicator_code,
            line.name,
            line.kind,
            line.direction,
            None if line.target is None else f"{line.target:f}",
            None if line.threshold is None else f"{line.threshold:f}",
            line.unit,
            f"{line.weight:f}",
        ]
        for line in letter.lines
    ]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


def lock(instance_id: int) -> ResponsibilityLetter:
    """Freeze the signed letter; its content hash lets anyone check it was not altered."""
    letter = current(instance_id)
    if letter is None or letter.status != "approved":
        raise LetterStateError("only an approved letter can be locked")
    missing = set(REQUIRED_SIGNERS) - {s.role for s in letter.signatures}
    if missing:
        raise LetterStateError(f"missing signatures: {', '.join(sorted(missing))}")
    letter.status = "locked"
    letter.locked_at = clock.now()
    letter.content_hash = content_hash(letter)
    db.session.flush()
    return letter
