"""Page forms: sign-in, the account page's forms, the audit filters, and turning posted task
forms into the payloads the form-catalog schemas validate (the same payloads the JSON API
receives)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    Form,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from app.pages import appeal_payloads, review_payloads, spot_check_payloads
from app.services.accounts import TOKEN_DAYS_MAX, TOKEN_NAME_MAX

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


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class PasswordChangeForm(FlaskForm):
    """The rules for the new password live in the service (app/rules/passwords.py)."""

    current_password = PasswordField(
        _l("当前密码"), validators=[DataRequired(_l("请输入当前密码")), Length(max=256)]
    )
    new_password = PasswordField(
        _l("新密码"), validators=[DataRequired(_l("请输入新密码")), Length(max=256)]
    )
    repeat_password = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码")),
            EqualTo("new_password", _l("两次输入的新密码不一致")),
        ],
    )


class TokenForm(FlaskForm):
    """`scopes.choices` is set per person: only the scopes they may hold are offered."""

    name = StringField(
        _l("名称"),
        filters=[_strip],
        validators=[DataRequired(_l("请输入名称")), Length(max=TOKEN_NAME_MAX)],
    )
    scopes = SelectMultipleField(
        _l("权限范围"),
        default=["read"],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(_l("请至少选择一项权限"))],
    )
    expires_in_days = IntegerField(
        _l("有效天数（留空则长期有效）"),
        default=90,
        validators=[
            Optional(),
            NumberRange(1, TOKEN_DAYS_MAX, _l("有效天数须为 %(min)s 至 %(max)s 天")),
        ],
    )


def _plausible_date(form: Form, field: Field) -> None:
    """Far-off years would overflow when turned into Beijing midnights; none are in the trail."""
    if field.data is not None and not date(2000, 1, 1) <= field.data <= date(2099, 12, 31):
        raise ValidationError(_l("日期须在 2000 至 2099 年之间"))


class AuditFilterForm(FlaskForm):
    """The audit trail's filters, read from the query string (a GET, so no CSRF token)."""

    class Meta:
        csrf = False

    actor = StringField(_l("操作人用户名"), filters=[_strip], validators=[Length(max=64)])
    action = StringField(_l("操作（前缀）"), filters=[_strip], validators=[Length(max=64)])
    object_type = StringField(_l("对象类型"), filters=[_strip], validators=[Length(max=64)])
    object_id = StringField(_l("对象编号"), filters=[_strip], validators=[Length(max=64)])
    since = DateField(_l("起始日期"), validators=[Optional(), _plausible_date])
    until = DateField(_l("截止日期"), validators=[Optional(), _plausible_date])
    page = IntegerField(
        _l("页码"), default=1, validators=[Optional(), NumberRange(1, 100_000, _l("页码无效"))]
    )

    def validate_until(self, field: Field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("截止日期不能早于起始日期"))


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


def ballot_payload(form: Mapping[str, str]) -> dict[str, Any]:
    score = (form.get("score") or "").strip()
    return {"score": score} if score else {}


PAYLOADS: dict[str, Callable[[Mapping[str, str]], dict[str, Any]]] = {
    "appeal_file": appeal_payloads.file_payload,
    "appeal_decide": appeal_payloads.decide_payload,
    "ballot": ballot_payload,
    "letter_draft": letter_payload,
    "letter_review": review_payload,
    "letter_sign": sign_payload,
    "spot_check_verify": spot_check_payloads.verify_payload,
    "finding_rectify": spot_check_payloads.rectify_payload,
    "finding_confirm": spot_check_payloads.confirm_payload,
    "quarterly_interview": review_payloads.interview_payload,
    "data_verification": review_payloads.verification_payload,
    "improvement_plan": lambda form: {
        name: form.get(name) or "" for name in ("measures", "training", "post_adjustment")
    },
    "improvement_check": review_payload,
}


# Form keys whose page rows may carry an evidence file: (form, files) → {"<list>.<index>": file}
UPLOADS: dict[str, Callable[[Mapping[str, str], Mapping[str, Any]], dict[str, Any]]] = {
    "spot_check_verify": spot_check_payloads.verify_uploads,
    "finding_rectify": spot_check_payloads.rectify_uploads,
}


def _text(message: Any) -> str:
    """A message as text, a composed Message kept as it is (it knows its translation)."""
    return message if isinstance(message, str) else str(message)


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
                flat.setdefault(prefix or "_form", []).append(_text(item))
    else:
        flat.setdefault(prefix or "_form", []).append(_text(messages))
    return flat
