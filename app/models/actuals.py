"""Actuals (实际值) with their evidence (佐证材料), and the data sources they are pulled from.

An `Actual` is one value of one indicator for a department and period, from one source:
`reported` by a person, `file` (an import by the centre), or `pull` (a configured system).
Values of different sources for the same indicator and period are all kept: data verification
(数据核验) compares them. Within one source a new value never overwrites the old one: it is a
new revision, and the previous row gets `superseded_at` / `superseded_by_id`. The current
value of a source is the row with `superseded_at IS NULL`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.indicators import Indicator
from app.models.org import Department, Person
from app.models.types import JSONType, UTCDateTime

ACTUAL_SOURCES = ("reported", "file", "pull")
PULL_STATUSES = ("succeeded", "failed")


class Evidence(db.Model):
    """An uploaded file backing a value; the bytes live in the storage (app.services.storage),
    content-addressed by their SHA-256."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded (for display)
    storage_key: Mapped[str] = mapped_column(String(200))  # where the storage keeps it
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class DataSource(db.Model):
    """A system actuals are pulled from over HTTP (JSON), configured by the centre."""

    __tablename__ = "data_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500))
    # where the rows are in the answer and what each field is called (handlers.sources.http)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    timeout_seconds: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(10))
    retries: Mapped[int] = mapped_column(default=2)  # attempts after the first
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class PullRun(db.Model):
    """One pull of a data source: what came back, what was written, or why it failed."""

    __tablename__ = "pull_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("data_source.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # succeeded | failed
    trigger: Mapped[str] = mapped_column(String(16))  # api | cli | bpmn | retry
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("pull_run.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    # http_status | timeout | connection | bad_json | bad_shape | rows | inactive
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None]
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    row_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    triggered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    source: Mapped[DataSource] = relationship(lazy="joined")


class Actual(db.Model):
    """One revision of one source's value of an indicator for a department and period."""

    __tablename__ = "actual"
    __table_args__ = (
        UniqueConstraint("department_id", "indicator_id", "period", "source", "revision"),
        Index("ix_actual_campaign_department", "campaign_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    # indexed by the unique constraint, which starts with it
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM, YYYY-Qn or YYYY (app.rules.actuals)
    source: Mapped[str] = mapped_column(String(16))  # reported | file | pull
    origin: Mapped[str] = mapped_column(String(200), default="")  # file name / data source name
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("actual.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    pull_run_id: Mapped[int | None] = mapped_column(ForeignKey("pull_run.id"))

    department: Mapped[Department] = relationship()
    indicator: Mapped[Indicator] = relationship(lazy="joined")
    evidence: Mapped[Evidence | None] = relationship(lazy="joined")
    recorded_by: Mapped[Person | None] = relationship()

    @property
    def current(self) -> bool:
        return self.superseded_at is None

    @property
    def indicator_code(self) -> str:
        return self.indicator.code

    @property
    def year(self) -> int:
        return int(self.period[:4])
