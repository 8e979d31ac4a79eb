"""The inbox's query string, read strictly: every parameter is checked and a bad one is named
with a message for the reader, so the page answers 400 instead of guessing (or failing)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from app.services.inbox import DUE_BUCKETS, SCOPES, SORTS, InboxQuery

# The parameters the inbox understands, in the order its links write them.
PARAMS = ("tab", "department", "step", "due", "year", "sort", "page")
FILTERS = ("department", "step", "due", "year", "sort")
PAGE_MAX = 10_000
YEARS = range(2000, 2101)
_STEP = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_DIGITS = re.compile(r"^[0-9]{1,9}$")

NAMES = {
    "tab": _l("分类"),
    "department": _l("科室"),
    "step": _l("环节"),
    "due": _l("办理时限"),
    "year": _l("考核年度"),
    "sort": _l("排序"),
    "page": _l("页码"),
}
UNKNOWN = _l("不认识的取值")
NOT_A_NUMBER = _l("须为正整数")
UNKNOWN_DEPARTMENT = _l("没有这个科室")
PAGE_RANGE = _l("页码须在 1 至 %(max)s 之间", max=PAGE_MAX)
YEAR_RANGE = _l("年度须在 %(low)s 至 %(high)s 之间", low=YEARS.start, high=YEARS.stop - 1)


def given(args: Mapping[str, str]) -> dict[str, str]:
    """The parameters as given (blank ones left out), for links that keep them."""
    return {name: args[name] for name in PARAMS if args.get(name, "").strip()}


def parse(args: Mapping[str, str]) -> tuple[InboxQuery, dict[str, str]]:
    """The query, and a message per bad parameter (empty when all are good)."""
    values = {name: value.strip() for name, value in given(args).items()}
    errors: dict[str, str] = {}

    def number(name: str, allowed: range) -> int | None:
        raw = values.get(name)
        if raw is None:
            return None
        if not _DIGITS.match(raw):
            errors[name] = str(NOT_A_NUMBER)
            return None
        if int(raw) not in allowed:
            errors[name] = str(PAGE_RANGE if name == "page" else YEAR_RANGE)
            return None
        return int(raw)

    def one_of(name: str, allowed: tuple[str, ...]) -> str | None:
        raw = values.get(name)
        if raw is not None and raw not in allowed:
            errors[name] = str(UNKNOWN)
            return None
        return raw

    department = values.get("department")
    if department is not None and not _DIGITS.match(department):
        errors["department"] = str(NOT_A_NUMBER)
    step = values.get("step")
    if step is not None and not _STEP.match(step):
        errors["step"] = str(UNKNOWN)
    query = InboxQuery(
        scope=one_of("tab", SCOPES),
        department_id=int(department) if "department" not in errors and department else None,
        bpmn_id=step if "step" not in errors else None,
        due=one_of("due", DUE_BUCKETS),
        year=number("year", YEARS),
        sort=one_of("sort", SORTS) or "due",
        page=number("page", range(1, PAGE_MAX + 1)) or 1,
    )
    return query, errors
