"""Changes to the organisation: roles granted and ended, people moved. All dated, all audited.

A role is never deleted or edited in place: ending it sets `valid_to`, so who could act on what,
on any past day, stays answerable. Moving a person mid-year ends their department-scoped roles
in the old department on the move date and applies the open-task rule: tasks they hold there go
back to the role's pool (the department's other candidates), and a task left with no candidate is
flagged to the centre (see app.services.assignments).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, true

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import ROLES, Department, HumanTask, Person, PersonMove, RoleAssignment, Unit
from app.services import assignments, audit, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

MAX_BACKDATE_DAYS = 366


def _require_admin(actor: Person) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre changes the organisation")


def _day(value: date | None) -> date:
    today = clock.today()
    day = value or today
    if day > today:
        raise Invalid(
            "changes take effect today or on a past day",
            fields={"effective_on": [Message("生效日期不能晚于今天。")]},
        )
    if (today - day).days > MAX_BACKDATE_DAYS:
        raise Invalid(
            "too far back", fields={"effective_on": [Message("生效日期不能早于一年前。")]}
        )
    return day


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def get_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(f"department {department_id} not found")
    return department


def departments(actor: Person, *, active_only: bool = True) -> list[Department]:
    """The departments the person may see, by code (the centre sees them all)."""
    query = (
        select(Department)
        .where(Department.id.in_(permissions.visible_departments(actor)))
        .order_by(Department.code)
    )
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(db.session.scalars(query))


def grant_role(
    actor: Person,
    person: Person,
    role: str,
    *,
    department_id: int | None = None,
    unit_id: int | None = None,
    valid_from: date | None = None,
    reason: str | None = None,
) -> RoleAssignment:
    _require_admin(actor)
    if role not in ROLES:
        raise Invalid(
            "unknown role", fields={"role": [Message("可选：%(scopes)s", scopes=list(ROLES))]}
        )
    if department_id is not None and unit_id is not None:
        raise Invalid("one scope only", fields={"scope": [Message("只能指定科室或单位之一。")]})
    if department_id is not None:
        get_department(department_id)
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise NotFound(f"unit {unit_id} not found")
    day = _day(valid_from)
    same = [
        a
        for a in person.current_roles(day)
        if (a.role, a.department_id, a.unit_id) == (role, department_id, unit_id)
    ]
    if same:
        raise Conflict("the person already holds this role")
    assignment = RoleAssignment(
        role=role,
        department_id=department_id,
        unit_id=unit_id,
        valid_from=day,
        granted_by_id=actor.id,
        reason=reason,
    )
    person.roles.append(assignment)
    db.session.flush()
    audit.record(
        "org.role_granted",
        actor,
        "person",
        person.id,
        role=role,
        department_id=department_id,
        unit_id=unit_id,
        valid_from=day.isoformat(),
    )
    return assignment


def end_role(actor: Person, assignment_id: int, on: date | None = None, reason: str = "") -> None:
    _require_admin(actor)
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None:
        raise NotFound(f"role assignment {assignment_id} not found")
    day = _day(on)
    if assignment.valid_to is not None and assignment.valid_to <= day:
        raise Conflict("this role has already ended")
    _end(assignment, day)
    db.session.flush()
    db.session.expire(assignment.person, ["roles"])
    audit.record(
        "org.role_ended",
        actor,
        "person",
        assignment.person_id,
        assignment_id=assignment.id,
        role=assignment.role,
        on=day.isoformat(),
        reason=reason,
    )
    _release_orphaned_holdings(
        assignment.person, actor, "角色终止", _scope_departments([assignment])
    )


def _end(assignment: RoleAssignment, day: date) -> None:
    # A role ended before it began keeps its row with an empty period: the grant stays on record.
    assignment.valid_to = max(day, assignment.valid_from)


def _scope_departments(assignments_: list[RoleAssignment]) -> list[int] | None:
    """Departments whose candidates the ended assignments could change (None: all)."""
    ids: set[int] = set()
    for a in assignments_:
        if a.department_id is not None:
            ids.add(a.department_id)
        elif a.unit_id is not None:
            ids.update(
                db.session.scalars(select(Department.id).where(Department.unit_id == a.unit_id))
            )
        else:
            return None
    return sorted(ids)


def move_person(
    actor: Person,
    person: Person,
    to_department_id: int,
    *,
    effective_on: date | None = None,
    reason: str,
    new_role: str | None = "staff",
) -> PersonMove:
    """Move a person to another department on a date; see the module docstring for tasks."""
    _require_admin(actor)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("a reason is required", fields={"reason": [Message("请填写调动原因。")]})
    target = get_department(to_department_id)
    if person.department_id == target.id:
        raise Conflict("the person is already in this department")
    day = _day(effective_on)
    old_department_id = person.department_id

    # Every department role still running on the move date ends, including one that began
    # after a backdated move date (it keeps its row with an empty period).
    ended = [
        a
        for a in person.roles
        if (a.valid_to is None or a.valid_to > day)
        and a.department_id is not None
        and a.department_id != target.id
    ]
    for assignment in ended:
        _end(assignment, day)
    person.department_id = target.id
    person.team_id = None
    if new_role:
        person.roles.append(
            RoleAssignment(
                role=new_role,
                department_id=target.id,
                valid_from=day,
                granted_by_id=actor.id,
                reason=reason.strip(),
            )
        )
    db.session.flush()
    db.session.expire(person, ["roles"])
    affected = _scope_departments(ended)
    if affected is not None and old_department_id is not None:
        affected.append(old_department_id)
    released = _release_orphaned_holdings(person, actor, f"人员调动：{reason.strip()}", affected)
    move = PersonMove(
        person_id=person.id,
        from_department_id=old_department_id,
        to_department_id=target.id,
        effective_on=day,
        reason=reason.strip(),
        by_id=actor.id,
        released_task_ids=released,
    )
    db.session.add(move)
    db.session.flush()
    audit.record(
        "org.person_moved",
        actor,
        "person",
        person.id,
        from_department_id=old_department_id,
        to_department_id=target.id,
        effective_on=day.isoformat(),
        released_task_ids=released,
    )
    return move


def _release_orphaned_holdings(
    person: Person, actor: Person, reason: str, department_ids: list[int] | None
) -> list[int]:
    """Tasks the person holds but may no longer act on go back to the pool; open tasks whose
    last candidate this was get flagged. Returns the ids of the released tasks."""
    released = []
    held = db.session.scalars(
        select(HumanTask).where(HumanTask.assignee_id == person.id, HumanTask.status == "ready")
    )
    for task in held:
        if not permissions.is_candidate(person, task):
            assignments.release(task, actor, reason)
            released.append(task.id)
    open_tasks = db.session.scalars(
        select(HumanTask).where(
            HumanTask.status == "ready",
            HumanTask.assignee_id.is_(None),
            HumanTask.no_candidate.is_(False),
            true() if department_ids is None else HumanTask.department_id.in_(department_ids),
        )
    )
    assignments.flag_new_tasks(list(open_tasks))
    db.session.flush()
    return released
