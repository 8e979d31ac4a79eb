"""Working days (工作日) in the city's calendar.

Monday to Friday are working days, Saturday and Sunday are not, except where the State
Council's yearly holiday notice says otherwise: a public holiday (法定节假日) on a weekday is a
day off, and a make-up working day (调休上班) on a weekend is a working day. The centre keeps
those exceptions (`CalendarDay` rows); this module only reads them.

Dates are local (Asia/Shanghai): a deadline of "two working days later" is counted in the
city's days, not UTC's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.clock import LOCAL_ZONE

MAX_WORKING_DAYS = 366  # no rule of the appraisal counts further than a year


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # 调休: weekend days worked

    @classmethod
    def of(cls, days: Iterable[tuple[date, bool]]) -> WorkCalendar:
        """From (date, is_working) exceptions; a later entry for the same date wins."""
        working: dict[date, bool] = dict(days)
        return cls(
            holidays=frozenset(d for d, w in working.items() if not w),
            workdays=frozenset(d for d, w in working.items() if w),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day `days` working days after `start`'s local date.

        Counting starts on the day after `start`; a start on a day off counts the same way
        (Saturday + 1 working day is Monday at Saturday's time of day)."""
        if not 0 <= days <= MAX_WORKING_DAYS:
            raise ValueError(f"working days must be 0 to {MAX_WORKING_DAYS}, not {days}")
        local = start.astimezone(LOCAL_ZONE)
        day = local.date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        shifted = datetime.combine(day, local.timetz().replace(tzinfo=None), LOCAL_ZONE)
        return shifted.astimezone(start.tzinfo)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days after `start`'s local date up to and including `end`'s."""
        first = start.astimezone(LOCAL_ZONE).date()
        last = end.astimezone(LOCAL_ZONE).date()
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
