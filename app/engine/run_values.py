"""Values a diagram hands the engine that must have one shape to run: timers and loop counts.

One check serves both ends: the upload refuses a literal that cannot run (with its element id
and line), and the script engine refuses the same value computed at run time, so a bad value
becomes the instance's readable error instead of an unexpected exception in the engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

# BPMN element local name → what the engine does with the evaluated value.
TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")
_EXPECTED = {
    "timeDuration": "an ISO-8601 duration of at most a century, such as 'P10D' or 'PT2H'",
    "timeDate": "an ISO-8601 date or date-time such as '2026-03-31T09:00:00+08:00'",
    "timeCycle": "an ISO-8601 repeating interval of at most a century, such as 'R3/PT1H'",
}
MAX_CARDINALITY = 10_000
# SpiffWorkflow adds a duration's months one at a time: 'P99999999Y' took 8 minutes of CPU.
MAX_DURATION_DAYS = 100 * 366
_DAYS_PER = {
    "years": 366,
    "months": 31,
    "weeks": 7,
    "days": 1,
    "hours": 1 / 24,
    "minutes": 1 / 1440,
    "seconds": 1 / 86400,
}


def _duration(value: str) -> dict[str, float]:
    """The parsed duration, refused before any arithmetic when it spans over a century."""
    parsed = TimerEventDefinition.parse_iso_duration(value)
    if sum(_DAYS_PER.get(unit, 1) * amount for unit, amount in parsed.items()) > (
        MAX_DURATION_DAYS
    ):
        raise ValueError("longer than a century")
    return parsed


def _parse(kind: str, value: str) -> None:
    """Parse exactly as SpiffWorkflow will when the timer is reached; raises when it cannot."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    if kind == "timeDuration":
        _ = start + TimerEventDefinition.get_timedelta_from_start(_duration(value), start)
    elif kind == "timeDate":
        if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
            raise ValueError("a duration where a date is expected")
    else:
        if not value.upper().startswith("R") or "/" not in value:
            raise ValueError("not a repeating interval")
        for part in value.upper().replace("--", "/").split("/")[1:]:
            if part.startswith("P"):
                _duration(part)
        _cycles, first, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
        _ = first + duration  # an overflow shows here, as it would when the timer fires


def timer_problem(kind: str, value: Any) -> str | None:
    """Why `value` cannot be the timer of `kind` (a BPMN timer element's local name)."""
    expected = _EXPECTED.get(kind, _EXPECTED["timeDuration"])
    if not isinstance(value, str):
        return f"{kind} must be {expected}, not {type(value).__name__} {value!r}"[:300]
    try:
        _parse(kind, value.strip())
    except Exception:  # SpiffWorkflow raises Exception, ValueError, AttributeError, OverflowError
        return f"{kind} {value[:80]!r} is not {expected}"
    return None


def cardinality_problem(value: Any) -> str | None:
    """Why `value` cannot be a multi-instance task's number of instances."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"loop cardinality must be a whole number, not {type(value).__name__} {value!r}"[
            :300
        ]
    if value < 0:
        return f"loop cardinality must not be negative (got {value})"
    if value > MAX_CARDINALITY:
        return f"loop cardinality {value} is over the limit of {MAX_CARDINALITY}"
    return None


def _timer_kind(definition: TimerEventDefinition) -> str:
    name = type(definition).__name__
    if name.startswith("TimeDate"):
        return "timeDate"
    if name.startswith("Cycle"):
        return "timeCycle"
    return "timeDuration"


def evaluated_problem(task_spec: Any, expression: str, value: Any) -> tuple[str, str] | None:
    """(code, reason) when `value`, just evaluated from `expression` for `task_spec`, is that
    spec's timer or loop count and cannot run; None otherwise."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition) and definition.expression == expression:
        reason = timer_problem(_timer_kind(definition), value)
        return ("bad_timer", reason) if reason else None
    if getattr(task_spec, "cardinality", None) == expression:
        reason = cardinality_problem(value)
        return ("bad_cardinality", reason) if reason else None
    return None
