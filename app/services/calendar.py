"""The city's working-day calendar: the exceptions to Monday-to-Friday the centre keeps.

Each year the State Council publishes the public holidays and the weekend days worked in
exchange (调休); the centre enters them here, a year at a time. Deadlines counted in working
days (the red card, app.rules.escalation) read the calendar at the moment they are counted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select

from app.extensions import db
from app.i18n import Message
from app.models import CalendarDay, Person
from app.rules.calendar import WorkCalendar
from app.services import audit, permissions
from app.services.errors import Forbidden, Invalid, NotFound

YEAR_MIN, YEAR_MAX = 2000, 2100
MAX_ENTRIES = 120  # a year's notice lists about 30 days
NOTE_MAX = 100


def current() -> WorkCalendar:
    return WorkCalendar.of(db.session.execute(select(CalendarDay.day, CalendarDay.working)).all())


def _check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise NotFound(f"no calendar for {year}")


def year_days(year: int) -> list[CalendarDay]:
    _check_year(year)
    return list(
        db.session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
    )


def _parse(year: int, entries: list[dict[str, Any]]) -> list[CalendarDay]:
    fields: dict[str, list[str]] = {}
    days: list[CalendarDay] = []
    seen: set[date] = set()
    if len(entries) > MAX_ENTRIES:
        raise Invalid("too many days", fields={"days": [Message("最多%(n)s天。", n=MAX_ENTRIES)]})
    for i, entry in enumerate(entries):
        day, working, note = entry["day"], entry["working"], entry.get("note") or ""
        problems = []
        if day.year != year:
            problems.append(Message("须在%(year)s年内。", year=year))
        elif day in seen:
            problems.append(Message("日期重复。"))
        elif working and day.weekday() < 5:
            problems.append(Message("调休上班日须为周六或周日。"))
        if problems:
            fields[f"days.{i}.date"] = problems
        seen.add(day)
        days.append(CalendarDay(day=day, working=working, note=note.strip()[:NOTE_MAX]))
    if fields:
        raise Invalid("the calendar has invalid days", fields=fields)
    return days


def replace_year(actor: Person, year: int, entries: list[dict[str, Any]]) -> list[CalendarDay]:
    """Replace a year's holidays and make-up working days (centre only, audited)."""
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre keeps the calendar")
    _check_year(year)
    days = _parse(year, entries)
    before = [(d.day.isoformat(), d.working) for d in year_days(year)]
    db.session.execute(
        delete(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    )
    db.session.add_all(days)
    db.session.flush()
    audit.record(
        "calendar.replace",
        actor,
        "calendar",
        year,
        before=before,
        after=[(d.day.isoformat(), d.working) for d in days],
    )
    return year_days(year)
