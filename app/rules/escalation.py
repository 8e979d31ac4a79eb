"""Escalation of overdue steps (督办), after Shenzhen's government performance system.

A step with a due time goes through three levels, each reached once and never undone:

- **reminder** (提醒), `remind_before` ahead of the due time, to whoever may act;
- **yellow card** (黄牌), once the due time has passed, to whoever may act;
- **red card** (红牌), `red_after_working_days` working days after the due time (same local
  time of day), to the department's supervising leader(s) — or, for a step held by a
  city-wide group (the review panel's appeal decision, the assessment group's sample check,
  an expert's review), to whoever supervises that group (`group_supervisor`, a role: the
  centre by default), never to the appellant's or inspected department's own leader.

A level is reached when `now` is past its moment (strictly after, as SpiffWorkflow fires its
timers). A step first seen late skips straight to the highest level it has reached: one red
card, not a reminder, a yellow and a red at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.rules.calendar import WorkCalendar


class Level(StrEnum):
    NONE = "none"
    REMINDER = "reminder"
    YELLOW_CARD = "yellow_card"
    RED_CARD = "red_card"


ORDER = (Level.NONE, Level.REMINDER, Level.YELLOW_CARD, Level.RED_CARD)


# Roles that act city-wide rather than for the department whose instance holds the step.
CITY_WIDE_GROUPS = frozenset({"review_panel", "assessment_group", "expert"})


@dataclass(frozen=True)
class EscalationPolicy:
    remind_before: timedelta = timedelta(days=1)
    red_after_working_days: int = 2
    group_supervisor: str = "centre_admin"  # who gets a city-wide group's red cards

    def __post_init__(self) -> None:
        if self.remind_before < timedelta(0):
            raise ValueError("remind_before cannot be negative")
        if not 0 <= self.red_after_working_days <= 30:
            raise ValueError("red_after_working_days must be 0 to 30")


def moments(due_at: datetime, calendar: WorkCalendar, policy: EscalationPolicy) -> dict:
    """When each level is reached, for a step due at `due_at`."""
    return {
        Level.REMINDER: due_at - policy.remind_before,
        Level.YELLOW_CARD: due_at,
        Level.RED_CARD: calendar.add_working_days(due_at, policy.red_after_working_days),
    }


def level_at(
    due_at: datetime, now: datetime, calendar: WorkCalendar, policy: EscalationPolicy
) -> Level:
    """The highest level a step due at `due_at` has reached at `now`."""
    reached = Level.NONE
    for level, moment in moments(due_at, calendar, policy).items():
        if now > moment:
            reached = level
    return reached


def _above(level: Level, current: Level) -> bool:
    return ORDER.index(level) > ORDER.index(current)


def is_escalation(current: Level, reached: Level) -> bool:
    """Whether `reached` is a new, higher level than the step has had."""
    return _above(reached, current)


def red_card_role(step_role: str | None, policy: EscalationPolicy) -> str:
    """The role a step's red card goes to: the supervisor of a city-wide group holding it,
    else the department's supervising leader."""
    return policy.group_supervisor if step_role in CITY_WIDE_GROUPS else "supervising_leader"
