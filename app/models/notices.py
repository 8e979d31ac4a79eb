"""In-app notices (reminders); email delivery comes with the annual-cycle issue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db
from app.models.types import UTCDateTime


class Notice(db.Model):
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
