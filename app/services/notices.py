"""In-app notices; each is also an email in the outbox (app.services.mail) when its person
has an address and mail is configured.

A notice keeps its kind and the values it names (`params`); its text is the kind's entry in
`TEXTS`. The stored `message` is that text in Chinese (the record, and the email); pages show
`text_of(notice)`, the same text in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from app.extensions import db
from app.i18n import N_
from app.models import HumanTask, Notice, Person
from app.services import permissions

TEXTS = {
    "reminder": N_("提醒：「%(department)s」的「%(step)s」将于%(due)s到期，请及时办理。"),
    "yellow_card": N_("黄牌：「%(department)s」的「%(step)s」已于%(due)s超期，请尽快办理。"),
    "red_card": N_(
        "红牌：「%(department)s」的「%(step)s」超期已逾%(days)s个工作日（%(due)s到期），请督办。"
    ),
    "overdue_reminder": N_("「%(step)s」已超过办理时限，请尽快处理。"),
    "results_published": N_("%(year)s年度考核结果已公示，如有异议请在%(days)s日内提出申诉。"),
}


def text_of(notice: Notice) -> str:
    """The notice in the reader's language (notices stored before `params` existed: as stored)."""
    if notice.params is None or notice.kind not in TEXTS:
        return notice.message
    return gettext(TEXTS[notice.kind], **notice.params)


def holders(task: HumanTask) -> list[Person]:
    """Who the step waits for: its holder once claimed, otherwise every candidate."""
    if task.assignee_id:
        return [db.session.get(Person, task.assignee_id)]
    return permissions.candidates(task.role, task.department)


def notify(people: Iterable[Person], instance_id: int | None, kind: str, **params: Any) -> int:
    """One notice of `kind` (a key of TEXTS) per person (each person once); returns how many."""
    message = TEXTS[kind] % params  # raises KeyError at once if a value is missing
    unique = {p.id: p for p in people}
    db.session.add_all(
        Notice(person_id=pid, instance_id=instance_id, kind=kind, message=message, params=params)
        for pid in unique
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
        notify(holders(task), instance_id, "overdue_reminder", step=task.name) for task in tasks
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
