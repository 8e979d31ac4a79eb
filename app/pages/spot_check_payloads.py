"""Posted spot-check task forms → the payloads the form schemas validate (the same payloads
the JSON API receives). Rows are `<list>-<n>-<field>`, in the order of n; a blank field is left
out (the schema then says what is missing), except texts, which the schema checks for blanks.

A row's evidence file is `<list>-<n>-evidence_file` (multipart); the `*_uploads` functions say
which payload item each one belongs to (`app.pages.tasks` stores it and sets `evidence_id`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.datastructures import FileStorage

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


def _row_numbers(form: Mapping[str, str], name: str, id_field: str) -> list[int]:
    """The posted row numbers of a list, in the order `_rows` gives its items."""
    pattern = re.compile(rf"^{name}-(\d{{1,4}})-{id_field}$")
    return sorted({int(m[1]) for m in map(pattern.match, form) if m})


def _uploads(
    form: Mapping[str, str],
    files: Mapping[str, FileStorage],
    name: str,
    id_field: str,
    wanted: Callable[[int], bool] = lambda n: True,
) -> dict[str, FileStorage]:
    """{"<list>.<item index>": file} of the rows that came with a (named) evidence file."""
    uploads = {}
    for index, n in enumerate(_row_numbers(form, name, id_field)):
        upload = files.get(f"{name}-{n}-evidence_file")
        if upload is not None and upload.filename and wanted(n):
            uploads[f"{name}.{index}"] = upload
    return uploads


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


def verify_uploads(
    form: Mapping[str, str], files: Mapping[str, FileStorage]
) -> dict[str, FileStorage]:
    """Evidence files of the entries found wanting (an entry judged ok has no finding)."""
    return _uploads(
        form,
        files,
        "entries",
        "entry_id",
        lambda n: (form.get(f"entries-{n}-verdict") or "").strip() == "finding",
    )


def rectify_payload(form: Mapping[str, str]) -> dict[str, Any]:
    items = _items(form, "rectifications", "finding_id", ("evidence_note",), ("text",))
    return {**_common(form), "rectifications": items}


def rectify_uploads(
    form: Mapping[str, str], files: Mapping[str, FileStorage]
) -> dict[str, FileStorage]:
    return _uploads(form, files, "rectifications", "finding_id")


def confirm_payload(form: Mapping[str, str]) -> dict[str, Any]:
    items = _items(form, "decisions", "finding_id", ("decision", "points"), ("comment",))
    return {**_common(form), "decisions": items}
