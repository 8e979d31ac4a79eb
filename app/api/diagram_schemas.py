"""The instance diagram's marks, as `GET /api/v1/instances/<id>/diagram` answers them."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.engine.progress import ELEMENT_STATES


class DiagramDefinitionSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    version = fields.Integer()
    name = fields.String()


class ActiveStepSchema(Schema):
    bpmn_id = fields.String()
    name = fields.String()
    state = fields.String(metadata={"description": "ready | waiting | error"})
    due_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, UTC"})
    overdue = fields.Boolean()
    open_tasks = fields.Integer()


class InstanceDiagramSchema(Schema):
    instance_id = fields.Integer()
    status = fields.String()
    definition = fields.Nested(DiagramDefinitionSchema)
    states = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": f"BPMN element id -> {' | '.join(ELEMENT_STATES)}"},
    )
    overdue = fields.List(fields.String(), metadata={"description": "ready steps past due"})
    active = fields.List(fields.Nested(ActiveStepSchema))
    now = fields.String()
