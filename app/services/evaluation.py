"""Opening the year-end multi-evaluator review (年终考评): who rates a department.

- **Leader** (分管领导, 40 % by default): the department's supervising leader(s).
- **Peers** (民主测评, 30 %): heads and staff of the *other* departments of the same unit
  (never the department's own people). Where a unit is too small to give the anonymity
  minimum (`ANONYMITY_MIN_BALLOTS`), heads of departments in other units make up the number,
  lowest person id first, so the choice is reproducible. At most `MAX_PEERS`.
- **Service recipients** (服务对象, 30 %): people without accounts, through signed,
  single-use survey links issued here (`SURVEY_LINKS_PER_DEPARTMENT`), valid for the survey
  window; the centre hands them out.

Each leader and peer gets a ballot task of their own (the diagram's multi-instance tasks take
the id lists `raters` returns).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Department, Person, ProcessInstance
from app.services import audit, ballots, permissions

MAX_PEERS = 12
PEER_ROLES = {"department_head", "staff"}


def _rates_as_peer(person: Person) -> bool:
    return any(a.role in PEER_ROLES for a in person.current_roles())


def peers(department: Department) -> list[int]:
    others = db.session.scalars(
        select(Person)
        .join(Department, Department.id == Person.department_id)
        .where(Person.active.is_(True), Person.department_id != department.id)
        .order_by((Department.unit_id != department.unit_id), Person.id)
    ).all()
    same_unit = [p for p in others if p.department.unit_id == department.unit_id]
    chosen = [p.id for p in same_unit if _rates_as_peer(p)][:MAX_PEERS]
    minimum = current_app.config["ANONYMITY_MIN_BALLOTS"]
    for person in others:
        if len(chosen) >= minimum:
            break
        if person.department.unit_id != department.unit_id and permissions.holds(
            person, "department_head"
        ):
            chosen.append(person.id)
    return chosen


def raters(instance_id: int, group: str) -> list[int]:
    """Person ids of a rater group (`leader` or `peer`) for the instance's department."""
    department = db.session.get(ProcessInstance, instance_id).department
    if group == "leader":
        return [p.id for p in permissions.candidates("supervising_leader", department)]
    if group == "peer":
        return peers(department)
    raise ValueError(f"unknown rater group {group!r}")


def open_for(instance_id: int) -> dict[str, Any]:
    """Issue the service recipients' survey links; the survey window is their life."""
    instance = db.session.get(ProcessInstance, instance_id)
    days = current_app.config["SURVEY_LINK_DAYS"]
    links = ballots.issue_links_for(
        instance.campaign,
        instance.department,
        current_app.config["SURVEY_LINKS_PER_DEPARTMENT"],
        days,
    )
    audit.record("evaluation.open", None, "instance", instance.id, survey_links=len(links))
    return {"links": len(links), "survey_window": f"P{days}D"}
