"""The timer sweep: claim due instances and wake them, one transaction per instance.

On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so any number of sweeps (scheduler
processes, web workers) can run at once without firing a timer twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import ProcessInstance
from app.services import instances
from app.services.errors import InstanceFailed
from app.services.transactions import unit_of_work

log = logging.getLogger(__name__)
ACTIVE = ("running", "waiting_people", "waiting_timer", "waiting_message")


def _claim_one(now: datetime, skip: set[int]) -> int | None:
    """Lock one due instance (skipping those another sweep holds, and those that failed in
    this sweep) and wake it."""
    due = select(ProcessInstance.id).where(
        # SpiffWorkflow fires a timer strictly after its due time.
        ProcessInstance.next_timer_at < now,
        ProcessInstance.status.in_(ACTIVE),
    )
    if skip:
        due = due.where(ProcessInstance.id.not_in(skip))
    instance_id = db.session.scalars(
        due.order_by(ProcessInstance.next_timer_at).limit(1).with_for_update(skip_locked=True)
    ).first()
    if instance_id is not None:
        instances.fire_timers(instance_id)
    return instance_id


def sweep(limit: int = 10_000) -> int:
    """Fire every timer due now; returns how many instances were woken. An instance whose
    wake-up fails is put in `error` (by `instances.fire_timers`) and the sweep goes on."""
    now = clock.now()
    fired = 0
    failed: set[int] = set()
    while fired + len(failed) < limit:
        try:
            claimed = unit_of_work(lambda: _claim_one(now, failed))
        except InstanceFailed as exc:
            log.warning("timer of instance %s failed: %s", exc.instance_id, exc.message)
            failed.add(exc.instance_id)
            continue
        if claimed is None:
            break
        fired += 1
    return fired


def earliest_due() -> datetime | None:
    """The next due time of an active instance: the first of each state's earliest, each read
    from the (status, next_timer_at) index, never by sorting every instance."""
    firsts = [
        db.session.scalar(
            select(ProcessInstance.next_timer_at)
            .where(ProcessInstance.status == status, ProcessInstance.next_timer_at.is_not(None))
            .order_by(ProcessInstance.next_timer_at)
            .limit(1)
        )
        for status in ACTIVE
    ]
    return min((t for t in firsts if t is not None), default=None)
