"""The centre's admin forms as the payloads the API's schemas and the services take.

Posted fields are plain names (`name`, `target`), rows (`lines-<n>-weight`, `anchors-<n>-ratio`)
or, on the settings page, the settings document's dotted paths (`rater_weights.leader`). Each
loader returns `(payload, errors)`: errors are keyed by the same dotted paths the services use
(`lines.3.weight`, `quota.share`), already in the reader's language, so a template shows each
one beside its field. Nothing here decides a domain rule; the schemas and services do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from app import safe_input
from app.api.schemas import (
    AssignSchema,
    GradeOverrideSchema,
    IndicatorFieldsSchema,
    NewIndicatorSchema,
    PlanLinesSchema,
    QuotaApprovalSchema,
    RollOverSchema,
    TemplateInSchema,
)
from app.pages.forms import flatten_errors
from app.pages.messages import localize_all

Errors = dict[str, list[str]]

BLANK_ROWS = 3  # empty rows offered at the end of a line editor
INDICATOR_TEXTS = (
    "name", "name_en", "kind", "dimension", "nature", "method", "direction", "unit",
    "data_source", "evidence",
)  # fmt: skip
INDICATOR_NUMBERS = ("target", "threshold", "cap", "tolerance", "per_unit", "floor")
LINE_FIELDS = ("indicator", "weight", "target")
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def rows(form: Mapping[str, str], prefix: str, names: tuple[str, ...]) -> tuple[list, list]:
    """Rows `<prefix>-<n>-<name>` in the order of n with blank values left out; wholly blank
    rows are dropped. Also returns each kept row's n, to put errors back on their row."""
    pattern = re.compile(rf"^{prefix}-(\d{{1,4}})-({'|'.join(names)})$")
    found: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = pattern.match(key)
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = value.strip()
    kept, numbers = [], []
    for n in sorted(found):
        row = {k: v for k, v in found[n].items() if v}
        if row:
            kept.append(row)
            numbers.append(n)
    return kept, numbers


def renumber(errors: Errors, prefix: str, numbers: list[int]) -> Errors:
    """`lines.1.weight` of the second kept row becomes `lines.<its row number>.weight`."""
    out: Errors = {}
    for path, messages in errors.items():
        parts = path.split(".")
        if len(parts) > 1 and parts[0] == prefix and parts[1].isdigit():
            index = int(parts[1])
            if index < len(numbers):
                parts[1] = str(numbers[index])
        out.setdefault(".".join(parts), []).extend(messages)
    return out


def schema_errors(exc: ValidationError) -> Errors:
    return localize_all(flatten_errors(exc.messages))


def service_errors(fields: Mapping[str, list[str]]) -> Errors:
    return localize_all(flatten_errors(fields))


def _load(schema: Schema, payload: dict[str, Any]) -> tuple[dict[str, Any] | None, Errors]:
    try:
        loaded = schema.load(payload)
    except ValidationError as exc:
        return None, schema_errors(exc)
    # whole numbers past what an INTEGER column holds (text was checked at the request)
    unstorable = safe_input.problems(loaded)
    if unstorable:
        return None, localize_all(unstorable)
    return loaded, {}


# --- indicators ------------------------------------------------------------------------------


def indicator_values(form: MultiDict) -> dict[str, Any]:
    """The raw posted values, to show the form again as it was filled in."""
    values: dict[str, Any] = {name: _text(form, name) for name in INDICATOR_TEXTS}
    values.update({name: _text(form, name) for name in INDICATOR_NUMBERS})
    values["code"] = _text(form, "code")
    values["categories"] = form.getlist("categories")
    values["tags"] = form.getlist("tags")
    bands, _ = rows(form, "bands", ("lower", "upper", "ratio"))
    values["bands"] = bands
    values["anchors"] = [
        {
            "description": _text(form, f"anchors-{i}-description"),
            "ratio": _text(form, f"anchors-{i}-ratio"),
        }
        for i in range(5)
    ]
    return values


def indicator_payload(
    form: MultiDict, year: int | None = None
) -> tuple[dict[str, Any] | None, Errors]:
    """The indicator's fields (and, with `year`, the new indicator's year and code), loaded by
    the API's schema."""
    payload: dict[str, Any] = {}
    for name in (*INDICATOR_TEXTS, *INDICATOR_NUMBERS):
        value = _text(form, name)
        if value:
            payload[name] = value
    payload["categories"] = [c for c in form.getlist("categories") if c.strip()]
    payload["tags"] = [t for t in form.getlist("tags") if t.strip()]
    bands, band_rows = rows(form, "bands", ("lower", "upper", "ratio"))
    anchors, anchor_rows = rows(form, "anchors", ("description", "ratio"))
    payload["bands"] = bands
    payload["anchors"] = [
        {**row, "level": n + 1} for row, n in zip(anchors, anchor_rows, strict=True)
    ]
    if year is not None:
        payload["year"] = year
        code = _text(form, "code")
        if code:
            payload["code"] = code
    schema = NewIndicatorSchema() if year is not None else IndicatorFieldsSchema()
    data, errors = _load(schema, payload)
    errors = renumber(renumber(errors, "bands", band_rows), "anchors", anchor_rows)
    return data, errors


# --- template and plan lines -----------------------------------------------------------------


def line_values(form: MultiDict) -> list[dict[str, str]]:
    kept, numbers = rows(form, "lines", LINE_FIELDS)
    shown: dict[int, dict[str, str]] = dict(zip(numbers, kept, strict=True))
    last = max(numbers, default=-1)
    return [shown.get(n, {}) for n in range(last + 1)]


