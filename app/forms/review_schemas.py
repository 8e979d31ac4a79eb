"""Schemas of the quarterly interview (约谈) and the year-end data verification (数据核验) forms.
What needs the database (which lines lag, which differences are open, the year of the next
check) is checked by the services, field by field, before anything is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.rules.actuals import MAX_VALUE
from app.rules.verification import ACCEPTED
from app.services.quarterly import COMMITMENT_MAX, NOTES_MAX
from app.services.verification import REASON_MAX

MAX_ITEMS = 60  # a letter has at most 60 lines
ID_MAX = 2**31 - 1


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("不能为空。")


def _plausible(value: date) -> None:
    if not date(2000, 1, 1) <= value <= date(2101, 12, 31):
        raise ValidationError("日期须在2000年至2101年之间。")


class CommitmentSchema(Schema):
    line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=ID_MAX))
    commitment = fields.String(
        required=True, validate=[validate.Length(max=COMMITMENT_MAX), _not_blank]
    )


class QuarterlyInterviewSchema(Schema):
    notes = fields.String(required=True, validate=[validate.Length(max=NOTES_MAX), _not_blank])
    commitments = fields.List(
        fields.Nested(CommitmentSchema), required=True, validate=validate.Length(max=MAX_ITEMS)
    )
    next_check = fields.Date(required=True, validate=_plausible)


class VerificationDecisionSchema(Schema):
    verification_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=ID_MAX)
    )
    accepted = fields.String(required=True, validate=validate.OneOf(ACCEPTED))
    value = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=Decimal(0), max=MAX_VALUE),
    )
    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=REASON_MAX)
    )

    @validates_schema
    def _other_needs_value_and_reason(self, data, **kwargs):
        if data.get("accepted") != "other":
            return
        errors = {}
        if data.get("value") is None:
            errors["value"] = ["选择“其他”时须填写核定值。"]
        if not (data.get("reason") or "").strip():
            errors["reason"] = ["选择“其他”时须说明理由。"]
        if errors:
            raise ValidationError(errors)


class DataVerificationSchema(Schema):
    decisions = fields.List(
        fields.Nested(VerificationDecisionSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )
