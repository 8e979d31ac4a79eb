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
