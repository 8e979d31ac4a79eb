"""The web modeler's server side: drafts, validation, publication, comparison, rollback.

A draft is work in progress on one process key: any well-formed BPMN document, parsed safely
(no DTD, no entities) and otherwise unchecked, so an admin can save half-done work. Publishing
and rolling back go through `definitions.upload`, so a published version has passed every
check an uploaded file passes; running instances keep the version they started on.
Only the performance-management centre may use any of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from app import clock
from app.engine.definitions import BPMN_NS, DefinitionInvalid, parse_xml
from app.engine.diagram_diff import ElementChange, diff_bpmn
from app.engine.types import Problem
from app.extensions import db
from app.models import Person, ProcessDefinition, ProcessDraft, ProcessInstance
from app.services import audit, definitions, permissions
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.modeler_template import new_diagram

# A process id is an XML NCName; the key also names the draft in URLs.
KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class Comparison:
    key: str
    old_version: int | None
    new_version: int | None  # None: the draft
    changes: list[ElementChange]


def require_admin(actor: Person) -> None:
    if not permissions.is_centre_admin(actor):
        raise Forbidden("only the performance-management centre edits process diagrams")


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key or ""):
        raise Invalid(
            "not a process key",
            fields={"key": ["letters, digits, _ . - (100 at most), starting with a letter or _"]},
        )
    return key


def _parse_bpmn(data: bytes, key: str) -> etree._Element:
    """The parsed document, or `Invalid` with the parse problems (size, DOCTYPE, syntax)."""
    root, problems = parse_xml(data, f"{key}.bpmn")
    if root is None:
        raise Invalid("the draft is not well-formed XML", problems=[p.as_dict() for p in problems])
    if root.tag != f"{{{BPMN_NS}}}definitions":
        problem = Problem("not_bpmn", "root element is not bpmn:definitions", file=f"{key}.bpmn")
        raise Invalid("the draft is not a BPMN document", problems=[problem.as_dict()])
    return root


def get_draft(key: str, actor: Person) -> ProcessDraft:
    require_admin(actor)
    draft = _draft(check_key(key))
    if draft is None:
        raise NotFound(f"no draft of {key!r}")
    return draft


def find_draft(key: str, actor: Person) -> ProcessDraft | None:
    require_admin(actor)
    return _draft(check_key(key))


def _draft(key: str) -> ProcessDraft | None:
    return db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == key)).first()


def drafts(actor: Person) -> list[ProcessDraft]:
    require_admin(actor)
    return list(db.session.scalars(select(ProcessDraft).order_by(ProcessDraft.process_key)))


def save_draft(key: str, data: bytes, actor: Person) -> ProcessDraft:
    """Create or replace the key's draft; well-formed BPMN only, not otherwise checked."""
    require_admin(actor)
    check_key(key)
    _parse_bpmn(data, key)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem("malformed_xml", "the draft is not UTF-8 text")
        raise Invalid("the draft is not UTF-8", problems=[problem.as_dict()]) from exc
    draft = _draft(key)
    if draft is None:
        latest = definitions.latest(key)
        draft = ProcessDraft(process_key=key, base_version=latest.version if latest else None)
        db.session.add(draft)
    draft.source = source
    draft.updated_at = clock.now()
    draft.updated_by_id = actor.id
    db.session.flush()
    audit.record("definition.draft_saved", actor, "process_draft", draft.id, key=key)
    return draft


def discard_draft(key: str, actor: Person) -> None:
    draft = get_draft(key, actor)
    audit.record("definition.draft_discarded", actor, "process_draft", draft.id, key=key)
    db.session.delete(draft)
    db.session.flush()


def _key_problems(key: str, data: bytes) -> list[dict[str, Any]]:
    """The executable process's id is the key it is published under: it must be the draft's."""
    root, _ = parse_xml(data)
    ids = root.xpath("./bpmn:process[@isExecutable='true']/@id", namespaces={"bpmn": BPMN_NS})
    if not ids or ids[0] == key:
        return []
    message = f"the executable process's id {ids[0]!r} must be the draft's key {key!r}"
    return [Problem("key_mismatch", message, ids[0], file=f"{key}.bpmn").as_dict()]


def validate_draft(key: str, actor: Person) -> list[dict[str, Any]]:
    """Every problem publishing the draft would meet (empty: it would publish)."""
    draft = get_draft(key, actor)
    data = draft.source.encode()
    return _key_problems(key, data) + definitions.check(_filename(key), data)


