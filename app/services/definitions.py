"""Versioned definitions: a changed diagram is a new version; instances keep theirs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

import handlers
from app.engine.definitions import DefinitionInvalid, compile_bundle, parse_xml, validate_dmn
from app.engine.types import Catalog, CompiledProcess, Problem
from app.extensions import db
from app.models import Person, ProcessDefinition
from app.models.org import ROLES
from app.models.process import MESSAGES
from app.services import audit
from app.services.errors import Invalid, NotFound

DMN_SUFFIX = ".dmn"
KEY_MAX, NAME_MAX = 100, 200  # ProcessDefinition.process_key / .name


def catalog() -> Catalog:
    # The forms' effects call services that look definitions up: imported here, no cycle.
    from app.forms import FORMS

    return Catalog(
        frozenset(handlers.REGISTRY), frozenset(FORMS), frozenset(ROLES), frozenset(MESSAGES)
    )


def latest(process_key: str, kind: str = "bpmn") -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_key == process_key, ProcessDefinition.kind == kind)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def listing() -> list[ProcessDefinition]:
    return list(
        db.session.scalars(
            select(ProcessDefinition).order_by(
                ProcessDefinition.process_key, ProcessDefinition.version
            )
        )
    )


def get(definition_id: int) -> ProcessDefinition:
    definition = db.session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"definition {definition_id} not found")
    return definition


def _latest_dmn_sources() -> list[tuple[str, bytes]]:
    keys = db.session.scalars(
        select(ProcessDefinition.process_key).where(ProcessDefinition.kind == "dmn").distinct()
    )
    sources = []
    for key in keys:
        dmn = latest(key, "dmn")
        sources.append((dmn.filename, dmn.source.encode()))
    return sources


def _store(kind, key, name, filename, source, content_hash, specs, elements, actor):
    current = latest(key, kind)
    if current is not None and current.spec_hash == content_hash:
        return current, False
    definition = ProcessDefinition(
        kind=kind,
        process_key=key,
        version=(current.version + 1) if current else 1,
        name=name,
        filename=filename,
        source=source,
        spec_hash=content_hash,
        specs=specs,
        elements=elements,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(definition)
    db.session.flush()
    audit.record(
        "definition.upload", actor, "definition", definition.id, key=key, version=definition.version
    )
    return definition, True


def _decode(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "definition is not valid UTF-8",
            problems=[Problem("malformed_xml", "file is not UTF-8 text", file=filename).as_dict()],
        ) from exc


def _check_lengths(key: str, name: str | None, filename: str) -> None:
    """The key and name go into VARCHAR(100)/(200) columns: too long is a problem, not a 500."""
    problems = []
    if len(key) > KEY_MAX:
        problems.append(
            Problem("too_long", f"id longer than {KEY_MAX} characters", key, file=filename)
        )
    if len(name or "") > NAME_MAX:
        problems.append(
            Problem("too_long", f"name longer than {NAME_MAX} characters", key, file=filename)
        )
    if problems:
        raise Invalid("the definition has problems", problems=[p.as_dict() for p in problems])


def compile_bpmn(filename: str, data: bytes) -> CompiledProcess:
    """Every check an upload makes, storing nothing; raises `Invalid` with the problems."""
    try:
        compiled = compile_bundle((filename, data), _latest_dmn_sources(), catalog())
    except DefinitionInvalid as exc:
        raise Invalid(
            "the definition has problems", problems=[p.as_dict() for p in exc.problems]
        ) from exc
    _check_lengths(compiled.process_id, compiled.name, filename)
    return compiled


def upload(filename: str, data: bytes, actor: Person | None) -> tuple[ProcessDefinition, bool]:
    """Validate and store a BPMN or DMN file; returns (definition, created)."""
    if filename.lower().endswith(DMN_SUFFIX):
        return _upload_dmn(filename, data, actor)
    compiled = compile_bpmn(filename, data)
    # The file and the decision tables compiled into it: either changing makes a new version.
    specs_json = json.dumps(compiled.specs, sort_keys=True, ensure_ascii=False)
    spec_hash = hashlib.sha256(data + specs_json.encode()).hexdigest()
    return _store(
        "bpmn",
        compiled.process_id,
        compiled.name,
        filename,
        _decode(filename, data),
        spec_hash,
        compiled.specs,
        compiled.elements,
        actor,
    )


def check_dmn(filename: str, data: bytes) -> tuple[str, str, str]:
    """What an upload of this DMN file would store, (key, name, source), or `Invalid` with its
    problems: also used to try an edited table before it is saved."""
    problems = validate_dmn(filename, data)
    if problems:
        raise Invalid("the decision table has problems", problems=[p.as_dict() for p in problems])
    root, _ = parse_xml(data, filename)
    decision = next(
        (el for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("decision")), None
    )
    key = decision.get("id") if decision is not None else Path(filename).stem
    name = (decision.get("name") if decision is not None else None) or key
    _check_lengths(key, name, filename)
    source = _decode(filename, data)
    from app.services import grades  # grades looks definitions up: imported here, no cycle

    if key in grades.grade_decision_keys():
        problems = grades.table_problems(source, filename)
        if problems:
            raise Invalid("the grade table has problems", problems=[p.as_dict() for p in problems])
    return key, name, source


def _upload_dmn(filename: str, data: bytes, actor: Person | None) -> tuple[ProcessDefinition, bool]:
    key, name, source = check_dmn(filename, data)
    spec_hash = hashlib.sha256(data).hexdigest()
    return _store("dmn", key, name, filename, source, spec_hash, None, {}, actor)


def load_directory(
    directory: str | Path, actor: Person | None = None
) -> list[tuple[ProcessDefinition, bool]]:
    """Load the shipped diagrams: decision tables first, so diagrams can call them."""
    paths = sorted(Path(directory).glob("*"), key=lambda p: (p.suffix != DMN_SUFFIX, p.name))
    return [
        upload(p.name, p.read_bytes(), actor) for p in paths if p.suffix in (".bpmn", DMN_SUFFIX)
    ]


def check(filename: str, data: bytes) -> list[dict]:
    """Every problem `upload` would find in a BPMN file, storing nothing (empty: it would store)."""
    try:
        compile_bpmn(filename, data)
    except Invalid as exc:
        return exc.extra.get("problems", [])
    return []
