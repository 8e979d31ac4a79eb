"""Make SpiffWorkflow's timers read our clock.

SpiffWorkflow has no clock hook: `SpiffWorkflow.bpmn.specs.event_definitions.timer` calls
`datetime.now(timezone.utc)` on its module-level `datetime`. We replace that one name with a
`datetime` subclass whose `now()` asks `app.clock`. `tests/engine/test_clock.py` fails if a
SpiffWorkflow upgrade moves the call elsewhere, so the adaptation cannot rot silently.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from app import clock


class ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


def install() -> None:
    if not isinstance(getattr(spiff_timer, "datetime", None), type):
        raise RuntimeError("SpiffWorkflow's timer module no longer exposes `datetime`")
    spiff_timer.datetime = ClockDatetime
