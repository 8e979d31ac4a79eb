"""Fixtures for the organisation and security tests: `city`, the demo organisation with this
year's instances started for 预算科 (CZ-YS) and 督查科 (DC-DC), and the ids tests refer to."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Department, HumanTask, Person
from tests.conftest import start_instance

PASSWORD = "demo-2026"
# 督查科 (DC-DC): what nobody outside its viewers may ever receive.
DC_DC_SECRETS = ("督查科", "DC-DC", "head_insp", "staff_dc", "刘洋", "潘婷")


@dataclass(frozen=True)
class City:
    departments: dict[str, int]
    people: dict[str, int]
    instances: dict[str, int]
    drafts: dict[str, int]  # the ready draft_letter task of each started department


@pytest.fixture
def city(org) -> City:
    instances = {code: start_instance(code).id for code in ("CZ-YS", "DC-DC")}
    drafts = {
        code: db.session.scalars(
            sa.select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "draft_letter"
            )
        ).one()
        for code, instance_id in instances.items()
    }
    return City(
        departments={d.code: d.id for d in db.session.scalars(sa.select(Department))},
        people={p.username: p.id for p in db.session.scalars(sa.select(Person))},
        instances=instances,
        drafts=drafts,
    )


def audit_actions(**where) -> list[tuple[str, int | None, str | None]]:
    """(action, actor_id, object_id) of the audit events matching `where`, oldest first."""
    query = sa.select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
    return [(e.action, e.actor_id, e.object_id) for e in db.session.scalars(query)]


def fresh(model, ident):
    """Reload a row as the database has it now (the API committed in another session scope)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def readable(response) -> str:
    """The body as text with Chinese unescaped (JSON escapes it as \\uXXXX)."""
    if response.is_json and response.data:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)
