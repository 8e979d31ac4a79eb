"""Shared vocabulary of the engine tests: fixture files, a catalog, a BPMN wrapper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import handlers
from app.engine.definitions import compile_bundle
from app.engine.types import Catalog, CompiledProcess

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CATALOG = Catalog(
    handlers=frozenset({"test.probe", "letters.lock", "notices.remind"}),
    form_keys=frozenset({"letter_draft", "letter_review", "letter_sign"}),
    roles=frozenset({"department_head", "supervising_leader", "centre_admin"}),
    messages=frozenset({"results_published"}),
)

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="https://jixiao.example.gov.cn/test">
"""


def bpmn(body: str, process_id: str = "p", executable: bool = True) -> bytes:
    """A BPMN file with one process whose content is `body`."""
    flag = "true" if executable else "false"
    return (
        f'{_HEAD}<bpmn:process id="{process_id}" isExecutable="{flag}">\n{body}\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def compile_fixture(name: str, dmn: tuple[str, ...] = ()) -> CompiledProcess:
    return compile_bundle((name, fixture(name)), [(d, fixture(d)) for d in dmn], CATALOG)


def replace_strings(value: Any, old: str, new: str) -> Any:
    """A deep copy of `value` (JSON-like) with every string equal to `old` replaced: how a
    tampered definition row would look."""
    if isinstance(value, dict):
        return {k: replace_strings(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_strings(v, old, new) for v in value]
    return new if value == old else value


def count_strings(value: Any, wanted: str) -> int:
    if isinstance(value, dict):
        return sum(count_strings(v, wanted) for v in value.values())
    if isinstance(value, list):
        return sum(count_strings(v, wanted) for v in value)
    return int(value == wanted)


@contextmanager
def registered(name: str, fn: Callable[..., Any]) -> Iterator[None]:
    """`fn` registered as handler `name` (through the real decorator) for the block only.
    Reentrant, so one test can wrap several blocks."""
    if handlers.REGISTRY.get(name) is fn:
        yield
        return
    handlers.handler(name)(fn)
    try:
        yield
    finally:
        handlers.REGISTRY.pop(name, None)
