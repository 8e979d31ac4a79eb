"""Schemas of the actuals, data-source and pull-run endpoints (app/api/actuals.py)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from app.api.schemas import MAX_ID, YEAR_RANGE
from app.models.actuals import ACTUAL_SOURCES, PULL_STATUSES

SOURCE_NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"  # a data source's name (in URLs)


class ReportActualSchema(Schema):
    """The form fields of a report (multipart, with an optional evidence `file`)."""

    department_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    indicator = fields.String(required=True, validate=validate.Length(min=1, max=40))
    period = fields.String(
        required=True,
        validate=validate.Length(min=4, max=20),
        metadata={"description": "2026-03 (month), 2026-Q1 (quarter) or 2026 (year)"},
    )
    value = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "a decimal number, ≥ 0; a percentage at most 100"},
    )
    note = fields.String(load_default=None, validate=validate.Length(max=500))
    # Documents the optional file part; the view reads it from the request's files.
    file = fields.Raw(
        load_default=None,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "evidence: pdf, png, jpg, xlsx, docx or csv, at most EVIDENCE_MAX_BYTES",
        },
    )


class EvidenceSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    uploaded_at = fields.DateTime()


class ActualSchema(Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    year = fields.Integer()
    indicator = fields.String(attribute="indicator_code")
    period = fields.String()
    source = fields.String(metadata={"description": "reported | file | pull"})
    origin = fields.String(metadata={"description": "reporter, file name or data source"})
    value = fields.Decimal(as_string=True)
    note = fields.String(allow_none=True)
    revision = fields.Integer()
    current = fields.Boolean()
    recorded_by_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()
    superseded_at = fields.DateTime(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
    pull_run_id = fields.Integer(allow_none=True)
    evidence = fields.Nested(EvidenceSchema, allow_none=True)


class ActualQuerySchema(Schema):
    department_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    year = fields.Integer(required=True, validate=YEAR_RANGE)
    indicator = fields.String(validate=validate.Length(min=1, max=40))
    period = fields.String(validate=validate.Length(min=4, max=20))
    source = fields.String(validate=validate.OneOf(ACTUAL_SOURCES))
    history = fields.Boolean(
        load_default=False, metadata={"description": "every revision, not only current values"}
    )


class ActualImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=True)


class ImportFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class SourceMappingSchema(Schema):
    """Where the rows are in the answer and what their fields are called (all optional)."""

    rows = fields.String(validate=validate.Length(max=100))
    department = fields.String(validate=validate.Length(min=1, max=100))
    indicator = fields.String(validate=validate.Length(min=1, max=100))
    indicator_code = fields.String(validate=validate.Length(min=1, max=40))
    period = fields.String(validate=validate.Length(min=1, max=100))
    value = fields.String(validate=validate.Length(min=1, max=100))
    note = fields.String(validate=validate.Length(min=1, max=100))


class DataSourceInSchema(Schema):
    description = fields.String(load_default="", validate=validate.Length(max=200))
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=500),
    )
    mapping = fields.Nested(SourceMappingSchema, load_default=dict)
    timeout_seconds = fields.Decimal(
        load_default=Decimal(10),
        validate=validate.Range(min=Decimal("0.05"), max=Decimal(120)),
        places=2,
    )
    retries = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=0, max=5))
    active = fields.Boolean(load_default=True)


class DataSourceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    url = fields.String()
    mapping = fields.Dict()
    timeout_seconds = fields.Decimal(as_string=True)
    retries = fields.Integer()
    active = fields.Boolean()
    updated_at = fields.DateTime()


class RowErrorSchema(Schema):
    row = fields.Integer()
    column = fields.String()
    message = fields.String()


class PullRunSchema(Schema):
    id = fields.Integer()
    source = fields.String(attribute="source.name")
    status = fields.String(metadata={"description": "succeeded | failed"})
    trigger = fields.String(metadata={"description": "api | cli | bpmn | retry"})
    retry_of_id = fields.Integer(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    error_kind = fields.String(
        allow_none=True,
        metadata={
            "description": "http_status | timeout | connection | bad_json | bad_shape | "
            "too_large | rows | inactive"
        },
    )
    error = fields.String(allow_none=True)
    http_status = fields.Integer(allow_none=True)
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    row_errors = fields.List(fields.Nested(RowErrorSchema))


class PullRunQuerySchema(Schema):
    source = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.OneOf(PULL_STATUSES))
