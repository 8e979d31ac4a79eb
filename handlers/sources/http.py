"""The HTTP adapter: GET a JSON document from a configured system and read figures out of it.

The answer's shape is described by the source's `mapping` (every key optional):

    {"rows": "data.items",          # dot path to the list of rows ("" = the answer is the list)
     "department": "deptCode",      # field of a row holding the department code
     "indicator": "kpi",            # field holding the indicator code …
     "indicator_code": "INS-PETITION",  # … or one indicator for every row
     "period": "month", "value": "rate", "note": "remark"}

Defaults: rows under "rows", fields "department", "indicator", "period", "value", "note".
Numbers are read as decimals (no binary rounding). Failures are `SourceError`s: `http_status`
(5xx and 429 are retried, other statuses are not), `timeout` and `connection` (retried),
`bad_json`, `too_large` and `bad_shape` (not retried: asking again gives the same answer).
Retries are bounded (`retries` after the first attempt) with exponential backoff.
Authentication: the request carries the headers configured for the source (`SOURCE_HEADERS`
in the environment, app.config.source_headers); a refusal is an `http_status` failure (401,
403) like any other, and no message repeats a header.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.services.actuals import SourceRow
from handlers.sources import SourceError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
FIELDS = ("department", "indicator", "period", "value", "note")
MAPPING_KEYS = frozenset({"rows", "indicator_code", *FIELDS})


class HttpJsonSource:
    def __init__(
        self,
        name: str,
        url: str,
        mapping: Mapping[str, Any] | None = None,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.headers = dict(headers or {})  # secrets: never in a failure's message
        self.url = url
        self.mapping = dict(mapping or {})
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.attempts = 0

    def fetch(self) -> list[SourceRow]:
        return rows_from(self._get(), self.mapping)

    def _get(self) -> Any:
        self.attempts = 0
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self.attempts = attempt + 1
            try:
                return self._once()
            except SourceError as exc:
                exc.attempts = self.attempts
                if not exc.transient or attempt == self.retries:
                    raise
        raise AssertionError("unreachable")

    def _once(self) -> Any:
        request = urllib.request.Request(
            self.url,
            headers={"Accept": "application/json", "User-Agent": "jixiao-pull/1", **self.headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise SourceError(
                "http_status",
                f"HTTP {exc.code} {exc.reason}",
                http_status=exc.code,
                transient=exc.code >= 500 or exc.code == 429,
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise SourceError(
                    "timeout", f"no answer within {self.timeout:g} s", transient=True
                ) from None
            raise SourceError(
                "connection", f"cannot connect: {exc.reason}", transient=True
            ) from None
        except TimeoutError:
            raise SourceError(
                "timeout", f"no answer within {self.timeout:g} s", transient=True
            ) from None
        except (http.client.HTTPException, OSError) as exc:
            raise SourceError("connection", f"connection failed: {exc}", transient=True) from None
        if len(data) > MAX_BYTES:
            raise SourceError("too_large", f"the answer is larger than {MAX_BYTES} bytes")
        try:
            return json.loads(data, parse_float=Decimal)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
            raise SourceError("bad_json", f"the answer is not JSON: {str(exc)[:200]}") from None


def _at(document: Any, path: str) -> Any:
    node = document
    for part in [p for p in path.split(".") if p]:
        if not isinstance(node, Mapping) or part not in node:
            raise SourceError("bad_shape", f"the answer has no {path!r}")
        node = node[part]
    return node


def rows_from(document: Any, mapping: Mapping[str, Any]) -> list[SourceRow]:
    """The rows of a JSON answer under `mapping`; `SourceError("bad_shape")` with the first
    problems when the answer is not shaped as configured."""
    items = _at(document, str(mapping.get("rows", "rows")))
    if not isinstance(items, list):
        raise SourceError("bad_shape", "the rows are not a list")
    if len(items) > MAX_ROWS:
        raise SourceError("bad_shape", f"more than {MAX_ROWS} rows")
    fixed_indicator = mapping.get("indicator_code")
    names = {f: str(mapping.get(f, f)) for f in FIELDS}
    needed = ["department", "period", "value"] + ([] if fixed_indicator else ["indicator"])
    problems: list[str] = []
    rows: list[SourceRow] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"row {number} is not an object")
            continue
        missing = [names[f] for f in needed if names[f] not in item]
        if missing:
            problems.append(f"row {number} lacks {', '.join(missing)}")
            continue
        rows.append(
            SourceRow(
                row=number,
                department=_text(item[names["department"]]),
                indicator=str(fixed_indicator)
                if fixed_indicator
                else _text(item[names["indicator"]]),
                period=_text(item[names["period"]]),
                value=item[names["value"]],
                note=_text(item.get(names["note"], "")),
            )
        )
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SourceError("bad_shape", "; ".join(problems[:5]) + more)
    return rows


def _text(value: Any) -> str:
    """Codes and periods as text; a number is fine (period 2026), anything else is kept as
    its JSON text and fails the row check with a clear message."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)[:100]
