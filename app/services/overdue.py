"""The supervisors' overdue board (督办看板): which steps are overdue, where, for how long.

Reads the human-task projection only (with its instance's campaign year, its department and
its holder), never a workflow's stored state, so the board costs one query however large the
instances grow. A row is a ready step with a due time that has passed (overdue, 已超期) or
falls within the due-soon window (即将到期, `OVERDUE_SOON_DAYS`, default 2 days).

Who sees which department (`permissions.supervised_departments`): the centre all of them, a
supervising leader the departments they lead, a department head their own; anyone else may
not open the board. The escalation level is the one the sweep recorded on the step
(`app.services.escalation`), so the board shows the cards people were actually sent.

Ages are counted in the city's days (Beijing dates): `overdue_days` calendar days and
`overdue_working_days` working days (the centre's calendar, as the red card counts them)
after the due date, up to and including today; a step due earlier today is 0 days overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Campaign, Department, HumanTask, Person, ProcessInstance, Unit
from app.rules.calendar import WorkCalendar
from app.rules.escalation import Level
from app.services import calendar, permissions
from app.services.errors import Forbidden, NotFound

# Filter values for `level`: every overdue step, those due soon, those carded yellow / red.
LEVELS = ("overdue", "due_soon", str(Level.YELLOW_CARD), str(Level.RED_CARD))
# Sorting by age: the longest overdue first (default), or the most recent first.
ORDERS = ("oldest", "newest")
DEFAULT_SOON_DAYS = 2
MAX_SOON_DAYS = 30


@dataclass(frozen=True)
class Row:
    task_id: int
    instance_id: int
    year: int
    department_id: int
    department: str
    unit: str
    bpmn_id: str
    name: str
    role: str | None  # the lane's role: who may claim it while nobody holds it
    assignee_id: int | None
    holder: str | None  # the holder's display name; None: 未认领 (unclaimed)
    due_at: datetime
    overdue: bool
    overdue_days: int  # calendar days after the due date (0 while due soon)
    overdue_working_days: int  # working days after the due date (0 while due soon)
    escalation: str  # none | reminder | yellow_card | red_card
    status: str = "ready"  # every row is a ready step (templates share the inbox's macros)

    @property
    def state(self) -> str:
        return "overdue" if self.overdue else "due_soon"

    def matches(self, level: str | None) -> bool:
        if level is None:
            return True
        if level in ("overdue", "due_soon"):
            return self.state == level
        return self.escalation == level


@dataclass(frozen=True)
class Group:
    """Rows sharing a department, a step, or a holder (a person, or a role while unclaimed)."""

    key: str
    label: str
    rows: list[Row]
    role: str | None = None  # for an unclaimed group: the candidates' role
    unclaimed: bool = False

    @property
    def overdue(self) -> int:
        return sum(row.overdue for row in self.rows)

    @property
    def longest_days(self) -> int:
        return max(row.overdue_days for row in self.rows)


@dataclass(frozen=True)
class Board:
    now: datetime
    soon_until: datetime
    soon_days: int
    rows: list[Row]  # after every filter, sorted by age
    # before the level filter (so each count says what choosing that level would show)
    counts: dict[str, int] = field(default_factory=dict)

    def _grouped(self, key: Callable[[Row], tuple]) -> list[Group]:
        groups: dict[tuple, list[Row]] = {}
        for row in self.rows:  # groups keep the order of their first (oldest) row
            groups.setdefault(key(row), []).append(row)
        return [
            Group(key=str(k[0]), label=k[1], rows=rows, role=k[2], unclaimed=k[3])
            for k, rows in groups.items()
        ]

    def by_department(self) -> list[Group]:
        return self._grouped(lambda r: (r.department_id, f"{r.unit}{r.department}", None, False))

    def by_step(self) -> list[Group]:
        return self._grouped(lambda r: (r.bpmn_id, r.name, None, False))

    def by_holder(self) -> list[Group]:
        return self._grouped(
            lambda r: (
                (f"person-{r.assignee_id}", r.holder or "", None, False)
                if r.assignee_id is not None
                else (f"role-{r.role or ''}", "", r.role, True)
            )
        )


def soon_days_default() -> int:
    return int(current_app.config.get("OVERDUE_SOON_DAYS", DEFAULT_SOON_DAYS))


def _check_scope(viewer: Person, department_id: int | None) -> None:
    if not permissions.may_supervise(viewer):
        raise Forbidden("only the centre, supervising leaders and department heads see the board")
    if department_id is None:
        return
    scope = permissions.supervised_departments(viewer).where(Department.id == department_id)
    if db.session.scalar(scope) is None:  # unknown, or not the viewer's to track: alike
        raise NotFound(f"department {department_id} not found")


def departments(viewer: Person) -> list[Department]:
    """The departments the viewer tracks, for the board's department filter."""
    if not permissions.may_supervise(viewer):
        return []
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.id.in_(permissions.supervised_departments(viewer)))
            .order_by(Department.unit_id, Department.code)
        )
    )


