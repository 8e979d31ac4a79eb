"""The demo city: five bureaus, eleven departments, 38 people in every role, and this year's
instances. The organisation is loaded through the same import the centre uses (from
app/demo_data/*.csv). Idempotent: running it again changes nothing."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.i18n import ROLE_NAMES
from app.models import Department, Person, ProcessInstance, RoleAssignment
from app.services import accounts, definitions, instances, ledger, library, org_import, plans
from app.services.transactions import unit_of_work

DEMO_PASSWORD = "demo-2026"
DATA = Path(__file__).parent / "demo_data"


@cache
def _demo_hash() -> str:
    """One argon2 hash shared by every demo account (hashing 38 times would slow tests)."""
    return accounts.hash_password(DEMO_PASSWORD)


def _bootstrap_admin() -> Person:
    """The first centre account, which the import then runs as."""
    admin = db.session.scalars(select(Person).where(Person.username == "admin")).first()
    if admin is None:
        admin = Person(
            username="admin",
            display_name="王敏",
            roles=[RoleAssignment(role="centre_admin", valid_from=clock.today())],
        )
        db.session.add(admin)
        db.session.flush()
    return admin


def seed_org() -> dict[str, Department]:
    """The demo organisation and people (with the demo password); departments by code."""
    admin = _bootstrap_admin()
    for kind in ("org", "people"):
        path = DATA / f"{kind}.csv"
        org_import.run(kind, path.name, path.read_bytes(), admin, dry_run=False)
    for person in db.session.scalars(select(Person).where(Person.password_hash == "!")):
        person.password_hash = _demo_hash()
    db.session.flush()
    return {d.code: d for d in db.session.scalars(select(Department))}


def _seed_plans(departments: dict[str, Department]) -> None:
    """This year's seed library, and each category's template assigned to its departments
    (departments whose plan the centre adjusted keep it)."""
    admin = db.session.scalars(select(Person).where(Person.username == "admin")).one()
    year = clock.now().year
    library.seed_year(year)
    for template in plans.templates(year):
        ids = [d.id for d in departments.values() if d.function_category == template.category]
        if ids:
            plans.assign(admin, template.id, ids)


def _start_instances(departments: dict[str, Department]) -> None:
    admin = db.session.scalars(select(Person).where(Person.username == "admin")).one()
    year = clock.now().year
    started = set(db.session.scalars(select(ProcessInstance.department_id)))
    for department in departments.values():
        if department.id not in started:
            instances.start(department.id, year, admin)


def demo_logins() -> list[tuple[str, list[str]]]:
    """(role name, usernames) for the README and the set-up command's greeting."""
    by_role: dict[str, list[str]] = {}
    for person in db.session.scalars(select(Person).order_by(Person.id)):
        for role in sorted({a.role for a in person.current_roles()}):
            by_role.setdefault(role, []).append(person.username)
    return [(ROLE_NAMES[role], names) for role, names in by_role.items()]


def seed_demo() -> list[tuple[str, list[str]]]:
    unit_of_work(lambda: definitions.load_directory(current_app.config["BPMN_DIR"]))
    departments = unit_of_work(seed_org)
    unit_of_work(lambda: _seed_plans(departments))
    # this year's ledgers (台账) first: a spot check may draw its sample as soon as it starts
    unit_of_work(lambda: ledger.seed_demo(clock.now().year, departments.values()))
    unit_of_work(lambda: _start_instances(departments))
    return demo_logins()
