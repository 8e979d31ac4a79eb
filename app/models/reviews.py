"""Quarterly reviews (季度反馈) with the leader's interview (约谈), and the year-end data
verification (数据核验) of reported against pulled figures.

A `QuarterlyReview` is one quarter of one department's instance: the lines found lagging (with
their value to date and the pro-rated expectation, see `app.rules.quarterly`), and later the
quarter's score and rating. An `Interview` records the supervising leader's interview about
the lagging lines. A `DataVerification` is one letter line whose reported and pulled year
figures differ beyond the tolerance (`app.rules.verification`), until the assessment group
decides which value counts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.org import Person
from app.models.types import JSONType, UTCDateTime

VERIFICATION_STATUSES = ("open", "decided")


class QuarterlyReview(db.Model):
    __tablename__ = "quarterly_review"
    __table_args__ = (
        UniqueConstraint("instance_id", "quarter"),
        Index("ix_quarterly_review_department_year", "department_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    year: Mapped[int]
    quarter: Mapped[int]
    # [{"line_id", "indicator", "name", "unit", "direction", "actual", "expected", "reason"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    lagging: Mapped[int] = mapped_column(default=0)
    compared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    rating: Mapped[str | None] = mapped_column(String(32))  # a Grade value
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    interview: Mapped[Interview | None] = relationship(back_populates="review", lazy="selectin")


class Interview(db.Model):
    """The supervising leader's interview (约谈) about a quarter's lagging lines."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("quarterly_review.id", ondelete="CASCADE"), unique=True
    )
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    notes: Mapped[str] = mapped_column(Text)
    # [{"line_id", "indicator", "name", "commitment"}], one per lagging line
    commitments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    next_check: Mapped[date] = mapped_column(Date)
    interviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    review: Mapped[QuarterlyReview] = relationship(back_populates="interview")
    interviewer: Mapped[Person] = relationship()


class DataVerification(db.Model):
    """A line whose reported and pulled year figures differ, and the value the group accepted."""

    __tablename__ = "data_verification"
    __table_args__ = (UniqueConstraint("instance_id", "letter_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int]
    letter_line_id: Mapped[int] = mapped_column(ForeignKey("letter_line.id"))
    indicator_code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20), default="")
    reported: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    pulled: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    pulled_source: Mapped[str] = mapped_column(String(16))  # pull | file
    status: Mapped[str] = mapped_column(String(16), default="open")  # VERIFICATION_STATUSES
    accepted: Mapped[str | None] = mapped_column(String(16))  # reported | pulled | other
    accepted_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
