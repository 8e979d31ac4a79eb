"""Shared vocabulary of the API tests: the error shape, row counts, inbox look-ups, uploads."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.extensions import db

MAX_BODY = 2 * 1024 * 1024  # MAX_CONTENT_LENGTH's default


def error_of(response, status: int, code: str) -> dict[str, Any]:
    """The `error` object of a JSON error response, after checking its stable shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def inbox_task(api, bpmn_id: str) -> dict[str, Any]:
    tasks = api.get("/api/v1/tasks").get_json()
    matching = [t for t in tasks if t["bpmn_id"] == bpmn_id]
    assert matching, f"{bpmn_id} not in inbox: {tasks}"
    return matching[0]


def multipart(field: str, filename: str, content: bytes) -> dict[str, Any]:
    """Keyword arguments for a one-file multipart POST, encoded here as bytes: Werkzeug's test
    client spools a large file to a temporary file it never closes (a ResourceWarning)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
