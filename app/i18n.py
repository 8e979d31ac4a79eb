"""Texts in the reader's language. Display names of the organisation's keys: the Chinese names
are the msgids (marked with N_ so `pybabel extract` finds them); `label()` translates them for
the current locale, and imports accept either the key or the Chinese name. Messages the rules
and services compose (`Message`) are Chinese text that pages show translated (`translated`)."""

from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:  # Babel's marker name
    return message


class Message(str):
    """A message the rules and services compose: its value is the Chinese text (what is
    stored, logged, returned by the API and compared in tests), and it keeps its catalog text
    and values so that a page shows it in the reader's language (`translated`). Marked for
    `pybabel extract` like N_ (babel.cfg)."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Message:
        chinese = {key: _listed(value, "、", str) for key, value in params.items()}
        message = super().__new__(cls, msgid % chinese if params else msgid)
        message.msgid, message.params = msgid, params
        return message


def _listed(value: object, separator: str, show) -> object:
    """A list of values as the language lists them (`a、b` / `a, b`)."""
    if isinstance(value, list | tuple):
        return separator.join(str(show(item)) for item in value)
    return value


def translated(message: object) -> object:
    """A Message in the reader's language (and the Messages it names); anything else as is."""
    if isinstance(message, Message):
        separator = gettext("、")
        values = {
            key: translated(_listed(value, separator, translated))
            for key, value in message.params.items()
        }
        return gettext(message.msgid, **values)
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
