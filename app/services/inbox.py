"""The reviewers' inbox (待办): one page of ready tasks, filtered, sorted and counted.

Everything reads the human-task projection through `permissions.inbox_query`, so the inbox
shows exactly the tasks the person may act on: `mine` (claimed by or assigned to them) and
`group` (unclaimed, open to a role they hold). A page costs a fixed number of queries however
many rows it shows: the counts, the rows with their department, unit, instance and campaign
loaded in the same statement, and the choices of the filter form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import contains_eager, defer, joinedload

from app import clock
from app.extensions import db
from app.models import Campaign, Department, HumanTask, Person, ProcessInstance, Unit
from app.services import permissions
from app.services.errors import Invalid

SCOPES = ("mine", "group")
DUE_BUCKETS = ("overdue", "soon", "later", "none")
SOON = timedelta(days=3)
SORTS = ("due", "due_desc", "created", "created_asc", "department")
PER_PAGE = 20


@dataclass(frozen=True)
class InboxQuery:
    """What the person asked for; `scope=None` picks `mine` when it has tasks, else `group`."""

    scope: str | None = None
    department_id: int | None = None
    bpmn_id: str | None = None
    due: str | None = None
    year: int | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class InboxPage:
    scope: str
    tasks: list[HumanTask]
    counts: dict[str, int]  # per tab, under the filters
    due_counts: dict[str, int]  # per due bucket, in this tab under the other filters
    page: int
    pages: int
    total: int
    page_clamped: bool = False  # asked for a page past the last one; shown the last


@dataclass
class InboxChoices:
    departments: list[Department] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)  # (bpmn_id, name)
    years: list[int] = field(default_factory=list)


def _due_bucket(now: datetime) -> ColumnElement[str]:
    return case(
        (HumanTask.due_at.is_(None), "none"),
        (HumanTask.due_at < now, "overdue"),
        (HumanTask.due_at <= now + SOON, "soon"),
        else_="later",
    )


def _filtered(person: Person, scope: str, query: InboxQuery, now: datetime, due: bool = True):
    stmt = permissions.inbox_query(person, scope)
    if query.department_id is not None:
        stmt = stmt.where(HumanTask.department_id == query.department_id)
    if query.bpmn_id is not None:
        stmt = stmt.where(HumanTask.bpmn_id == query.bpmn_id)
    if query.year is not None:
        stmt = stmt.where(
            HumanTask.instance_id.in_(
                select(ProcessInstance.id)
                .join(Campaign, Campaign.id == ProcessInstance.campaign_id)
                .where(Campaign.year == query.year)
            )
        )
    if due and query.due is not None:
        stmt = stmt.where(
            {
                "overdue": HumanTask.due_at < now,
                "soon": HumanTask.due_at.between(now, now + SOON),
                "later": HumanTask.due_at > now + SOON,
                "none": HumanTask.due_at.is_(None),
            }[query.due]
        )
    return stmt


def _grouped(stmt: Select, key: ColumnElement[str]) -> dict[str, int]:
    """Count the rows of `stmt` by `key`, grouped through a subquery: PostgreSQL does not see
    two renderings of an expression with bound parameters as the same GROUP BY expression."""
    keyed = stmt.with_only_columns(key.label("key")).subquery()
    rows = db.session.execute(select(keyed.c.key, func.count()).group_by(keyed.c.key))
    return {k: n for k, n in rows}


def _order(sort: str) -> tuple:
    last_undated = HumanTask.due_at.is_(None)
    return {
        "due": (last_undated, HumanTask.due_at, HumanTask.id),
        "due_desc": (last_undated, HumanTask.due_at.desc(), HumanTask.id.desc()),
        "created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
        "created_asc": (HumanTask.created_at, HumanTask.id),
        "department": (Unit.name, Department.name, last_undated, HumanTask.due_at, HumanTask.id),
    }[sort]


def page(person: Person, query: InboxQuery) -> InboxPage:
    """One page of the person's inbox. Unknown scope, due bucket or sort is `Invalid`."""
    bad = {
        name: ["unknown value"]
        for name, value, allowed in (
            ("tab", query.scope, (None, *SCOPES)),
            ("due", query.due, (None, *DUE_BUCKETS)),
            ("sort", query.sort, SORTS),
        )
        if value not in allowed
    }
    if bad or query.page < 1 or query.per_page < 1:
        raise Invalid("bad inbox query", fields=bad or {"page": ["out of range"]})
    now = clock.now()
    me = HumanTask.assignee_id == person.id
    counts = dict.fromkeys(SCOPES, 0) | _grouped(
        _filtered(person, "all", query, now), case((me, "mine"), else_="group")
    )
    scope = query.scope or ("mine" if counts["mine"] else "group")
    due_counts = dict.fromkeys(DUE_BUCKETS, 0) | _grouped(
        _filtered(person, scope, query, now, due=False), _due_bucket(now)
    )
    total = counts[scope]
    pages = max(1, -(-total // query.per_page))
    number = min(query.page, pages)
    rows = db.session.scalars(
        _filtered(person, scope, query, now)
        .join(Department, Department.id == HumanTask.department_id)
        .join(Unit, Unit.id == Department.unit_id)
        .options(
            contains_eager(HumanTask.department).contains_eager(Department.unit),
            # the row shows the instance's status and year, never its workflow state
            joinedload(HumanTask.instance).options(
                defer(ProcessInstance.state), joinedload(ProcessInstance.campaign)
            ),
        )
        .order_by(*_order(query.sort))
        .limit(query.per_page)
        .offset((number - 1) * query.per_page)
    )
    return InboxPage(
        scope=scope,
        tasks=list(rows),
        counts=counts,
        due_counts=due_counts,
        page=number,
        pages=pages,
        total=total,
        page_clamped=number != query.page,
    )


def choices(person: Person, department_id: int | None = None) -> InboxChoices:
    """What the filter form offers: the departments, steps and years of the person's ready
    tasks (both tabs), plus the chosen department. An unknown department is `Invalid`."""
    mine = permissions.inbox_query(person, "all")
    department_ids = mine.with_only_columns(HumanTask.department_id)
    wanted = Department.id.in_(department_ids)
    if department_id is not None:
        if db.session.get(Department, department_id) is None:
            raise Invalid("unknown department", fields={"department": ["unknown department"]})
        wanted = wanted | (Department.id == department_id)
    departments = db.session.scalars(
        select(Department)
        .join(Unit, Unit.id == Department.unit_id)
        .where(wanted)
        .order_by(Unit.name, Department.name)
    )
    steps = db.session.execute(
        mine.with_only_columns(HumanTask.bpmn_id, func.min(HumanTask.name))
        .group_by(HumanTask.bpmn_id)
        .order_by(func.min(HumanTask.name))
    )
    years = db.session.scalars(
        select(Campaign.year)
        .where(
            Campaign.id.in_(
                select(ProcessInstance.campaign_id).where(
                    ProcessInstance.id.in_(mine.with_only_columns(HumanTask.instance_id))
                )
            )
        )
        .order_by(Campaign.year.desc())
    )
    return InboxChoices(
        departments=list(departments),
        steps=[(bpmn_id, name) for bpmn_id, name in steps],
        years=list(years),
    )
