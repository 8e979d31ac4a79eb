"""The centre's decision tables (DMN, such as the grade table 等次表) edited in the browser.

Listing and reading versions, saving an edited table, and trying sample scores on a table
before it is saved. Saving goes through the same checks as an upload
(`definitions.check_dmn`, with the grade-table probe for grade tables) and stores a new version
audited as `definition.upload`; an edited table must keep its decision id, so the editor
never creates or overwrites another table. Only the performance-management centre may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.engine import decisions
from app.engine.definitions import parse_xml
from app.engine.types import Problem
from app.extensions import db
from app.models import Person, ProcessDefinition
from app.services import definitions, grades, permissions
from app.services.errors import Forbidden, Invalid, NotFound

MAX_SCORES = 20


@dataclass(frozen=True)
class Table:
    key: str
    name: str
    latest: ProcessDefinition
    grade_table: bool


@dataclass(frozen=True)
class Trial:
    """One sample score: the grade (or the reason there is none) from the edited table and
    from the stored latest version."""

    score: Decimal
    edited: str | None
    edited_error: str | None
    stored: str | None
    stored_error: str | None


def _require_centre(person: Person) -> None:
    if not permissions.is_centre_admin(person):
        raise Forbidden("only the performance-management centre edits decision tables")


def listing(person: Person) -> list[Table]:
    """Every stored decision table, by key, with its latest version."""
    _require_centre(person)
    keys = db.session.scalars(
        select(ProcessDefinition.process_key)
        .where(ProcessDefinition.kind == "dmn")
        .distinct()
        .order_by(ProcessDefinition.process_key)
    )
    grade_keys = grades.grade_decision_keys()
    tables = []
    for key in keys:
        latest = definitions.latest(key, "dmn")
        tables.append(Table(key, latest.name, latest, key in grade_keys))
    return tables


def versions(person: Person, key: str) -> list[ProcessDefinition]:
    """The table's versions, newest first; `NotFound` for a key with none."""
    _require_centre(person)
    found = list(
        db.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.kind == "dmn", ProcessDefinition.process_key == key)
            .order_by(ProcessDefinition.version.desc())
        )
    )
    if not found:
        raise NotFound(f"no decision table {key!r}")
    return found


def is_grade_table(key: str) -> bool:
    return key in grades.grade_decision_keys()


def _decision_ids(data: bytes) -> list[str]:
    root, _ = parse_xml(data)
    if root is None:
        return []  # the upload checks report why
    return [
        el.get("id") or ""
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "decision"
    ]


def _check(key: str, filename: str, data: bytes) -> None:
    """`Invalid` with every problem an upload would find, and a changed decision id."""
    ids = _decision_ids(data)
    if ids and ids != [key]:
        problem = Problem(
            "decision_id", f"the table must keep its decision id {key!r}", ids[0], file=filename
        )
        raise Invalid("the decision table has problems", problems=[problem.as_dict()])
    definitions.check_dmn(filename, data)


def problems(person: Person, key: str, source: str) -> list[dict]:
    """What saving `source` as the table `key` would refuse, without storing anything."""
    latest = versions(person, key)[0]
    try:
        _check(key, latest.filename, source.encode())
    except Invalid as exc:
        return list(exc.extra.get("problems", []))
    return []


def save(person: Person, key: str, source: str) -> tuple[ProcessDefinition, bool]:
    """Store the edited table as a new version (unchanged text keeps the current one)."""
    latest = versions(person, key)[0]
    data = source.encode()
    _check(key, latest.filename, data)
    return definitions.upload(latest.filename, data, person)


def _grade(source: str, score: Decimal) -> tuple[str | None, str | None]:
    try:
        return grades.grade_in(source, score).value, None
    except decisions.DecisionError as exc:
        return None, str(exc)


def trial(
    person: Person, key: str, source: str, scores: list[Decimal] | None = None
) -> list[Trial]:
    """The grades the edited grade table and the stored latest version give sample scores
    (`scores`, or the tables' own bounds when none are given)."""
    latest = versions(person, key)[0]
    if not is_grade_table(key):
        raise Invalid("only a grade table can be tried with scores")
    if scores is None:
        scores = grades.sample_scores(source, latest.source, limit=MAX_SCORES)
    rows = []
    for score in scores[:MAX_SCORES]:
        edited, edited_error = _grade(source, score)
        stored, stored_error = _grade(latest.source, score)
        rows.append(Trial(score, edited, edited_error, stored, stored_error))
    return rows


def authors(history: list[ProcessDefinition]) -> dict[int, str]:
    """Who saved each version (person id → display name)."""
    ids = {d.created_by_id for d in history if d.created_by_id is not None}
    if not ids:
        return {}
    people = db.session.scalars(select(Person).where(Person.id.in_(ids)))
    return {p.id: p.display_name for p in people}
