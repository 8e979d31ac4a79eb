"""The diagram a new process starts from: a start event, one user task in a lane, an end
event, with its layout. It passes the server's validation as it is (tested)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id={definitions_id} targetNamespace="https://jixiao.example.gov.cn/bpmn">
  <bpmn:collaboration id="collaboration">
    <bpmn:participant id="pool" name={name} processRef={key} />
  </bpmn:collaboration>
  <bpmn:process id={key} name={name} isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_department_head" name="department_head">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>first_step</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="first_step" name="起草绩效责任书">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="letter_draft" />
          <spiffworkflow:property name="dueIn" value="P10D" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start</bpmn:incoming>
      <bpmn:outgoing>flow_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end" name="结束">
      <bpmn:incoming>flow_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="first_step" />
    <bpmn:sequenceFlow id="flow_end" sourceRef="first_step" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">
      <bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="600" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_department_head_di" bpmnElement="lane_department_head"
                        isHorizontal="true">
        <dc:Bounds x="150" y="60" width="570" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="212" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="first_step_di" bpmnElement="first_step">
        <dc:Bounds x="340" y="120" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end">
        <dc:Bounds x="552" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start">
        <di:waypoint x="248" y="160" />
        <di:waypoint x="340" y="160" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_end_di" bpmnElement="flow_end">
        <di:waypoint x="440" y="160" />
        <di:waypoint x="552" y="160" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def new_diagram(key: str, name: str) -> str:
    """The starting diagram for process `key` (already checked to be an NCName)."""
    return TEMPLATE.format(
        key=quoteattr(key), name=quoteattr(name or key), definitions_id=quoteattr(f"{key}_defs")
    )
