"""Turn a BPMN file exported by another modelling tool into a diagram that follows our contract.

Tools write the same process in different dialects: Camunda 7 attributes (`camunda:formKey`),
Camunda 8 extension elements (`zeebe:taskDefinition`), JUEL (`${approved}`) or FEEL
(`=approved`) expressions, bare ISO literals as timers, and colour/metadata extensions
(Signavio, Bizagi, ARIS). What has a safe equivalent here is rewritten (and listed as a change);
what carries behaviour the app cannot run (code, listeners, connectors, compensation…) is listed
as a finding with its element id and line. Nothing is evaluated: the input is only read.

The result is plain values (`ImportResult`); the service layer renders the messages and stores
the normalised diagram through the ordinary upload path, so every upload check still applies.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from app.engine import expressions
from app.engine.definitions import (
    BPMN_NS,
    DMN_NAMESPACES,
    FLOW_NODES,
    ISO_DURATION,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_FLOW_NODES,
    REFUSED_ELEMENTS,
    SPIFF_NS,
)
from app.engine.definitions import parse_xml as safe_parse_xml
from app.engine.types import Catalog

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
SIGNAVIO_NS = "http://www.signavio.com"
BIZAGI_NS = "http://www.bizagi.com/bpmn20"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SVG_NS = "http://www.w3.org/2000/svg"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Diagram interchange (shapes, colours, labels) is kept as it is: it carries no behaviour.
KEPT_NAMESPACES = {
    BPMN_NS,
    SPIFF_NS,
    XSI_NS,
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
}
B = f"{{{BPMN_NS}}}"
C = f"{{{CAMUNDA_NS}}}"
Z = f"{{{ZEEBE_NS}}}"
S = f"{{{SPIFF_NS}}}"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "zeebe": ZEEBE_NS, "spiffworkflow": SPIFF_NS}

# Camunda 7 attributes that only tune the Camunda engine (jobs, history, tasklist): dropped.
ENGINE_TUNING = {
    "asyncBefore",
    "asyncAfter",
    "exclusive",
    "jobPriority",
    "taskPriority",
    "priority",
    "historyTimeToLive",
    "versionTag",
    "isStartableInTasklist",
    "followUpDate",
    "candidateStarterGroups",
    "candidateStarterUsers",
    "initiator",
    "retries",
}
CODE_ATTRIBUTES = {"class", "expression", "delegateExpression"}
CODE_ELEMENTS = {
    f"{C}executionListener": "listener_forbidden",
    f"{C}taskListener": "listener_forbidden",
    f"{Z}executionListeners": "listener_forbidden",
    f"{Z}taskListeners": "listener_forbidden",
    f"{C}connector": "connector_forbidden",
    f"{C}field": "java_delegate_forbidden",
    f"{C}script": "script_forbidden",
    f"{Z}script": "script_forbidden",
    f"{C}formData": "form_fields_unsupported",
    f"{C}in": "call_variables_unsupported",
    f"{C}out": "call_variables_unsupported",
    f"{Z}calledDecision": "business_rule_unsupported",
}


@dataclass(frozen=True)
class Note:
    """One change made, or one thing refused, located in the uploaded file."""

    code: str
    element_id: str | None = None
    line: int | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    tool: str = "unknown"
    exporter: str | None = None
    exporter_version: str | None = None
    xml: bytes | None = None  # the normalised diagram; None when the file is unusable
    process_id: str | None = None
    changes: list[Note] = field(default_factory=list)
    problems: list[Note] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # element id -> name, as uploaded
    lines: dict[str, int] = field(default_factory=dict)  # element id -> line, as uploaded


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _ns(node: etree._Element) -> str | None:
    return etree.QName(node).namespace


def _sniff(data: bytes) -> str | None:
    """Recognise what is plainly not a BPMN export before parsing it."""
    if not data.strip():
        return "empty_file"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip_archive"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html_document"
    if head.startswith(b"%pdf") or (b"\x00" in data[:1024] and not data.startswith(_UTF16_BOMS)):
        return "binary_file"
    return None


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _parse(data: bytes, result: ImportResult) -> etree._Element | None:
    if not isinstance(data, bytes | bytearray):
        result.problems.append(Note("binary_file"))
        return None
    if len(data) > MAX_BYTES:
        result.problems.append(Note("too_large", params={"limit": str(MAX_BYTES)}))
        return None
    sniffed = _sniff(bytes(data))
    if sniffed:
        result.problems.append(Note(sniffed))
        return None
    root, problems = safe_parse_xml(bytes(data))
    if root is None:
        problem = problems[0]
        code = problem.code
        if code == "malformed_xml" and "depth" in problem.message.lower():
            code = "too_deep"
        result.problems.append(Note(code, line=problem.line, params={"detail": problem.message}))
        return None
    namespace, name = _ns(root), _local(root)
    kind = None
    if namespace == SVG_NS or name == "svg":
        kind = "svg_document"
    elif namespace == XHTML_NS or name == "html":
        kind = "html_document"
    elif namespace in DMN_NAMESPACES:
        kind = "dmn_not_bpmn"
    elif namespace != BPMN_NS or name != "definitions":
        kind = "not_bpmn"
    if kind:
        result.problems.append(Note(kind, line=root.sourceline, params={"root": name}))
        return None
    return root


def _size_problem(root: etree._Element) -> Note | None:
    """Limits on what the later checks and SpiffWorkflow's parser must walk."""
    count = flow_nodes = 0
    flow_tags = {f"{B}{name}" for name in FLOW_NODES}
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return Note("too_deep", line=node.sourceline, params={"limit": str(MAX_DEPTH)})
        if node.tag in flow_tags:
            flow_nodes += 1
        stack.extend((child, depth + 1) for child in node if isinstance(child.tag, str))
    if count > MAX_ELEMENTS:
        return Note("too_many_elements", params={"count": str(count), "limit": str(MAX_ELEMENTS)})
    if flow_nodes > MAX_FLOW_NODES:
        return Note(
            "too_many_elements", params={"count": str(flow_nodes), "limit": str(MAX_FLOW_NODES)}
        )
    return None


