"""The texts a computed score names: spot-check deduction reasons and notes on scored lines.

A result's detail is the record of how its score was reached, so it keeps each text in
Chinese (`reason`, `note`) and also the text's kind and the values it names (`params`,
`note_kind`/`note_params`); pages and exports show it in the reader's language
(`deduction_reason`, `line_note`). Details recorded before the kinds existed show as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext

from app.i18n import N_

SPOT_CHECK = N_("%(year)s年%(month)s月督查（%(entry)s）：%(description)s")
OFF_LETTER = N_("%(reason)s（指标%(indicator)s不在责任书中，计入总分扣分）")
LINE_NOTES = {
    "no_value": N_("无实际值，按0分计"),
    "unscorable": N_("无法计分（%(error)s），按0分计"),
}
SPOT_CHECK_KEYS = ("year", "month", "entry", "description")


def spot_check_params(year: int, month: int, entry: str, description: str) -> dict[str, Any]:
    """What a spot-check deduction's reason names (a finding's description at most 200 chars)."""
    return {"year": year, "month": month, "entry": entry, "description": description[:200]}


def off_letter(
    reason: str, params: Mapping[str, Any] | None, indicator: str
) -> tuple[str, dict[str, Any] | None]:
    """The reason and params of a deduction whose indicator is not on the letter, moved to
    the total."""
    moved = OFF_LETTER % {"reason": reason, "indicator": indicator}
    return moved, None if params is None else {**params, "off_letter": indicator}


def deduction_text(params: Mapping[str, Any], translate: bool = True) -> str:
    """The reason of a deduction from its params, in the reader's language or in Chinese."""
    compose = gettext if translate else (lambda text, **values: text % values)
    text = compose(SPOT_CHECK, **{key: params[key] for key in SPOT_CHECK_KEYS})
    if params.get("off_letter"):
        text = compose(OFF_LETTER, reason=text, indicator=params["off_letter"])
    return text


def deduction_reason(entry: Mapping[str, Any]) -> str:
    """A stored deduction's reason in the reader's language."""
    params = entry.get("params")
    if isinstance(params, Mapping) and all(key in params for key in SPOT_CHECK_KEYS):
        return deduction_text(params)
    return str(entry.get("reason") or "")


def note_fields(kind: str, **params: Any) -> dict[str, Any]:
    """A scored line's note: the Chinese record plus its kind and values."""
    return {"note": LINE_NOTES[kind] % params, "note_kind": kind, "note_params": params}


def line_note(entry: Mapping[str, Any]) -> str:
    """A scored line's note in the reader's language."""
    kind, params = entry.get("note_kind"), entry.get("note_params")
    if kind in LINE_NOTES and isinstance(params, Mapping):
        return gettext(LINE_NOTES[kind], **params)
    return str(entry.get("note") or "")
