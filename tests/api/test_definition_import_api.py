"""Import of BPMN from other modelling tools: mapped and stored, or refused with every problem
located — and never a server error, whatever the file."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ProcessDefinition
from tests.api.helpers import MAX_BODY, count, error_of, multipart

PROJECT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT / "tests" / "fixtures" / "import"
SHIPPED_DEFINITIONS = 2  # annual_cycle.bpmn and grade_bands.dmn
URL = "/api/v1/definitions/import"


def _import(api, content: bytes, filename: str = "export.bpmn", query: str = ""):
    return api.post(URL + query, **multipart("file", filename, content))


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


RUNNABLE = {
    # fixture: (tool, process key, change codes that must be in the report)
    "camunda7_letter.bpmn": (
        "camunda7",
        "letter_import_c7",
        {"role_mapped", "form_key_mapped", "due_mapped", "handler_mapped", "vendor_stripped"},
    ),
    "camunda8_review.bpmn": (
        "camunda8",
        "letter_review_c8",
        {"role_mapped", "form_key_mapped", "due_mapped", "handler_mapped", "expression_translated"},
    ),
    "signavio_signing.bpmn": (
        "signavio",
        "sid-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        {"process_marked_executable", "role_mapped", "form_key_mapped", "task_typed"},
    ),
    "bizagi_spot_check.bpmn": (
        "bizagi",
        "Id_4b1e7f52-0c33-4d8e-9a5f-2b6c7d8e9f01",
        {"process_marked_executable", "role_mapped", "form_key_mapped", "data_store_removed"},
    ),
}


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_a_runnable_export_is_mapped_and_stored_as_a_new_version(api_as, name):
    tool, key, changes = RUNNABLE[name]
    api = api_as("admin")
    response = _import(api, _fixture(name), name)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["created"] is True and body["dry_run"] is False
    assert (body["definition"]["process_key"], body["definition"]["version"]) == (key, 1)
    assert body["definition"]["filename"] == name
    report = body["report"]
    assert report["tool"]["key"] == tool
    assert report["problems"] == []
    assert changes <= {c["code"] for c in report["changes"]}
    assert all(c["message"] for c in report["changes"])

    stored = api.get(f"/api/v1/definitions/{body['definition']['id']}/source").data
    assert b"spiffworkflow:property" in stored or b'name="formKey"' in stored
    for vendor in (b"camunda:", b"zeebe:", b"modeler:", b"signavio:", b"bizagi:"):
        assert vendor not in stored
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS + 1
    assert count(AuditEvent, AuditEvent.action == "definition.import") == 1
    assert count(AuditEvent, AuditEvent.action == "definition.upload") >= 1

    again = _import(api, _fixture(name), name)
    assert again.status_code == 200
    assert again.get_json()["definition"] == body["definition"]
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS + 1


def test_the_report_names_what_was_mapped_where(api_as):
    report = _import(api_as("admin"), _fixture("camunda7_letter.bpmn")).get_json()["report"]
    assert report["tool"] == {
        "key": "camunda7",
        "name": "Camunda Modeler (Camunda 7)",
        "exporter": "Camunda Modeler",
        "exporter_version": "5.17.0",
    }
    by_element = {(c["code"], c["element_id"]): c for c in report["changes"]}
    lane = by_element[("role_mapped", "Lane_0q1xhfv")]
    assert lane["params"] == {"before": "科室负责人", "after": "department_head"}
    assert lane["element_name"] == "科室负责人" and lane["line"] == 8
    assert "科室负责人" in lane["message"] and "department_head" in lane["message"]
    assert by_element[("due_mapped", "Activity_draft")]["params"] == {"due": "P10D"}
    condition = by_element[("expression_translated", "Flow_returned")]
    assert condition["params"]["after"] == 'decision != "approve" and not skip_return'
    timer = by_element[("expression_translated", "TimerEventDefinition_0y5c7t1")]
    assert timer["params"] == {"before": "P5D", "after": '"P5D"'}


def test_dry_run_reports_and_stores_nothing(api_as):
    api = api_as("admin")
    audited = count(AuditEvent)
    response = _import(api, _fixture("camunda8_review.bpmn"), query="?dry_run=true")
    assert response.status_code == 200
    body = response.get_json()
    assert body["definition"] is None and body["created"] is False and body["dry_run"] is True
    assert body["report"]["tool"]["key"] == "camunda8"
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS
    assert count(AuditEvent) == audited


REFUSED = {
    "camunda7_unsupported.bpmn": {
        ("complex_gateway", "Gateway_votes"),
        ("script_forbidden", "Activity_calc"),
        ("unknown_role", "Lane_clerk"),
        ("unknown_form", "Activity_fill"),
        ("assignment_unsupported", "Activity_fill"),
        ("listener_forbidden", "Activity_fill"),
        ("script_forbidden", "Activity_fill"),
        ("listener_forbidden", "supplier_review"),
        ("unknown_form", "Activity_approve"),
        ("no_lane", "Activity_approve"),
        ("due_date_unsupported", "Activity_approve"),
        ("java_delegate_forbidden", "Activity_notify"),
        ("expression_unsupported", "Flow_0a4"),
        ("script_forbidden", "Flow_0a5"),
    },
    "camunda8_two_pools.bpmn": {
        ("multiple_processes", "Process_centre"),
        ("multiple_processes", "Process_dept"),
        ("signal_unsupported", "Event_signal"),
        ("script_forbidden", "Task_rank"),
        ("expression_unsupported", "Flow_d3"),
        ("expression_unsupported", "Flow_d4"),
        ("message_forbidden", "Task_publish"),
    },
    "aris_appeal.bpmn": {
        ("transaction_unsupported", "FLOWNODE_28a18476-8b1d-11ee-4a2b-0a0027000011"),
        ("compensation_unsupported", "FLOWNODE_28a1847e-8b1d-11ee-4a2b-0a0027000011"),
        ("compensation_unsupported", "FLOWNODE_28a18480-8b1d-11ee-4a2b-0a0027000011"),
        ("untyped_task", "FLOWNODE_28a18480-8b1d-11ee-4a2b-0a0027000011"),
        ("untyped_task", "FLOWNODE_28a18492-8b1d-11ee-4a2b-0a0027000011"),
        ("untyped_task", "FLOWNODE_28a18479-8b1d-11ee-4a2b-0a0027000011"),
        ("unknown_role", "LANE_7f3c2a14-8b1d-11ee-4a2b-0a0027000011"),
    },
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_an_export_with_unsupported_parts_is_422_with_every_problem_located(api_as, name):
    api = api_as("admin")
    audited = count(AuditEvent)
    error = error_of(_import(api, _fixture(name), name), 422, "validation_failed")
    found = {(p["code"], p["element_id"]) for p in error["problems"]}
    assert found == REFUSED[name]
    source = _fixture(name).decode().splitlines()
    for problem in error["problems"]:
        assert problem["message"] and problem["hint"], problem
        # the line is the uploaded file's own: the element's, or a line inside it
        opening = next(
            i for i, text in enumerate(source, 1) if f'id="{problem["element_id"]}"' in text
        )
        assert opening <= problem["line"] <= opening + 10, problem
    assert error["report"]["tool"]["key"] == name.split("_")[0]
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS
    assert count(AuditEvent) == audited


def test_problems_name_the_element_and_list_what_is_valid(api_as):
    error = error_of(
        _import(api_as("admin"), _fixture("camunda7_unsupported.bpmn")), 422, "validation_failed"
    )
    problems = {(p["code"], p["element_id"]): p for p in error["problems"]}
    form = problems[("unknown_form", "Activity_approve")]
    assert form["element_name"] == "主管审批"
    assert form["params"]["form_key"] == "approve_form"
    assert "letter_draft" in form["hint"] and "approve_form" in form["message"]
    lane = problems[("unknown_role", "Lane_clerk")]
    assert "采购专员" in lane["message"] and "分管领导" in lane["hint"]
    assert "无法导入" in error["message"]


def test_the_report_is_in_english_when_asked(api_as):
    error = error_of(
        _import(api_as("admin"), _fixture("aris_appeal.bpmn"), query="?lang=en"),
        422,
        "validation_failed",
    )
    problems = {p["code"]: p for p in error["problems"]}
    assert problems["transaction_unsupported"]["message"].startswith("Transaction sub-processes")
    assert "Appeals committee" in problems["unknown_role"]["message"]
    assert error["message"].startswith("Cannot import")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Diagram1.diag", _fixture("bizagi_spot_check.bpmn"))
    return buffer.getvalue()


UNUSABLE = [
    ("empty", b"", "empty_file"),
    ("blank", b"  \n\t ", "empty_file"),
    ("text", b"this is not xml", "malformed_xml"),
    ("truncated", _fixture("camunda7_letter.bpmn")[:1500], "malformed_xml"),
    ("binary", bytes(range(256)) * 4, "binary_file"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary_file"),
    ("bizagi-bpm-zip", _zip(), "zip_archive"),
    ("html", b"<!DOCTYPE html><html><body>Signavio</body></html>", "html_document"),
    ("xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "html_document"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10"><rect/></svg>', "svg_document"),
    ("dmn", (PROJECT / "workflows" / "bpmn" / "grade_bands.dmn").read_bytes(), "dmn_not_bpmn"),
    ("other-xml", b"<note><to>x</to></note>", "not_bpmn"),
    (
        "bpmn-child-as-root",
        b'<process xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="p"/>',
        "not_bpmn",
    ),
    (
        "entities",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;&a;</x>',
        "doctype_forbidden",
    ),
    (
        "no-process",
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        b'targetNamespace="t"/>',
        "no_process",
    ),
]


@pytest.mark.parametrize(("label", "content", "code"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_what_is_not_a_bpmn_export_is_422_with_one_clear_problem(api_as, label, content, code):
    error = error_of(_import(api_as("admin"), content), 422, "validation_failed")
    assert [p["code"] for p in error["problems"]] == [code]
    assert error["problems"][0]["message"] and error["problems"][0]["hint"]
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


def test_a_utf16_export_is_read(api_as):
    text = _fixture("bizagi_spot_check.bpmn").decode().replace('encoding="utf-8"', "")
    response = _import(api_as("admin"), "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    assert response.status_code == 201, response.get_json()


def test_a_file_over_the_size_limit_is_413(api_as):
    huge = b"<definitions>" + b" " * MAX_BODY + b"</definitions>"
    error_of(_import(api_as("admin"), huge), 413, "request_entity_too_large")
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


def test_a_missing_file_field_or_a_bad_flag_is_422(api_as):
    api = api_as("admin")
    error = error_of(
        api.post(URL, data={}, content_type="multipart/form-data"), 422, "validation_failed"
    )
    assert error["fields"] == {"file": ["Missing data for required field."]}
    error = error_of(
        _import(api, _fixture("camunda8_review.bpmn"), query="?dry_run=perhaps"),
        422,
        "validation_failed",
    )
    assert "dry_run" in error["fields"]
    long_name = "d" * 300 + ".bpmn"
    error = error_of(
        _import(api, _fixture("camunda8_review.bpmn"), long_name), 422, "validation_failed"
    )
    assert list(error["fields"]) == ["file"]


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "kh_chen"])
def test_only_centre_admins_import(api_as, username):
    error_of(_import(api_as(username), _fixture("camunda7_letter.bpmn")), 403, "forbidden")
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


def test_ten_thousand_tasks_or_deep_nesting_are_refused_promptly(api_as):
    api = api_as("admin")
    head = (
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        b'targetNamespace="t"><process id="p">'
    )
    tail = b"</process></definitions>"
    for body, code in (
        (b"".join(b'<task id="t%d"/>' % i for i in range(10_000)), "too_many_elements"),
        (b"<b>" * 100_000 + b"</b>" * 100_000, "too_deep"),
    ):
        started = time.perf_counter()
        error = error_of(_import(api, head + body + tail), 422, "validation_failed")
        assert time.perf_counter() - started < 3
        assert [p["code"] for p in error["problems"]] == [code]


def _renamed(data: bytes, old: str, new: str) -> bytes:
    return data.replace(f'id="{old}"'.encode(), f'id="{new}"'.encode()).replace(
        f'"{old}"'.encode(), f'"{new}"'.encode()
    )


def test_an_import_of_a_published_key_lands_as_a_draft_and_the_dry_run_names_it(api_as):
    """The issue's attack: a small file whose process id is `annual_cycle` was published at
    once as the live annual cycle's next version."""
    from app.models import ProcessDraft
    from tests.conftest import start_instance

    api = api_as("admin")
    start_instance()  # one instance running on annual_cycle
    name = "camunda8_review.bpmn"
    fresh = _import(api, _fixture(name), query="?dry_run=true").get_json()
    assert fresh["report"]["existing"] is None  # a new key: nothing it would change
    source = _fixture(name)
    original = re.search(rb'<bpmn:process id="([^"]+)"', source).group(1).decode()
    hijack = _renamed(source, original, "annual_cycle")
    versions = count(ProcessDefinition)

    dry = _import(api, hijack, name, query="?dry_run=true").get_json()
    existing = dry["report"]["existing"]
    assert (existing["key"], existing["version"], existing["running"]) == ("annual_cycle", 1, 1)
    assert existing["changed"] > 0 and "导入不会替换它" in existing["message"]

    landed = _import(api, hijack, name)
    assert landed.status_code == 201, landed.get_json()
    body = landed.get_json()
    assert body["definition"] is None and body["draft_key"] == "annual_cycle"
    assert count(ProcessDefinition) == versions  # the live cycle is untouched
    draft = db.session.scalars(select(ProcessDraft)).one()
    assert draft.process_key == "annual_cycle" and draft.base_version == 1
    assert count(AuditEvent, AuditEvent.action == "definition.import") == 1