# Words of the exporter attribute of the tools detect_tool knows (and of this system's exports).
KNOWN_EXPORTERS = (
    "camunda",
    "signavio",
    "bizagi",
    "aris",
    "bpmn-js",
    "bpmn.io",
    "spiff",
    "绩效考核",
)


def detect_tool(root: etree._Element) -> tuple[str, str | None, str | None]:
    """(tool key, exporter, exporter version) from the attributes and namespaces tools write."""
    exporter = root.get("exporter")
    version = root.get("exporterVersion")
    text = (exporter or "").lower()
    namespaces = {_ns(node) for node in root.iter() if isinstance(node.tag, str)}
    namespaces |= {ns for node in (root,) for ns in node.nsmap.values()}
    target = (root.get("targetNamespace") or "").lower()
    if "aeneis" in text:
        return "aeneis", exporter, version
    if exporter and not any(word in text for word in KNOWN_EXPORTERS):
        # A tool we do not know by name: other tools borrow Signavio's or Camunda's namespaces
        # (Aeneis writes Signavio's), so they would only mislabel it. Its own name is shown.
        return "other", exporter, version
    if ZEEBE_NS in namespaces or root.get(f"{{{MODELER_NS}}}executionPlatform") == "Camunda Cloud":
        tool = "camunda8"
    elif CAMUNDA_NS in namespaces or "camunda" in text:
        tool = "camunda7"
    elif SIGNAVIO_NS in namespaces or "signavio" in text:
        tool = "signavio"
    elif BIZAGI_NS in namespaces or "bizagi" in text or "bizagi.com" in target:
        tool = "bizagi"
    elif (
        "aris" in text
        or "softwareag.com" in target
        or (root.get("id") or "").startswith("ARISBPMN_")
    ):
        tool = "aris"
    elif SPIFF_NS in namespaces:
        tool = "spiffworkflow"
    elif "bpmn-js" in text or "bpmn.io" in text:
        tool = "bpmn_io"
    else:
        tool = "unknown"
    return tool, exporter, version


