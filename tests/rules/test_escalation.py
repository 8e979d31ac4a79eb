"""Escalation levels of an overdue step: reminder, yellow card, red card."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import LOCAL_ZONE
from app.rules.calendar import WorkCalendar
from app.rules.escalation import ORDER, EscalationPolicy, Level, is_escalation, level_at, moments

POLICY = EscalationPolicy()  # remind a day ahead, red card two working days after
CALENDAR = WorkCalendar()
DUE = datetime(2026, 11, 27, 18, 0, tzinfo=LOCAL_ZONE)  # a Friday evening
MINUTE = timedelta(minutes=1)


def at(when: datetime) -> Level:
    return level_at(DUE, when, CALENDAR, POLICY)


def test_the_three_moments_of_a_step_due_on_friday():
    assert moments(DUE, CALENDAR, POLICY) == {
        Level.REMINDER: datetime(2026, 11, 26, 18, 0, tzinfo=LOCAL_ZONE),
        Level.YELLOW_CARD: DUE,
        Level.RED_CARD: datetime(2026, 12, 1, 18, 0, tzinfo=LOCAL_ZONE),  # Tuesday
    }


def test_each_level_is_reached_strictly_after_its_moment():
    assert at(DUE - timedelta(days=2)) == Level.NONE
    assert at(DUE - timedelta(days=1)) == Level.NONE
    assert at(DUE - timedelta(days=1) + MINUTE) == Level.REMINDER
    assert at(DUE) == Level.REMINDER
    assert at(DUE + MINUTE) == Level.YELLOW_CARD
    assert at(datetime(2026, 11, 30, 18, 0, tzinfo=LOCAL_ZONE)) == Level.YELLOW_CARD  # Monday
    assert at(datetime(2026, 12, 1, 18, 1, tzinfo=LOCAL_ZONE)) == Level.RED_CARD


def test_a_holiday_pushes_the_red_card_back():
    monday_off = WorkCalendar.of([(datetime(2026, 11, 30).date(), False)])
    red = moments(DUE, monday_off, POLICY)[Level.RED_CARD]
    assert red == datetime(2026, 12, 2, 18, 0, tzinfo=LOCAL_ZONE)


def test_a_step_first_seen_late_jumps_to_the_highest_level():
    assert at(DUE + timedelta(days=30)) == Level.RED_CARD


def test_only_a_higher_level_is_an_escalation():
    assert is_escalation(Level.NONE, Level.YELLOW_CARD)
    assert not is_escalation(Level.YELLOW_CARD, Level.YELLOW_CARD)
    assert not is_escalation(Level.RED_CARD, Level.REMINDER)


@pytest.mark.parametrize(
    ("remind", "red_days"), [(timedelta(hours=-1), 2), (timedelta(0), -1), (timedelta(0), 31)]
)
def test_a_bad_policy_is_refused(remind, red_days):
    with pytest.raises(ValueError):
        EscalationPolicy(remind, red_days)


@given(st.integers(0, 60 * 24 * 20), st.integers(0, 60 * 24 * 20), st.integers(0, 5))
def test_levels_never_go_down_as_time_passes(m1, m2, red_days):
    policy = EscalationPolicy(timedelta(hours=24), red_days)
    start = DUE - timedelta(days=3)
    early, late = sorted((m1, m2))
    first = level_at(DUE, start + timedelta(minutes=early), CALENDAR, policy)
    second = level_at(DUE, start + timedelta(minutes=late), CALENDAR, policy)
    assert ORDER.index(first) <= ORDER.index(second)
