"""Input every database takes: the one check of text and whole numbers at the request boundary.

PostgreSQL refuses text with a NUL character, Python cannot encode a lone surrogate (a JSON
"\\ud800") to UTF-8, and an INTEGER column holds 32 bits; SQLite takes all three, so such input
went through the tests and answered 500 in production. `problems` finds them anywhere in a
request's data (nested JSON, form fields, query arguments, uploaded file names) and names each
field, so that the API and the pages answer 422: `guard_form_input` for every request's form,
query and file names, app.api.blueprint's parser for JSON bodies and the numbers it loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import IntegerConverter

from app.i18n import Message, translated

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class StorableInt(IntegerConverter):
    """The `int` of URLs, holding only what an INTEGER column holds: a larger id is no page
    (404), never a database error (PostgreSQL: "integer out of range")."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=INT_MAX, signed=False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def text_problem(value: str) -> Message | None:
    """Why a text cannot be stored, or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return Message("不能包含空字符（NUL）。")
    return Message("包含无效的字符编码（孤立的代理字符）。")


def int_problem(value: int) -> Message | None:
    if INT_MIN <= value <= INT_MAX:
        return None
    return Message("整数超出范围（%(low)s 至 %(high)s）。", low=INT_MIN, high=INT_MAX)


def problems(data: Any, *, numbers: bool = True) -> dict[str, list[str]]:
    """Every unstorable value in `data`, keyed by its dotted path (`lines.2.name`); whole
    numbers only with `numbers`."""
    found: dict[str, list[str]] = {}

    def visit(value: Any, path: str) -> None:
        problem = None
        if isinstance(value, str):
            problem = text_problem(value)
        elif isinstance(value, bool):
            return
        elif isinstance(value, int):
            problem = int_problem(value) if numbers else None
        elif isinstance(value, FileStorage):
            problem = text_problem(value.filename or "")
        elif isinstance(value, MultiDict):
            for key, items in value.lists():
                visit_key(key, items, path)
            return
        elif isinstance(value, Mapping):
            for key, item in value.items():
                visit_key(key, [item], path)
            return
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                visit(item, f"{path}.{index}" if path else str(index))
            return
        if problem is not None:
            found.setdefault(path or "_schema", []).append(problem)

    def visit_key(key: Any, items: Iterable[Any], path: str) -> None:
        name = str(key)
        if isinstance(key, str) and text_problem(key) is not None:
            name = name.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
            found.setdefault(f"{path}.{name}" if path else name, []).append(
                Message("字段名包含无法保存的字符。")
            )
            return
        for item in items:
            visit(item, f"{path}.{name}" if path else name)

    visit(data, "")
    return found


class UnstorableInput(UnprocessableEntity):
    """A form, query or file name carries text no database column takes: a 422 naming the
    fields (`data` has the shape app.errors reads from webargs; a page lists them in the
    reader's language)."""

    def __init__(self, fields: dict[str, list[Message]], api: bool) -> None:
        super().__init__("the request has text that cannot be stored")
        shown = fields if api else {k: [str(translated(m)) for m in v] for k, v in fields.items()}
        self.data = {"messages": {"request": shown}}


def guard_form_input() -> None:
    """before_request: form fields, query arguments and uploaded file names of every request,
    pages and API (the API's parser also checks JSON bodies and the numbers it loads)."""
    found: dict[str, list[str]] = {}
    for source in (request.args, request.form, request.files):
        found.update(problems(source))
    if found:
        raise UnstorableInput(found, api=request.path.startswith("/api/"))
