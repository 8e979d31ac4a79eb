"""The one owner of "now".

Production reads the system clock; tests and year simulations install a `MovableClock`.
Everything that needs the time (due dates, timers, audit stamps) asks `now()`, and the
engine layer adapts SpiffWorkflow's timers to it (`app.engine.clock_adapter`).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock:
    """A clock that stands still until moved; shared safely between threads."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        if self._now.tzinfo is None:
            raise ValueError("MovableClock needs an aware datetime")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("MovableClock needs an aware datetime")
        with self._lock:
            self._now = when


_clock: Clock = SystemClock()


def now() -> datetime:
    """Aware UTC datetime from the installed clock."""
    return _clock.now().astimezone(UTC)


LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The city's calendar date now: role validity and working days are counted in it."""
    return now().astimezone(LOCAL_ZONE).date()


def install(clock: Clock) -> Clock:
    """Install `clock`; returns the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def current() -> Clock:
    return _clock