def lines_payload(
    form: MultiDict, template: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any] | None, Errors, list[int]]:
    """The non-blank rows as `{indicator, weight, target?}` lines (with a template's `year`,
    `category` and posted `name` when given), loaded by the API's schema; the row numbers let
    the service's `lines.<i>` errors land on the right row."""
    kept, numbers = rows(form, "lines", LINE_FIELDS)
    payload: dict[str, Any] = {"lines": kept}
    schema: Schema = PlanLinesSchema()
    if template is not None:
        payload.update(template)
        name = _text(form, "name")
        if name:
            payload["name"] = name
        schema = TemplateInSchema()
    data, errors = _load(schema, payload)
    return data, renumber(errors, "lines", numbers), numbers


def assign_payload(form: MultiDict) -> tuple[dict[str, Any] | None, Errors]:
    ids = []
    for value in form.getlist("department_ids"):
        ids.append(int(value) if _INTEGER.match(value.strip()) else value)
    payload = {"department_ids": ids, "overwrite": form.get("overwrite") == "yes"}
    data, errors = _load(AssignSchema(), payload)
    shown: Errors = {}  # a bad id is about the list (rows are keyed by department id)
    for path, messages in errors.items():
        key = "department_ids" if path.startswith("department_ids") else path
        shown.setdefault(key, []).extend(messages)
    return data, shown


def roll_over_payload(form: MultiDict) -> tuple[dict[str, Any] | None, Errors]:
    to_year = _text(form, "to_year")
    payload: dict[str, Any] = {"drop": form.getlist("drop")}
    if to_year:
        payload["to_year"] = int(to_year) if _INTEGER.match(to_year) else to_year
    return _load(RollOverSchema(), payload)


# --- campaign settings -----------------------------------------------------------------------

DECIMALS = (
    "rater_weights.leader", "rater_weights.peer", "rater_weights.service_recipient",
    "composition.indicators", "composition.evaluation", "quota.share",
    "outcomes.bonus_percent.excellent", "outcomes.bonus_percent.competent",
    "outcomes.bonus_percent.basically_competent", "outcomes.bonus_percent.incompetent",
    "outcomes.head_threshold", "outcomes.head_deduction",
)  # fmt: skip
NULLABLE_DECIMALS = ("outcomes.bottom_share",)
INTEGERS = (
    "ballots.min_marks_for_uniformity", "ballots.trim_above", "ballots.min_exposed_ballots",
    "outcomes.reserve_years", "outcomes.bottom_count", "appeal.window_days",
    "appeal.decision_days",
)  # fmt: skip
NULLABLE_INTEGERS = ("grade_table.version",)
BOOLEANS = ("ballots.void_if_all_full", "ballots.void_if_all_same", "quarterly_rule")
TEXTS = ("quota.rounding", "grade_table.decision")
SETTINGS_FIELDS = (
    *DECIMALS, *NULLABLE_DECIMALS, *INTEGERS, *NULLABLE_INTEGERS, *BOOLEANS, *TEXTS
)  # fmt: skip
TEXT_MAX = 100  # longer than any valid value; the settings rules report it


def _put(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = document
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _get(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def settings_values(document: Mapping[str, Any]) -> dict[str, Any]:
    """A settings document as the form's values, by dotted path."""
    values: dict[str, Any] = {}
    for path in SETTINGS_FIELDS:
        value = _get(document, path)
        values[path] = value if isinstance(value, bool) else ("" if value is None else str(value))
    return values


def posted_settings_values(form: MultiDict) -> dict[str, Any]:
    values: dict[str, Any] = {path: _text(form, path)[:TEXT_MAX] for path in SETTINGS_FIELDS}
    for path in BOOLEANS:
        values[path] = form.get(path) == "yes"
    return values


def _integer(text: str) -> int | str:
    """A whole number as an int; anything else as given, for the settings rules to refuse."""
    return int(text) if _INTEGER.match(text) else text


def settings_document(form: MultiDict, approval: Any) -> dict[str, Any]:
    """The whole settings document from the form; the recorded quota approval (set when
    calibrating) is carried over unless the form clears it."""
    document: dict[str, Any] = {}
    for path in (*DECIMALS, *TEXTS):
        _put(document, path, _text(form, path)[:TEXT_MAX])
    for path in NULLABLE_DECIMALS:
        _put(document, path, _text(form, path)[:TEXT_MAX] or None)
    for path in INTEGERS:
        _put(document, path, _integer(_text(form, path)[:TEXT_MAX]))
    for path in NULLABLE_INTEGERS:
        text = _text(form, path)[:TEXT_MAX]
        _put(document, path, _integer(text) if text else None)
    for path in BOOLEANS:
        _put(document, path, form.get(path) == "yes")
    keep = approval is not None and form.get("quota.approval.clear") != "yes"
    _put(document, "quota.approval", dict(approval) if keep else None)
    return document


# --- results ---------------------------------------------------------------------------------


def approval_payload(form: MultiDict) -> tuple[dict[str, Any] | None, Errors]:
    """A quota approval when the form asks for one (any of its fields filled), else None."""
    payload = {name: _text(form, f"approval.{name}") for name in ("share", "approved_by", "reason")}
    if form.get("approval.wanted") != "yes" and not any(payload.values()):
        return None, {}
    payload = {k: v for k, v in payload.items() if v}
    data, errors = _load(QuotaApprovalSchema(), payload)
    return data, {f"approval.{k}": v for k, v in errors.items()}


def override_payload(form: MultiDict) -> tuple[dict[str, Any] | None, Errors]:
    payload = {
        name: _text(form, name) for name in ("grade", "reason", "approved_by", "approval_ref")
    }
    return _load(GradeOverrideSchema(), {k: v for k, v in payload.items() if v})
