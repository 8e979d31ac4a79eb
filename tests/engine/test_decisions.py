"""Evaluating a DMN decision outside a workflow, through the safe script engine."""

from pathlib import Path

import pytest

from app.engine import decisions

SHIPPED = (
    Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "grade_bands.dmn"
).read_text()


def table(*rules: tuple[str, str], hit_policy: str = "UNIQUE") -> str:
    rows = "".join(
        f'<rule id="r{i}"><inputEntry id="r{i}_in"><text>{cell}</text></inputEntry>'
        f'<outputEntry id="r{i}_out"><text>{out}</text></outputEntry></rule>'
        for i, (cell, out) in enumerate(rules)
    )
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
        'namespace="x"><decision id="t" name="t">'
        f'<decisionTable id="dt" hitPolicy="{hit_policy}"><input id="i"><inputExpression id="ie">'
        '<text>score</text></inputExpression></input><output id="o" name="grade" />'
        f"{rows}</decisionTable></decision></definitions>"
    )


@pytest.mark.parametrize(
    ("score", "grade"),
    [(0, "incompetent"), (59.99, "incompetent"), (60, "basically_competent"),
     (69.99, "basically_competent"), (70, "competent"), (89.99, "competent"),
     (90, "excellent"), (100, "excellent")],
)  # fmt: skip
def test_the_shipped_grade_table(score, grade):
    match = decisions.evaluate(SHIPPED, {"score": score})
    assert match.outputs == {"grade": grade}
    assert match.rule_id == f"rule_{grade}"


def test_describe_reads_the_table():
    info = decisions.describe(SHIPPED)
    assert (info.decision_id, info.hit_policy, info.inputs, info.outputs) == (
        "grade_bands",
        "UNIQUE",
        ("score",),
        ("grade",),
    )
    assert [r.input_cells for r in info.rules] == [
        (">= 90",),
        ("70 <= ? < 90",),
        ("60 <= ? < 70",),
        ("< 60",),
    ]


def test_a_boundary_written_with_decimals_is_exact_for_float_inputs():
    source = table(("&gt;= 89.9", '"a"'), ("&lt; 89.9", '"b"'))
    assert decisions.evaluate(source, {"score": float("89.9")}).outputs == {"grade": "a"}
    assert decisions.evaluate(source, {"score": float("89.89")}).outputs == {"grade": "b"}


def test_unique_tables_refuse_several_matches_and_no_match_is_an_error():
    overlapping = table(("&gt;= 50", '"a"'), ("&gt;= 40", '"b"'))
    assert [m.rule_id for m in decisions.matches(overlapping, {"score": 55})] == ["r0", "r1"]
    with pytest.raises(decisions.DecisionError, match="several rules"):
        decisions.evaluate(overlapping, {"score": 55})
    first = table(("&gt;= 50", '"a"'), ("&gt;= 40", '"b"'), hit_policy="FIRST")
    assert decisions.evaluate(first, {"score": 55}).outputs == {"grade": "a"}
    with pytest.raises(decisions.DecisionError, match="no rule"):
        decisions.evaluate(overlapping, {"score": 10})


def test_cells_never_run_python():
    evil = table(("__import__('os').system('true')", '"a"'))
    with pytest.raises(decisions.DecisionError):
        decisions.evaluate(evil, {"score": 1})
    evil_output = table(("-", "open('/etc/passwd').read()"))
    with pytest.raises(decisions.DecisionError):
        decisions.evaluate(evil_output, {"score": 1})


def test_unreadable_sources_are_decision_errors():
    with pytest.raises(decisions.DecisionError):
        decisions.describe("<definitions")
    with pytest.raises(decisions.DecisionError):
        decisions.describe('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>')
    with pytest.raises(decisions.DecisionError):
        decisions.evaluate(table(("&gt;= 1", '"a"')), {"other": 1})


def test_a_huge_cell_is_refused_by_its_length_first_and_never_echoed_whole():
    from app.engine.definitions import validate_dmn
    from tests.engine.helpers import fixture

    cell = "? == '&quot;' and " * 2_000  # 34 KB of quotes and inputs in one cell
    data = fixture("grade_bands.dmn").decode().replace("&gt;= 90", cell, 1).encode()
    [problem] = validate_dmn("big.dmn", data)
    assert "longer than 2000 characters" in problem.message
    assert len(problem.message) < 200 and problem.element_id == "rule_excellent_in"


@pytest.mark.parametrize(
    ("cell", "placed"),
    [
        ("? > 1", "dmninputexpr > 1"),
        ("'?' == ?", "'?' == dmninputexpr"),
        ('"a?b" != ? and ? < 3', '"a?b" != dmninputexpr and dmninputexpr < 3'),
        ("'it''s ?'", "'it''s ?'"),
    ],
)
def test_the_input_placeholder_is_put_outside_quotes_only(cell, placed):
    from app.engine.definitions import _input_placeholders

    assert _input_placeholders(cell) == placed
