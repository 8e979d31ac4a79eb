"""Posted quarterly-interview and data-verification forms → the payloads their schemas
validate (the same payloads the JSON API receives). A blank field is left out, so the schema
says it is missing; rows keep the order of the page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ID = re.compile(r"^\d{1,9}$")


def _rows(form: Mapping[str, str], name: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    pattern = re.compile(rf"^{name}-(\d{{1,4}})-({'|'.join(fields)})$")
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = pattern.match(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = value.strip()
    return [rows[i] for i in sorted(rows)]


def _given(row: Mapping[str, str], *names: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = row.get(name, "")
        if value:
            out[name] = int(value) if name.endswith("_id") and _ID.match(value) else value
    return out


def interview_payload(form: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = _given(
        {k: (form.get(k) or "").strip() for k in ("notes", "next_check")}, "notes", "next_check"
    )
    payload["commitments"] = [
        _given(row, "line_id", "commitment")
        for row in _rows(form, "commitments", ("line_id", "commitment"))
    ]
    return payload


def verification_payload(form: Mapping[str, str]) -> dict[str, Any]:
    return {
        "decisions": [
            _given(row, "verification_id", "accepted", "value", "reason")
            for row in _rows(form, "decisions", ("verification_id", "accepted", "value", "reason"))
        ]
    }
