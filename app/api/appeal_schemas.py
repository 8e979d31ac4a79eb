"""Schemas of publication (公示) and appeals (申诉) in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import MAX_ID, YEAR_RANGE
from app.services import appeals


class PersonRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class DeliverySchema(Schema):
    delivered = fields.Integer()
    not_waiting = fields.Integer()
    failed = fields.Integer()
    failures = fields.List(fields.Dict())


class PublicationSchema(Schema):
    year = fields.Function(lambda p: p.campaign.year)
    status = fields.Function(lambda p: "published" if p.published_at else "approved")
    approved_at = fields.DateTime()
    approved_by = fields.Nested(PersonRefSchema, allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    published_by = fields.Nested(PersonRefSchema, allow_none=True)
    appeal_window_days = fields.Integer(
        allow_none=True, metadata={"description": "calendar days, from the campaign settings"}
    )
    appeal_window_ends_at = fields.DateTime(
        allow_none=True, metadata={"description": "published_at + appeal_window_days"}
    )
    delivery = fields.Nested(
        DeliverySchema,
        allow_none=True,
        metadata={"description": "results_published sent to the department instances"},
    )


class AppealQuerySchema(Schema):
    year = fields.Integer(load_default=None, validate=YEAR_RANGE)
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class DisputedSchema(Schema):
    lines = fields.List(fields.Integer(), metadata={"description": "letter line ids"})
    deductions = fields.Boolean()
    evaluation = fields.Boolean()


class AppealSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    department_id = fields.Integer()
    department = fields.Function(lambda a: a.department.name)
    year = fields.Integer()
    filed_by = fields.Nested(PersonRefSchema)
    filed_at = fields.DateTime()
    reasons = fields.String()
    disputed = fields.Nested(DisputedSchema)
    status = fields.String()
    decided_by = fields.Nested(PersonRefSchema, allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    adjustment = fields.Dict(allow_none=True)
    decision_due_at = fields.Function(
        lambda a: appeals.decision_due(a).isoformat(),
        metadata={"description": "when the review panel's decision is due"},
    )
    late = fields.Function(
        lambda a: appeals.decided_late(a),
        metadata={"description": "decided after the limit, or undecided past it"},
    )
