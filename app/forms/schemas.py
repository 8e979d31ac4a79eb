"""Marshmallow schemas of the task forms; field errors become 422 responses."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.rules.letters import DIRECTIONS, KINDS, letter_errors

MAX_LINES = 60


def at_most_two_places(message: str) -> Callable[[Decimal], None]:
    """A validator refusing more than two decimal places, with the form's own message."""

    def check(value: Decimal) -> None:
        if value.as_tuple().exponent < -2:
            raise ValidationError(message)

    return check


def score_field(**kwargs: Any) -> fields.Decimal:
    """A mark or a corrected score: 0 to 100, two decimal places at most."""
    return fields.Decimal(
        allow_nan=False,
        validate=[
            validate.Range(min=0, max=100, error="分数须在0至100之间"),
            at_most_two_places("分数最多两位小数"),
        ],
        **kwargs,
    )


def _figure() -> fields.Decimal:
    return fields.Decimal(
        load_default=None,
        allow_none=True,
        as_string=True,
        validate=validate.Range(min=Decimal("-1e12"), max=Decimal("1e12")),
        allow_nan=False,
    )


class LetterLineSchema(Schema):
    """A line names a library indicator (`indicator`, its code), whose name, kind, direction
    and unit then come from the library; or it defines its own (自定义指标): name, direction
    and target required (`letter_errors`)."""

    indicator = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$")
    )
    name = fields.String(load_default="", validate=validate.Length(min=1, max=100))
    kind = fields.String(load_default="individual", validate=validate.OneOf(KINDS))
    direction = fields.String(load_default=None, validate=validate.OneOf(DIRECTIONS))
    target = _figure()
    threshold = _figure()
    unit = fields.String(load_default="", validate=validate.Length(max=20))
    weight = fields.Decimal(
        required=True,
        as_string=True,
        validate=[
            validate.Range(min=Decimal("0"), max=Decimal("100"), min_inclusive=False),
            at_most_two_places("权重最多两位小数"),
        ],
        allow_nan=False,
    )


class LetterDraftSchema(Schema):
    lines = fields.List(
        fields.Nested(LetterLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_LINES),
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _letter_rules(self, data, **kwargs):
        errors = letter_errors(data.get("lines", []))
        if errors:
            raise ValidationError(errors)


class LetterReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _comment_when_returned(self, data, **kwargs):
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            raise ValidationError({"comment": ["退回时必须填写意见"]})


class LetterSignSchema(Schema):
    confirm = fields.Boolean(required=True, validate=validate.Equal(True, error="必须确认签署"))


class BallotSchema(Schema):
    """A leader's or a peer's mark for the department (0–100, two decimals at most)."""

    score = score_field(required=True)
