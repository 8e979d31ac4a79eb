"""Response schemas of the modeler's calls, shared by the API and the modeler page."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.api.schemas import ProblemSchema


class DraftSummarySchema(Schema):
    process_key = fields.String()
    base_version = fields.Integer(allow_none=True)
    updated_at = fields.DateTime()
    updated_by = fields.Function(lambda d: d.updated_by.display_name if d.updated_by else None)


class DraftSchema(DraftSummarySchema):
    source = fields.String()


class ValidationSchema(Schema):
    """`{"valid": bool, "problems": [...]}`: what publishing the draft would meet."""

    valid = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemSchema))


class FieldChangeSchema(Schema):
    field = fields.String()
    old = fields.String(allow_none=True)
    new = fields.String(allow_none=True)


class ElementChangeSchema(Schema):
    change = fields.String(metadata={"enum": ["added", "removed", "changed"]})
    element_id = fields.String()
    element_type = fields.String()
    name = fields.String(allow_none=True)
    # `fields` is a Schema attribute: the key is renamed in Python only.
    changed_fields = fields.List(
        fields.Nested(FieldChangeSchema), attribute="fields", data_key="fields"
    )


class ComparisonSchema(Schema):
    process_key = fields.String(attribute="key")
    old_version = fields.Integer(allow_none=True)
    new_version = fields.Integer(allow_none=True, metadata={"description": "null: the draft"})
    changes = fields.List(fields.Nested(ElementChangeSchema))


class CatalogSchema(Schema):
    handlers = fields.List(fields.Dict())
    forms = fields.List(fields.Dict())
    roles = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    due = fields.List(fields.Dict())
    escalation = fields.Dict()


def validation(problems: list[dict]) -> dict:
    return {"valid": not problems, "problems": problems}
