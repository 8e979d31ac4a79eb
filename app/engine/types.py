"""Plain values the engine layer hands to the rest of the app (never SpiffWorkflow objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded diagram, located by element id (and line if known)."""

    code: str
    message: str
    element_id: str | None = None
    line: int | None = None
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "element_id": self.element_id,
            "line": self.line,
            "file": self.file,
        }


@dataclass(frozen=True)
class Catalog:
    """What the app offers diagrams: handler names, form keys, roles for lanes, messages."""

    handlers: frozenset[str]
    form_keys: frozenset[str]
    roles: frozenset[str]
    messages: frozenset[str] = frozenset()  # names the app delivers to waiting instances


@dataclass
class CompiledProcess:
    """A validated diagram: its executable process and the serialised specs to store once."""

    process_id: str
    name: str
    specs: dict[str, Any]
    elements: dict[str, str] = field(default_factory=dict)  # BPMN id -> display name


@dataclass(frozen=True)
class ReadyTask:
    """A manual task waiting for a person."""

    task_id: str
    bpmn_id: str
    name: str
    lane: str | None
    form_key: str | None
    due_at: datetime | None
    properties: dict[str, str]
    assignee_id: int | None = None  # a task for one named person (`assignee` property)


@dataclass(frozen=True)
class CompletedStep:
    """A finished task worth showing in an instance's history."""

    task_id: str
    bpmn_id: str
    name: str
    kind: str
    finished_at: datetime | None


@dataclass
class Snapshot:
    """Where a workflow stands after a run."""

    status: str
    ready_tasks: list[ReadyTask]
    next_timer_at: datetime | None
    error: str | None = None
    error_task_id: str | None = None
    # What kind of failure `error` is (app.engine.runner.ERROR_CODES), to say it in words.
    error_code: str | None = None
