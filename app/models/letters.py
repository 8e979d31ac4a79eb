"""The performance responsibility letter (绩效责任书): immutable revisions, lines, signatures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db
from app.models.org import Person
from app.models.types import UTCDateTime

LETTER_STATUSES = ("submitted", "returned", "approved", "locked")


class ResponsibilityLetter(db.Model):
    """One revision of a department's letter for a campaign; each submission is a new revision."""

    __tablename__ = "responsibility_letter"
    __table_args__ = (UniqueConstraint("instance_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    revision: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_comment: Mapped[str | None] = mapped_column(Text)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    content_hash: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[LetterLine]] = relationship(
        order_by="LetterLine.position", cascade="all, delete-orphan", lazy="selectin"
    )
    signatures: Mapped[list[LetterSignature]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    submitted_by: Mapped[Person] = relationship(foreign_keys=[submitted_by_id])


class LetterLine(db.Model):
    __tablename__ = "letter_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility_letter.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    indicator_code: Mapped[str | None] = mapped_column(String(40))  # library code of the year
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # common | individual | dynamic
    direction: Mapped[str] = mapped_column(String(8))  # higher | lower | target
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))  # None: qualitative (BARS)
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    unit: Mapped[str] = mapped_column(String(20), default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))


class LetterSignature(db.Model):
    __tablename__ = "letter_signature"
    __table_args__ = (UniqueConstraint("letter_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility_letter.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    person: Mapped[Person] = relationship()
