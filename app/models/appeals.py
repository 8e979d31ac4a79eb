"""Publication of a campaign's results (公示), appeals (申诉) with their review (复核), and the
results application (结果应用) of each department.

- `Publication`: one per campaign. The centre approves the calibrated results (审定), then
  publishes them once; publishing opens the appeal window (`appeal_window_ends_at`) and sends
  `results_published` to every department instance. `delivery` keeps how that went.
- `Appeal`: at most one per department instance (the diagram has one `file_appeal` step);
  `disputed` names what is disputed (letter line ids, deductions, the evaluation) and
  `adjustment` the corrected figures and the grade before and after, when adjusted.
- `Outcome`: the department's outcome as `outcomes.record` drew it, archived with the instance.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.org import Department, Person
from app.models.process import Campaign
from app.models.types import JSONType, UTCDateTime

APPEAL_STATUSES = ("filed", "upheld", "adjusted", "withdrawn")


class Publication(db.Model):
    """The approval (审定) and publication (公示) of one campaign's results."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), unique=True)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    appeal_window_days: Mapped[int | None]
    appeal_window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # {"delivered": n, "not_waiting": n, "failed": n, "failures": [{"instance_id", "error"}]}
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    campaign: Mapped[Campaign] = relationship()
    approved_by: Mapped[Person | None] = relationship(foreign_keys=[approved_by_id])
    published_by: Mapped[Person | None] = relationship(foreign_keys=[published_by_id])


class Appeal(db.Model):
    """A department's objection to its published result and the review panel's decision."""

    __tablename__ = "appeal"
    __table_args__ = (Index("ix_appeal_year_department", "year", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    year: Mapped[int]
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    reasons: Mapped[str] = mapped_column(Text)
    # {"lines": [letter line ids], "deductions": bool, "evaluation": bool}
    disputed: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="filed")  # APPEAL_STATUSES
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # corrected figures and {"before": {...}, "after": {...}} of the result, when adjusted
    adjustment: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    department: Mapped[Department] = relationship()
    filed_by: Mapped[Person] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class Outcome(db.Model):
    """结果应用: what a department's grade means for it, drawn by `outcomes.record`."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    grade: Mapped[str] = mapped_column(String(32))
    calibrated: Mapped[bool] = mapped_column(Boolean)  # False: drawn from the band grade
    final_score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    rank: Mapped[int | None]
    bonus_coefficient: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    reserve_pool: Mapped[bool] = mapped_column(Boolean)
    improvement_plan: Mapped[list[str]] = mapped_column(JSONType, default=list)
    head_deduction: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    department: Mapped[Department] = relationship()


CONSEQUENCE_KINDS = ("improvement_plan", "reserve_pool", "head_deduction")
# improvement_plan: open → submitted → accepted (or back to open when the check returns it);
# reserve_pool and head_deduction are recorded facts.
CONSEQUENCE_STATUSES = ("recorded", "open", "submitted", "accepted")


class Consequence(db.Model):
    """One consequence of a year's grade (结果应用) as a record of its own: an improvement plan
    with its follow-up (due time, submission, check), an entry in the reserve cadre pool
    (后备干部库), a deduction from the head's own appraisal. The subject is a department and,
    where the consequence falls on a person (its head today, anyone appraised later), that
    person."""

    __tablename__ = "consequence"
    __table_args__ = (
        Index("uq_consequence_subject", "campaign_id", "kind", "department_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    # what the rule named: measures and rank / years of 优秀 / points, score and threshold
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # the improvement plan's follow-up (its due times are its tasks'): what the department
    # submitted and the check's word
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    campaign: Mapped[Campaign] = relationship()
    department: Mapped[Department] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
