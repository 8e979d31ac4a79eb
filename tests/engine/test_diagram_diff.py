"""The element-level comparison of two BPMN documents (a pure function)."""

from __future__ import annotations

import pytest

from app.engine.definitions import DefinitionInvalid
from app.engine.diagram_diff import ElementChange, FieldChange, diff_bpmn, readable

HEAD = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs">'
)


def doc(body: str, layout: str = "") -> bytes:
    diagram = (
        '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
        f"{layout}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )
    process = f'<bpmn:process id="p" isExecutable="true">{body}</bpmn:process>'
    return f"{HEAD}{process}{diagram}</bpmn:definitions>".encode()


def task(form_key: str = "letter_draft", name: str = "起草", due: str | None = None) -> str:
    due_prop = f'<spiffworkflow:property name="dueIn" value="{due}"/>' if due else ""
    return (
        f'<bpmn:userTask id="draft" name="{name}">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formKey" value="{form_key}"/>{due_prop}'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        "<bpmn:incoming>f1</bpmn:incoming></bpmn:userTask>"
    )


def service(handler: str = "letters.lock", month: str = "1") -> str:
    return (
        '<bpmn:serviceTask id="lock"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{handler}" resultVariable="r">'
        "<spiffworkflow:parameters>"
        f'<spiffworkflow:parameter id="month" type="any" value="{month}"/>'
        "</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def lanes(head: str, leader: str) -> str:
    def lane(lane_id: str, role: str, refs: str) -> str:
        flow_refs = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs.split())
        return f'<bpmn:lane id="{lane_id}" name="{role}">{flow_refs}</bpmn:lane>'

    return (
        '<bpmn:laneSet id="ls">'
        + lane("l1", "department_head", head)
        + lane("l2", "supervising_leader", leader)
        + "</bpmn:laneSet>"
    )


def test_identical_documents_have_no_changes():
    assert diff_bpmn(doc(task()), doc(task())) == []


def test_a_changed_form_key_is_one_field_of_its_task():
    assert diff_bpmn(doc(task("letter_draft")), doc(task("ballot"))) == [
        ElementChange(
            "changed",
            "draft",
            "userTask",
            "起草",
            [FieldChange("property[formKey]/@value", "letter_draft", "ballot")],
        )
    ]


def test_an_added_property_and_a_renamed_element():
    (change,) = diff_bpmn(doc(task()), doc(task(name="起草责任书", due="P5D")))
    assert change.change == "changed" and change.name == "起草责任书"
    assert change.fields == [
        FieldChange("@name", "起草", "起草责任书"),
        FieldChange("property[dueIn]/@value", None, "P5D"),
    ]


def test_handler_and_parameter_changes_read_plainly():
    (change,) = diff_bpmn(doc(service()), doc(service("notices.remind", "2")))
    assert [(f.field, f.old, f.new) for f in change.fields] == [
        ("handler", "letters.lock", "notices.remind"),
        ("parameter[month]/@value", "1", "2"),
    ]


def test_added_and_removed_elements_with_their_names():
    old = doc(task() + '<bpmn:endEvent id="end" name="结束"/>')
    new = doc(task() + '<bpmn:exclusiveGateway id="gw" name="通过？"/>')
    assert [(c.change, c.element_id, c.element_type, c.name) for c in diff_bpmn(old, new)] == [
        ("added", "gw", "exclusiveGateway", "通过？"),
        ("removed", "end", "endEvent", "结束"),
    ]


def test_moving_a_task_to_another_lane_changes_both_lanes():
    old = doc(lanes("start draft", "review") + task())
    new = doc(lanes("start", "draft review") + task())
    changes = {c.element_id: c.fields for c in diff_bpmn(old, new)}
    assert changes == {
        "l1": [FieldChange("flowNodeRef", "draft, start", "start")],
        "l2": [FieldChange("flowNodeRef", "review", "draft, review")],
    }


def test_lane_references_are_compared_as_a_set():
    assert diff_bpmn(doc(lanes("start draft", "")), doc(lanes("draft start", ""))) == []


def test_layout_and_implied_defaults_are_not_changes():
    shape = (
        '<bpmndi:BPMNShape id="s" bpmnElement="draft">'
        '<dc:Bounds x="{x}" y="0" width="100" height="80"/></bpmndi:BPMNShape>'
    )
    boundary = '<bpmn:boundaryEvent id="b" attachedToRef="draft"{attr}/>'
    old = doc(task() + boundary.format(attr=' cancelActivity="true"'), shape.format(x=10))
    new = doc(task() + boundary.format(attr=""), shape.format(x=300))
    assert diff_bpmn(old, new) == []
    interrupting = doc(task() + boundary.format(attr=' cancelActivity="false"'))
    assert diff_bpmn(new, interrupting)[0].fields == [FieldChange("@cancelActivity", None, "false")]


def test_incoming_and_outgoing_are_left_to_the_flows():
    assert (
        diff_bpmn(doc(task()), doc(task().replace("<bpmn:incoming>f1</bpmn:incoming>", ""))) == []
    )


def test_a_condition_text_is_part_of_its_flow():
    flow = (
        '<bpmn:sequenceFlow id="f" sourceRef="a" targetRef="b">'
        "<bpmn:conditionExpression>{c}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    (change,) = diff_bpmn(doc(flow.format(c="x &gt; 1")), doc(flow.format(c="x &gt; 2")))
    assert change.fields == [FieldChange("conditionExpression", "x > 1", "x > 2")]


def test_a_changed_element_type():
    old = doc('<bpmn:task id="t" name="步骤"/>')
    new = doc('<bpmn:userTask id="t" name="步骤"/>')
    (change,) = diff_bpmn(old, new)
    assert change.fields == [FieldChange("type", "task", "userTask")]


def test_no_previous_version_means_everything_is_added():
    changes = diff_bpmn(None, doc(task()))
    assert [(c.change, c.element_id) for c in changes] == [("added", "p"), ("added", "draft")]


@pytest.mark.parametrize(
    "bad",
    [b"<bpmn:definitions", b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', b""],
    ids=["malformed", "doctype", "empty"],
)
def test_unparseable_input_is_refused(bad):
    with pytest.raises(DefinitionInvalid):
        diff_bpmn(doc(task()), bad)
    with pytest.raises(DefinitionInvalid):
        diff_bpmn(bad, doc(task()))


def test_readable_paths():
    assert readable("extensionElements/properties/property[formKey]/@value") == (
        "property[formKey]/@value"
    )
    assert readable("extensionElements/serviceTaskOperator/@id") == "handler"
    assert readable("conditionExpression") == "conditionExpression"
