"""When the in-year checks happen: the monthly spot check and the quarterly review.

Pure functions of the previous round, the current time, the campaign year and the calendar,
so the annual-cycle diagram can ask "when next?" through its `schedule.*` handlers and a
simulation can run a year on a moving clock.

- **Monthly spot check (月度督查)**: unannounced, so on a working day drawn at random between
  the 5th and the 25th of the month, at 09:30 in the city; every month from February to
  December. A month whose drawn moment passed while the previous round was still open is
  checked at once, never skipped; months that ended before the letter was locked (or have no
  working day) are listed as skipped, with the reason. The draw is reproducible from a seed
  (the instance's id) and the month.
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


FIRST_CHECKED_MONTH = 2  # 每月随机抽检 from February (January sets the targets)


def _drawn_day(year: int, month: int, seed: int, calendar: WorkCalendar) -> datetime | None:
    """The month's unannounced moment: a working day drawn between the 5th and the 25th (any
    working day of the month when none falls there), or None when the month has none."""
    last = (date(year + (month == MONTHS), month % MONTHS + 1, 1) - timedelta(days=1)).day
    window = [
        date(year, month, d)
        for d in range(DRAW_FROM_DAY, DRAW_TO_DAY + 1)
        if calendar.is_working_day(date(year, month, d))
    ] or [
        date(year, month, d)
        for d in range(1, last + 1)
        if calendar.is_working_day(date(year, month, d))
    ]
    if not window:
        return None
    day = random.Random(f"{seed}:{year}:{month}").choice(window)
    return datetime.combine(day, SPOT_CHECK_TIME, LOCAL_ZONE)


def next_spot_check(
    previous_month: int | None, now: datetime, year: int, seed: int, calendar: WorkCalendar
) -> dict[str, Any]:
    """`{"month", "at", "done", "late", "skipped"}` of the next monthly spot check.

    Every month from February to December gets its check. After a round, the next month
    follows; when that month's drawn moment has already passed (the previous round ran long),
    its check starts at once (`late`) rather than being skipped. Only the first plan, made
    when the letter is locked, can leave months out: those that ended before the letter was
    signed, or that have no working day at all; they are listed in `skipped` with the reason,
    for the centre to see.
    """
    skipped: list[dict[str, Any]] = []
    if previous_month is None:
        local = now.astimezone(LOCAL_ZONE)
        first = 1 if local.year < year else MONTHS + 1 if local.year > year else local.month
        first = max(first, FIRST_CHECKED_MONTH)
        month = first
        at = _drawn_day(year, month, seed, calendar) if month <= MONTHS else None
        if at is not None and at <= now and local.year == year:
            # this month's drawn day is already past at the lock: its check starts now
            return {**_plan("month", month, now), "late": True, "skipped": skipped}
        skipped = [
            {"month": m, "reason": "before_letter"}
            for m in range(FIRST_CHECKED_MONTH, min(first, MONTHS + 1))
        ]
    else:
        month = previous_month + 1
    while month <= MONTHS:
        at = _drawn_day(year, month, seed, calendar)
        if at is None:
            skipped.append({"month": month, "reason": "no_working_day"})
            month += 1
            continue
        late = at <= now
        return {**_plan("month", month, now if late else at), "late": late, "skipped": skipped}
    return {**_plan("month", None, None), "late": False, "skipped": skipped}


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
