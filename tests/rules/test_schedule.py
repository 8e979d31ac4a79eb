"""When the monthly spot checks and quarterly reviews fall."""

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.clock import LOCAL_ZONE
from app.rules.calendar import WorkCalendar
from app.rules.schedule import next_quarter_review, next_spot_check

PLAIN = WorkCalendar()
LOCKED = datetime(2026, 1, 20, 15, 0, tzinfo=LOCAL_ZONE)  # the letter locked in January


def at(plan: dict) -> datetime:
    return datetime.fromisoformat(plan["at"])


def test_the_first_spot_check_is_in_the_month_after_the_letter_on_a_working_day():
    plan = next_spot_check(None, LOCKED, 2026, seed=1, calendar=PLAIN)
    assert plan["month"] == 2 and plan["done"] is False
    day = at(plan)
    assert (day.year, day.month) == (2026, 2) and 5 <= day.day <= 25
    assert PLAIN.is_working_day(day.date()) and (day.hour, day.minute) == (9, 30)


def test_the_draw_is_reproducible_and_differs_between_instances():
    one = next_spot_check(3, LOCKED, 2026, seed=7, calendar=PLAIN)
    assert one == next_spot_check(3, LOCKED, 2026, seed=7, calendar=PLAIN)
    days = {at(next_spot_check(3, LOCKED, 2026, seed=s, calendar=PLAIN)).day for s in range(30)}
    assert len(days) > 5  # unannounced: not the same day for everyone


def test_twelve_months_then_done():
    months, plan = [], next_spot_check(None, LOCKED, 2026, 1, PLAIN)
    while not plan["done"]:
        months.append(plan["month"])
        plan = next_spot_check(plan["month"], at(plan), 2026, 1, PLAIN)
    assert months == list(range(2, 13))
    assert plan == {"month": None, "at": None, "done": True, "late": False, "skipped": []}


def test_a_late_letter_records_the_months_it_missed_and_an_early_one_starts_in_february():
    december = datetime(2026, 12, 3, tzinfo=LOCAL_ZONE)
    plan = next_spot_check(None, december, 2026, 1, PLAIN)
    assert plan["month"] == 12  # December itself is still checked
    assert [s["month"] for s in plan["skipped"]] == list(range(2, 12))
    assert {s["reason"] for s in plan["skipped"]} == {"before_letter"}
    early = datetime(2025, 12, 20, tzinfo=LOCAL_ZONE)
    plan = next_spot_check(None, early, 2026, 1, PLAIN)
    assert (plan["month"], plan["skipped"]) == (2, [])


def test_a_round_that_runs_past_the_next_drawn_day_delays_that_month_never_skips_it():
    """The defect: 5 of 30 departments lost 6 checks a year when a round ran long."""
    march = next_spot_check(2, LOCKED, 2026, 1, PLAIN)
    past_it = at(march) + timedelta(days=2)  # the February round closed after March's day
    plan = next_spot_check(2, past_it, 2026, 1, PLAIN)
    assert (plan["month"], plan["late"], plan["skipped"]) == (3, True, [])
    assert at(plan) == past_it  # at once
    much_later = datetime(2026, 6, 28, tzinfo=LOCAL_ZONE)
    assert next_spot_check(2, much_later, 2026, 1, PLAIN)["month"] == 3  # still March next


def test_a_month_with_no_working_day_is_skipped_and_says_why():
    february_off = WorkCalendar(holidays=frozenset(date(2026, 2, d) for d in range(1, 29)))
    plan = next_spot_check(1, LOCKED, 2026, 1, february_off)
    assert plan["month"] == 3 and plan["skipped"] == [{"month": 2, "reason": "no_working_day"}]


def test_quarterly_reviews_fall_on_the_first_working_day_after_each_quarter():
    new_year = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}))
    plans, plan = [], next_quarter_review(None, LOCKED, 2026, new_year)
    while not plan["done"]:
        plans.append((plan["quarter"], at(plan).date()))
        plan = next_quarter_review(plan["quarter"], at(plan), 2026, new_year)
    assert plans == [
        (1, date(2026, 4, 1)),
        (2, date(2026, 7, 1)),
        (3, date(2026, 10, 1)),  # a Thursday; the plain calendar has no National Day here
        (4, date(2027, 1, 4)),  # 1 January off, then the weekend
    ]


def test_a_letter_locked_in_may_starts_with_the_second_quarter():
    may = datetime(2026, 5, 10, tzinfo=LOCAL_ZONE)
    assert next_quarter_review(None, may, 2026, PLAIN)["quarter"] == 2
    assert next_quarter_review(None, datetime(2027, 2, 1, tzinfo=LOCAL_ZONE), 2026, PLAIN)["done"]


@given(st.integers(0, 11), st.integers(0, 10**6))
def test_a_spot_check_is_always_in_the_future_within_its_month(previous, seed):
    now = datetime(2026, max(previous, 1), 28, 12, tzinfo=LOCAL_ZONE)
    plan = next_spot_check(previous or None, now, 2026, seed, PLAIN)
    if not plan["done"]:
        assert at(plan) > now and at(plan).month == plan["month"] and plan["month"] > previous
