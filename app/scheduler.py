"""APScheduler wiring: the database is the truth, the scheduler only wakes us up.

After every sweep one date job is armed at the earliest `next_timer_at`; an interval sweep is
the safety net (jobs live in memory, and other processes may add timers).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from app import clock, metrics
from app.extensions import db
from app.services import escalation, health, mail, timers
from app.services.transactions import unit_of_work

log = logging.getLogger(__name__)
WAKE_JOB = "wake-at-next-timer"


class TimerScheduler:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.name = health.process_name()

    def sweep(self) -> int:
        """Fire due timers, then escalate overdue steps, then send the notices' emails: each
        job on its own, so one failing never skips the others. Then record the heartbeat that
        readiness (/readyz) and the metrics read."""
        started = time.perf_counter()
        fired = 0
        earliest = None
        with self.app.app_context():
            jobs = (
                ("timer sweep", timers.sweep),
                ("escalation", escalation.sweep),
                ("mail", mail.deliver_pending),
            )
            for name, job in jobs:
                try:
                    result = job()
                except Exception:
                    log.exception("%s job failed", name)
                    db.session.rollback()
                    continue
                if job is timers.sweep:
                    fired = result
            try:
                earliest = timers.earliest_due()
            except Exception:
                log.exception("reading the next due timer failed")
                db.session.rollback()
            elapsed = time.perf_counter() - started
            metrics.SWEEP_SECONDS.observe(elapsed)
            metrics.TIMERS_FIRED.inc(fired)
            try:
                unit_of_work(lambda: health.beat(self.name, elapsed, fired))
            except Exception:
                log.exception("recording the scheduler's heartbeat failed")
        if fired:
            log.info("timer sweep woke %d instance(s)", fired)
        self._arm(earliest)
        return fired

    def _arm(self, earliest) -> None:
        if earliest is None:
            return
        # Our clock may be movable; APScheduler runs on the wall clock, so arm by distance.
        delay = max(earliest - clock.now(), timedelta(0)) + timedelta(seconds=1)
        run_at = clock.SystemClock().now() + delay
        self.scheduler.add_job(
            self.sweep, "date", run_date=run_at, id=WAKE_JOB, replace_existing=True
        )

    def start(self) -> None:
        seconds = self.app.config["SCHEDULER_SWEEP_SECONDS"]
        self.scheduler.add_job(
            self.sweep,
            "interval",
            seconds=seconds,
            id="safety-sweep",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        self.scheduler.add_job(self.sweep)  # one sweep now, for timers that fell due while down

    def shutdown(self, wait: bool = True) -> None:
        self.scheduler.shutdown(wait=wait)
