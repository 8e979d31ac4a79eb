"""Literal timer and multi-instance values checked at upload, with SpiffWorkflow's own parsers.

A timer or a `loopCardinality` is an expression evaluated when the instance reaches it. When the
expression is a plain literal (`"10 days"`, `10`, `2.5`), whether it can run is known at upload:
refusing it there is kinder than an instance stopping in `error` months later. Expressions that
read task data are only known at run time, where the runner turns any failure into `error`.
"""

from __future__ import annotations

import ast
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.engine.expressions import MAX_LOOP_COUNT as MAX_CARDINALITY

_NOT_LITERAL = object()


def literal(text: str) -> Any:
    """The value of a literal expression, or `_NOT_LITERAL` for anything that reads data."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except Exception:  # SpiffWorkflow raises bare Exception, ValueError or AttributeError
        return False
    return True


def _duration(value: str) -> bool:
    if not value.upper().startswith("P"):
        return False
    return _parses(TimerEventDefinition.parse_iso_duration, value)


def _date(value: str) -> bool:
    return _parses(TimerEventDefinition.get_datetime, value)


def _cycle(value: str) -> bool:
    return value.upper().startswith("R") and _parses(
        TimerEventDefinition.parse_iso_recurring_interval, value
    )


_TIMER_KINDS = {
    "timeDuration": (_duration, 'an ISO-8601 duration such as "P7D"'),
    "timeDate": (_date, 'an ISO-8601 date or time such as "2026-03-31T09:00:00+08:00"'),
    "timeCycle": (_cycle, 'an ISO-8601 repeating interval such as "R3/P1M"'),
}


def timer_problem(kind: str, text: str) -> str | None:
    """Why a literal timer value of this kind (`timeDuration`, `timeDate`, `timeCycle`) cannot
    run, or None when it can or is not a literal."""
    value = literal(text)
    if value is _NOT_LITERAL or kind not in _TIMER_KINDS:
        return None
    check, expected = _TIMER_KINDS[kind]
    if isinstance(value, str) and check(value.strip()):
        return None
    return f"timer value {value!r} is not {expected}"


def cardinality_problem(text: str) -> str | None:
    """Why a literal `loopCardinality` cannot run (a count of 1 to MAX_CARDINALITY)."""
    value = literal(text)
    if value is _NOT_LITERAL:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"loop cardinality {value!r} is not a whole number"
    if not 1 <= value <= MAX_CARDINALITY:
        return f"loop cardinality {value} must be from 1 to {MAX_CARDINALITY}"
    return None
