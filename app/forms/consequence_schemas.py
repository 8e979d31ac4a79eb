"""Schemas of the improvement plan's forms (improvement_plan, improvement_check)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

PLAN_TEXT_MAX = 2000


def _text(required: bool = True) -> fields.String:
    extra = {} if required else {"load_default": ""}
    return fields.String(required=required, validate=validate.Length(max=PLAN_TEXT_MAX), **extra)


class ImprovementPlanSchema(Schema):
    """The department head's plan: the measures, the 脱产培训 and the 岗位调整 arrangements."""

    measures = _text()
    training = _text()
    post_adjustment = _text()

    @validates_schema
    def _not_blank(self, data, **kwargs):
        blank = {
            name: ["必须填写此项"]
            for name in ("measures", "training", "post_adjustment")
            if name in data and not (data[name] or "").strip()
        }
        if blank:
            raise ValidationError(blank)


class ImprovementCheckSchema(Schema):
    """The supervising leader's check: `accept`, or `return` with the reason."""

    decision = fields.String(required=True, validate=validate.OneOf(("accept", "return")))
    comment = _text(required=False)

    @validates_schema
    def _comment_when_returned(self, data, **kwargs):
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            raise ValidationError({"comment": ["退回时必须填写意见"]})
