"""The centre's exceptions to the Monday-to-Friday week (app.services.calendar)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CalendarDay(db.Model):
    """A public holiday (working false) or a weekend day worked instead (调休, working true)."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")