def _filename(key: str) -> str:
    latest = definitions.latest(key)
    return latest.filename if latest is not None else f"{key}.bpmn"


def publish_draft(key: str, actor: Person) -> tuple[ProcessDefinition, bool]:
    """The draft as the key's next version (every upload check applies); the draft is gone
    after. Unchanged content keeps the current version (created False)."""
    draft = get_draft(key, actor)
    data = draft.source.encode()
    problems = _key_problems(key, data)
    if problems:
        raise Invalid("the definition has problems", problems=problems)
    definition, created = definitions.upload(_filename(key), data, actor)
    audit.record(
        "definition.published",
        actor,
        "definition",
        definition.id,
        key=key,
        version=definition.version,
        created=created,
        base_version=draft.base_version,
    )
    db.session.delete(draft)
    db.session.flush()
    return definition, created


def rollback(definition_id: int, actor: Person) -> ProcessDefinition:
    """An older version's content published again as the newest version (N+1)."""
    require_admin(actor)
    old = definitions.get(definition_id)
    latest = definitions.latest(old.process_key, old.kind)
    if latest is not None and latest.id == old.id:
        raise Conflict(f"version {old.version} is already the latest")
    definition, created = definitions.upload(old.filename, old.source.encode(), actor)
    if not created:
        raise Conflict(f"the latest version already has version {old.version}'s content")
    audit.record(
        "definition.rolled_back",
        actor,
        "definition",
        definition.id,
        key=old.process_key,
        version=definition.version,
        restored_version=old.version,
    )
    return definition


@dataclass(frozen=True)
class Opening:
    """What the editor opens: a draft, a published version, or the new-diagram template."""

    origin: str  # draft | version | new
    version: int | None
    source: str


def opening(key: str, actor: Person, version: int | None = None, new_name: str | None = None):
    """`version` if given; else the draft, else the latest version, else (`new_name` given)
    the template for a new diagram."""
    require_admin(actor)
    check_key(key)
    if version is not None:
        definition = db.session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.process_key == key,
                ProcessDefinition.kind == "bpmn",
                ProcessDefinition.version == version,
            )
        ).first()
        if definition is None:
            raise NotFound(f"no version {version} of {key!r}")
        return Opening("version", version, definition.source)
    draft = _draft(key)
    if draft is not None:
        return Opening("draft", draft.base_version, draft.source)
    latest = definitions.latest(key)
    if latest is not None:
        return Opening("version", latest.version, latest.source)
    if new_name is not None:
        return Opening("new", None, new_diagram(key, new_name))
    raise NotFound(f"no diagram {key!r}")


def _previous(definition: ProcessDefinition) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition)
        .where(
            ProcessDefinition.process_key == definition.process_key,
            ProcessDefinition.kind == definition.kind,
            ProcessDefinition.version < definition.version,
        )
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def _diff(old: bytes | None, new: bytes) -> list[ElementChange]:
    try:
        return diff_bpmn(old, new)
    except DefinitionInvalid as exc:
        raise Invalid("cannot compare", problems=[p.as_dict() for p in exc.problems]) from exc


def running_instances(key: str) -> int:
    """Instances of the key not finished: a new version never moves them."""
    return db.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(
            ProcessInstance.process_key == key,
            ProcessInstance.status.not_in(("completed", "terminated")),
        )
    )


def element_changes(old: bytes | None, new: bytes) -> list[ElementChange]:
    """What changes between two diagrams, element by element (an import's dry run)."""
    return _diff(old, new)


def compare_version(definition_id: int, actor: Person) -> Comparison:
    """A version against the one before it (the first version: everything is added)."""
    require_admin(actor)
    definition = definitions.get(definition_id)
    if definition.kind != "bpmn":
        raise Invalid("only BPMN diagrams are compared", fields={"definition_id": ["not BPMN"]})
    previous = _previous(definition)
    changes = _diff(previous.source.encode() if previous else None, definition.source.encode())
    return Comparison(
        definition.process_key, previous.version if previous else None, definition.version, changes
    )


def compare_draft(key: str, actor: Person) -> Comparison:
    """The draft against the latest published version."""
    draft = get_draft(key, actor)
    latest = definitions.latest(key)
    changes = _diff(latest.source.encode() if latest else None, draft.source.encode())
    return Comparison(key, latest.version if latest else None, None, changes)
