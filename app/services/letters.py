"""Responsibility letters: revisions on submit, review, signatures, locking."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import LetterLine, LetterSignature, Person, ProcessInstance, ResponsibilityLetter

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
            LetterLine(
                position=i,
                name=line["name"].strip(),
                kind=line["kind"],
                direction=line["direction"],
                target=line["target"],
                unit=line.get("unit") or "",
                weight=line["weight"],
            )
            for i, line in enumerate(data["lines"])
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
        [line.name, line.kind, line.direction, f"{line.target:f}", line.unit, f"{line.weight:f}"]
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
