"""Upload validation: every problem comes back with its element id; hostile XML is refused
quickly without reading files or expanding entities."""

from __future__ import annotations

import resource
import time

import pytest

from app.engine.definitions import DefinitionInvalid, compile_bundle, parse_xml, validate_dmn
from app.engine.types import Catalog
from app.services import definitions
from tests.engine.helpers import CATALOG, FIXTURES, bpmn, fixture

START = '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
END = '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
FLOWS = (
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{node}" />'
    '<bpmn:sequenceFlow id="f2" sourceRef="{node}" targetRef="done" />'
)
LANE = (
    '<bpmn:laneSet id="lanes"><bpmn:lane id="lane_{role}" name="{role}">'
    "<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
)


def user_task(form_key: str | None = "letter_sign", role: str | None = "department_head") -> bytes:
    prop = (
        ""
        if form_key is None
        else "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formKey" value="{form_key}" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    lane = "" if role is None else LANE.format(role=role, node="task")
    return bpmn(
        f'{lane}{START}<bpmn:userTask id="task">{prop}'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
        f"{END}{FLOWS.format(node='task')}"
    )


def codes(data: bytes, dmn=()) -> list[tuple[str, str | None]]:
    """(code, element id) of every problem; fails the test if the file compiles."""
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(("x.bpmn", data), list(dmn), CATALOG)
    problems = caught.value.problems
    assert all(p.file == "x.bpmn" for p in problems if p.file != "bands.dmn")
    return [(p.code, p.element_id) for p in problems]


def test_every_fixture_and_the_shipped_diagram_compile():
    app_catalog = definitions.catalog()
    both = Catalog(  # fixtures use the app's forms and handlers and the tests' own probe
        CATALOG.handlers | app_catalog.handlers,
        CATALOG.form_keys | app_catalog.form_keys,
        CATALOG.roles | app_catalog.roles,
        CATALOG.messages | app_catalog.messages,
    )
    for path in FIXTURES.glob("*.bpmn"):
        if path.name == "many_problems.bpmn":
            continue
        compiled = compile_bundle(
            (path.name, path.read_bytes()), [("grade_bands.dmn", fixture("grade_bands.dmn"))], both
        )
        assert compiled.specs["spec"]["name"] == compiled.process_id
    shipped = (FIXTURES.parent.parent / "workflows/bpmn/annual_cycle.bpmn").read_bytes()
    compiled = compile_bundle(("annual_cycle.bpmn", shipped), [], definitions.catalog())
    assert compiled.process_id == "annual_cycle"
    assert compiled.elements["review_letter"] == "分管领导审核责任书"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "malformed_xml"),
        (b"not xml at all", "malformed_xml"),
        (
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">',
            "malformed_xml",
        ),
        (b"\xff\xfe\x00\x01garbage", "malformed_xml"),
        (b"<html><body>\xe8\x80\x83\xe6\xa0\xb8</body></html>", "not_bpmn"),
        (fixture("grade_bands.dmn"), "not_bpmn"),
        (b"<x>" + b"a" * (2 * 1024 * 1024 + 1) + b"</x>", "too_large"),
    ],
    ids=["empty", "text", "truncated", "binary", "html", "dmn-as-bpmn", "too-large"],
)
def test_files_that_are_not_bpmn_are_refused(data, code):
    assert [c for c, _ in codes(data)] == [code]


def test_no_executable_process():
    body = f'{START}{END}<bpmn:sequenceFlow id="f2" sourceRef="start" targetRef="done" />'
    body = body.replace("f1", "f2")
    assert codes(bpmn(body, executable=False)) == [("no_executable_process", "defs")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f'{START}<bpmn:endEvent id="done" /><bpmn:sequenceFlow id="f1" sourceRef="start" '
            'targetRef="nowhere" />',
            [("structure", "f1")],
        ),
        (
            f'{START}<bpmn:exclusiveGateway id="gw" /><bpmn:sequenceFlow id="f1" '
            'sourceRef="start" targetRef="gw" />',
            [("structure", "gw")],
        ),
        ('<bpmn:endEvent id="done" />', [("structure", "p")]),  # no start event
        (
            f'{START}<bpmn:endEvent id="done" /><bpmn:bogusTask id="odd" />'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="done" />',
            [("schema", "odd")],
        ),
    ],
    ids=["flow-to-missing-element", "gateway-without-way-out", "no-start", "unknown-element"],
)
def test_structural_errors_name_their_element(body, expected):
    assert codes(bpmn(body)) == expected


