"""In-app notices."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, Notice, Person
from app.services import permissions


def remind_candidates(instance_id: int, bpmn_id: str) -> int:
    """Remind everyone who may act on the instance's ready `bpmn_id` task; returns how many."""
    tasks = db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == "ready",
        )
    )
    sent = 0
    for task in tasks:
        people = (
            [db.session.get(Person, task.assignee_id)]
            if task.assignee_id
            else permissions.candidates(task.role, task.department)
        )
        for person in people:
            db.session.add(
                Notice(
                    person_id=person.id,
                    instance_id=instance_id,
                    kind="overdue_reminder",
                    message=f"「{task.name}」已超过办理时限，请尽快处理。",
                )
            )
            sent += 1
    db.session.flush()
    return sent


def unread_for(person: Person) -> list[Notice]:
    return list(
        db.session.scalars(
            select(Notice)
            .where(Notice.person_id == person.id, Notice.read_at.is_(None))
            .order_by(Notice.created_at.desc())
            .limit(50)
        )
    )
