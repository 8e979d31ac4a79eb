"""A compact, JSON-friendly description of a form's fields for API clients."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.forms.catalog import Form


def _field(field: fields.Field) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(field).__name__.lower(), "required": field.required}
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        out["items"] = _schema(field.inner.schema)
    return out


def _schema(schema: Schema) -> dict[str, Any]:
    return {name: _field(f) for name, f in schema.fields.items()}


def describe(form: Form) -> dict[str, Any]:
    return {"key": form.key, "title": str(form.title), "fields": _schema(form.schema())}
