"""Grades from the grade table (等次表): a DMN decision the centre edits, the engine evaluates.

A campaign names its grade decision in its settings (`grade_table.decision`, default
`grade_bands`, shipped in workflows/bpmn/grade_bands.dmn) and either pins a version or uses the
latest stored one. The decision takes `score` (the final score) and outputs `grade`, one of
`app.rules.grading.Grade`'s values.

An uploaded grade table is probed before it is stored: at 0, at 100 and at every number written
in its input cells and 0.01 either side (scores have two decimals, and between two such points
a table of comparisons cannot change its answer). At every probe exactly one row must match
and give a known grade, and a lower score must never get a better grade. Any problem refuses
the upload like the other upload problems (422, nothing stored).
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import select

from app.engine import decisions
from app.engine.types import Problem
from app.extensions import db
from app.i18n import Message
from app.models import Campaign, ProcessDefinition
from app.rules.campaign_settings import DEFAULTS
from app.rules.grading import Grade
from app.services import campaigns, definitions
from app.services.errors import Conflict

SCORE_INPUT, GRADE_OUTPUT = "score", "grade"
LOWEST, HIGHEST, STEP = Decimal(0), Decimal(100), Decimal("0.01")
RANK = {Grade.INCOMPETENT: 0, Grade.BASICALLY_COMPETENT: 1, Grade.COMPETENT: 2, Grade.EXCELLENT: 3}
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
SHOWN_POINTS = 5
MAX_RULES = 50  # a grade table has a handful of rows; probing is rows x points evaluations
MAX_POINTS = 600


def _known(value: object) -> bool:
    return isinstance(value, str) and value in {g.value for g in Grade}


def grade_decision_keys() -> set[str]:
    """Decision ids used as a grade table: the default and any a campaign names."""
    keys = {DEFAULTS["grade_table"]["decision"]}
    for stored in db.session.scalars(select(Campaign.settings)):
        decision = ((stored or {}).get("grade_table") or {}).get("decision")
        if isinstance(decision, str):
            keys.add(decision)
    return keys


def decision(key: str, version: int | None = None) -> ProcessDefinition | None:
    """The pinned version of a stored DMN decision, or its latest."""
    if version is None:
        return definitions.latest(key, "dmn")
    return db.session.scalars(
        select(ProcessDefinition).where(
            ProcessDefinition.kind == "dmn",
            ProcessDefinition.process_key == key,
            ProcessDefinition.version == version,
        )
    ).first()


def probe_points(info: decisions.DecisionInfo) -> list[Decimal]:
    points = {LOWEST, HIGHEST}
    for rule in info.rules:
        for cell in rule.input_cells:
            for text in _NUMBER.findall(cell):
                number = Decimal(text)
                points.update((number - STEP, number, number + STEP))
    return sorted(p for p in points if LOWEST <= p <= HIGHEST)


def _shown(points: list[Decimal]) -> str:
    text = ", ".join(str(p) for p in points[:SHOWN_POINTS])
    return text + (
        f" (and {len(points) - SHOWN_POINTS} more)" if len(points) > SHOWN_POINTS else ""
    )


@lru_cache(maxsize=16)
def _table_problems(source: str, filename: str) -> tuple[Problem, ...]:
    try:
        info = decisions.describe(source, filename)
    except decisions.DecisionError as exc:
        return (Problem("grade_table", str(exc), file=filename),)
    at = info.decision_id
    found: list[Problem] = []
    if info.hit_policy != "UNIQUE":
        found.append(Problem("grade_table", "a grade table must use hit policy UNIQUE", at))
    if info.inputs != (SCORE_INPUT,):
        found.append(Problem("grade_table", "a grade table has one input, `score`", at))
    if info.outputs != (GRADE_OUTPUT,):
        found.append(Problem("grade_table", "a grade table has one output, `grade`", at))
    points = probe_points(info)
    if len(info.rules) > MAX_RULES or len(points) > MAX_POINTS:
        message = f"a grade table has at most {MAX_RULES} rows and {MAX_POINTS // 3} bounds"
        found.append(Problem("grade_table", message, at))
    if found:
        return tuple(Problem(p.code, p.message, p.element_id, file=filename) for p in found)

    gaps: list[Decimal] = []
    overlaps: dict[tuple[str, ...], list[Decimal]] = {}
    unknown: dict[str, object] = {}
    failed: dict[str, list[Decimal]] = {}
    graded: list[tuple[Decimal, Grade, str]] = []
    for point in points:
        try:
            hits = decisions.matches(source, {SCORE_INPUT: float(point)}, filename)
        except decisions.DecisionError as exc:
            failed.setdefault(str(exc), []).append(point)
            continue
        if not hits:
            gaps.append(point)
            continue
        if len(hits) > 1:
            overlaps.setdefault(tuple(h.rule_id for h in hits), []).append(point)
        for hit in hits:
            value = hit.outputs.get(GRADE_OUTPUT)
            if not _known(value):
                unknown.setdefault(hit.rule_id, value)
        if len(hits) == 1 and hits[0].rule_id not in unknown:
            graded.append((point, Grade(hits[0].outputs[GRADE_OUTPUT]), hits[0].rule_id))

    if gaps:
        found.append(Problem("grade_gap", f"scores {_shown(gaps)} match no row", at))
    for rules, points in overlaps.items():
        message = f"scores {_shown(points)} match several rows: {', '.join(rules)}"
        found.append(Problem("grade_overlap", message, rules[0]))
    for rule_id, value in unknown.items():
        known = ", ".join(g.value for g in Grade)
        message = f"grade {value!r} is not one of {known}"
        found.append(Problem("grade_unknown", message, rule_id))
    for message, points in failed.items():
        found.append(Problem("grade_table", f"scores {_shown(points)}: {message}", at))
    for (low, low_grade, low_rule), (high, high_grade, _) in itertools.pairwise(graded):
        if RANK[low_grade] > RANK[high_grade]:
            message = (
                f"score {low} gets {low_grade.value} but the higher score {high} gets "
                f"{high_grade.value}: a lower score must never get a better grade"
            )
            found.append(Problem("grade_order", message, low_rule))
    return tuple(Problem(p.code, p.message, p.element_id, file=filename) for p in found)


def table_problems(source: str, filename: str = "grade_table.dmn") -> list[Problem]:
    """Every reason the DMN source is not a usable grade table; empty when it is."""
    return list(_table_problems(source, filename))


def decision_problems(key: str, version: int | None) -> dict[str, list[str]]:
    """Field errors of a settings document naming this grade decision (and version)."""
    stored = decision(key, version)
    if stored is None:
        if version is not None and decision(key) is not None:
            return {
                "grade_table.version": [
                    Message("决策表 %(key)s 没有第 %(version)s 版。", key=key, version=version)
                ]
            }
        return {"grade_table.decision": [Message("决策表 %(key)s 尚未上传。", key=key)]}
    problems = table_problems(stored.source, stored.filename)
    if problems:
        reasons = "; ".join(p.message for p in problems)
        return {
            "grade_table.decision": [
                Message("决策表 %(key)s 不是可用的等次表：%(reasons)s", key=key, reasons=reasons)
            ]
        }
    return {}


def band(score: Decimal, campaign: Campaign | None) -> tuple[Grade, ProcessDefinition]:
    """The grade the campaign's grade table gives `score`, and the table version used."""
    settings = campaigns.settings_of(campaign)
    stored = decision(settings.grade_decision, settings.grade_decision_version)
    if stored is None:
        raise Conflict(f"the grade table {settings.grade_decision!r} is not loaded")
    try:
        return grade_in(stored.source, score, stored.filename), stored
    except decisions.DecisionError as exc:
        raise Conflict(f"the grade table gives no grade for {score}: {exc}") from exc


def grade_in(source: str, score: Decimal, filename: str = "grade_table.dmn") -> Grade:
    """The grade a grade table's DMN source gives `score`, stored or not (the editor tries a
    table before it is saved); `DecisionError` when it gives none, or an unknown one."""
    match = decisions.evaluate(source, {SCORE_INPUT: float(score)}, filename)
    value = match.outputs.get(GRADE_OUTPUT)
    if not _known(value):
        raise decisions.DecisionError(f"the grade table gives an unknown grade {value!r}")
    return Grade(value)


def sample_scores(*sources: str, limit: int = 20) -> list[Decimal]:
    """Scores worth trying on these tables: 0, 100, and each bound written in their input
    cells with the score just below it (where a band starts and the one under it ends)."""
    points = {LOWEST, HIGHEST}
    for source in sources:
        try:
            info = decisions.describe(source)
        except decisions.DecisionError:
            continue
        for rule in info.rules:
            for cell in rule.input_cells:
                for text in _NUMBER.findall(cell):
                    points.update((Decimal(text) - STEP, Decimal(text)))
    return sorted(p for p in points if LOWEST <= p <= HIGHEST)[:limit]


def grade_for(score: Decimal, campaign: Campaign | None) -> Grade:
    return band(score, campaign)[0]
