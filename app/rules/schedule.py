"""When the in-year checks happen: the monthly spot check and the quarterly review.

Pure functions of the previous round, the current time, the campaign year and the calendar,
so the annual-cycle diagram can ask "when next?" through its `schedule.*` handlers and a
simulation can run a year on a moving clock.

- **Monthly spot check (月度督查)**: unannounced, so on a working day drawn at random between
  the 5th and the 25th of the month, at 09:30 in the city. The first month is the one after
  the moment the letter is locked (target setting takes the first month); the draw is
  reproducible from a seed (the instance's id) and the month.
- **Quarterly review (季度反馈)**: on the first working day after the quarter ends, at 09:00,
  for the quarter in which the letter was locked and every later one; the fourth quarter's
  review falls in January of the next year.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from app.clock import LOCAL_ZONE
from app.rules.calendar import WorkCalendar

MONTHS, QUARTERS = 12, 4
DRAW_FROM_DAY, DRAW_TO_DAY = 5, 25
SPOT_CHECK_TIME, REVIEW_TIME = time(9, 30), time(9, 0)


def _plan(key: str, number: int | None, at: datetime | None) -> dict[str, Any]:
    if number is None or at is None:
        return {key: None, "at": None, "done": True}
    return {key: number, "at": at.isoformat(), "done": False}


def next_spot_check(
    previous_month: int | None, now: datetime, year: int, seed: int, calendar: WorkCalendar
) -> dict[str, Any]:
    """`{"month", "at", "done"}` of the next monthly spot check after `previous_month`."""
    if previous_month is None:
        local = now.astimezone(LOCAL_ZONE)
        month = 1 if local.year < year else MONTHS + 1 if local.year > year else local.month + 1
    else:
        month = previous_month + 1
    while month <= MONTHS:
        days = [
            date(year, month, d)
            for d in range(DRAW_FROM_DAY, DRAW_TO_DAY + 1)
            if calendar.is_working_day(date(year, month, d))
        ]
        if days:
            day = random.Random(f"{seed}:{year}:{month}").choice(days)
            at = datetime.combine(day, SPOT_CHECK_TIME, LOCAL_ZONE)
            if at > now:
                return _plan("month", month, at)
        month += 1
    return _plan("month", None, None)


def _after_quarter(year: int, quarter: int, calendar: WorkCalendar) -> datetime:
    day = date(year + 1, 1, 1) if quarter == QUARTERS else date(year, quarter * 3 + 1, 1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, REVIEW_TIME, LOCAL_ZONE)


def next_quarter_review(
    previous_quarter: int | None, now: datetime, year: int, calendar: WorkCalendar
) -> dict[str, Any]:
    """`{"quarter", "at", "done"}` of the next quarterly review after `previous_quarter`."""
    if previous_quarter is None:
        local = now.astimezone(LOCAL_ZONE)
        if local.year < year:
            quarter = 1
        elif local.year > year:
            quarter = QUARTERS + 1
        else:
            quarter = (local.month - 1) // 3 + 1
    else:
        quarter = previous_quarter + 1
    if quarter > QUARTERS:
        return _plan("quarter", None, None)
    return _plan("quarter", quarter, _after_quarter(year, quarter, calendar))
