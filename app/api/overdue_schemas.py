"""The overdue board's filters (shared by the API and the page) and its rows."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.services.overdue import LEVELS, MAX_SOON_DAYS, ORDERS


class OverdueQuerySchema(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    department_id = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=2_147_483_647)
    )
    level = fields.String(
        load_default=None,
        validate=validate.OneOf(LEVELS),
        metadata={"description": "overdue | due_soon | yellow_card | red_card"},
    )
    soon_days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=MAX_SOON_DAYS),
        metadata={"description": "the due-soon window in days (default OVERDUE_SOON_DAYS, 2)"},
    )
    order = fields.String(
        load_default="oldest",
        validate=validate.OneOf(ORDERS),
        metadata={"description": "by age: oldest (longest overdue first) or newest"},
    )


class OverdueRowSchema(Schema):
    task_id = fields.Integer()
    instance_id = fields.Integer()
    year = fields.Integer()
    department_id = fields.Integer()
    department = fields.String()
    unit = fields.String()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    holder = fields.String(allow_none=True, metadata={"description": "null: unclaimed"})
    due_at = fields.DateTime()
    state = fields.String(metadata={"description": "overdue | due_soon"})
    overdue_days = fields.Integer(metadata={"description": "calendar days (Beijing dates)"})
    overdue_working_days = fields.Integer(metadata={"description": "the centre's working days"})
    escalation = fields.String(metadata={"description": "none | reminder | yellow_card | red_card"})


class OverdueCountsSchema(Schema):
    overdue = fields.Integer()
    yellow_card = fields.Integer()
    red_card = fields.Integer()
    due_soon = fields.Integer()


class OverdueBoardSchema(Schema):
    now = fields.DateTime()
    soon_until = fields.DateTime()
    soon_days = fields.Integer()
    counts = fields.Nested(OverdueCountsSchema)
    rows = fields.List(fields.Nested(OverdueRowSchema))
