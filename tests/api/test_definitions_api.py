"""Definitions: list, read the source, upload (validated and versioned), centre admins only."""

import io
from pathlib import Path

import pytest

from app.models import AuditEvent, ProcessDefinition
from tests.api.helpers import MAX_BODY, count, error_of, multipart

SHIPPED = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "annual_cycle.bpmn"
SHIPPED_DEFINITIONS = 2  # annual_cycle.bpmn and the grade table grade_bands.dmn


def _upload(api, content: bytes, filename: str = "annual_cycle.bpmn"):
    return api.post("/api/v1/definitions", **multipart("file", filename, content))


def _renamed(source: bytes) -> bytes:
    return source.replace(
        'name="科室年度绩效考核"'.encode(), 'name="科室年度绩效考核（修订）"'.encode()
    )


def test_list_and_read_the_shipped_definition(api_as):
    api = api_as("admin")  # the centre's (the permission matrix has who else is refused)
    listed = api.get("/api/v1/definitions").get_json()
    assert [(d["process_key"], d["kind"], d["version"]) for d in listed] == [
        ("annual_cycle", "bpmn", 1),
        ("grade_bands", "dmn", 1),
    ]
    assert set(listed[0]) == {
        "id",
        "kind",
        "process_key",
        "version",
        "name",
        "filename",
        "created_at",
    }
    one = api.get(f"/api/v1/definitions/{listed[0]['id']}").get_json()
    assert one == listed[0]
    source = api.get(f"/api/v1/definitions/{listed[0]['id']}/source")
    assert source.status_code == 200
    assert source.mimetype == "application/xml"
    assert source.data == SHIPPED.read_bytes()
    staff = api_as("staff_fin")
    for url in ("", f"/{listed[0]['id']}", f"/{listed[0]['id']}/source"):
        response = staff.get(f"/api/v1/definitions{url}")
        assert response.status_code == 403 and b"bpmn" not in response.data.lower()


def test_changed_file_is_a_new_version_and_the_same_file_again_is_unchanged(api_as):
    api = api_as("admin")
    audited = count(AuditEvent, AuditEvent.action == "definition.upload")
    changed = _renamed(SHIPPED.read_bytes())
    created = _upload(api, changed)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["version"] == 2
    assert created.get_json()["name"] == "科室年度绩效考核（修订）"

    again = _upload(api, changed)
    assert again.status_code == 200
    assert again.get_json() == created.get_json()
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS + 1
    assert count(AuditEvent, AuditEvent.action == "definition.upload") == audited + 1

    # a file is compared with the latest version: going back to version 1's content is version 3
    reverted = _upload(api, SHIPPED.read_bytes())
    assert (reverted.status_code, reverted.get_json()["version"]) == (201, 3)


def test_invalid_diagram_is_422_with_every_problem_located_and_nothing_written(api_as):
    broken = (
        SHIPPED.read_bytes()
        .replace(b'value="letter_draft"', b'value="no_such_form"')
        .replace(b'value="letter_sign"', b'value="nor_this_one"', 1)
    )
    api = api_as("admin")
    audited = count(AuditEvent, AuditEvent.action == "definition.upload")
    error = error_of(_upload(api, broken), 422, "validation_failed")
    assert [(p["code"], p["element_id"]) for p in error["problems"]] == [
        ("unknown_form", "draft_letter"),
        ("unknown_form", "sign_department"),
    ]
    assert all(isinstance(p["line"], int) and p["line"] > 1 for p in error["problems"])
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS
    assert count(AuditEvent, AuditEvent.action == "definition.upload") == audited


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'id="annual_cycle"', b'id="' + b"p" * 101 + b'"'),
        (
            'id="annual_cycle" name="科室年度绩效考核"'.encode(),
            b'id="annual_cycle" name="' + "长".encode() * 201 + b'"',
        ),
    ],
    ids=["process-id", "process-name"],
)
def test_over_long_process_id_or_name_is_a_problem_not_a_500(api_as, old, new):
    content = SHIPPED.read_bytes().replace(old, new, 1)
    error = error_of(_upload(api_as("admin"), content), 422, "validation_failed")
    assert [p["code"] for p in error["problems"]] == ["too_long"]
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "staff_fin"])
def test_only_centre_admins_upload(api_as, username):
    response = _upload(api_as(username), _renamed(SHIPPED.read_bytes()))
    error_of(response, 403, "forbidden")
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


@pytest.mark.parametrize(
    ("content", "filename", "problem"),
    [
        (b"", "a.bpmn", "malformed_xml"),
        (b"this is not xml", "a.bpmn", "malformed_xml"),
        (b"<bpmn:definitions", "a.bpmn", "malformed_xml"),
        (b"\xff\xfe\x00<", "a.bpmn", "malformed_xml"),
        (b"<html><body>hi</body></html>", "a.bpmn", "not_bpmn"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            "a.bpmn",
            "doctype_forbidden",
        ),
    ],
    ids=["empty", "text", "truncated", "binary", "html", "entities"],
)
def test_unusable_files_are_422_with_a_problem(api_as, content, filename, problem):
    error = error_of(_upload(api_as("admin"), content, filename), 422, "validation_failed")
    assert [p["code"] for p in error["problems"]] == [problem]
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


@pytest.mark.parametrize(
    "filename", ["diagram.txt", "diagram.bpmn.exe", "", "noextension", "d" * 300 + ".bpmn"]
)
def test_wrong_file_type_is_422_on_the_file_field(api_as, filename):
    error = error_of(
        _upload(api_as("admin"), SHIPPED.read_bytes(), filename), 422, "validation_failed"
    )
    assert list(error["fields"]) == ["file"]
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {}, "content_type": "multipart/form-data"},
        {"data": {"file": "<bpmn/>"}, "content_type": "multipart/form-data"},  # a text field
        {"data": {"other": (io.BytesIO(b"<x/>"), "a.bpmn")}, "content_type": "multipart/form-data"},
        {"json": {"file": "<bpmn/>"}},
    ],
    ids=["no-fields", "text-field", "other-field", "json"],
)
def test_missing_file_field_is_422(api_as, kwargs):
    error = error_of(
        api_as("admin").post("/api/v1/definitions", **kwargs), 422, "validation_failed"
    )
    assert error["fields"] == {"file": ["Missing data for required field."]}


def test_file_over_the_size_limit_is_413(api_as):
    huge = b"<x>" + b"a" * MAX_BODY + b"</x>"
    error_of(_upload(api_as("admin"), huge), 413, "request_entity_too_large")
    assert count(ProcessDefinition) == SHIPPED_DEFINITIONS


def test_unknown_definition_and_its_source_are_404(api_as):
    api = api_as("admin")
    for url in ("/api/v1/definitions/999", "/api/v1/definitions/999/source"):
        error_of(api.get(url), 404, "not_found")
