"""Evaluation ballots (评价票) and the signed survey links service recipients vote through.

A ballot's voter is kept only to stop double voting; it is never shown to the evaluated
department, which sees aggregates over enough ballots (see app.services.ballots).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db
from app.models.types import JSONType, UTCDateTime

RATER_GROUPS = ("leader", "peer", "service_recipient")


class SurveyLink(db.Model):
    """A single-use, expiring invitation to evaluate one department without an account."""

    __tablename__ = "survey_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(43), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    rater_group: Mapped[str] = mapped_column(String(32), default="service_recipient")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Ballot(db.Model):
    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("campaign_id", "department_id", "rater_group", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    rater_group: Mapped[str] = mapped_column(String(32))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    items: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    survey_link_id: Mapped[int | None] = mapped_column(ForeignKey("survey_link.id"), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class BallotSheetDraft(db.Model):
    """A voter's unfinished 测评表: the marks typed so far, by human-task id, kept until the
    sheet is submitted (the marks are the voter's own; nobody else reads them)."""

    __tablename__ = "ballot_sheet_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    marks: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
