"""Append to the audit trail (who did what, when, from where) and search it.

The trail is append-only in the database itself (triggers refuse UPDATE and DELETE, see
migration 0002), and no endpoint edits or deletes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Person
from app.services import permissions
from app.services.errors import Forbidden


def record(
    action: str,
    actor: Person | None,
    object_type: str | None = None,
    object_id: Any = None,
    **detail: Any,
) -> None:
    db.session.add(
        AuditEvent(
            action=action,
            actor_id=actor.id if actor is not None else None,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            remote_addr=request.remote_addr if has_request_context() else None,
            detail=detail or None,
        )
    )


def search(
    actor: Person,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    actor_username: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """A page of the trail, newest first, for the centre. `action` matches a prefix
    ("task." finds every task action)."""
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre reads the audit trail")
    clauses = []
    if action:
        clauses.append(AuditEvent.action.startswith(action, autoescape=True))
    if actor_id is not None:
        clauses.append(AuditEvent.actor_id == actor_id)
    if actor_username:
        by_name = select(Person.id).where(Person.username == actor_username)
        clauses.append(AuditEvent.actor_id.in_(by_name))
    if object_type:
        clauses.append(AuditEvent.object_type == object_type)
    if object_id:
        clauses.append(AuditEvent.object_id == object_id)
    if since is not None:
        clauses.append(AuditEvent.at >= since)
    if until is not None:
        clauses.append(AuditEvent.at < until)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*clauses))
    events = db.session.scalars(
        select(AuditEvent)
        .where(*clauses)
        .order_by(AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return {"total": total, "page": page, "per_page": per_page, "events": events}
