"""The API's blueprint class: flask-smorest's, with a parser that never answers 500: bad JSON
is a 400, and text or numbers no database column takes are a 422 naming the field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser, abort

from app import safe_input


class JsonParser(FlaskParser):
    """webargs turns malformed JSON into a 400 but lets two decoder failures escape as 500s:
    an integer longer than Python's 4300-digit limit (ValueError) and nesting deeper than the
    recursion limit (RecursionError). Both are a bad body too."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs' own handling: an empty body is missing, anything else a 400
        except (ValueError, RecursionError) as exc:
            abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})

    def _process_location_data(self, location_data, schema, req, location, unknown, validators):
        """Text is checked as sent (NUL, lone surrogates, in any field or key, file names
        included); whole numbers once loaded (a Decimal sent as a JSON number is not one)."""
        text = safe_input.problems(location_data, numbers=False)
        if text:
            raise ma.ValidationError(text)
        data = super()._process_location_data(
            location_data, schema, req, location, unknown, validators
        )
        loaded = safe_input.problems(data)
        if loaded:
            raise ma.ValidationError(loaded)
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonParser()


def numeric_bounds(self, field: ma.fields.Field, ret: dict, **kwargs: Any) -> dict:
    """apispec attribute function: a Decimal field's `Range` bounds and default as JSON numbers
    (apispec writes them as strings, which OpenAPI refuses), and every integer bounded to 32
    bits, the range the parser accepts (so a schema-driven client or fuzzer knows it)."""
    bounds: dict[str, Any] = {}
    for key in ("minimum", "maximum", "default"):
        value = ret.get(key)
        if isinstance(field, ma.fields.Number) and isinstance(value, str | Decimal):
            number = Decimal(value)
            bounds[key] = int(number) if number == number.to_integral_value() else float(number)
    if isinstance(field, ma.fields.Integer):
        low, high = (
            bounds.get("minimum", ret.get("minimum")),
            bounds.get("maximum", ret.get("maximum")),
        )
        bounds["minimum"] = safe_input.INT_MIN if low is None else max(low, safe_input.INT_MIN)
        bounds["maximum"] = safe_input.INT_MAX if high is None else min(high, safe_input.INT_MAX)
    return bounds
