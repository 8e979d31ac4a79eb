"""Monthly spot checks (月度督查): a department's ledger (台账), the random sample the assessment
group checks each month, its findings, their rectification (整改) and confirmation.

A `SpotCheck` records everything needed to redraw its sample: the seed, the ids of the ledger
entries it was drawn from (`population_ids`) and the ids drawn (`sample_ids`), see
`app.rules.sampling`. A `Finding` whose status is `confirmed` is a deduction (扣分) of its
`confirmed_points`, applied at the year's end by `app.rules.deductions`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.actuals import Evidence
from app.models.org import Department, Person
from app.models.types import JSONType, UTCDateTime

SPOT_CHECK_STATUSES = ("drawn", "verified", "closed", "skipped")  # skipped: a reason kept
FINDING_STATUSES = ("open", "rectified", "confirmed", "dismissed")
FINDING_UNDECIDED = ("open", "rectified")


class LedgerEntry(db.Model):
    """One record of a department's ledger (台账): what the department did, as it filed it."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("department_id", "year", "number"),
        Index("ix_ledger_entry_month", "department_id", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    year: Mapped[int]
    month: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))  # the department's reference (文号/编号)
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))  # yuan, when it has one
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    department: Mapped[Department] = relationship()


class SpotCheck(db.Model):
    """One month's unannounced check of one department (one per instance and month)."""

    __tablename__ = "spot_check"
    __table_args__ = (
        UniqueConstraint("instance_id", "month"),
        Index("ix_spot_check_department_year", "department_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    year: Mapped[int]
    month: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)  # 63 random bits, drawn once
    sample_size: Mapped[int]  # the size asked for; fewer when the month has fewer entries
    population_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    sample_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default="drawn")  # SPOT_CHECK_STATUSES
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department] = relationship()
    findings: Mapped[list[Finding]] = relationship(
        back_populates="spot_check", order_by="Finding.id", lazy="selectin"
    )


class Finding(db.Model):
    """A problem found in one sampled ledger entry, with the points it would cost."""

    __tablename__ = "finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"), index=True)
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    description: Mapped[str] = mapped_column(Text)
    indicator_code: Mapped[str | None] = mapped_column(String(40))  # None: the total score
    proposed_points: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    confirmed_points: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    status: Mapped[str] = mapped_column(String(16), default="open")  # FINDING_STATUSES
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    found_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str | None] = mapped_column(Text)

    spot_check: Mapped[SpotCheck] = relationship(back_populates="findings")
    ledger_entry: Mapped[LedgerEntry] = relationship(lazy="joined")
    evidence: Mapped[Evidence | None] = relationship()
    found_by: Mapped[Person] = relationship(foreign_keys=[found_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])
    rectifications: Mapped[list[Rectification]] = relationship(
        back_populates="finding", order_by="Rectification.id", lazy="selectin"
    )


class Rectification(db.Model):
    """The department's answer to a finding: what it put right (整改), and its proof."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    finding: Mapped[Finding] = relationship(back_populates="rectifications")
    evidence: Mapped[Evidence | None] = relationship()
    by: Mapped[Person] = relationship()
