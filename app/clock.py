"""The one owner of "now".

Production reads the system clock; tests and year simulations install a `MovableClock`.
Everything that needs the time (due dates, timers, audit stamps) asks `now()`, and the
engine layer adapts SpiffWorkflow's timers to it (`app.engine.clock_adapter`).
"""

from __future__ import annotations

import re
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


class OffsetClock:
    """The wall clock moved by a fixed offset: a real process (a `flask scheduler`, the demo)
    living days ahead, so that due timers fire without waiting. Never in production."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


_OFFSET = re.compile(r"^([+-])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def parse_offset(text: str) -> timedelta:
    """`P10D`, `PT6H`, `-P1DT2H30M`: days, hours and minutes, at most ten years."""
    match = _OFFSET.match(text.strip().upper())
    if not match or not any(match.groups()[1:]):
        raise ValueError(f"CLOCK_OFFSET {text!r} is not a duration such as P10D or -PT6H")
    sign, days, hours, minutes = match.groups()
    delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
    if delta > timedelta(days=3660):
        raise ValueError("CLOCK_OFFSET is more than ten years")
    return -delta if sign == "-" else delta


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
