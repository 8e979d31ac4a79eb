"""Schemas of the monthly spot check's forms (spot_check_verify, finding_rectify,
finding_confirm). What needs the database (is the entry in the sample, is the indicator on the
signed letter, are the points lowered and not raised) is checked by `app.services.spot_checks`,
which reports it on the same field paths."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.forms.schemas import at_most_two_places

MAX_POINTS = Decimal("10")
MAX_ITEMS = 100
TEXT_MAX = 2000
ID = validate.Range(min=1, max=2**31 - 1)


def points_field(**kwargs) -> fields.Decimal:
    return fields.Decimal(
        as_string=True,
        allow_nan=False,
        validate=[
            validate.Range(
                min=Decimal("0"), max=MAX_POINTS, error=f"扣分须在 0 至 {MAX_POINTS} 分之间"
            ),
            at_most_two_places("扣分最多两位小数"),
        ],
        **kwargs,
    )


def _text(required: bool = False) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=TEXT_MAX))


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


class VerdictSchema(Schema):
    """The verdict on one sampled ledger entry: ok, or a finding with its proposed deduction."""

    entry_id = fields.Integer(required=True, strict=True, validate=ID)
    verdict = fields.String(required=True, validate=validate.OneOf(("ok", "finding")))
    description = _text()
    points = points_field(load_default=None, allow_none=True)
    # an indicator code of the signed letter; empty or null: the deduction is from the total
    indicator = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    evidence_note = _text()
    evidence_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _finding_needs_description_and_points(self, data, original, **kwargs):
        """Reported beside the other fields' errors (a bad `points` keeps its own message)."""
        if data.get("verdict") != "finding" or not isinstance(original, dict):
            return
        errors = {}
        description = original.get("description")
        if description is None or (isinstance(description, str) and not description.strip()):
            errors["description"] = ["发现问题时必须填写问题描述"]
        if original.get("points") in (None, ""):
            errors["points"] = ["发现问题时必须填写拟扣分值"]
        if errors:
            raise ValidationError(errors)


class SpotCheckVerifySchema(Schema):
    # which spot check the page showed; when absent, the instance's oldest awaiting verification
    spot_check_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID)
    entries = fields.List(
        fields.Nested(VerdictSchema), required=True, validate=validate.Length(max=MAX_ITEMS)
    )
    comment = _text()


class RectificationItemSchema(Schema):
    finding_id = fields.Integer(required=True, strict=True, validate=ID)
    text = fields.String(required=True, validate=validate.Length(max=TEXT_MAX))
    evidence_note = _text()
    evidence_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID)

    @validates_schema
    def _text_not_blank(self, data, **kwargs):
        if "text" in data and _blank(data["text"]):
            raise ValidationError({"text": ["必须填写整改情况"]})


class FindingRectifySchema(Schema):
    spot_check_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID)
    rectifications = fields.List(
        fields.Nested(RectificationItemSchema),
        required=True,
        validate=validate.Length(max=MAX_ITEMS),
    )


class DecisionSchema(Schema):
    """Confirm a finding (its points may be lowered, never raised) or dismiss it."""

    finding_id = fields.Integer(required=True, strict=True, validate=ID)
    decision = fields.String(required=True, validate=validate.OneOf(("confirm", "dismiss")))
    points = points_field(load_default=None, allow_none=True)  # default: as proposed
    comment = fields.String(required=True, validate=validate.Length(max=TEXT_MAX))

    @validates_schema
    def _comment_not_blank(self, data, **kwargs):
        if "comment" in data and _blank(data["comment"]):
            raise ValidationError({"comment": ["必须填写认定意见"]})


class FindingConfirmSchema(Schema):
    spot_check_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID)
    decisions = fields.List(
        fields.Nested(DecisionSchema), required=True, validate=validate.Length(max=MAX_ITEMS)
    )