# ---------------------------------------------------------------- expressions --

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_JUEL_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_ISO_CYCLE = re.compile(r"^R\d*/")
_SCRIPT_LANGUAGES = ("javascript", "ecmascript", "groovy", "ruby", "jython", "js", "nashorn")


def _outside_strings(text: str, fn) -> str:
    """Apply `fn` to the parts of `text` outside quoted strings."""
    parts = re.split(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')", text)
    return "".join(p if i % 2 else fn(p) for i, p in enumerate(parts))


def _rewrite_operators(code: str, feel: bool) -> str:
    code = code.replace("&&", " and ").replace("||", " or ")
    code = re.sub(r"!(?!=)", " not ", code)
    code = re.sub(r"\b(eq|ne|lt|gt|le|ge)\b", lambda m: _JUEL_WORDS[m.group(1)], code)
    code = re.sub(r"\b(true|false|null)\b", lambda m: _LITERALS[m.group(1)], code)
    if feel:  # FEEL compares with a single "="
        code = re.sub(r"(?<![<>=!])=(?!=)", "==", code)
    return code


def translate_expression(text: str) -> tuple[str | None, str]:
    """A JUEL (`${…}`) or FEEL (`=…`) expression as one our safe evaluator runs, or
    (None, reason). Plain expressions already in our syntax come back unchanged."""
    raw = text.strip()
    wrapped = _WRAPPED.match(raw)
    if wrapped:
        code, feel = wrapped.group(1).strip(), False
    elif raw.startswith("="):
        code, feel = raw[1:].strip(), True
    else:
        code, feel = raw, False
    if wrapped or feel:
        code = _outside_strings(code, lambda part: _rewrite_operators(part, feel))
        code = " ".join(code.split())
    if (wrapped or feel) and _has_attribute(code):  # JUEL/FEEL read a map's key with a dot
        return None, 'property access (a.b) is not supported; use a["b"]'
    refused = expressions.problems(code)
    if refused:
        return None, "; ".join(refused)
    return code, ""


def _has_attribute(code: str) -> bool:
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Attribute) for node in ast.walk(tree))


def translate_timer(text: str) -> tuple[str | None, str]:
    """Timer values are expressions here: an ISO literal becomes a quoted string."""
    raw = (text or "").strip()
    if ISO_DURATION.match(raw) or _ISO_DATE.match(raw) or _ISO_CYCLE.match(raw):
        return f'"{raw}"', ""
    if re.match(r"^[\d*?/,\- LW#A-Z]+$", raw) and len(raw.split()) >= 5:
        return None, "cron expressions are not supported; use an ISO-8601 duration or date"
    return translate_expression(raw)


# ---------------------------------------------------------------- normaliser --


