"""A task's candidates (permissions.candidates) read through three index lookups: they must be
exactly the active people the policy (`holds`) says hold the role over the department."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Department, Person, RoleAssignment
from app.services import permissions
from app.services.transactions import unit_of_work
from tests.conftest import person


def _grant(username: str, role: str, **scope) -> None:
    who = person(username)
    db.session.add(
        RoleAssignment(
            person_id=who.id,
            role=role,
            valid_from=scope.pop("valid_from", date(2025, 12, 1)),
            valid_to=scope.pop("valid_to", None),
            **scope,
        )
    )


def test_candidates_are_exactly_the_policys_holders(org):
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    fin = departments["CZ-YS"]
    sibling = next(d for d in departments.values() if d.unit_id == fin.unit_id and d is not fin)

    def setup():
        _grant("staff_fin", "supervising_leader", unit_id=fin.unit_id)  # the whole bureau
        _grant("expert_gao", "supervising_leader")  # city-wide
        _grant("head_fin", "supervising_leader", department_id=sibling.id)  # another department
        _grant("staff_dc", "supervising_leader", department_id=fin.id, valid_to=date(2026, 1, 1))
        _grant("head_db", "supervising_leader", department_id=fin.id, valid_from=date(2026, 2, 1))
        _grant("head_kj", "supervising_leader", department_id=fin.id)
        person("head_kj").active = False  # an inactive person acts on nothing

    unit_of_work(setup)
    people = db.session.scalars(select(Person).order_by(Person.id)).all()
    for role in ("supervising_leader", "department_head", "staff", "assessment_group"):
        for department in departments.values():
            expected = [
                p.username for p in people if p.active and permissions.holds(p, role, department)
            ]
            found = [p.username for p in permissions.candidates(role, department)]
            assert found == expected, (role, department.code)

    leaders = {p.username for p in permissions.candidates("supervising_leader", fin)}
    assert {"staff_fin", "expert_gao", "leader_li"} <= leaders
    assert not leaders & {"head_fin", "staff_dc", "head_db", "head_kj"}
    assert permissions.candidates(None, fin) == []
