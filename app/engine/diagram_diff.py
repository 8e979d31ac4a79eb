"""Element-level comparison of two BPMN documents, for the modeler's "compare" view.

An element is a BPMN-namespace node with an `id`; everything beneath it that is not itself
an element (extension properties, the handler and its parameters, conditions, timer values,
a lane's flow-node references) is part of it. The diagram-interchange section (shapes and
edges) is left out: moving a box is not a change to the process. `incoming`/`outgoing` are
left out too, since they only repeat the sequence flows' own `sourceRef`/`targetRef`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from app.engine.definitions import BPMN_NS, DefinitionInvalid, parse_xml

_SKIPPED_CHILDREN = {"incoming", "outgoing"}
# Children told apart from their siblings by an attribute (spiffworkflow properties by name,
# service-task parameters by id); other repeated children by their position.
_KEYED_BY = {"property": "name", "parameter": "id"}
# BPMN attributes at their schema default mean the same as absent (bpmn-js drops them).
_DEFAULTS = {
    "cancelActivity": "true",
    "isInterrupting": "true",
    "parallelMultiple": "false",
    "isForCompensation": "false",
    "isSequential": "false",
    "triggeredByEvent": "false",
    "isClosed": "false",
    "isImmediate": "true",
    "completionQuantity": "1",
    "startQuantity": "1",
    "gatewayDirection": "Unspecified",
}
# Paths as people read them in the compare view.
_READABLE = (
    ("extensionElements/properties/property[", "property["),
    ("extensionElements/serviceTaskOperator/parameters/parameter[", "parameter["),
    ("extensionElements/serviceTaskOperator/@id", "handler"),
    ("extensionElements/serviceTaskOperator/@resultVariable", "resultVariable"),
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ElementChange:
    change: str  # added | removed | changed
    element_id: str
    element_type: str
    name: str | None
    fields: list[FieldChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Element:
    type: str
    name: str | None
    fields: dict[str, str]


def _is_element(node: etree._Element) -> bool:
    return etree.QName(node).namespace == BPMN_NS and node.get("id") is not None


def _flatten(node: etree._Element, prefix: str, out: dict[str, str], key_attr: str = "id") -> None:
    """The attributes, text and non-element descendants of `node` as path -> value; the
    attribute that names it (`key_attr`) is in its path already."""
    for attr, value in sorted(node.attrib.items()):
        name = etree.QName(attr).localname
        if name == key_attr or _DEFAULTS.get(name) == value:
            continue
        out[f"{prefix}@{name}"] = value
    text = (node.text or "").strip()
    if text:
        out[prefix.rstrip("/") or "text"] = text
    repeated: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for child in node:
        if not isinstance(child.tag, str) or _is_element(child):
            continue
        local = etree.QName(child).localname
        if local in _SKIPPED_CHILDREN:
            continue
        key = child.get(_KEYED_BY[local]) if local in _KEYED_BY else None
        if key is None and not len(child) and not child.attrib:
            # a list of plain values (a lane's flowNodeRef): compared as a set
            repeated.setdefault(f"{prefix}{local}", []).append((child.text or "").strip())
            continue
        if key is None:
            counts[local] = counts.get(local, 0) + 1
            key = str(counts[local]) if counts[local] > 1 else ""
        path = f"{prefix}{local}{f'[{key}]' if key else ''}/"
        _flatten(child, path, out, _KEYED_BY.get(local, "") if key else "")
    for path, values in repeated.items():
        out[path] = ", ".join(sorted(values))


def readable(path: str) -> str:
    """`extensionElements/properties/property[formKey]/@value` -> `property[formKey]/@value`."""
    for long, short in _READABLE:
        if path.startswith(long):
            return short + path[len(long) :]
    return path


def _elements(root: etree._Element) -> dict[str, _Element]:
    found: dict[str, _Element] = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or not _is_element(node):
            continue
        if etree.QName(node).localname == "definitions":
            continue
        raw: dict[str, str] = {}
        _flatten(node, "", raw)
        fields = {readable(path): value for path, value in raw.items()}
        found[node.get("id")] = _Element(etree.QName(node).localname, node.get("name"), fields)
    return found


def _parse(data: bytes, label: str) -> etree._Element:
    root, problems = parse_xml(data, label)
    if root is None:
        raise DefinitionInvalid(problems)
    return root


def diff_bpmn(old: bytes | None, new: bytes) -> list[ElementChange]:
    """What changed from `old` to `new` (None: everything is added), element by element,
    in document order of `new` followed by the removed ones. Raises `DefinitionInvalid`
    when either side is not well-formed XML."""
    before = _elements(_parse(old, "old")) if old is not None else {}
    after = _elements(_parse(new, "new"))
    changes: list[ElementChange] = []
    for element_id, now in after.items():
        was = before.get(element_id)
        if was is None:
            changes.append(ElementChange("added", element_id, now.type, now.name))
            continue
        fields = [
            FieldChange(path, was.fields.get(path), now.fields.get(path))
            for path in sorted(was.fields.keys() | now.fields.keys())
            if was.fields.get(path) != now.fields.get(path)
        ]
        if was.type != now.type:
            fields.insert(0, FieldChange("type", was.type, now.type))
        if fields:
            changes.append(ElementChange("changed", element_id, now.type, now.name, fields))
    for element_id, was in before.items():
        if element_id not in after:
            changes.append(ElementChange("removed", element_id, was.type, was.name))
    return changes
