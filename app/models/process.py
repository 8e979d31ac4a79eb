"""Definitions, campaigns, instances and the human-task projection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.org import Department, Person
from app.models.types import JSONType, UTCDateTime

INSTANCE_STATUSES = (
    "running",
    "waiting_people",
    "waiting_timer",
    "waiting_message",
    "completed",
    "error",
    "suspended",
    "terminated",
)

# Messages the app delivers to instances waiting for them (BPMN message catch events).
MESSAGES = {
    "results_published": "the campaign's results are published (公示); the appeal window opens",
}


class ProcessDefinition(db.Model):
    """One version of a diagram. Specs are stored here once; instances keep only their state."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # bpmn | dmn
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    # Deferred: a completion needs neither once the runner has the specs cached by hash.
    source: Mapped[str] = mapped_column(Text, deferred=True)
    spec_hash: Mapped[str] = mapped_column(String(64))
    specs: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)
    elements: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class ProcessDraft(db.Model):
    """The modeler's work in progress on one process key: any well-formed XML, unchecked until
    it is validated or published (publishing goes through the definitions upload)."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(Text)
    # The published version the draft was started from (None for a new diagram).
    base_version: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    updated_by: Mapped[Person | None] = relationship()


class Campaign(db.Model):
    """One year's appraisal round."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # validated by app.services.campaigns; missing keys take the documented defaults
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    __table_args__ = (
        UniqueConstraint("campaign_id", "department_id", "process_key"),
        # The timer sweep's claim and earliest due time: due instances of the active states,
        # read without scanning every instance.
        Index("ix_process_instance_timer", "status", "next_timer_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_task: Mapped[str | None] = mapped_column(String(100))
    # The kind of failure (app.engine.runner.ERROR_CODES): pages say it in the reader's language.
    error_code: Mapped[str | None] = mapped_column(String(32))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012

    definition: Mapped[ProcessDefinition] = relationship()
    campaign: Mapped[Campaign] = relationship()
    department: Mapped[Department] = relationship()


class HumanTask(db.Model):
    """Projection of user tasks, rewritten with every step; inboxes read only this."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id"),
        Index("ix_human_task_inbox", "status", "role", "department_id"),
        # The escalation sweep: ready steps of a level whose due time is before a bound.
        Index("ix_human_task_escalation", "status", "escalation", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    form_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # ready | completed | cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Nobody may act on it (no one holds the lane's role for the department): the centre is told.
    no_candidate: Mapped[bool] = mapped_column(default=False, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # For one named person (a ballot; the diagram's `assignee` property): never back to a pool.
    personal: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # How far it has escalated (app.rules.escalation.Level) and when it last did.
    escalation: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    instance: Mapped[ProcessInstance] = relationship()
    department: Mapped[Department] = relationship()
    completed_by: Mapped[Person | None] = relationship(foreign_keys=[completed_by_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])


class InstanceEvent(db.Model):
    """What happened to an instance and who did it: its history."""

    __tablename__ = "instance_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(32))
    bpmn_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    actor: Mapped[Person | None] = relationship()
