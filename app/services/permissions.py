"""Who may do what, always checked against the object. The one place the policy lives.

A role assignment is valid on a day (valid_from ≤ day < valid_to, in the city's calendar) and
covers a department directly, through its unit, or city-wide. From that:

- the centre (centre_admin) sees every department and administers everything, but acts on a
  task only when it is reassigned to them: the centre reassigns, it does not fill in letters;
- who may act on a task: its assignee if it has one, else anyone holding the lane's role over the
  task's department (the candidates);
- who may see a department's instances: the centre, and anyone holding a role other than
  `expert` over it (a department head sees only their own; experts see the indicator system,
  not departments' drafts).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, and_, or_, select, union

from app import clock
from app.extensions import db
from app.models import Department, HumanTask, Person, ProcessInstance, RoleAssignment

DEPARTMENT_VIEWERS = frozenset(
    {
        "centre_admin",
        "supervising_leader",
        "department_head",
        "assessment_group",
        "review_panel",
        "staff",
    }
)
ACTUAL_REPORTERS = frozenset({"department_head", "staff"})
# Who tracks overdue steps (督办): the centre city-wide, a supervising leader over their
# departments, a department head over their own.
SUPERVISORS = frozenset({"centre_admin", "supervising_leader", "department_head"})


def holds(person: Person, role: str, department: Department | None = None) -> bool:
    """Whether the person holds `role` today (over `department`, when one is given)."""
    return any(
        a.role == role and (department is None or a.covers(department))
        for a in person.current_roles()
    )


def is_centre_admin(person: Person) -> bool:
    return holds(person, "centre_admin")


def may_view_department(person: Person, department: Department) -> bool:
    return any(
        a.role in DEPARTMENT_VIEWERS and a.covers(department) for a in person.current_roles()
    )


def may_view_instance(person: Person, instance: ProcessInstance) -> bool:
    return may_view_department(person, instance.department)


def visible_departments(person: Person) -> Select[tuple[int]]:
    """Ids of the departments the person may see, as a subquery for list endpoints."""
    return select(Department.id).where(
        _assignment_exists(person.id, DEPARTMENT_VIEWERS, Department.id, Department.unit_id)
    )


def may_supervise(person: Person) -> bool:
    """Whether the person may open the overdue board (督办看板) at all."""
    return any(a.role in SUPERVISORS for a in person.current_roles())


def supervised_departments(person: Person) -> Select[tuple[int]]:
    """Ids of the departments whose overdue steps the person tracks: a subset of the ones
    they may see (every supervising role is a department viewer)."""
    return select(Department.id).where(
        _assignment_exists(person.id, SUPERVISORS, Department.id, Department.unit_id)
    )


def may_report_actuals(person: Person, department: Department) -> bool:
    """A department's head and staff report its actuals (实际值): a role held in the
    department itself, not one covering it from the unit or the city."""
    return any(
        a.role in ACTUAL_REPORTERS and a.department_id == department.id
        for a in person.current_roles()
    )


def may_view_appeals(person: Person, department: Department) -> bool:
    """A department's appeals (申诉) and their decisions: the centre, the review panel over it,
    and the department's own head and staff (a role held in the department itself)."""
    return any(
        a.role in ("centre_admin", "review_panel") and a.covers(department)
        for a in person.current_roles()
    ) or may_report_actuals(person, department)


def appeal_departments(person: Person) -> Select[tuple[int]]:
    """Ids of the departments whose appeals the person may see, for list endpoints."""
    own = [
        a.department_id
        for a in person.current_roles()
        if a.role in ACTUAL_REPORTERS and a.department_id is not None
    ]
    return select(Department.id).where(
        or_(
            _assignment_exists(
                person.id, {"centre_admin", "review_panel"}, Department.id, Department.unit_id
            ),
            Department.id.in_(own),
        )
    )


def is_candidate(person: Person, task: HumanTask) -> bool:
    return task.role is not None and holds(person, task.role, task.department)


def may_act(person: Person, task: HumanTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == person.id
    return is_candidate(person, task)


def candidates(role: str | None, department: Department) -> list[Person]:
    """Active people holding `role` over the department today."""
    if role is None:
        return []
    day = clock.today()
    valid = (
        RoleAssignment.role == role,
        RoleAssignment.valid_from <= day,
        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to > day),
    )
    # The three scopes apart, each an index lookup (ix_role_assignment_scope and the unit's
    # index), rather than a test of every person: the cost does not grow with the city.
    holders = union(
        select(RoleAssignment.person_id).where(
            *valid, RoleAssignment.department_id == department.id
        ),
        select(RoleAssignment.person_id).where(
            *valid, RoleAssignment.unit_id == department.unit_id
        ),
        select(RoleAssignment.person_id).where(
            *valid, RoleAssignment.department_id.is_(None), RoleAssignment.unit_id.is_(None)
        ),
    )
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.active.is_(True), Person.id.in_(holders))
            .order_by(Person.id)
        )
    )


def centre_admins() -> list[Person]:
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.active.is_(True), _assignment_exists(Person.id, {"centre_admin"}))
            .order_by(Person.id)
        )
    )


def inbox_query(person: Person, scope: str = "all") -> Select[tuple[HumanTask]]:
    """Ready tasks for the person: `mine` (claimed by or assigned to them), `group` (unclaimed,
    open to a role they hold), or `all` of both."""
    # Correlated explicitly: nested inside EXISTS, auto-correlation would add its own
    # `human_task` to the FROM list (PostgreSQL: "more than one row"; SQLite: any task's unit).
    task_unit = (
        select(Department.unit_id)
        .where(Department.id == HumanTask.department_id)
        .correlate(HumanTask)
        .scalar_subquery()
    )
    by_role = and_(
        HumanTask.assignee_id.is_(None),
        _assignment_exists(person.id, HumanTask.role, HumanTask.department_id, task_unit),
    )
    mine = HumanTask.assignee_id == person.id
    chosen = {"mine": mine, "group": by_role}.get(scope, or_(mine, by_role))
    return select(HumanTask).where(HumanTask.status == "ready", chosen)


def _assignment_exists(
    person_id,
    roles,
    department_id=None,
    unit_id=None,
    day: date | None = None,
) -> ColumnElement[bool]:
    """EXISTS a valid assignment of one of `roles` for `person_id` covering the department
    (any department when `department_id` is None). Arguments may be values or SQL columns."""
    day = day or clock.today()
    role_clause = (
        RoleAssignment.role.in_(roles)
        if isinstance(roles, set | frozenset)
        else RoleAssignment.role == roles
    )
    clauses = [
        RoleAssignment.person_id == person_id,
        role_clause,
        RoleAssignment.valid_from <= day,
        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to > day),
    ]
    if department_id is not None:
        clauses.append(
            or_(
                RoleAssignment.department_id == department_id,
                RoleAssignment.unit_id == unit_id,
                and_(RoleAssignment.department_id.is_(None), RoleAssignment.unit_id.is_(None)),
            )
        )
    return select(RoleAssignment.id).where(*clauses).exists()