def test_condition_that_does_not_parse():
    body = (
        f'{START}<bpmn:exclusiveGateway id="gw" default="f3" />'
        '<bpmn:endEvent id="e1" /><bpmn:endEvent id="e2" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw" />'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e1">'
        "<bpmn:conditionExpression>score &gt;=</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="e2" />'
    )
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(("x.bpmn", bpmn(body)), [], CATALOG)
    [problem] = caught.value.problems
    assert (problem.code, problem.element_id) == ("expression", "f2")
    assert "does not parse" in problem.message and problem.line is not None


def test_script_task_and_pre_post_scripts_are_refused():
    body = (
        f'{START}<bpmn:scriptTask id="run_code" scriptFormat="python">'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
        "<bpmn:script>import os</bpmn:script></bpmn:scriptTask>"
        f"{END}{FLOWS.format(node='run_code')}"
    )
    assert codes(bpmn(body)) == [("script_forbidden", "run_code")]
    hooks = user_task().replace(
        b"<spiffworkflow:properties>",
        b"<spiffworkflow:preScript>import os</spiffworkflow:preScript>"
        b"<spiffworkflow:postScript>x = 1</spiffworkflow:postScript><spiffworkflow:properties>",
    )
    assert codes(hooks) == [("script_forbidden", "task"), ("script_forbidden", "task")]


@pytest.mark.parametrize(
    ("element", "code"),
    [
        ('<bpmn:task id="node">{flows}</bpmn:task>', "untyped_task"),
        ('<bpmn:complexGateway id="node">{flows}</bpmn:complexGateway>', "complex_gateway"),
        ('<bpmn:transaction id="node">{flows}</bpmn:transaction>', "transaction_unsupported"),
        ('<bpmn:adHocSubProcess id="node">{flows}</bpmn:adHocSubProcess>', "adhoc_unsupported"),
        (
            '<bpmn:intermediateCatchEvent id="node">{flows}'
            '<bpmn:signalEventDefinition id="sig" /></bpmn:intermediateCatchEvent>',
            "signal_unsupported",
        ),
    ],
)
def test_elements_the_app_cannot_run_are_refused_on_upload(element: str, code: str):
    """The same contract as the import: a modeler or a hand-written file cannot smuggle them in."""
    flows = "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
    body = f"{START}{element.format(flows=flows)}{END}{FLOWS.format(node='node')}"
    assert (code, "node") in codes(bpmn(body))


def test_service_task_handler_must_be_known():
    def service(operator: str) -> bytes:
        return bpmn(
            f'{START}<bpmn:serviceTask id="call"><bpmn:extensionElements>{operator}'
            "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming>"
            f"<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>{END}{FLOWS.format(node='call')}"
        )

    params = "<spiffworkflow:parameters />"
    ok = f'<spiffworkflow:serviceTaskOperator id="test.probe" resultVariable="r">{params}'
    ok += "</spiffworkflow:serviceTaskOperator>"
    compile_bundle(("ok.bpmn", service(ok)), [], CATALOG)
    unknown = ok.replace("test.probe", "os.system")
    assert codes(service(unknown)) == [("unknown_handler", "call")]
    assert codes(service("")) == [("unknown_handler", "call")]


def test_user_task_needs_a_known_form_key_and_a_known_role_lane():
    compile_bundle(("ok.bpmn", user_task()), [], CATALOG)
    assert codes(user_task(form_key=None)) == [("unknown_form", "task")]
    assert codes(user_task(form_key="rm_rf")) == [("unknown_form", "task")]
    assert codes(user_task(role="janitor")) == [("unknown_role", "lane_janitor")]
    assert codes(user_task(role=None)) == [("no_lane", "task")]


def test_bad_due_duration_is_refused():
    data = user_task().replace(
        b"</spiffworkflow:properties>",
        b'<spiffworkflow:property name="dueIn" value="ten days" /></spiffworkflow:properties>',
    )
    assert codes(data) == [("bad_duration", "task")]


