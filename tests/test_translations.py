"""English is a full second language: every message the code and templates mark has an English
translation (the same extraction `pybabel extract -F babel.cfg` makes)."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.conftest import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "app/translations/en/LC_MESSAGES/messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
    "Message": None,
}


def test_every_marked_message_has_an_english_translation():
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    with CATALOG.open("rb") as translated:
        english = read_po(translated)
    missing = set()
    for filename, lineno, message, _comments, context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found = english.get(msgid, context)
        if msgid and not (found and found.string and not found.fuzzy):
            missing.add(f"{msgid!r} ({filename}:{lineno})")
    assert not missing, "no English for:\n" + "\n".join(sorted(missing))


def test_the_check_sees_templates_and_code():
    """Guards the test above against extracting nothing (a moved babel.cfg, say)."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    files = {f for f, *_ in extract_from_dir(PROJECT_ROOT, method_map, options_map)}
    assert any(f.endswith(".html") for f in files) and any(f.endswith(".py") for f in files)
