"""Shared vocabulary of the admin page tests: CSRF tokens, posting a page's form, counting rows,
reading the error shown beside a field."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Department

_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf(client, url: str = "/account") -> str:
    return _TOKEN.search(client.get(url).get_data(True)).group(1)


def post(client, url: str, data: dict | list, page: str | None = None):
    """POST the form fields with the CSRF token of `page` (default: the URL itself)."""
    token = csrf(client, page or url)
    items = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(url, data=MultiDict([*items, ("csrf_token", token)]))


def error_beside(body: str, path: str) -> str:
    """The text of the error shown beside the field at `path` ('' when none)."""
    ident = path.replace(".", "-")
    match = re.search(
        rf'<div class="field-error" id="{re.escape(ident)}-error">(.*?)</div>', body, re.S
    )
    if not match:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def invalid(body: str, ident: str) -> bool:
    """The input with this id is marked invalid and points at its error."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{re.escape(ident)}"[^>]*>', body)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def dept(code: str) -> Department:
    return db.session.scalars(sa.select(Department).where(Department.code == code)).one()
