"""In-app notices; each is also an email in the outbox (app.services.mail) when its person
has an address and mail is configured."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, Notice, Person
from app.services import permissions


def holders(task: HumanTask) -> list[Person]:
    """Who the step waits for: its holder once claimed, otherwise every candidate."""
    if task.assignee_id:
        return [db.session.get(Person, task.assignee_id)]
    return permissions.candidates(task.role, task.department)


def notify(people: Iterable[Person], instance_id: int | None, kind: str, message: str) -> int:
    """One notice per person (each person once); returns how many."""
    unique = {p.id: p for p in people}
    db.session.add_all(
        Notice(person_id=pid, instance_id=instance_id, kind=kind, message=message) for pid in unique
    )
    return len(unique)


def remind_candidates(instance_id: int, bpmn_id: str) -> int:
    """Remind everyone who may act on the instance's ready `bpmn_id` task; returns how many."""
    tasks = db.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == "ready",
        )
    )
    sent = sum(
        notify(
            holders(task),
            instance_id,
            "overdue_reminder",
            f"「{task.name}」已超过办理时限，请尽快处理。",
        )
        for task in tasks
    )
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
