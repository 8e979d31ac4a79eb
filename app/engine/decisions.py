"""Evaluate a stored DMN decision table outside any workflow, with the safe script engine.

The grade table (等次表) is a DMN decision the centre edits and uploads; the results service
asks it for one grade at a time, without running a process. SpiffWorkflow's `DMNEngine` only
needs a task-like object: `.data` (the inputs) and `.workflow.script_engine` (ours, so cells
are evaluated by `app.engine.expressions`, never by Python `eval`). `task_spec` and
`workflow.spec` are there only so SpiffWorkflow can word its own errors.

Cells compare the inputs with number literals written in the table. Give numeric inputs as
`float` made from the decimal text (`float(Decimal("89.9"))`): the same text in a cell is the
same float, so a boundary is exact; a `Decimal` input would compare with the cell's binary float
(Decimal("89.9") < 89.9) and land a score exactly on a boundary in the wrong row.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import DecisionTable, HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from app.engine.definitions import parse_xml
from app.engine.expressions import ExpressionError
from app.engine.script_engine import SafeScriptEngine, ScriptsForbidden

_ENGINE = SafeScriptEngine()


class DecisionError(Exception):
    """The table cannot be read, or a cell failed to evaluate for these inputs."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    input_cells: tuple[str, ...]  # "-" or empty: any value


@dataclass(frozen=True)
class DecisionInfo:
    decision_id: str
    name: str
    hit_policy: str
    inputs: tuple[str, ...]  # input expressions
    outputs: tuple[str, ...]  # output names
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Match:
    rule_id: str
    outputs: dict[str, Any]


@dataclass(frozen=True)
class _Loaded:
    info: DecisionInfo
    table: DecisionTable
    filename: str


@lru_cache(maxsize=16)
def _load(source: str, filename: str) -> _Loaded:
    """Parse once per distinct source (versions are immutable, so the text is the cache key)."""
    root, problems = parse_xml(source.encode(), filename)
    if root is None:
        raise DecisionError("; ".join(p.message for p in problems))
    try:
        parser = SpiffBpmnParser()
        parser.add_dmn_xml(root, filename)
        if len(parser.dmn_parsers) != 1:
            raise DecisionError("the file must hold exactly one decision")
        dmn = next(iter(parser.dmn_parsers.values()))
        dmn.parse()
        decision = dmn.decision
    except SpiffWorkflowException as exc:
        raise DecisionError(str(exc)) from exc
    except (KeyError, IndexError, AttributeError, ValueError) as exc:
        raise DecisionError(f"{type(exc).__name__}: {exc}") from exc
    if len(decision.decisionTables) != 1:
        raise DecisionError("the decision must hold exactly one decision table")
    table = decision.decisionTables[0]
    info = DecisionInfo(
        decision_id=decision.id,
        name=decision.name or decision.id,
        hit_policy=table.hit_policy,
        inputs=tuple(i.expression or "" for i in table.inputs),
        outputs=tuple(o.name or o.label or "" for o in table.outputs),
        rules=tuple(
            Rule(rule.id, tuple((e.text or "").strip() for e in rule.inputEntries))
            for rule in table.rules
        ),
    )
    return _Loaded(info, table, filename)


def describe(source: str, filename: str = "decision.dmn") -> DecisionInfo:
    return _load(source, filename).info


def _task(loaded: _Loaded, inputs: Mapping[str, Any]) -> SimpleNamespace:
    workflow = SimpleNamespace(script_engine=_ENGINE, spec=SimpleNamespace(file=loaded.filename))
    workflow.top_workflow = workflow
    spec = SimpleNamespace(bpmn_id=loaded.info.decision_id, bpmn_name=loaded.info.name)
    return SimpleNamespace(data=dict(inputs), workflow=workflow, task_spec=spec)


def matches(source: str, inputs: Mapping[str, Any], filename: str = "decision.dmn") -> list[Match]:
    """Every rule whose input entries all hold for `inputs`, in table order, whatever the hit
    policy says (so callers can check that a UNIQUE table really is unique)."""
    loaded = _load(source, filename)
    table = copy.copy(loaded.table)
    table.hit_policy = HitPolicy.COLLECT.value
    task = _task(loaded, inputs)
    try:
        rules = DMNEngine(table).decide(task)
        return [Match(rule.id, dict(rule.output_as_dict(task))) for rule in rules]
    except (SpiffWorkflowException, ExpressionError, ScriptsForbidden, SyntaxError) as exc:
        raise DecisionError(str(exc)) from exc


def evaluate(source: str, inputs: Mapping[str, Any], filename: str = "decision.dmn") -> Match:
    """The outputs of the one rule that applies: the only match of a UNIQUE table (several
    matches are an error there, as DMN says), otherwise the first. No match is an error."""
    found = matches(source, inputs, filename)
    if not found:
        raise DecisionError("no rule of the decision table matches")
    if len(found) > 1 and describe(source, filename).hit_policy == HitPolicy.UNIQUE.value:
        rules = ", ".join(m.rule_id for m in found)
        raise DecisionError(f"several rules of a UNIQUE table match: {rules}")
    return found[0]
