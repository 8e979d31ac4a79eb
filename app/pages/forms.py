"""Page forms: the sign-in form, and turning posted task forms into the payloads the
form-catalog schemas validate (the same payloads the JSON API receives)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

LINE_FIELDS = ("indicator", "name", "kind", "direction", "target", "threshold", "unit", "weight")
_LINE_KEY = re.compile(r"^lines-(\d{1,6})-(" + "|".join(LINE_FIELDS) + r")$")
# Left out when blank, so the schema reports "required" rather than "not a number".
_OMIT_WHEN_BLANK = ("indicator", "name", "direction", "target", "threshold", "weight", "kind")


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=64)]
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=256)]
    )


def letter_payload(form: Mapping[str, str]) -> dict[str, Any]:
    """Rows `lines-<n>-<field>` in the order of n (gaps from removed rows close up); rows left
    completely blank are dropped."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _LINE_KEY.match(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = value.strip()
    lines = []
    for index in sorted(rows):
        row = rows[index]
        if not any(row.get(field) for field in ("indicator", "name", "target", "unit", "weight")):
            continue
        lines.append({k: v for k, v in row.items() if not (k in _OMIT_WHEN_BLANK and v == "")})
    note = (form.get("note") or "").strip()
    return {"lines": lines, "note": note or None}


def review_payload(form: Mapping[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {"comment": form.get("comment") or ""}
    if form.get("decision"):
        payload["decision"] = form["decision"]
    return payload


def sign_payload(form: Mapping[str, str]) -> dict[str, Any]:
    return {"confirm": form.get("confirm") == "yes"}


PAYLOADS: dict[str, Callable[[Mapping[str, str]], dict[str, Any]]] = {
    "letter_draft": letter_payload,
    "letter_review": review_payload,
    "letter_sign": sign_payload,
}


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow nests list errors by index (`{"lines": {0: {"weight": [...]}}}`) while the
    letter rules key them by path (`lines.0.weight`); pages want one flat path → messages."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten_errors(value, path).items():
                flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, Mapping | list | tuple):
                for sub, texts in flatten_errors(item, prefix).items():
                    flat.setdefault(sub, []).extend(texts)
            else:
                flat.setdefault(prefix or "_form", []).append(str(item))
    else:
        flat.setdefault(prefix or "_form", []).append(str(messages))
    return flat