class _Normaliser:
    def __init__(
        self,
        root: etree._Element,
        catalog: Catalog,
        role_labels: Mapping[str, str],
        form_titles: Mapping[str, str],
        result: ImportResult,
    ) -> None:
        self.root = root
        self.catalog = catalog
        self.role_labels = role_labels
        self.form_titles = form_titles
        self.result = result
        self.stripped: dict[str, int] = {}
        self.lane_of: dict[str, str] | None = None

    # -- helpers
    def _holder(self, node: etree._Element) -> etree._Element:
        holder = node
        while holder is not None and holder.get("id") is None:
            holder = holder.getparent()
        return holder if holder is not None else node

    def problem(self, code: str, node: etree._Element | None, **params: str) -> None:
        holder = self._holder(node) if node is not None else None
        self.result.problems.append(
            Note(
                code,
                holder.get("id") if holder is not None else None,
                node.sourceline if node is not None else None,
                {k: str(v) for k, v in params.items()},
            )
        )

    def change(self, code: str, node: etree._Element, **params: str) -> None:
        holder = self._holder(node)
        self.result.changes.append(
            Note(code, holder.get("id"), node.sourceline, {k: str(v) for k, v in params.items()})
        )

    def _extensions(self, node: etree._Element) -> etree._Element:
        found = node.find(f"{B}extensionElements")
        if found is None:
            found = etree.Element(f"{B}extensionElements")
            # extensionElements comes first, after documentation (BPMN schema order)
            docs = [i for i, child in enumerate(node) if child.tag == f"{B}documentation"]
            node.insert(docs[-1] + 1 if docs else 0, found)
        return found

    def _spiff_properties(self, node: etree._Element) -> etree._Element:
        ext = self._extensions(node)
        props = ext.find(f"{S}properties")
        if props is None:
            props = etree.SubElement(ext, f"{S}properties")
        return props

    def _set_property(self, node: etree._Element, name: str, value: str) -> None:
        props = self._spiff_properties(node)
        for prop in props.findall(f"{S}property"):
            if prop.get("name") == name:
                prop.set("value", value)
                return
        etree.SubElement(props, f"{S}property", name=name, value=value)

    def _spiff_property(self, node: etree._Element, name: str) -> str | None:
        for prop in node.xpath(
            "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
            namespaces=NS,
        ):
            if prop.get("name") == name:
                return prop.get("value")
        return None

    # -- the passes, in order
    def run(self) -> None:
        self.processes()
        self.refused_elements()
        self.lanes()
        for node in list(self.root.iter(f"{B}userTask", f"{B}task", f"{B}manualTask")):
            self.human_task(node)
        for node in list(self.root.iter(f"{B}serviceTask", f"{B}sendTask")):
            if node.tag == f"{B}serviceTask" or node.get(f"{C}type") or node.get(f"{C}class"):
                self.service_task(node)
        for node in self.root.iter(f"{B}businessRuleTask"):
            if node.get(f"{C}decisionRef") or node.get(f"{C}class"):
                self.problem("business_rule_unsupported", node)
        self.code_carriers()
        self.conditions()
        self.timers()
        self.multi_instance()
        self.data_stores()
        self.strip_vendor()

    def processes(self) -> None:
        flow_tags = [f"{B}{name}" for name in FLOW_NODES]
        with_nodes = [
            p for p in self.root.findall(f"{B}process") if any(True for _ in p.iter(*flow_tags))
        ]
        if not with_nodes:
            self.problem("no_process", self.root)
            return
        if len(with_nodes) > 1:
            ids = ", ".join(p.get("id") or "?" for p in with_nodes)
            for process in with_nodes:
                self.problem("multiple_processes", process, processes=ids)
            return
        process = with_nodes[0]
        self.result.process_id = process.get("id")
        for other in self.root.findall(f"{B}process"):
            if other is not process and other.get("isExecutable") == "true":
                other.set("isExecutable", "false")
        if process.get("isExecutable") != "true":
            process.set("isExecutable", "true")
            self.change("process_marked_executable", process)

    def refused_elements(self) -> None:
        for code, names in REFUSED_ELEMENTS.items():
            for node in self.root.iter(*(f"{B}{name}" for name in names)):
                located = node.getparent() if _local(node).endswith("Definition") else node
                self.problem(code, located, element=_local(node))
        for node in self.root.iter(f"{B}*"):
            if node.get("isForCompensation") == "true":
                self.problem("compensation_unsupported", node, element=_local(node))

    def lanes(self) -> None:
        for lane in self.root.iter(f"{B}lane"):
            if lane.find(f"{B}childLaneSet") is not None:
                continue  # a parent lane: its children name the roles
            name = (lane.get("name") or "").strip()
            role = self._role_for(name)
            if role is None:
                valid = ", ".join(f"{k}（{v}）" for k, v in self.role_labels.items())
                self.problem("unknown_role", lane, role=name, valid=valid)
            elif role != lane.get("name"):
                lane.set("name", role)
                self.change("role_mapped", lane, before=name, after=role)

    def _role_for(self, name: str) -> str | None:
        if name in self.catalog.roles:
            return name
        return next((key for key, label in self.role_labels.items() if label == name), None)

    def _lane_of(self) -> dict[str, str]:
        """Flow node id -> lane name; computed once, after the lanes were renamed."""
        if self.lane_of is None:
            self.lane_of = self._lanes_by_node()
        return self.lane_of

    def _lanes_by_node(self) -> dict[str, str]:
        return {
            (ref.text or "").strip(): lane.get("name") or ""
            for lane in self.root.iter(f"{B}lane")
            for ref in lane.findall(f"{B}flowNodeRef")
        }

    def human_task(self, node: etree._Element) -> None:
        form_key, source = self._form_key_of(node)
        untyped = node.tag == f"{B}task"
        if untyped and form_key is None:
            self.problem("untyped_task", node)
            return
        if form_key is not None and form_key not in self.catalog.form_keys:
            valid = ", ".join(sorted(self.catalog.form_keys))
            self.problem("unknown_form", node, form_key=form_key, valid=valid)
        elif form_key is not None and source != "spiffworkflow":
            self._set_property(node, "formKey", form_key)
            self.change("form_key_mapped", node, form_key=form_key, source=source)
        elif form_key is None:
            valid = ", ".join(sorted(self.catalog.form_keys))
            self.problem("unknown_form", node, form_key="", valid=valid)
        if untyped:
            node.tag = f"{B}userTask"
            self.change("task_typed", node, form_key=form_key or "")
        if node.get("id") not in self._lane_of():
            self.problem("no_lane", node)
        self._due(node)
        self._assignment(node)

    def _form_key_of(self, node: etree._Element) -> tuple[str | None, str]:
        own = self._spiff_property(node, "formKey")
        if own is not None:
            return own, "spiffworkflow"
        key = node.get(f"{C}formKey") or node.get(f"{C}formRef")
        if key:
            return re.sub(r"^(embedded:|camunda-forms:)(app:|deployment:)?", "", key), "camunda"
        for form in node.iter(f"{Z}formDefinition"):
            key = form.get("formKey") or form.get("formId")
            if key:
                return re.sub(r"^camunda-forms:bpmn:", "", key), "zeebe"
        for meta in node.iter(f"{{{SIGNAVIO_NS}}}signavioMetaData"):
            if (meta.get("metaKey") or "").lower() == "formkey" and meta.get("metaValue"):
                return meta.get("metaValue").strip(), "signavio"
        for prop in node.iter(f"{{{BIZAGI_NS}}}BizagiProperty"):
            if (prop.get("name") or "").lower() == "formkey" and prop.get("value"):
                return prop.get("value").strip(), "bizagi"
        name = (node.get("name") or "").strip()
        by_title = next((k for k, title in self.form_titles.items() if title == name), None)
        if by_title:
            return by_title, "name"
        return None, ""

    def _due(self, node: etree._Element) -> None:
        due = node.get(f"{C}dueDate")
        schedule = node.find(f".//{Z}taskSchedule")
        if schedule is not None and schedule.get("dueDate"):
            due = schedule.get("dueDate")
        if not due:
            return
        value = due.strip().lstrip("=").strip().strip('"')
        wrapped = _WRAPPED.match(value)
        if wrapped:
            value = wrapped.group(1).strip().strip("'\"")
        if ISO_DURATION.match(value):
            self._set_property(node, "dueIn", value)
            self.change("due_mapped", node, due=value)
        else:
            self.problem("due_date_unsupported", node, due=due)

    def _assignment(self, node: etree._Element) -> None:
        lane = self._lane_of().get(node.get("id") or "")
        assignee = node.get(f"{C}assignee")
        groups = node.get(f"{C}candidateGroups")
        users = node.get(f"{C}candidateUsers")
        for definition in node.iter(f"{Z}assignmentDefinition"):
            assignee = assignee or definition.get("assignee")
            groups = groups or definition.get("candidateGroups")
            users = users or definition.get("candidateUsers")
        if assignee:
            variable = assignee.strip().lstrip("=").strip()
            wrapped = _WRAPPED.match(variable)
            variable = wrapped.group(1).strip() if wrapped else variable
            if (wrapped or assignee.strip().startswith("=")) and variable.isidentifier():
                self._set_property(node, "assignee", variable)
                self.change("assignee_mapped", node, assignee=variable)
            else:
                self.problem("assignment_unsupported", node, value=assignee)
        if users:
            self.problem("assignment_unsupported", node, value=users)
        if groups:
            roles = {self._role_for(g.strip()) for g in groups.lstrip("=").split(",")}
            if roles != {lane}:
                self.problem("assignment_unsupported", node, value=groups)

    def service_task(self, node: etree._Element) -> None:
        if node.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS):
            return
        for attribute in CODE_ATTRIBUTES:
            if node.get(f"{C}{attribute}"):
                self.problem("java_delegate_forbidden", node, value=node.get(f"{C}{attribute}"))
                return
        handler = node.get(f"{C}topic") if node.get(f"{C}type") == "external" else None
        source = "camunda"
        definition = node.find(f".//{Z}taskDefinition")
        if definition is not None:
            handler, source = definition.get("type"), "zeebe"
        if node.find(f".//{C}connector") is not None:
            return  # reported with the other code carriers
        if not handler:
            self.problem("no_handler", node, valid=", ".join(sorted(self.catalog.handlers)))
            return
        if handler not in self.catalog.handlers:
            self.problem(
                "unknown_handler",
                node,
                handler=handler,
                valid=", ".join(sorted(self.catalog.handlers)),
            )
            return
        operator = etree.SubElement(self._extensions(node), f"{S}serviceTaskOperator", id=handler)
        result_variable = node.get(f"{C}resultVariable")
        if result_variable:
            operator.set("resultVariable", result_variable)
        holder = etree.SubElement(operator, f"{S}parameters")  # required, even if empty
        for name, value in self._parameters(node):
            etree.SubElement(holder, f"{S}parameter", id=name, type="any", value=value)
        self.change("handler_mapped", node, handler=handler, source=source)

    def _parameters(self, node: etree._Element) -> list[tuple[str, str]]:
        found = []
        for param in node.iter(f"{C}inputParameter"):
            if len(param):  # a list, map or script value
                self.problem("io_mapping_unsupported", param, name=param.get("name") or "")
                continue
            found.append((param.get("name") or "", param.text or "", param))
        for param in node.iter(f"{Z}input"):
            found.append((param.get("target") or "", param.get("source") or "", param))
        for param in node.iter(f"{C}outputParameter", f"{Z}output"):
            self.problem(
                "io_mapping_unsupported", param, name=param.get("name") or param.get("target")
            )
        translated = []
        for name, value, param in found:
            text = value.strip()
            if _WRAPPED.match(text) or text.startswith("="):
                code, reason = translate_expression(text)
            else:  # Camunda 7 treats a plain value as a string
                code, reason = json.dumps(value, ensure_ascii=False), ""
            if code is None or not name.isidentifier():
                self.problem(
                    "expression_unsupported", param, expression=value, reason=reason or name
                )
                continue
            translated.append((name, code))
        return translated

    def code_carriers(self) -> None:
        for tag, code in CODE_ELEMENTS.items():
            for node in self.root.iter(tag):
                self.problem(code, node, element=etree.QName(node).localname)
        for node in self.root.iter(f"{B}*"):
            if node.tag in (f"{B}serviceTask", f"{B}sendTask"):
                continue
            for attribute in CODE_ATTRIBUTES:
                if node.get(f"{C}{attribute}"):
                    self.problem("java_delegate_forbidden", node, value=node.get(f"{C}{attribute}"))
        for node in self.root.iter(f"{B}callActivity"):
            if node.find(f".//{Z}ioMapping") is not None:
                self.problem("call_variables_unsupported", node, element="ioMapping")

    def conditions(self) -> None:
        for node in self.root.iter(f"{B}conditionExpression", f"{B}completionCondition"):
            language = (node.get("language") or "").lower()
            if any(k in language for k in _SCRIPT_LANGUAGES):
                self.problem("script_forbidden", node, element=language)
                continue
            if language and not any(k in language for k in ("python", "feel", "juel")):
                reason = f"expression language {language!r}"
                self.problem("expression_unsupported", node, expression=node.text, reason=reason)
                continue
            if node.get(f"{C}resource"):
                self.problem("script_forbidden", node, element="camunda:resource")
                continue
            self._translate_text(node, translate_expression)

    def timers(self) -> None:
        for node in self.root.iter(f"{B}timeDuration", f"{B}timeDate", f"{B}timeCycle"):
            self._translate_text(node, translate_timer)

    def _translate_text(self, node: etree._Element, translate) -> None:
        before = (node.text or "").strip()
        if not before:
            return  # reported by the ordinary checks
        after, reason = translate(before)
        if after is None:
            self.problem("expression_unsupported", node, expression=before, reason=reason)
        elif after != before:
            node.text = after
            if "language" in node.attrib:
                del node.attrib["language"]
            self.change("expression_translated", node, before=before, after=after)

    def multi_instance(self) -> None:
        for loop in self.root.iter(f"{B}multiInstanceLoopCharacteristics"):
            if loop.get(f"{C}collection") or loop.find(f".//{Z}loopCharacteristics") is not None:
                self.problem("multi_instance_unsupported", loop)

    def data_stores(self) -> None:
        """A data store drawn in the diagram documents where data lives; the app keeps its data
        itself, and SpiffWorkflow would need the store registered. The reference, its
        associations and its shapes go."""
        stores = list(self.root.iter(f"{B}dataStoreReference"))
        removed = {store.get("id") for store in stores}
        if not stores:
            return
        for association in list(
            self.root.iter(f"{B}dataInputAssociation", f"{B}dataOutputAssociation")
        ):
            refs = {(ref.text or "").strip() for ref in association if isinstance(ref.tag, str)}
            if refs & removed:
                removed.add(association.get("id"))
                association.getparent().remove(association)
        for store in stores:
            self.change("data_store_removed", store, name=store.get("name") or "")
            store.getparent().remove(store)
        for shape in list(self.root.iter()):
            if isinstance(shape.tag, str) and shape.get("bpmnElement") in removed:
                shape.getparent().remove(shape)

    def strip_vendor(self) -> None:
        """Drop every element and attribute in a namespace we do not keep (their behaviour
        was mapped or refused above); the count per namespace goes into the report."""
        for node in list(self.root.iter()):
            if not isinstance(node.tag, str):
                continue
            if _ns(node) not in KEPT_NAMESPACES:
                parent = node.getparent()
                if parent is not None:
                    self._count(_ns(node))
                    parent.remove(node)
                continue
            for name in list(node.attrib):
                namespace = etree.QName(name).namespace
                if namespace is not None and namespace not in KEPT_NAMESPACES:
                    self._count(namespace)
                    del node.attrib[name]
        for ext in list(self.root.iter(f"{B}extensionElements")):
            if len(ext) == 0 and ext.getparent() is not None:
                ext.getparent().remove(ext)
        etree.cleanup_namespaces(self.root)
        for namespace, count in sorted(self.stripped.items()):
            self.result.changes.append(
                Note("vendor_stripped", params={"namespace": namespace, "count": str(count)})
            )

    def _count(self, namespace: str | None) -> None:
        key = namespace or "(none)"
        self.stripped[key] = self.stripped.get(key, 0) + 1


def import_bpmn(
    data: bytes,
    catalog: Catalog,
    role_labels: Mapping[str, str],
    form_titles: Mapping[str, str],
) -> ImportResult:
    """Read `data` as another tool's BPMN export; never raises on any input."""
    result = ImportResult()
    root = _parse(data, result)
    if root is None:
        return result
    too_big = _size_problem(root)
    if too_big:
        result.problems.append(too_big)
        return result
    result.tool, result.exporter, result.exporter_version = detect_tool(root)
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("id"):
            result.names.setdefault(node.get("id"), node.get("name") or "")
            result.lines.setdefault(node.get("id"), node.sourceline)
    _Normaliser(root, catalog, role_labels, form_titles, result).run()
    root.set("exporter", "绩效考核 import")
    root.set("exporterVersion", "1")
    result.xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result
