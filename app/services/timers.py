"""The timer sweep: claim due instances and wake them, one transaction per instance.

On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so any number of sweeps (scheduler
processes, web workers) can run at once without firing a timer twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import ProcessInstance
from app.services import instances
from app.services.errors import Busy
from app.services.transactions import unit_of_work

log = logging.getLogger(__name__)
ACTIVE = ("running", "waiting_people", "waiting_timer", "waiting_message")


def _wake_next(now: datetime, skip: set[int], claimed: list[int]) -> int | None:
    """Lock one due instance (skipping those another sweep holds) and wake it."""
    query = (
        select(ProcessInstance.id)
        # SpiffWorkflow fires a timer strictly after its due time.
        .where(ProcessInstance.next_timer_at < now, ProcessInstance.status.in_(ACTIVE))
        .order_by(ProcessInstance.next_timer_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(ProcessInstance.id.not_in(skip))
    instance_id = db.session.scalars(query).first()
    if instance_id is not None:
        claimed.append(instance_id)
        instances.fire_timers(instance_id)
    return instance_id


def sweep(limit: int = 10_000) -> int:
    """Fire every timer due now; returns how many instances were woken.

    One instance's failure stays with it: the runner already turns a failing step into
    `error`; anything else raised while waking it (a handler's database error, say) is rolled
    back and recorded on that instance in a transaction of its own, and the sweep goes on.
    """
    now = clock.now()
    fired = 0
    skip: set[int] = set()
    while fired < limit:
        claimed: list[int] = []
        try:
            if unit_of_work(partial(_wake_next, now, skip, claimed)) is None:
                break
        except Exception as exc:
            if not claimed:
                raise  # the claim itself failed (the database is away): nothing to isolate
            instance_id = claimed[-1]
            skip.add(instance_id)
            if isinstance(exc, Busy):
                continue  # held elsewhere: the next sweep wakes it
            log.exception("waking instance %s failed", instance_id)
            unit_of_work(partial(instances.record_failure, instance_id, exc))
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
