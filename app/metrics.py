"""This process's Prometheus metrics (prometheus_client), defined once for every layer to use.

Counts that belong to a transaction (a task completion) are added only when it commits: a
completion rolled back, retried or refused counts nothing. With several processes (gunicorn
workers, schedulers) set PROMETHEUS_MULTIPROC_DIR to one directory for all of them before they
start, and /metrics adds them up (prometheus_client's multiprocess mode; deploy/README.md).
Figures that live in the database (instances in error, timer lag, outbox) are read at scrape
time instead, by app.operations.endpoints, so they agree whichever process answers.
"""

from __future__ import annotations

import os
from collections import Counter as Tally

from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

REQUEST_SECONDS = Histogram(
    "jixiao_http_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
COMPLETIONS = Counter("jixiao_task_completions", "Human tasks completed (committed).")
TIMERS_FIRED = Counter("jixiao_timers_fired", "Instances woken by a due timer.")
SWEEP_SECONDS = Histogram(
    "jixiao_timer_sweep_duration_seconds",
    "Time one scheduler sweep took (timers, escalation, mail).",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def multiprocess_dir() -> str | None:
    """The directory the processes of one installation share their metrics through, if any."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


_BY_NAME = {"completions": COMPLETIONS}
_PENDING = "jixiao_metrics_pending"


def count_on_commit(session: Session, name: str) -> None:
    """Count one `name` when `session`'s transaction commits."""
    session.info.setdefault(_PENDING, Tally())[name] += 1


@event.listens_for(Session, "after_commit")
def _add_committed(session: Session) -> None:
    for name, n in session.info.pop(_PENDING, Tally()).items():
        _BY_NAME[name].inc(n)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
