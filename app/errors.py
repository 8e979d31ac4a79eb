"""JSON errors with one stable shape for the API:

    {"error": {"status": 422, "code": "validation_failed", "message": "...", ...details}}

`fields`, when present, is always a flat mapping of dotted field paths to messages
(`{"lines.2.weight": [...], "weight_total": [...]}`), whether the error came from webargs,
a form schema or a domain rule. Registered at app level so unmatched /api URLs are JSON too;
pages get HTML error pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import ServiceError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def flatten_fields(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow messages (`{"lines": {0: {"weight": [...]}}}`) as dotted paths."""
    if not isinstance(messages, Mapping):
        items = messages if isinstance(messages, list | tuple) else [messages]
        return {prefix or "_schema": [str(m) for m in items]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        for name, found in flatten_fields(value, path).items():
            flat.setdefault(name, []).extend(found)
    return flat


def error_body(status: int, code: str, message: str, headers: Headers | None = None, **extra):
    if "fields" in extra:
        extra["fields"] = flatten_fields(extra["fields"])
    response = jsonify({"error": {"status": status, "code": code, "message": message, **extra}})
    for name, value in (headers or {}).items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value  # e.g. the Allow list of a 405
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


def _render(status: int, code: str, message: str, headers: Headers | None = None, **extra):
    if _wants_json():
        return error_body(status, code, message, headers, **extra)
    return (
        render_template("error.html", status=status, message=message, extra=extra),
        status,
        {k: v for k, v in (headers or {}).items() if k.lower() == "allow"},
    )


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return _render(exc.status, exc.code, exc.message, **exc.extra)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        extra = {}
        message = exc.description or exc.name
        data = getattr(exc, "data", None)  # flask-smorest / webargs put field errors here
        if isinstance(data, dict) and "messages" in data:
            # {location: errors}; a list is about the whole body ("Invalid JSON body.")
            for errors in data["messages"].values():
                if isinstance(errors, Mapping):
                    extra.setdefault("fields", {}).update(errors)
                else:
                    message = " ".join(str(e) for e in errors)
            if exc.code == 422 and "fields" in extra:
                message = "the request has invalid fields"
        code = (
            "validation_failed"
            if exc.code == 422
            else (exc.name or "error").lower().replace(" ", "_")
        )
        return _render(exc.code or 500, code, message, Headers(exc.get_headers()), **extra)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        """The database went away or is locked mid-request (pool_pre_ping catches a dropped
        connection before it is used, not during use): a 503 to retry, in the error shape.
        Anything else the database raised is a 500, in the same shape."""
        try:
            db.session.rollback()
        except DBAPIError:
            db.session().invalidate()
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            app.logger.warning("database unavailable: %s", type(exc.orig).__name__)
            return _render(
                503,
                "database_unavailable",
                "the database is unavailable; try again",
                Headers({"Retry-After": "5"}),
            )
        app.logger.exception("database error")
        return _render(500, "internal_server_error", "the database refused the request")

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        db.session.rollback()
        return _render(409, "conflict", "the change conflicts with existing data")
