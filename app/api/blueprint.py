"""The API's blueprint class: flask-smorest's, with a JSON parser that never answers 500."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser, abort


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


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonParser()
