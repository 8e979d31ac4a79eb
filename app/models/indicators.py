"""The indicator library (指标库), templates per function category, department plans, and the
results and calibration log of a campaign.

The library is versioned per year: each year has its own rows, made by rolling the previous
year over, so a letter signed in 2026 keeps pointing at the 2026 definitions whatever 2027
changes. The pure definitions live in `app.rules.indicators`; `app.services.library`
converts between the two.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.org import Department, Person
from app.models.process import Campaign
from app.models.types import JSONType, UTCDateTime

Number = Numeric(18, 4)


class Indicator(db.Model):
    """One indicator of one year's library."""

    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str | None] = mapped_column(String(16))
    nature: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(20), default="")
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    target: Mapped[Decimal | None] = mapped_column(Number)
    threshold: Mapped[Decimal | None] = mapped_column(Number)
    cap: Mapped[Decimal] = mapped_column(Number, default=Decimal(1))
    tolerance: Mapped[Decimal] = mapped_column(Number, default=Decimal(0))
    per_unit: Mapped[Decimal | None] = mapped_column(Number)
    floor: Mapped[Decimal] = mapped_column(Number, default=Decimal(0))
    # [{"lower": "90" | null, "upper": "95" | null, "ratio": "0.5"}], ascending
    bands: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # [{"level": 1, "description": "…", "ratio": "0.2"}], levels 1..5
    anchors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    data_source: Mapped[str] = mapped_column(String(200), default="")
    evidence: Mapped[str] = mapped_column(String(500), default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class IndicatorTemplate(db.Model):
    """A year's starting letter for one function category (财务部门, 督查部门 …)."""

    __tablename__ = "indicator_template"
    __table_args__ = (UniqueConstraint("year", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    category: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    lines: Mapped[list[TemplateLine]] = relationship(
        order_by="TemplateLine.position", cascade="all, delete-orphan", lazy="selectin"
    )


class TemplateLine(db.Model):
    __tablename__ = "template_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_template.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    position: Mapped[int]
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    target: Mapped[Decimal | None] = mapped_column(Number)  # None: the indicator's own

    indicator: Mapped[Indicator] = relationship(lazy="joined")


class DepartmentPlan(db.Model):
    """The indicator lines the centre assigned to one department for a campaign: a template
    applied in bulk, then adjusted per department. The target-setting form starts from it."""

    __tablename__ = "department_plan"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_template.id"))
    adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    campaign: Mapped[Campaign] = relationship()
    department: Mapped[Department] = relationship()
    lines: Mapped[list[PlanLine]] = relationship(
        order_by="PlanLine.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PlanLine(db.Model):
    __tablename__ = "plan_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("department_plan.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    position: Mapped[int]
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    target: Mapped[Decimal | None] = mapped_column(Number)

    indicator: Mapped[Indicator] = relationship(lazy="joined")


class DepartmentResult(db.Model):
    """A department's scored result for a campaign and its grade before and after calibration."""

    __tablename__ = "department_result"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    indicator_score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    evaluation_score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    deductions: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    final_score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    band_grade: Mapped[str] = mapped_column(String(32))  # from the grade table alone
    grade: Mapped[str] = mapped_column(String(32))  # after calibration
    rank: Mapped[int | None]
    excellent_quarters: Mapped[int] = mapped_column(default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    department: Mapped[Department] = relationship()


class CalibrationEntry(db.Model):
    """One grade change during calibration (校准), with its reason: the calibration log."""

    __tablename__ = "calibration_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    from_grade: Mapped[str] = mapped_column(String(32))
    to_grade: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)  # the record, in Chinese
    # the stated reasons as kinds and values (app.rules.grading.REASONS), to show them in the
    # reader's language; None for a person's own words (an override)
    reason_parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    automatic: Mapped[bool] = mapped_column(Boolean)  # the quota rule, not a person
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # A person's change against the score's band needs the centre's recorded approval.
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approval_ref: Mapped[str | None] = mapped_column(String(200))  # document or minutes number
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    department: Mapped[Department] = relationship()
    actor: Mapped[Person | None] = relationship()
