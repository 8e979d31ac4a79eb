"""The import normaliser: dialects translated, tools recognised, and an imported diagram runs."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from app.engine import bpmn_import, runner
from app.engine.bpmn_import import import_bpmn, translate_expression, translate_timer
from app.engine.definitions import compile_bundle
from tests.engine.helpers import CATALOG, FIXTURES

ROLE_LABELS = {
    "department_head": "科室负责人",
    "supervising_leader": "分管领导",
    "centre_admin": "绩效管理中心",
}
FORM_TITLES = {"letter_draft": "起草绩效责任书", "letter_sign": "签署绩效责任书"}


def _import(data: bytes) -> bpmn_import.ImportResult:
    return import_bpmn(data, CATALOG, ROLE_LABELS, FORM_TITLES)


def _fixture(name: str) -> bytes:
    return (FIXTURES / "import" / name).read_bytes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${approved}", "approved"),
        ("#{score >= 60}", "score >= 60"),
        ('${decision == "approve" && !late}', 'decision == "approve" and not late'),
        ("${a || b}", "a or b"),
        ("${score gt 90 and grade ne 'B'}", "score > 90 and grade != 'B'"),
        ("${done == true}", "done == True"),
        ("${x != null}", "x != None"),
        ('=decision = "approve"', 'decision == "approve"'),
        ("=score >= 60 and score <= 100", "score >= 60 and score <= 100"),
        ('="a = b"', '"a = b"'),  # an "=" inside a string stays
        ('${note == "a && b"}', 'note == "a && b"'),
        ("findings > 0", "findings > 0"),  # already ours: unchanged
    ],
)
def test_juel_and_feel_become_safe_expressions(text, expected):
    assert translate_expression(text) == (expected, "")


@pytest.mark.parametrize(
    "text",
    [
        '${execution.getVariable("x")}',
        "${empty list}",
        "=score.final < 70",
        "=list contains(xs, 1)",
        "${__import__('os').system('id')}",
        "${open('/etc/passwd')}",
        "=2 ** 1000000",
    ],
)
def test_what_our_evaluator_cannot_run_is_refused_with_a_reason(text):
    code, reason = translate_expression(text)
    assert code is None and reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P5D", '"P5D"'),
        ("PT72H", '"PT72H"'),
        ("2026-12-31T09:00:00Z", '"2026-12-31T09:00:00Z"'),
        ("R3/PT10M", '"R3/PT10M"'),
        ('"P5D"', '"P5D"'),  # our own convention: unchanged
        ('appeal_terms["window"]', 'appeal_terms["window"]'),
        ("${window}", "window"),
    ],
)
def test_timer_literals_are_quoted(text, expected):
    assert translate_timer(text) == (expected, "")


def test_cron_timers_are_refused():
    code, reason = translate_timer("0 0 9 * * ?")
    assert code is None and "cron" in reason


@pytest.mark.parametrize(
    ("name", "tool", "exporter"),
    [
        ("camunda7_letter.bpmn", "camunda7", "Camunda Modeler"),
        ("camunda7_unsupported.bpmn", "camunda7", "Camunda Modeler"),
        ("camunda8_review.bpmn", "camunda8", "Camunda Modeler"),
        ("camunda8_two_pools.bpmn", "camunda8", "Camunda Modeler"),
        ("signavio_signing.bpmn", "signavio", "Signavio Process Editor, http://www.signavio.com"),
        ("aris_appeal.bpmn", "aris", None),
        ("bizagi_spot_check.bpmn", "bizagi", "Bizagi Modeler"),
    ],
)
def test_each_tool_is_recognised_by_its_fingerprints(name, tool, exporter):
    result = _import(_fixture(name))
    assert (result.tool, result.exporter) == (tool, exporter)


def test_our_own_diagram_imports_unchanged_in_behaviour():
    shipped = (FIXTURES.parent.parent / "workflows" / "bpmn" / "annual_cycle.bpmn").read_bytes()
    result = _import(shipped)
    assert result.tool == "spiffworkflow"
    assert [c.code for c in result.changes] == []
    # the shipped catalog (all forms, handlers and roles) is wider than the test one
    assert {p.code for p in result.problems} <= {"unknown_form", "unknown_role", "unknown_handler"}


def test_vendor_extensions_go_and_diagram_interchange_stays():
    result = _import(_fixture("bizagi_spot_check.bpmn"))
    root = etree.fromstring(result.xml)
    namespaces = {etree.QName(n).namespace for n in root.iter() if isinstance(n.tag, str)}
    assert bpmn_import.BIZAGI_NS not in namespaces
    assert "http://www.omg.org/spec/BPMN/20100524/DI" in namespaces
    bounds = ".//{http://www.omg.org/spec/DD/20100524/DC}Bounds"
    original = etree.fromstring(_fixture("bizagi_spot_check.bpmn"))
    # every shape stays but the data store's (a note on where data lives, removed)
    assert len(root.findall(bounds)) == len(original.findall(bounds)) - 1 == 4
    assert "data_store_removed" in [c.code for c in result.changes]
    assert not list(root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}dataInputAssociation"))
    stripped = [c for c in result.changes if c.code == "vendor_stripped"]
    assert stripped[0].params["namespace"] == bpmn_import.BIZAGI_NS


def test_an_imported_camunda_diagram_runs_its_path(monkeypatch):
    result = _import(_fixture("camunda7_letter.bpmn"))
    assert result.problems == []
    compiled = compile_bundle(("letter.bpmn", result.xml), [], CATALOG)
    calls = []

    def call_service(handler, params, data):
        calls.append((handler, params))
        return {"locked": True}

    run = runner.start(compiled.specs, call_service, {}, None)
    snap = run.step()
    (draft,) = snap.ready_tasks
    assert (draft.bpmn_id, draft.lane, draft.form_key) == (
        "Activity_draft",
        "department_head",
        "letter_draft",
    )
    assert draft.properties["dueIn"] == "P10D"
    snap = run.complete(draft.task_id, {})
    (review,) = snap.ready_tasks
    assert (review.lane, review.form_key) == ("supervising_leader", "letter_review")
    # the boundary timer's literal P5D became the expression "P5D": it is armed
    assert snap.next_timer_at is not None
    snap = run.complete(review.task_id, {"decision": "return", "skip_return": False})
    assert [t.bpmn_id for t in snap.ready_tasks] == ["Activity_draft"]
    snap = run.complete(snap.ready_tasks[0].task_id, {})
    snap = run.complete(snap.ready_tasks[0].task_id, {"decision": "approve"})
    assert snap.status == "completed", snap
    assert calls == [("letters.lock", {})]


def test_a_camunda8_service_task_gets_its_parameters():
    result = _import(_fixture("camunda8_review.bpmn"))
    root = etree.fromstring(result.xml)
    (operator,) = root.iter(f"{{{bpmn_import.SPIFF_NS}}}serviceTaskOperator")
    assert operator.get("id") == "notices.remind"
    (parameter,) = operator.iter(f"{{{bpmn_import.SPIFF_NS}}}parameter")
    assert (parameter.get("id"), parameter.get("value")) == ("step", '"Task_review"')


def test_a_candidate_group_other_than_the_lane_is_refused():
    data = _fixture("camunda7_letter.bpmn").replace(
        b'camunda:candidateGroups="department_head"', b'camunda:candidateGroups="sales"'
    )
    result = _import(data)
    assert [(p.code, p.element_id) for p in result.problems] == [
        ("assignment_unsupported", "Activity_draft")
    ]


def test_an_expression_assignee_becomes_the_assignee_property():
    data = _fixture("camunda7_letter.bpmn").replace(
        b'camunda:candidateGroups="department_head"', b'camunda:assignee="${drafter}"'
    )
    result = _import(data)
    assert result.problems == []
    assert ("assignee_mapped", {"assignee": "drafter"}) in [
        (c.code, c.params) for c in result.changes
    ]


def _chain(tasks: int) -> bytes:
    nodes = "".join(f'<task id="t{i}"/>' for i in range(tasks))
    return (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        f'targetNamespace="t"><process id="p">{nodes}</process></definitions>'
    ).encode()


def test_ten_thousand_tasks_are_refused_promptly():
    started = time.perf_counter()
    result = _import(_chain(10_000))
    assert time.perf_counter() - started < 2
    assert [p.code for p in result.problems] == ["too_many_elements"]


@pytest.mark.parametrize(("tag", "depth"), [("subProcess", 100), ("b", 100_000)])
def test_deep_nesting_is_refused_promptly(tag, depth):
    body = f"<{tag}>" * depth + f"</{tag}>" * depth
    data = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        f'targetNamespace="t"><process id="p">{body}</process></definitions>'
    ).encode()
    started = time.perf_counter()
    result = _import(data)
    assert time.perf_counter() - started < 2
    assert [p.code for p in result.problems] == ["too_deep"]


def test_many_namespaced_attributes_and_a_billion_laughs_are_harmless():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<definitions>&lol2;</definitions>"
    )
    assert [p.code for p in _import(laughs).problems] == ["doctype_forbidden"]
    external = (
        b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://example.com/evil.dtd">'
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'
    )
    assert [p.code for p in _import(external).problems] == ["doctype_forbidden"]


def test_a_plain_expression_keeps_the_attribute_access_our_contract_allows():
    assert translate_expression("plan.month > 3") == ("plan.month > 3", "")
    assert translate_expression("${plan.month > 3}")[0] is None


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("javascript", "script_forbidden"),
        ("groovy", "script_forbidden"),
        ("http://www.w3.org/1999/XPath", "expression_unsupported"),
    ],
)
def test_a_condition_in_another_language_is_refused(language, code):
    data = _fixture("camunda7_letter.bpmn").replace(
        b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${decision == "approve"}',
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="{language}">'
        'decision == "approve"'.encode(),
    )
    result = _import(data)
    assert [(p.code, p.element_id) for p in result.problems] == [(code, "Flow_approved")]
