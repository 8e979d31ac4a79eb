"""Display names of the organisation's keys. The Chinese names are the msgids (marked with N_ so
`pybabel extract` finds them); `label()` translates them for the current locale. Imports accept
either the key or the Chinese name."""

from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:  # Babel's marker name
    return message


ROLE_NAMES = {
    "centre_admin": N_("绩效管理中心"),
    "supervising_leader": N_("分管领导"),
    "department_head": N_("科室负责人"),
    "assessment_group": N_("考核小组"),
    "review_panel": N_("绩效复议小组"),
    "expert": N_("第三方专家"),
    "staff": N_("科室工作人员"),
}

CATEGORY_NAMES = {
    "finance": N_("财务"),
    "inspection": N_("督查"),
    "hr": N_("人事"),
    "admin_support": N_("综合保障"),
    "petition": N_("信访"),
    "general": N_("综合业务"),
}


def label(names: dict[str, str], key: str | None) -> str:
    return gettext(names[key]) if key in names else (key or "")


def key_for(names: dict[str, str], value: str) -> str | None:
    """The key for a key or a Chinese name, or None."""
    value = value.strip()
    if value in names:
        return value
    return next((k for k, name in names.items() if name == value), None)
