"""Posted appeal task forms → the payloads the form schemas validate (the same payloads the
JSON API receives). Disputed letter lines are checkboxes `line-<id>`; a blank score is left
out (not corrected)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_LINE = re.compile(r"^line-(\d{1,9})$")
SCORES = ("indicator_score", "evaluation_score", "deductions")


def file_payload(form: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "reasons": form.get("reasons") or "",
        "lines": sorted(int(m[1]) for key in form if (m := _LINE.match(key))),
        "deductions": form.get("deductions") == "yes",
        "evaluation": form.get("evaluation") == "yes",
    }
    if form.get("decision"):
        payload["decision"] = form["decision"]
    return payload


def decide_payload(form: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {"reason": form.get("reason") or ""}
    if form.get("decision"):
        payload["decision"] = form["decision"]
    for name in SCORES:
        value = (form.get(name) or "").strip()
        if value:
            payload[name] = value
    return payload
