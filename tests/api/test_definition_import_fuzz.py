"""Never a server error, never a hang: real export files, mutated (truncated, bytes flipped,
elements deleted, duplicated or nested deep, attributes given hostile values), always get a 2xx
or a 4xx, promptly."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import handlers
from app.engine import bpmn_import
from app.engine.definitions import DefinitionInvalid, compile_bundle
from app.engine.types import Catalog
from app.forms import FORMS
from app.i18n import ROLE_NAMES
from app.models.org import ROLES
from app.models.process import MESSAGES
from tests.api.helpers import multipart

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
SHIPPED = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "annual_cycle.bpmn"
SOURCES = [*sorted(FIXTURES.glob("*.bpmn")), SHIPPED]
ORIGINALS = {path.name: path.read_bytes() for path in SOURCES}
CATALOG = Catalog(
    frozenset(handlers.REGISTRY), frozenset(FORMS), frozenset(ROLES), frozenset(MESSAGES)
)
TITLES = {"letter_sign": "签署绩效责任书", "appeal_file": "考核结果申诉"}
SECONDS = 3.0  # per request, on a shared 2-core machine
HOSTILE = [
    "",
    "${x}",
    "=a.b",
    "${''.__class__}",
    "P",
    "PT",
    "9" * 400,
    "2 ** 9999999",
    "ｆｏｒｍ",
    "\u202e",
    "embedded:app:x",
    "results_published",
    "department_head",
    "letter_draft",
    "true",
]


def _tree_mutation(data: bytes, draw) -> bytes:
    """Delete, duplicate or deeply nest an element, or set an attribute to a hostile value."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    nodes = [n for n in root.iter() if isinstance(n.tag, str) and n is not root]
    node = nodes[draw(st.integers(0, len(nodes) - 1))]
    parent = node.getparent()
    action = draw(st.sampled_from(["delete", "duplicate", "nest", "attribute", "text"]))
    if action == "delete":
        parent.remove(node)
    elif action == "duplicate":
        for _ in range(draw(st.integers(1, 50))):
            parent.append(etree.fromstring(etree.tostring(node)))
    elif action == "nest":
        holder = node
        for i in range(draw(st.integers(1, 300))):
            wrapper = etree.SubElement(holder, node.tag, id=f"nested_{i}")
            holder = wrapper
    elif action == "attribute":
        names = list(node.attrib) or ["id"]
        node.set(draw(st.sampled_from(names)), draw(st.sampled_from(HOSTILE)))
    else:
        node.text = draw(st.sampled_from(HOSTILE))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@st.composite
def mutated_files(draw) -> bytes:
    data = ORIGINALS[draw(st.sampled_from(sorted(ORIGINALS)))]
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["tree"] * 5 + ["truncate", "flip", "insert"]))
        if kind == "tree":
            try:
                data = _tree_mutation(data, draw)
            except etree.XMLSyntaxError:
                kind = "flip"  # already broken: break it some more
        if kind == "truncate":
            data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
        elif kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(max_size=64)) + data[at:]
    return data


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutated_files(), dry_run=st.booleans())
def test_any_mutation_of_a_real_export_is_2xx_or_4xx_and_prompt(api_as, data, dry_run):
    api = api_as("admin")
    started = time.perf_counter()
    response = api.post(
        f"/api/v1/definitions/import?dry_run={'true' if dry_run else 'false'}",
        **multipart("file", "fuzz.bpmn", data),
    )
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 201, 413, 422), response.get_data(as_text=True)[:500]
    assert elapsed < SECONDS
    body = response.get_json()
    if response.status_code == 422:
        assert body["error"]["problems"], body
        assert all(p["code"] and p["message"] for p in body["error"]["problems"])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(data=mutated_files())
def test_the_engine_never_raises_and_compiles_what_it_passes(data):
    """Cheaper, so many more examples: the normaliser never raises, and what it lets through
    either compiles or fails with located problems."""
    started = time.perf_counter()
    result = bpmn_import.import_bpmn(data, CATALOG, ROLE_NAMES, TITLES)
    if result.xml is not None and not result.problems:
        try:
            compile_bundle(("fuzz.bpmn", result.xml), [], CATALOG)
        except DefinitionInvalid as exc:
            assert exc.problems
    assert time.perf_counter() - started < SECONDS
