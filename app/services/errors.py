"""Domain errors the HTTP layers translate into 4xx responses with a stable JSON shape."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Invalid(ServiceError):
    """Submitted data failed validation; `fields` maps field paths to messages."""

    status = 422
    code = "validation_failed"


class Busy(ServiceError):
    status = 503
    code = "busy"


class InstanceFailed(Conflict):
    """A step of one instance failed unexpectedly. Its writes are rolled back; then
    `after_rollback` (run by `transactions.unit_of_work` in a fresh transaction) records the
    failure on the instance, which stays in `error` until the centre retries it."""

    code = "instance_error"

    def __init__(self, message: str, instance_id: int, after_rollback, **extra: Any) -> None:
        super().__init__(message, instance_id=instance_id, **extra)
        self.instance_id = instance_id
        self.after_rollback = after_rollback
