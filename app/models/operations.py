"""What the running processes report about themselves, for readiness checks and metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db
from app.models.types import UTCDateTime


class SchedulerHeartbeat(db.Model):
    """One row per scheduler process (host and pid), written after every sweep: readiness
    asks whether any scheduler swept lately, and the metrics show each one's last sweep."""

    __tablename__ = "scheduler_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sweep_seconds: Mapped[float] = mapped_column(default=0.0)
    fired: Mapped[int] = mapped_column(default=0)
