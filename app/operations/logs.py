"""Logging for servers and schedulers: one line per record on stderr, plain or JSON
(python-json-logger), each carrying the request id of the request it belongs to.

The request id is the caller's `X-Request-ID` when it is a plain token (a reverse proxy's, so
one id follows a request through every log), otherwise a fresh one; it goes back in the
response's `X-Request-ID` header, so a user's error report can be matched to its log lines.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
log = logging.getLogger("app.requests")


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request it was logged in ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(level: str = "INFO", fmt: str = "plain") -> None:
    """Log to stderr at `level`, as text or JSON. A configuration already in place (handlers
    on the root logger: a test runner's, or one set up by hand) is kept."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(FIELDS, rename_fields={"levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(PLAIN))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # SpiffWorkflow logs every task state change at INFO: thousands of lines a sweep.
    logging.getLogger("spiff").setLevel(max(root.level, logging.WARNING))


def init_request_ids(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    started = g.get("request_started")
    if started is not None:
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    return response
