"""Working days: weekends, public holidays and make-up working days (调休)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import LOCAL_ZONE
from app.rules.calendar import MAX_WORKING_DAYS, WorkCalendar

# A National Day week as the yearly notice gives it: Thursday 1 to Wednesday 7 October off,
# Saturday 10 October worked instead.
NATIONAL_DAY = WorkCalendar.of(
    [(date(2026, 10, d), False) for d in range(1, 8)] + [(date(2026, 10, 10), True)]
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_ZONE)


def test_weekdays_work_weekends_do_not():
    plain = WorkCalendar()
    assert [plain.is_working_day(date(2026, 11, d)) for d in range(23, 30)] == [
        True, True, True, True, True, False, False,
    ]  # fmt: skip


def test_holidays_and_make_up_days_override_the_weekday():
    assert not NATIONAL_DAY.is_working_day(date(2026, 10, 1))  # a Thursday off
    assert NATIONAL_DAY.is_working_day(date(2026, 10, 10))  # a Saturday worked
    assert not NATIONAL_DAY.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_a_later_entry_for_the_same_date_wins():
    calendar = WorkCalendar.of([(date(2026, 10, 10), False), (date(2026, 10, 10), True)])
    assert calendar.is_working_day(date(2026, 10, 10))


def test_two_working_days_after_a_friday_is_tuesday_at_the_same_time():
    friday = local(2026, 11, 27, 17, 30)
    assert WorkCalendar().add_working_days(friday, 2) == local(2026, 12, 1, 17, 30)


def test_counting_skips_the_holiday_week_and_uses_the_make_up_saturday():
    before = local(2026, 9, 30, 9, 0)  # Wednesday before the holiday
    assert NATIONAL_DAY.add_working_days(before, 1) == local(2026, 10, 8, 9, 0)
    assert NATIONAL_DAY.add_working_days(before, 3) == local(2026, 10, 10, 9, 0)
    assert NATIONAL_DAY.add_working_days(before, 4) == local(2026, 10, 12, 9, 0)


def test_days_are_counted_in_the_citys_time_not_utc():
    # 17:00 UTC on Friday is already 01:00 on Saturday in the city.
    late_friday_utc = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    due = WorkCalendar().add_working_days(late_friday_utc, 1)
    assert due == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Monday 01:00 local
    assert due.tzinfo is UTC


def test_zero_days_is_the_same_moment_and_out_of_range_is_refused():
    start = local(2026, 11, 28, 8, 0)
    assert WorkCalendar().add_working_days(start, 0) == start
    for bad in (-1, MAX_WORKING_DAYS + 1):
        with pytest.raises(ValueError, match="working days"):
            WorkCalendar().add_working_days(start, bad)


def test_working_days_between():
    assert NATIONAL_DAY.working_days_between(local(2026, 9, 30, 9), local(2026, 10, 12, 9)) == 4
    assert WorkCalendar().working_days_between(local(2026, 11, 27), local(2026, 11, 27, 23)) == 0


days_off = st.sets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=40)


@given(
    days_off,
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_adding_lands_on_a_working_day_and_agrees_with_counting(holidays, start_day, a, b):
    calendar = WorkCalendar(holidays=frozenset(holidays))
    start = datetime.combine(start_day, datetime.min.time(), LOCAL_ZONE) + timedelta(hours=10)
    after_a = calendar.add_working_days(start, a)
    if a:
        assert calendar.is_working_day(after_a.date())
    assert calendar.working_days_between(start, after_a) == a
    # adding in two steps is adding once
    assert calendar.add_working_days(after_a, b) == calendar.add_working_days(start, a + b)
