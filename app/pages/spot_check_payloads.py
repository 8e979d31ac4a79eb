"""Posted spot-check task forms → the payloads the form schemas validate (the same payloads
the JSON API receives). Rows are `<list>-<n>-<field>`, in the order of n; a blank field is left
out (the schema then says what is missing), except texts, which the schema checks for blanks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_ID = re.compile(r"^\d{1,9}$")


def _number(value: str) -> int | str:
    return int(value) if _ID.match(value) else value


def _rows(form: Mapping[str, str], name: str, fields: Iterable[str]) -> list[dict[str, str]]:
    pattern = re.compile(rf"^{name}-(\d{{1,4}})-({'|'.join(fields)})$")
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = pattern.match(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = value.strip()
    return [rows[i] for i in sorted(rows)]


def _common(form: Mapping[str, str]) -> dict[str, Any]:
    value = (form.get("spot_check_id") or "").strip()
    return {"spot_check_id": _number(value)} if value else {}


def _items(
    form: Mapping[str, str],
    name: str,
    id_field: str,
    optional: tuple[str, ...],
    texts: tuple[str, ...],
) -> list[dict[str, Any]]:
    items = []
    for row in _rows(form, name, (id_field, *optional, *texts)):
        item: dict[str, Any] = {k: v for k, v in row.items() if k in optional and v}
        item.update({k: row.get(k, "") for k in texts})
        if row.get(id_field):
            item[id_field] = _number(row[id_field])
        items.append(item)
    return items


def verify_payload(form: Mapping[str, str]) -> dict[str, Any]:
    entries = _items(
        form,
        "entries",
        "entry_id",
        ("verdict", "description", "points", "indicator", "evidence_note"),
        (),
    )
    comment = (form.get("comment") or "").strip()
    return {**_common(form), "entries": entries, "comment": comment or None}


def rectify_payload(form: Mapping[str, str]) -> dict[str, Any]:
    items = _items(form, "rectifications", "finding_id", ("evidence_note",), ("text",))
    return {**_common(form), "rectifications": items}


def confirm_payload(form: Mapping[str, str]) -> dict[str, Any]:
    items = _items(form, "decisions", "finding_id", ("decision", "points"), ("comment",))
    return {**_common(form), "decisions": items}
