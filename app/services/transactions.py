"""The unit of work: one transaction per state change, retried on lock contention.

Services flush; this is the one place that commits. A user never sees "locked": contention
(SQLite busy, PostgreSQL lock timeout / deadlock / serialization failure, or a stale optimistic
row version) is retried here with jittered backoff.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.services.errors import Busy

T = TypeVar("T")
_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}


def is_contention(exc: BaseException) -> bool:
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, OperationalError | DBAPIError):
        orig = getattr(exc, "orig", None)
        if getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES:
            return True
        return "database is locked" in str(orig)
    return False


def _record_after_rollback(exc: Exception) -> None:
    """A failure that must leave a trace (an instance's step that crashed) records it in a
    fresh transaction, after everything the failed work wrote was rolled back."""
    record = getattr(exc, "after_rollback", None)
    if not callable(record):
        return
    try:
        record()
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("could not record a failure after its rollback")


def unit_of_work(work: Callable[[], T]) -> T:
    attempts = current_app.config["LOCK_RETRIES"]
    for attempt in range(attempts):
        try:
            result = work()
            db.session.commit()
            return result
        except Exception as exc:
            db.session.rollback()
            if not is_contention(exc) or attempt == attempts - 1:
                if is_contention(exc):
                    raise Busy("the instance is busy; try again") from exc
                _record_after_rollback(exc)
                raise
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
    raise AssertionError("unreachable")