def test_several_problems_are_reported_together():
    found = codes(fixture("many_problems.bpmn"))
    assert len(found) == 10  # the dunder condition is refused for two attributes
    assert set(found) == set(
        [
            ("script_forbidden", "run_code"),
            ("script_forbidden", "draft"),
            ("unknown_handler", "call_unknown"),
            ("unknown_form", "draft"),
            ("unknown_role", "lane_janitor"),
            ("expression", "f_bad"),
            ("expression", "f_evil"),
            ("expression", "wait_timer"),
            ("structure", "dead_end"),
        ]
    )


# --- hostile XML -------------------------------------------------------------------------

XXE = """<?xml version="1.0" encoding="{enc}"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" name="x" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation>
<bpmn:startEvent id="s" name="&xxe;" /></bpmn:process></bpmn:definitions>"""

XXE_IN_TEXT = XXE.replace(' name="&xxe;"', "")  # UTF-16: parses; only the tree check refuses

LAUGHS = (
    '<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + ']>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
    '<bpmn:process id="p" isExecutable="true"><bpmn:documentation>&lol9;</bpmn:documentation>'
    '<bpmn:startEvent id="s" name="&lol9;" /></bpmn:process></bpmn:definitions>'
)


@pytest.mark.parametrize(
    "template", [XXE, XXE_IN_TEXT, LAUGHS], ids=["xxe", "xxe-in-text", "billion-laughs"]
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_payloads_are_refused_quickly(template, encoding):
    with open("/etc/passwd", encoding="utf-8") as passwd:
        secret = passwd.readline().strip()  # e.g. root:x:0:0:root:/root:/bin/bash
    data = template.format(enc=encoding.upper()).encode(encoding)
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(("evil.bpmn", data), [], CATALOG)
    assert time.monotonic() - started < 1
    # ru_maxrss is in KiB: the 10^9-"lol" expansion would need gigabytes
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before < 50_000
    # UTF-16 hides the DOCTYPE from the byte check; libxml2 or the parsed-tree check refuses it
    refused = (
        {"doctype_forbidden"} if encoding == "utf-8" else {"doctype_forbidden", "malformed_xml"}
    )
    assert len(caught.value.problems) == 1 and caught.value.problems[0].code in refused
    assert secret not in repr(caught.value.problems)
    root, problems = parse_xml(data, "evil.bpmn")
    assert root is None and [p.code for p in problems] == [caught.value.problems[0].code]
    assert validate_dmn("evil.dmn", data)[0].code in refused


# --- one contract for every way in: the structural limits ---------------------------------


def _fan_out(branches: int) -> bytes:
    ends = "".join(f'<bpmn:endEvent id="e{n}"/>' for n in range(branches))
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{n}" sourceRef="split" targetRef="e{n}"/>'
        for n in range(branches)
    )
    body = '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/>'
    return bpmn(body + '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="split"/>' + ends + flows)


def _nested(levels: int) -> bytes:
    inner = '<bpmn:startEvent id="s0"/>'
    for n in range(levels):
        inner = f'<bpmn:subProcess id="sub{n}">{inner}</bpmn:subProcess>'
    return bpmn(inner)


def _chain(length: int) -> bytes:
    nodes = '<bpmn:startEvent id="n0"/>' + "".join(
        f'<bpmn:intermediateThrowEvent id="n{i}"/>' for i in range(1, length)
    )
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="n{i}" targetRef="n{i + 1}"/>'
        for i in range(length - 1)
    )
    return bpmn(nodes + f'<bpmn:endEvent id="n{length}"/>' + flows)


@pytest.mark.parametrize(
    ("data", "code", "element"),
    [
        (_fan_out(12_000), "too_many_elements", "split"),
        (_nested(120), "too_deep", None),
        (_chain(2_000), "too_many_elements", None),
    ],
)
def test_every_way_in_refuses_what_the_importer_refuses(data, code, element):
    with pytest.raises(DefinitionInvalid) as refused:
        compile_bundle(("big.bpmn", data), [], CATALOG)
    problems = refused.value.problems
    assert [p.code for p in problems] == [code]
    assert element is None or problems[0].element_id == element
    assert "Recursion" not in problems[0].message


def test_a_modest_fan_out_and_nesting_still_pass_the_limits():
    from app.engine.definitions import parse_xml, structure_limit_problems

    for data in (_fan_out(50), _nested(5), _chain(300)):
        root, _ = parse_xml(data)
        assert structure_limit_problems(root) == []
