"""Escalating overdue steps: reminder, yellow card, red card (app.rules.escalation).

Escalation lives on the human-task projection, not in the diagrams: every user task with a
due time escalates the same way, so a diagram states only the due time (`dueIn`, or a
boundary timer) and cannot forget or misdraw the three levels. The policy comes from the
instance's campaign settings (`escalation`), working days from the centre's calendar.

A sweep takes one step at a time under its row lock (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so racing sweeps never send a card twice), raises it to the level it has reached,
and tells people: the reminder and the yellow card go to whoever the step waits for, the red
card to the department's supervising leader(s), or for a step a city-wide group holds (the
review panel, the assessment group) to the role that supervises the group (the centre by
default). A step nobody can be told about goes to the
centre. Each change is an instance event and an audit record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from app import clock
from app.extensions import db
from app.models import Campaign, HumanTask, InstanceEvent, ProcessInstance
from app.rules.calendar import WorkCalendar
from app.rules.campaign_settings import parse
from app.rules.escalation import (
    CITY_WIDE_GROUPS,
    EscalationPolicy,
    Level,
    is_escalation,
    level_at,
    red_card_role,
)
from app.services import audit, calendar, notices, permissions, timers
from app.services.transactions import unit_of_work


def _policies() -> dict[int, EscalationPolicy]:
    """Each campaign's policy (a handful of rows)."""
    rows = db.session.execute(select(Campaign.id, Campaign.settings)).all()
    return {cid: parse(doc).escalation for cid, doc in rows}


def _recipients(task: HumanTask, level: Level, policy: EscalationPolicy) -> list:
    if level == Level.RED_CARD:
        people = permissions.candidates(red_card_role(task.role, policy), task.department)
    else:
        people = notices.holders(task)
        if level == Level.YELLOW_CARD and task.role in CITY_WIDE_GROUPS:
            # a city-wide group's step past its limit (an appeal's 7 days) is the
            # supervisor's to know at once, not two working days later
            supervisors = permissions.candidates(policy.group_supervisor, task.department)
            people = [*people, *(p for p in supervisors if p not in people)]
    return people or permissions.centre_admins()


def _escalate(task: HumanTask, level: Level, policy: EscalationPolicy) -> None:
    due = task.due_at.astimezone(clock.LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
    told = notices.notify(
        _recipients(task, level, policy),
        task.instance_id,
        str(level),
        department=task.department.name,
        step=task.name,
        due=due,
        days=policy.red_after_working_days,
    )
    task.escalation = str(level)
    task.escalated_at = clock.now()
    detail = {"level": str(level), "human_task_id": task.id, "notified": told}
    db.session.add(
        InstanceEvent(
            instance_id=task.instance_id,
            kind="escalated",
            bpmn_id=task.bpmn_id,
            name=task.name,
            detail=detail,
        )
    )
    audit.record("task.escalated", None, "human_task", task.id, **detail)


def _candidates(
    now: datetime, policies: list[EscalationPolicy]
) -> list[tuple[int, datetime, str, int]]:
    """(task id, due, level, campaign id) of ready steps that may have reached a new level.

    Only steps whose next level can be due are read, whatever the number of open steps: a
    step with none is due for its reminder `remind_before` ahead of its due time, one with a
    reminder at its due time, one with a yellow card no sooner than N calendar days after it
    (N working days are at least N days; an hour spare for a daylight-saving day). The loosest
    policy decides, so the read never misses a step; `level_at` then decides exactly."""
    remind = max(p.remind_before for p in policies)
    red_days = min(p.red_after_working_days for p in policies)
    return db.session.execute(
        select(HumanTask.id, HumanTask.due_at, HumanTask.escalation, ProcessInstance.campaign_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            # each branch whole, so that each is a range of ix_human_task_escalation
            or_(
                *(
                    and_(
                        HumanTask.status == "ready",
                        HumanTask.escalation == str(level),
                        HumanTask.due_at < bound,
                    )
                    for level, bound in (
                        (Level.NONE, now + remind),
                        (Level.REMINDER, now),
                        (Level.YELLOW_CARD, now - timedelta(days=red_days, hours=-1)),
                    )
                )
            ),
            # A suspended (or stopped) instance's steps wait; nobody is chased meanwhile.
            ProcessInstance.status.in_(timers.ACTIVE),
        )
        .order_by(HumanTask.id)
    ).all()


def _escalate_one(task_id: int, now: datetime, cal: WorkCalendar, policy) -> Level | None:
    """Lock the step (skipping it if another sweep holds it), check again, escalate."""
    task = db.session.scalars(
        select(HumanTask)
        .where(HumanTask.id == task_id, HumanTask.status == "ready")
        .with_for_update(skip_locked=True)
    ).first()
    if task is None:
        return None
    # the instance's status only: loading the instance would read its workflow state too
    status = db.session.scalar(
        select(ProcessInstance.status).where(ProcessInstance.id == task.instance_id)
    )
    if status not in timers.ACTIVE:
        return None
    reached = level_at(task.due_at, now, cal, policy)
    if not is_escalation(Level(task.escalation), reached):
        return None
    _escalate(task, reached, policy)
    return reached


def sweep() -> dict[str, int]:
    """Escalate every step that has reached a new level; counts by level. One read finds
    them; each is then escalated in its own transaction under its row lock."""
    now = clock.now()
    policies = _policies()
    default = EscalationPolicy()
    candidates = _candidates(now, [*policies.values(), default])
    cal = calendar.current() if candidates else WorkCalendar()
    due = [
        (task_id, policies.get(campaign_id, default))
        for task_id, due_at, level, campaign_id in candidates
        if is_escalation(
            Level(level), level_at(due_at, now, cal, policies.get(campaign_id, default))
        )
    ]
    db.session.rollback()  # end the read; each escalation is its own unit of work
    counts: dict[str, int] = {}
    for task_id, policy in due:
        level = unit_of_work(lambda t=task_id, p=policy: _escalate_one(t, now, cal, p))
        if level is not None:
            counts[str(level)] = counts.get(str(level), 0) + 1
    return counts
