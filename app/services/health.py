"""What operators watch: scheduler heartbeats, readiness, and the figures read from the
database for the metrics (the same whichever process is asked)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from app import clock
from app.extensions import db
from app.models import ProcessInstance, SchedulerHeartbeat
from app.services import timers


def process_name() -> str:
    """This process, as its heartbeat row names it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(name: str, sweep_seconds: float, fired: int) -> None:
    """Record that scheduler `name` finished a sweep now."""
    now = clock.now()
    row = db.session.scalars(
        select(SchedulerHeartbeat).where(SchedulerHeartbeat.name == name)
    ).first()
    if row is None:
        row = SchedulerHeartbeat(name=name, started_at=now)
        db.session.add(row)
    row.beat_at = now
    row.sweep_seconds = sweep_seconds
    row.fired = fired
    db.session.flush()


def heartbeats() -> list[SchedulerHeartbeat]:
    return list(
        db.session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.beat_at.desc()))
    )


@cache
def migration_head(directory: Path) -> str | None:
    """The newest revision of the migrations shipped with this code (read once a process)."""
    return ScriptDirectory(str(directory)).get_current_head()


@dataclass(frozen=True)
class Problem:
    code: str  # database_unreachable | migrations_behind | scheduler_stale
    params: dict


def readiness_problems(migrations: Path, sweep_seconds: int) -> list[Problem]:
    """Why this process should not be sent traffic yet; empty when it is ready."""
    try:
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:
        db.session.rollback()
        return [Problem("database_unreachable", {})]
    head = migration_head(migrations)
    if current != head:  # the heartbeat table itself may not be there yet
        return [Problem("migrations_behind", {"current": current or "—", "head": head})]
    problems = []
    newest = db.session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))
    limit = timedelta(seconds=2 * sweep_seconds)
    if newest is None or clock.now() - newest > limit:
        problems.append(Problem("scheduler_stale", {"seconds": int(limit.total_seconds())}))
    return problems


def instances_by_status() -> dict[str, int]:
    rows = db.session.execute(
        select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)
    )
    return {status: n for status, n in rows}


def oldest_due_timer() -> float:
    """Seconds the oldest due timer of an active instance has waited (0 when none is due)."""
    earliest = timers.earliest_due()
    now = clock.now()
    return 0.0 if earliest is None or earliest >= now else (now - earliest).total_seconds()
