"""Schemas of the appeal forms (appeal_file, appeal_decide). Whether the named letter lines are
the department's own is checked by `app.services.appeals`, on the same field path."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.forms.schemas import score_field

TEXT_MAX = 2000
MAX_LINES = 60
ID = validate.Range(min=1, max=2**31 - 1)


def _score() -> fields.Decimal:
    return score_field(load_default=None, allow_none=True, as_string=True)


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


class AppealFileSchema(Schema):
    """`appeal` with reasons (and optionally what is disputed), or `accept` the result."""

    decision = fields.String(required=True, validate=validate.OneOf(("appeal", "accept")))
    reasons = fields.String(load_default="", validate=validate.Length(max=TEXT_MAX))
    lines = fields.List(
        fields.Integer(strict=True, validate=ID),
        load_default=list,
        validate=validate.Length(max=MAX_LINES),
    )
    deductions = fields.Boolean(load_default=False)
    evaluation = fields.Boolean(load_default=False)

    @validates_schema
    def _reasons_when_appealing(self, data, **kwargs):
        if data.get("decision") == "appeal" and _blank(data.get("reasons")):
            raise ValidationError({"reasons": ["申诉时必须填写理由"]})


class AppealDecideSchema(Schema):
    """`uphold` the result, or `adjust` it with at least one corrected figure; a reason always."""

    decision = fields.String(required=True, validate=validate.OneOf(("uphold", "adjust")))
    reason = fields.String(required=True, validate=validate.Length(max=TEXT_MAX))
    indicator_score = _score()
    evaluation_score = _score()
    deductions = _score()

    @validates_schema
    def _rules(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if "reason" in data and _blank(data["reason"]):
            errors["reason"] = ["必须填写复核理由"]
        given = [
            name
            for name in ("indicator_score", "evaluation_score", "deductions")
            if data.get(name) is not None
        ]
        if data.get("decision") == "adjust" and not given:
            errors["indicator_score"] = ["调整时至少填写一项更正后的分数"]
        if data.get("decision") == "uphold":
            for name in given:
                errors[name] = ["维持原结果时不填写分数"]
        if errors:
            raise ValidationError(errors)
