"""Removing evidence bytes no row points to (`flask sweep-evidence`).

An evidence file's bytes are stored before the form that carries it is checked to the end,
so a form refused afterwards (or a process that dies mid-request) leaves bytes behind that no
`Evidence` row names. Writing them only after the commit would risk the opposite, a row with
no bytes; so they are written first and swept later. Only files older than the grace period
go: a file stored (or stored again, which refreshes its time) within it may belong to a
transaction still running, and the referenced keys are read before the files are listed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Evidence
from app.services import audit
from app.services.storage import storage

MIN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class SweepReport:
    kept: int  # files a row points to, or too recent to judge
    removed: list[str]  # keys of the orphans removed (or, on a dry run, to remove)


def sweep(grace: timedelta, dry_run: bool = False) -> SweepReport:
    """Remove the stored files no evidence row names that are older than `grace`."""
    if grace < MIN_GRACE:
        raise ValueError(f"the grace period must be at least {MIN_GRACE}")
    referenced = set(db.session.scalars(select(Evidence.storage_key)))
    cutoff = time.time() - grace.total_seconds()
    store = storage()
    orphans, kept = [], 0
    for key, modified in store.entries():
        if key in referenced or modified >= cutoff:
            kept += 1
        else:
            orphans.append(key)
    if not dry_run and orphans:
        for key in orphans:
            store.delete(key)
        audit.record("evidence.swept", None, "storage", None, removed=len(orphans))
    return SweepReport(kept=kept, removed=sorted(orphans))
