"""The field rules a responsibility letter's lines must satisfy, checked with the form before
anything reaches the database. The indicator-system rules on the letter as a whole (shares,
library lines, categories) are `app.rules.letter_policy`. Pure: takes plain values, returns
errors keyed by field path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.i18n import Message
from app.rules.letter_policy import weight_total_message

WEIGHT_TOTAL = Decimal("100")
DIRECTIONS = ("higher", "lower", "target")
KINDS = ("common", "individual", "dynamic")


def letter_errors(lines: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Errors per field path (`lines.2.target`, `weight_total`); empty when the letter is valid.

    Weights are Decimals and must sum to exactly 100: no float drift can make 99.99999 pass.
    """
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = [Message("至少需要一项指标")]
        return errors
    total = Decimal("0")
    names: set[str] = set()
    for i, line in enumerate(lines):
        name = (line.get("name") or "").strip()
        if not line.get("indicator"):  # a library line takes these from the library
            if not name:
                errors.setdefault(f"lines.{i}.name", []).append(Message("每项指标必须有名称"))
            if line.get("target") is None:
                errors.setdefault(f"lines.{i}.target", []).append(Message("每项指标必须有目标值"))
            if line.get("direction") not in DIRECTIONS:
                errors.setdefault(f"lines.{i}.direction", []).append(Message("每项指标必须有方向"))
        if name and name in names:
            errors.setdefault(f"lines.{i}.name", []).append(Message("指标名称重复"))
        names.add(name)
        weight = line.get("weight")
        if isinstance(weight, Decimal):
            total += weight
    if total != WEIGHT_TOTAL:
        errors["weight_total"] = [weight_total_message(100, total)]
    return errors