def years() -> list[int]:
    return list(db.session.scalars(select(Campaign.year).order_by(Campaign.year.desc())))


def _row(values, now: datetime, cal: WorkCalendar) -> Row:
    (task_id, instance_id, year, department_id, department, unit, bpmn_id, name, role) = values[:9]
    assignee_id, holder, due_at, escalation = values[9:]
    overdue = due_at < now
    days = working = 0
    if overdue:
        days = (
            now.astimezone(clock.LOCAL_ZONE).date() - due_at.astimezone(clock.LOCAL_ZONE).date()
        ).days
        working = cal.working_days_between(due_at, now)
    return Row(
        task_id=task_id,
        instance_id=instance_id,
        year=year,
        department_id=department_id,
        department=department,
        unit=unit,
        bpmn_id=bpmn_id,
        name=name,
        role=role,
        assignee_id=assignee_id,
        holder=holder,
        due_at=due_at,
        overdue=overdue,
        overdue_days=days,
        overdue_working_days=working,
        escalation=escalation,
    )


def board(
    viewer: Person,
    *,
    year: int | None = None,
    department_id: int | None = None,
    level: str | None = None,
    soon_days: int | None = None,
    order: str = "oldest",
) -> Board:
    """The viewer's overdue and due-soon steps, filtered and sorted by age (403 for anyone
    who tracks no department; 404 for a department they do not track)."""
    _check_scope(viewer, department_id)
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}")
    soon_days = soon_days_default() if soon_days is None else soon_days
    if not 0 <= soon_days <= MAX_SOON_DAYS:
        raise ValueError(f"soon_days must be 0 to {MAX_SOON_DAYS}")
    now = clock.now()
    until = now + timedelta(days=soon_days)
    query = (
        select(
            HumanTask.id,
            HumanTask.instance_id,
            Campaign.year,
            HumanTask.department_id,
            Department.name,
            Unit.name,
            HumanTask.bpmn_id,
            HumanTask.name,
            HumanTask.role,
            HumanTask.assignee_id,
            Person.display_name,
            HumanTask.due_at,
            HumanTask.escalation,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Campaign, Campaign.id == ProcessInstance.campaign_id)
        .join(Department, Department.id == HumanTask.department_id)
        .join(Unit, Unit.id == Department.unit_id)
        .outerjoin(Person, Person.id == HumanTask.assignee_id)
        .where(
            HumanTask.status == "ready",
            HumanTask.due_at.is_not(None),
            HumanTask.due_at < until,
            HumanTask.department_id.in_(permissions.supervised_departments(viewer)),
        )
    )
    if year is not None:
        query = query.where(Campaign.year == year)
    if department_id is not None:
        query = query.where(HumanTask.department_id == department_id)
    newest = order == "newest"
    query = query.order_by(
        HumanTask.due_at.desc() if newest else HumanTask.due_at,
        HumanTask.id.desc() if newest else HumanTask.id,
    )
    cal = calendar.current()
    every = [_row(values, now, cal) for values in db.session.execute(query)]
    counts = {
        "overdue": sum(r.overdue for r in every),
        str(Level.YELLOW_CARD): sum(r.escalation == Level.YELLOW_CARD for r in every),
        str(Level.RED_CARD): sum(r.escalation == Level.RED_CARD for r in every),
        "due_soon": sum(not r.overdue for r in every),
    }
    return Board(
        now=now,
        soon_until=until,
        soon_days=soon_days,
        rows=[r for r in every if r.matches(level)],
        counts=counts,
    )
