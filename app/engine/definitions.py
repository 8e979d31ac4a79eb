"""Read, validate and compile uploaded BPMN/DMN, reporting every problem with its element id.

Untrusted XML is parsed with entities, DTDs and network access off. Checks run on the XML tree
first (so one upload reports everything it can), then SpiffWorkflow's own parser runs for the
structural errors only it knows about. Nothing is compiled while any problem remains.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.engine import expressions, run_values
from app.engine.types import Catalog, CompiledProcess, Problem

MAX_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")

_SAFE_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


class DefinitionInvalid(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the definition")
        self.problems = list(problems)


# Elements whose meaning the app cannot run, refused on every path in (upload, modeler, import):
# finding code → BPMN local names.
REFUSED_ELEMENTS = {
    "complex_gateway": ("complexGateway",),
    "transaction_unsupported": ("transaction", "cancelEventDefinition"),
    "compensation_unsupported": ("compensateEventDefinition",),
    "adhoc_unsupported": ("adHocSubProcess",),
    "signal_unsupported": ("signalEventDefinition",),
    "escalation_unsupported": ("escalationEventDefinition",),
    "conditional_event_unsupported": ("conditionalEventDefinition",),
    "script_forbidden": ("scriptTask",),
}


def parse_xml(
    data: bytes, filename: str | None = None
) -> tuple[etree._Element | None, list[Problem]]:
    """Parse untrusted XML safely; never expands entities, never touches the network."""
    if not isinstance(data, bytes | bytearray):
        return None, [Problem("malformed_xml", "file content must be bytes", file=filename)]
    if len(data) > MAX_BYTES:
        return None, [Problem("too_large", f"file larger than {MAX_BYTES} bytes", file=filename)]
    doctype_forbidden = Problem(
        "doctype_forbidden", "DOCTYPE and entity declarations are not allowed", file=filename
    )
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return None, [doctype_forbidden]
    parser = etree.XMLParser(**_SAFE_PARSER_OPTIONS)
    try:
        root = etree.fromstring(bytes(data), parser)
    except etree.XMLSyntaxError as exc:
        return None, [Problem("malformed_xml", str(exc.msg), line=exc.lineno, file=filename)]
    if root is None:
        return None, [Problem("malformed_xml", "empty document", file=filename)]
    # The byte check above misses other encodings (a UTF-16 file): ask the parsed document too.
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        return None, [doctype_forbidden]
    return root, []


def _problem(code: str, message: str, node: etree._Element | None, filename: str | None) -> Problem:
    element_id = None
    line = None
    if node is not None:
        holder = node
        while holder is not None and holder.get("id") is None:
            holder = holder.getparent()
        element_id = holder.get("id") if holder is not None else None
        line = node.sourceline
    return Problem(code, message, element_id, line, filename)


def _properties(node: etree._Element) -> dict[str, str]:
    props = node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    )
    return {p.get("name"): p.get("value") for p in props}


def _lint_expression(text: str | None, node, filename, what: str) -> list[Problem]:
    if text is None or not text.strip():
        return [_problem("expression", f"{what}: empty expression", node, filename)]
    return [
        _problem("expression", f"{what}: {reason}", node, filename)
        for reason in expressions.problems(text.strip())
    ]


# Structural limits, the same for every way in (upload, modeler, import): what the later checks
# and SpiffWorkflow's recursive parser walk stays bounded.
MAX_ELEMENTS = 50_000  # a year's appraisal diagram has a few hundred, diagram shapes included
MAX_FLOW_NODES = 1_000
MAX_DEPTH = 64  # XML nesting
MAX_FAN = 100  # sequence flows leaving one element (a 12,000-branch fan-out was accepted)
MAX_SUBPROCESS_DEPTH = 8  # sub-processes inside sub-processes (120 levels were accepted)
_SUBPROCESSES = {
    f"{{{BPMN_NS}}}{name}" for name in ("subProcess", "transaction", "adHocSubProcess")
}


def structure_limit_problems(root: etree._Element, filename: str | None = None) -> list[Problem]:
    """The first structural limit the tree passes, walked once without recursion."""
    count = flow_nodes = 0
    flow_tags = {f"{{{BPMN_NS}}}{name}" for name in FLOW_NODES}
    fan: dict[str, int] = {}
    stack = [(root, 1, 0)]
    while stack:
        node, depth, nested = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return [_problem("too_deep", f"nested deeper than {MAX_DEPTH} levels", node, filename)]
        if node.tag in _SUBPROCESSES:
            nested += 1
            if nested > MAX_SUBPROCESS_DEPTH:
                message = f"sub-processes nested deeper than {MAX_SUBPROCESS_DEPTH} levels"
                return [_problem("too_deep", message, node, filename)]
        if node.tag in flow_tags:
            flow_nodes += 1
        if node.tag == f"{{{BPMN_NS}}}sequenceFlow":
            source = node.get("sourceRef") or ""
            fan[source] = fan.get(source, 0) + 1
            if fan[source] > MAX_FAN:
                message = f"more than {MAX_FAN} sequence flows leave {source!r}"
                return [Problem("too_many_elements", message, source, node.sourceline, filename)]
        stack.extend((child, depth + 1, nested) for child in node if isinstance(child.tag, str))
    if count > MAX_ELEMENTS:
        message = f"{count} elements, more than {MAX_ELEMENTS}"
        return [Problem("too_many_elements", message, file=filename)]
    if flow_nodes > MAX_FLOW_NODES:
        message = f"{flow_nodes} flow elements, more than {MAX_FLOW_NODES}"
        return [Problem("too_many_elements", message, file=filename)]
    return []


def lint_bpmn(root: etree._Element, catalog: Catalog, filename: str | None = None) -> list[Problem]:
    """Every engine-level problem in a BPMN tree: scripts, handlers, forms, lanes, expressions."""
    found: list[Problem] = []
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [_problem("not_bpmn", "root element is not bpmn:definitions", root, filename)]
    limits = structure_limit_problems(root, filename)
    if limits:
        return limits  # nothing below walks an oversized tree

    processes = root.xpath("./bpmn:process", namespaces=NS)
    if not [p for p in processes if p.get("isExecutable") == "true"]:
        found.append(
            _problem("no_executable_process", 'no process has isExecutable="true"', root, filename)
        )

    for code, names in REFUSED_ELEMENTS.items():
        for node in root.iter(*(f"{{{BPMN_NS}}}{name}" for name in names)):
            name = etree.QName(node).localname
            located = node.getparent() if name.endswith("Definition") else node
            found.append(_problem(code, f"{name} is not supported", located, filename))
    # An untyped task waits for a person with no form: the engine would stall on it.
    for node in root.xpath("//bpmn:task", namespaces=NS):
        found.append(
            _problem("untyped_task", "choose a user task or a service task", node, filename)
        )
    for node in root.xpath("//spiffworkflow:preScript | //spiffworkflow:postScript", namespaces=NS):
        found.append(
            _problem("script_forbidden", "pre/post scripts are not allowed", node, filename)
        )

    for node in root.xpath("//bpmn:serviceTask", namespaces=NS):
        operators = node.xpath(
            "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS
        )
        if not operators:
            found.append(
                _problem("unknown_handler", "service task names no handler", node, filename)
            )
            continue
        handler = operators[0].get("id")
        if handler not in catalog.handlers:
            found.append(
                _problem("unknown_handler", f"unknown handler {handler!r}", node, filename)
            )
        for param in operators[0].xpath(".//spiffworkflow:parameter", namespaces=NS):
            found += _lint_expression(
                param.get("value"), node, filename, f"parameter {param.get('id')!r}"
            )

    lanes_by_node: dict[str, str | None] = {}
    for lane in root.xpath("//bpmn:lane", namespaces=NS):
        role = lane.get("name")
        if role not in catalog.roles:
            found.append(
                _problem("unknown_role", f"lane names unknown role {role!r}", lane, filename)
            )
        for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
            lanes_by_node[(ref.text or "").strip()] = role

    for node in root.xpath("//bpmn:userTask | //bpmn:manualTask", namespaces=NS):
        props = _properties(node)
        form_key = props.get("formKey")
        if form_key not in catalog.form_keys:
            message = (
                "user task has no formKey" if form_key is None else f"unknown form key {form_key!r}"
            )
            found.append(_problem("unknown_form", message, node, filename))
        if node.get("id") not in lanes_by_node:
            found.append(
                _problem("no_lane", "user task is not in a lane naming its role", node, filename)
            )
        assignee = props.get("assignee")
        if assignee is not None and not assignee.isidentifier():
            found.append(
                _problem(
                    "bad_assignee",
                    f"assignee {assignee!r} must name a task-data variable",
                    node,
                    filename,
                )
            )
        due = props.get("dueIn")
        if due is not None and (
            not ISO_DURATION.match(due) or run_values.timer_problem("timeDuration", due)
        ):
            found.append(
                _problem(
                    "bad_duration", f"dueIn {due!r} is not an ISO-8601 duration", node, filename
                )
            )

    found += _message_problems(root, catalog, filename)
    found += _flow_problems(root, filename)
    for node in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        found += _lint_expression(node.text, node, filename, "condition")
    timer_paths = "//bpmn:timeDuration | //bpmn:timeDate | //bpmn:timeCycle"
    for node in root.xpath(timer_paths, namespaces=NS):
        found += _lint_expression(node.text, node, filename, "timer") or _literal_problems(
            node, filename
        )
    mi_paths = "//bpmn:loopCardinality | //bpmn:completionCondition | //bpmn:loopCondition"
    for node in root.xpath(mi_paths, namespaces=NS):
        found += _lint_expression(node.text, node, filename, "loop") or _literal_problems(
            node, filename
        )
    return found


def _literal_problems(node: etree._Element, filename: str | None) -> list[Problem]:
    """A timer or loop count written as a plain value is checked now, the way the engine will
    read it (a computed one is checked when it is evaluated: `app.engine.run_values`)."""
    kind = etree.QName(node).localname
    if kind not in run_values.TIMER_KINDS and kind != "loopCardinality":
        return []
    try:
        value = ast.literal_eval((node.text or "").strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return []  # not a literal: an expression over the task's data
    if kind == "loopCardinality":
        code, reason = "bad_cardinality", run_values.cardinality_problem(value)
    else:
        code, reason = "bad_timer", run_values.timer_problem(kind, value)
    if reason is None:
        return []
    # Named by the event or task it belongs to (what the modeler shows), at the value's line.
    owner = node.getparent()
    if owner is not None and owner.getparent() is not None:
        owner = owner.getparent()
    located = _problem(code, reason, owner, filename)
    return [Problem(code, reason, located.element_id, node.sourceline, filename)]


_MESSAGE_CATCHERS = {"intermediateCatchEvent", "boundaryEvent"}


def _message_problems(root: etree._Element, catalog: Catalog, filename: str | None) -> list:
    """Diagrams may wait for the messages the app sends (`catalog.messages`), nothing else:
    a message thrown by a diagram would have no one to deliver it."""
    found = []
    names = {m.get("id"): m.get("name") for m in root.xpath("//bpmn:message", namespaces=NS)}
    for node in root.xpath("//bpmn:sendTask | //bpmn:receiveTask", namespaces=NS):
        found.append(
            _problem(
                "message_forbidden",
                "send and receive tasks are not supported; wait with a message catch event",
                node,
                filename,
            )
        )
    for definition in root.xpath("//bpmn:messageEventDefinition", namespaces=NS):
        event = definition.getparent()
        if etree.QName(event).localname not in _MESSAGE_CATCHERS:
            found.append(
                _problem(
                    "message_forbidden",
                    "only intermediate catch and boundary events may use messages",
                    event,
                    filename,
                )
            )
            continue
        name = names.get(definition.get("messageRef"))
        if name not in catalog.messages:
            found.append(_problem("unknown_message", f"unknown message {name!r}", event, filename))
    return found


# Every kind of BPMN flow node (what a sequence flow may join).
FLOW_NODES = [
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
]


def _flow_problems(root: etree._Element, filename: str | None) -> list[Problem]:
    """Flows must join existing elements, and every node but an end event must lead somewhere
    (SpiffWorkflow accepts a gateway with no way out and the instance then stalls forever)."""
    found: list[Problem] = []
    for process in root.xpath("./bpmn:process", namespaces=NS):
        ids = {node.get("id") for node in process.iter() if isinstance(node.tag, str)}
        sources = set()
        for flow in process.xpath(".//bpmn:sequenceFlow", namespaces=NS):
            sources.add(flow.get("sourceRef"))
            for end in ("sourceRef", "targetRef"):
                if flow.get(end) not in ids:
                    found.append(
                        _problem(
                            "structure",
                            f"{end} {flow.get(end)!r} names no element of the process",
                            flow,
                            filename,
                        )
                    )
        for kind in FLOW_NODES:
            if kind == "endEvent":
                continue
            for node in process.xpath(f".//bpmn:{kind}", namespaces=NS):
                in_event_subprocess = node.getparent().get("triggeredByEvent") == "true"
                if node.get("id") not in sources and not (
                    kind == "startEvent" and in_event_subprocess
                ):
                    found.append(
                        _problem("structure", f"{kind} has no outgoing flow", node, filename)
                    )
    return found


def _input_placeholders(text: str) -> str:
    """`?` outside quotes (the DMN input) as a name, in one pass: a regex look-ahead for the
    quotes after each `?` made the check quadratic (a 31 KB table took 22 s)."""
    out, quote = [], None
    for char in text:
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
        out.append("dmninputexpr" if char == "?" and quote is None else char)
    return "".join(out)


def _dmn_cell_problems(text: str) -> list[str]:
    if len(text) > expressions.MAX_LENGTH:  # limits first: nothing below sees a huge cell
        return [f"longer than {expressions.MAX_LENGTH} characters"]
    cell = _input_placeholders(text.strip())
    if cell in ("", "-"):
        return []
    direct = expressions.problems(cell)
    if not direct:
        return []
    # A cell like ">= 90" is completed with the input on its left by the DMN engine.
    prefixed = expressions.problems(f"v {cell}")
    return [] if not prefixed else direct


def lint_dmn(root: etree._Element, filename: str | None = None) -> list[Problem]:
    ns = etree.QName(root).namespace
    if ns not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        return [_problem("not_dmn", "root element is not dmn:definitions", root, filename)]
    found: list[Problem] = []
    q = {"dmn": ns}
    for node in root.xpath("//dmn:inputExpression/dmn:text", namespaces=q):
        found += _lint_expression(node.text, node, filename, "input expression")
    for node in root.xpath("//dmn:inputEntry/dmn:text | //dmn:outputEntry/dmn:text", namespaces=q):
        text = node.text or ""
        shown = text if len(text) <= 60 else f"{text[:60]}…"  # never echo a huge cell
        for reason in _dmn_cell_problems(text):
            found.append(_problem("expression", f"cell {shown!r}: {reason}", node, filename))
    return found


def _schema_problems(root: etree._Element, filename: str | None) -> list[Problem]:
    if VALIDATOR.validator.validate(etree.ElementTree(root)):
        return []
    tree = root.getroottree()
    found = []
    prefixes = {k: v for k, v in root.nsmap.items() if k} | NS
    for err in VALIDATOR.validator.error_log:
        try:
            nodes = tree.xpath(err.path, namespaces=prefixes) if err.path else []
        except etree.XPathError:
            nodes = []
        node = nodes[0] if nodes else None
        problem = _problem("schema", err.message, node, filename)
        found.append(Problem("schema", err.message, problem.element_id, err.line, filename))
    return found


def _spiff_problem(exc: SpiffWorkflowException, filename: str | None) -> Problem:
    element_id = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None) or None
    return Problem(
        "structure", str(exc), element_id, line if isinstance(line, int) else None, filename
    )


def compile_bundle(
    bpmn: tuple[str, bytes], dmn: Iterable[tuple[str, bytes]], catalog: Catalog
) -> CompiledProcess:
    """Validate one BPMN file (with the DMN files it may call) and compile its executable process.

    Raises `DefinitionInvalid` with every problem found.
    """
    filename, data = bpmn
    root, problems = parse_xml(data, filename)
    dmn_roots: list[tuple[str, etree._Element]] = []
    for dmn_name, dmn_data in dmn:
        dmn_root, dmn_problems = parse_xml(dmn_data, dmn_name)
        problems += dmn_problems
        if dmn_root is not None:
            problems += lint_dmn(dmn_root, dmn_name)
            dmn_roots.append((dmn_name, dmn_root))
    if root is None:
        raise DefinitionInvalid(problems)
    problems += lint_bpmn(root, catalog, filename)
    if any(p.code == "not_bpmn" for p in problems):
        raise DefinitionInvalid(problems)
    problems += _schema_problems(root, filename)
    if problems:
        raise DefinitionInvalid(problems)

    parser = SpiffBpmnParser()
    try:
        for dmn_name, dmn_root in dmn_roots:
            parser.add_dmn_xml(dmn_root, dmn_name)
        parser.add_bpmn_xml(etree.ElementTree(root), filename)
        process = next(
            p
            for p in root.xpath("./bpmn:process", namespaces=NS)
            if p.get("isExecutable") == "true"
        )
        process_id = process.get("id")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        specs = {
            "spec": SERIALIZER.to_dict(spec),
            "subprocess_specs": {n: SERIALIZER.to_dict(s) for n, s in subprocess_specs.items()},
        }
    except SpiffWorkflowException as exc:
        raise DefinitionInvalid([_spiff_problem(exc, filename)]) from exc
    except RecursionError as exc:  # SpiffWorkflow follows a flow recursively (~490 steps in a row)
        raise DefinitionInvalid(
            [Problem("structure", "the process is too long to run", file=filename)]
        ) from exc
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise DefinitionInvalid(
            [Problem("structure", f"{type(exc).__name__}: {exc}", file=filename)]
        ) from exc
    elements = {
        node.get("id"): node.get("name") or node.get("id")
        for node in process.iter()
        if isinstance(node.tag, str) and node.get("id")
    }
    return CompiledProcess(process_id, process.get("name") or process_id, specs, elements)


def validate_dmn(filename: str, data: bytes) -> list[Problem]:
    root, problems = parse_xml(data, filename)
    if root is not None:
        problems += lint_dmn(root, filename)
    if problems or root is None:
        return problems
    try:
        SpiffBpmnParser().add_dmn_xml(root, filename)
    except (ValidationException, SpiffWorkflowException) as exc:
        problems.append(_spiff_problem(exc, filename))
    return problems


def as_problem_dicts(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]
