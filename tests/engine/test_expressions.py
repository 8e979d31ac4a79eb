"""Safe expressions: ordinary ones work; dangerous ones are refused at upload (with the element
id) and again at run time, where the workflow stops in error and nothing executes."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from app.engine import expressions, runner
from app.engine.definitions import DefinitionInvalid, compile_bundle
from app.engine.expressions import ExpressionError
from tests.engine.helpers import (
    CATALOG,
    bpmn,
    compile_fixture,
    count_strings,
    fixture,
    replace_strings,
)

DANGEROUS = [
    "__import__('os')",
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "score.__class__",
    "grade.__dict__",
    "_private",
    "10**10**10",
    "2**100000",
    "score ** 100",
    "(lambda: 1)()",
    "[x for x in grade]",
    "open('/etc/passwd').read()",
    "getattr(score, 'real')",
    "grade.upper()",
]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("score >= 60", True),
        ("score < 60", False),
        ("grade in ('A', 'B')", True),
        ("grade not in ['A', 'B']", False),
        ("score > 90 or grade == 'A'", True),
        ("score > 90 and grade == 'A'", False),
        ("not (score > 90)", True),
        ("score * 2 + 1 - 10 / 5", 149.0),
        ("score // 7 % 5", 0),
        ("2 ** 10", 1024),
        ("max(scores) - min(scores)", 30),
        ("round(sum(scores) / len(scores), 1)", 83.3),
        ("abs(-3) + int('4') + float('0.5')", 7.5),
        ("str(score) + grade", "75A"),
        ("Decimal('0.1') + Decimal('0.2') == Decimal('0.3')", True),
        ("'优秀' if score >= 90 else '良好'", "良好"),
        ("scores[0]", 70),
        ("bool(0) or len('考核') == 2", True),
    ],
)
def test_ordinary_expressions_evaluate(expression, expected):
    names = {"score": 75, "grade": "A", "scores": [70, 80, 100]}
    assert expressions.problems(expression) == []
    assert expressions.evaluate(expression, names) == expected


@pytest.mark.parametrize("expression", DANGEROUS)
def test_dangerous_expressions_are_refused_statically_and_at_run_time(expression):
    assert expressions.problems(expression), expression
    started = time.monotonic()
    with pytest.raises(ExpressionError):
        expressions.evaluate(expression, {"score": 75, "grade": "A"})
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "expression",
    [
        'int(Decimal("1e1000000"))',  # parses fine; the int conversion alone takes ~30 s
        'round(Decimal("1e999999999"))',
        "*".join(['int("9" * 4000)'] * 140),  # a 560,000-digit product
        "(10**6 + 1) ** 64",  # base too large for the allowed exponent
        "'x' * 10**9",
        "[0] * 10**9",
    ],
)
def test_expensive_arithmetic_is_refused_quickly_at_run_time(expression):
    started = time.monotonic()
    with pytest.raises(ExpressionError):
        expressions.evaluate(expression, {})
    assert time.monotonic() - started < 1


def test_a_refused_expression_executes_nothing(tmp_path):
    target = tmp_path / "pwned"
    expression = f"__import__('pathlib').Path({str(target)!r}).touch()"
    with pytest.raises(ExpressionError, match="not allowed"):
        expressions.evaluate(expression, {})
    assert not target.exists()


def test_errors_name_the_expression_and_the_reason():
    with pytest.raises(ExpressionError, match="name 'missing' is not defined"):
        expressions.evaluate("missing > 1", {})
    with pytest.raises(ExpressionError, match="division by zero"):
        expressions.evaluate("1 / zero", {"zero": 0})
    assert expressions.problems("score >=") and "does not parse" in expressions.problems("a >=")[0]
    assert expressions.problems("x" * 3000) == ["expression longer than 2000 characters"]
    assert expressions.problems(42) == ["expression must be text"]  # type: ignore[arg-type]
    assert expressions.evaluate("Decimal('1.5') * 2", {}) == Decimal("3.0")


# --- refused at upload, with the element id -------------------------------------------------

_START = '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'


def _with_condition(condition: str) -> bytes:
    return bpmn(
        f"""{_START}
        <bpmn:exclusiveGateway id="choose" default="f_low">
          <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_high</bpmn:outgoing>
          <bpmn:outgoing>f_low</bpmn:outgoing>
        </bpmn:exclusiveGateway>
        <bpmn:endEvent id="end_high"><bpmn:incoming>f_high</bpmn:incoming></bpmn:endEvent>
        <bpmn:endEvent id="end_low"><bpmn:incoming>f_low</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choose" />
        <bpmn:sequenceFlow id="f_high" sourceRef="choose" targetRef="end_high">
          <bpmn:conditionExpression><![CDATA[{condition}]]></bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="f_low" sourceRef="choose" targetRef="end_low" />"""
    )


def _with_timer(value: str) -> bytes:
    return bpmn(
        f"""{_START}
        <bpmn:intermediateCatchEvent id="wait">
          <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
          <bpmn:timerEventDefinition id="wait_timer">
            <bpmn:timeDuration><![CDATA[{value}]]></bpmn:timeDuration>
          </bpmn:timerEventDefinition>
        </bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="done" />"""
    )


def _with_parameter(value: str) -> bytes:
    quoted = value.replace('"', "&quot;")
    return bpmn(
        f"""{_START}
        <bpmn:serviceTask id="call">
          <bpmn:extensionElements>
            <spiffworkflow:serviceTaskOperator id="test.probe" resultVariable="r">
              <spiffworkflow:parameters>
                <spiffworkflow:parameter id="label" type="str" value="{quoted}" />
              </spiffworkflow:parameters>
            </spiffworkflow:serviceTaskOperator>
          </bpmn:extensionElements>
          <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
        </bpmn:serviceTask>
        <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
        <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="done" />"""
    )


def _with_cardinality(value: str) -> bytes:
    return bpmn(
        f"""<bpmn:laneSet id="lanes"><bpmn:lane id="lane_head" name="department_head">
          <bpmn:flowNodeRef>sign</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
        {_START}
        <bpmn:userTask id="sign">
          <bpmn:extensionElements><spiffworkflow:properties>
            <spiffworkflow:property name="formKey" value="letter_sign" />
          </spiffworkflow:properties></bpmn:extensionElements>
          <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
          <bpmn:multiInstanceLoopCharacteristics isSequential="true">
            <bpmn:loopCardinality><![CDATA[{value}]]></bpmn:loopCardinality>
          </bpmn:multiInstanceLoopCharacteristics>
        </bpmn:userTask>
        <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />
        <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="done" />"""
    )


def _dmn_with_output(cell: str) -> bytes:
    source = fixture("grade_bands.dmn").decode()
    return source.replace('<text>"良好"</text>', f"<text><![CDATA[{cell}]]></text>").encode()


def _problems(data: bytes, dmn: list[tuple[str, bytes]] | None = None) -> list[dict]:
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(("x.bpmn", data), dmn or [], CATALOG)
    return [p.as_dict() for p in caught.value.problems]


@pytest.mark.parametrize(
    ("build", "safe", "element_id"),
    [
        (_with_condition, "score >= 60", "f_high"),
        (_with_timer, '"PT1H"', "wait_timer"),
        (_with_parameter, '"提醒"', "call"),
        (_with_cardinality, "3", "sign"),
    ],
    ids=["condition", "timer", "service-parameter", "multi-instance"],
)
@pytest.mark.parametrize("dangerous", [*DANGEROUS[:7], "10**10**10 > 1"])
def test_dangerous_expression_refused_at_upload_where_it_stands(build, safe, element_id, dangerous):
    compile_bundle(("ok.bpmn", build(safe)), [], CATALOG)  # the same diagram, safe, compiles
    found = _problems(build(dangerous))
    assert found, dangerous
    assert {p["code"] for p in found} == {"expression"}
    assert {p["element_id"] for p in found} == {element_id}
    assert all(p["file"] == "x.bpmn" and p["line"] for p in found)


@pytest.mark.parametrize("dangerous", DANGEROUS[:7])
def test_dangerous_dmn_cell_refused_at_upload(dangerous):
    found = _problems(fixture("grade_lookup.bpmn"), [("bands.dmn", _dmn_with_output(dangerous))])
    assert found
    assert {(p["code"], p["element_id"], p["file"]) for p in found} == {
        ("expression", "rule_good_out", "bands.dmn")
    }


# --- refused again at run time (specs tampered after upload) ----------------------------------


def _run(specs, data, call_service=None):
    return runner.start(specs, call_service, data).step()


def test_gateway_condition_runs_and_chooses_a_branch():
    compiled = compile_fixture("gateway.bpmn")
    for data, branch in (
        ({"score": 80, "grade": "A"}, "end_high"),
        ({"score": 80, "grade": "C"}, "end_low"),
    ):
        run = runner.start(compiled.specs, None, data)
        assert run.step().status == "completed"
        assert branch in {step.bpmn_id for step in run.completed}


@pytest.mark.parametrize(
    ("fixture_name", "original", "dmn", "data"),
    [
        ("gateway.bpmn", 'score >= 60 and grade in ("A", "B")', (), {"score": 1, "grade": "A"}),
        ("timer_intermediate.bpmn", '"PT1H"', (), {}),
        ("handler_probe.bpmn", "year - 2000", (), {"year": 2026}),
        ("grade_lookup.bpmn", '"良好"', ("grade_bands.dmn",), {"score": 80}),
    ],
    ids=["condition", "timer", "service-parameter", "dmn-cell"],
)
@pytest.mark.parametrize(
    "evil",
    [
        "__import__('pathlib').Path({target!r}).touch()",
        "().__class__.__base__.__subclasses__()",
        "10**10**10",
        'int(Decimal("1e1000000"))',
    ],
)
def test_tampered_expression_stops_the_workflow_in_error(
    fixture_name, original, dmn, data, evil, tmp_path
):
    target = tmp_path / "pwned"
    compiled = compile_fixture(fixture_name, dmn)
    assert count_strings(compiled.specs, original) >= 1
    tampered = replace_strings(compiled.specs, original, evil.format(target=str(target)))
    called: list[str] = []

    started = time.monotonic()
    snap = _run(tampered, data, lambda name, params, task_data: called.append(name))
    assert time.monotonic() - started < 2
    assert snap.status == "error"
    assert snap.error.startswith("ExpressionError: "), snap.error
    assert any(word in snap.error for word in ("not allowed", "at most 64", "too large"))
    assert not target.exists()
    assert called == []  # the handler never ran with an evaluated payload


# --- size and time bounds (issue 13: expressions that exhaust memory or CPU) -------------------


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("len('%0500000000d' % 1)", "% formatting is not allowed"),
        ("len(str([[1]*5000]*5000))", "repetition beyond"),
        ("sum([[1]*1200]*1200, [])", "repetition beyond"),
        ("sum(people, [])", "sum adds numbers only"),
        ("'a' * 200000", "repetition beyond"),
    ],
)
def test_upload_refuses_expressions_that_would_build_huge_values(expression, reason):
    assert any(reason in p for p in expressions.problems(expression))


NAMES = {"n": 5000, "fmt": "%0500000000d", "big": 10**6, "ids": [1, 2, 3], "rows": [[1], [2]]}


@pytest.mark.parametrize(
    "expression",
    [
        "len(fmt % 1)",
        "len(str([[1]*n]*n))",
        "sum(rows)",
        "len('a' * big)",
        "len(ids * big)",
        "len([ids] * n)",
        "str(n) * n",
    ],
)
def test_run_time_refuses_huge_values_built_from_task_data(expression):
    assert expressions.problems(expression) == []  # only the data makes them huge
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        expressions.evaluate(expression, NAMES)
    assert time.perf_counter() - started < 5  # a guard, not a timing: it used to take minutes


@pytest.mark.parametrize(
    ("expression", "value"),
    [("sum(ids)", 6), ("ids + ids", [1, 2, 3, 1, 2, 3]), ("len(str(ids))", 9), ("n * 3", 15000)],
)
def test_ordinary_expressions_still_evaluate(expression, value):
    assert expressions.evaluate(expression, NAMES) == value


def test_evaluation_stops_at_its_deadline(monkeypatch):
    monkeypatch.setattr(expressions, "MAX_SECONDS", -1.0)  # already past it
    with pytest.raises(ExpressionError, match="longer than"):
        expressions.evaluate("1 + 1", {})


class _Stalled:
    """A value whose addition waits (the machine paused, the thread descheduled) without
    using the CPU."""

    def __add__(self, other):
        time.sleep(expressions.MAX_SECONDS + 0.2)
        return 2


def test_a_stalled_machine_does_not_fail_a_harmless_expression():
    """The time bound counts this thread's CPU time: a pause of the machine is not the
    expression's doing (a wall-clock bound failed instances at random under load)."""
    assert expressions.evaluate("x + 1", {"x": _Stalled()}) == 2
