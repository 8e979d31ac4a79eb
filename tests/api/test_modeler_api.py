"""The modeler's API: catalogs, drafts (save, validate, publish, compare), version comparison
and rollback. Centre admins only; bad input is a clear 4xx and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, ProcessDefinition, ProcessDraft
from tests.api.helpers import MAX_BODY, count, error_of
from tests.conftest import start_instance

SHIPPED = (
    Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "annual_cycle.bpmn"
).read_bytes()
DRAFT = "/api/v1/modeler/drafts/annual_cycle"
XML = {"Content-Type": "application/xml"}


def _with_form_key(source: bytes, old: str, new: str) -> bytes:
    changed = source.replace(f'value="{old}"'.encode(), f'value="{new}"'.encode(), 1)
    assert changed != source
    return changed


def _bpmn_versions() -> list[ProcessDefinition]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ProcessDefinition)
            .where(ProcessDefinition.process_key == "annual_cycle")
            .order_by(ProcessDefinition.version)
        )
    )


def _audits(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def admin(api_as):
    return api_as("admin")


def _save(api, content: bytes, url: str = DRAFT):
    return api.client.put(url, data=content, headers={**api.headers, **XML})


# --- catalog -----------------------------------------------------------------------------


def test_catalog_feeds_the_pickers(admin):
    body = admin.get("/api/v1/modeler/catalog").get_json()
    handlers = {h["key"]: h for h in body["handlers"]}
    assert handlers["letters.lock"]["label"] == "锁定绩效责任书"
    assert handlers["sources.pull"]["parameters"] == [
        {"name": "source", "required": True, "type": "str"}
    ]
    assert handlers["spot_checks.draw_sample"]["parameters"][1]["required"] is False
    assert handlers["spot_checks.draw_sample"]["description"].startswith("Draw the month")
    forms = {f["key"]: f["label"] for f in body["forms"]}
    assert forms["letter_draft"] == "起草绩效责任书"
    roles = {r["key"]: r["label"] for r in body["roles"]}
    assert roles["supervising_leader"] == "分管领导"
    assert set(roles) == {
        "centre_admin",
        "supervising_leader",
        "department_head",
        "assessment_group",
        "review_panel",
        "expert",
        "staff",
    }
    assert body["messages"][0]["key"] == "results_published"
    assert {"value": "P10D", "label": "10天"} in body["due"]
    escalation = body["escalation"]
    assert (escalation["remind_hours"], escalation["red_after_working_days"]) == (24, 2)
    assert "红牌" in escalation["note"]


def test_catalog_is_for_the_centre_only(api_as):
    error_of(api_as("head_fin").get("/api/v1/modeler/catalog"), 403, "forbidden")


# --- drafts --------------------------------------------------------------------------------


def test_save_read_and_discard_a_draft(admin):
    saved = _save(admin, SHIPPED)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["base_version"] == 1
    assert "source" not in saved.get_json()
    read = admin.get(DRAFT).get_json()
    assert read["source"].encode() == SHIPPED
    assert read["updated_by"]
    listed = admin.get("/api/v1/modeler/drafts").get_json()
    assert [d["process_key"] for d in listed] == ["annual_cycle"]
    assert len(_audits("definition.draft_saved")) == 1

    assert admin.delete(DRAFT).status_code == 204
    error_of(admin.get(DRAFT), 404, "not_found")
    assert len(_audits("definition.draft_discarded")) == 1


def test_saving_again_replaces_the_draft(admin):
    _save(admin, SHIPPED)
    _save(admin, _with_form_key(SHIPPED, "letter_review", "ballot"))
    assert count(ProcessDraft) == 1
    assert 'value="ballot"' in admin.get(DRAFT).get_json()["source"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<bpmn:definitions", "malformed_xml"),
        (b"", "malformed_xml"),
        (b"<root/>", "not_bpmn"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            b"&x;</bpmn:definitions>",
            "doctype_forbidden",
        ),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY x "y">]>'
            '<d xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'.encode("utf-16"),
            "doctype_forbidden",
        ),
        (
            '<?xml version="1.0" encoding="latin-1"?>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="\xe9"/>'.encode("latin-1"),
            "malformed_xml",
        ),
    ],
    ids=["unclosed", "empty", "not-bpmn", "xxe", "xxe-utf16", "not-utf8"],
)
def test_a_bad_draft_is_refused_and_nothing_is_stored(admin, content, code):
    error = error_of(_save(admin, content), 422, "validation_failed")
    assert error["problems"][0]["code"] == code
    assert count(ProcessDraft) == 0
    assert not _audits("definition.draft_saved")


def test_a_huge_draft_is_refused(admin):
    padding = b"<!-- " + b"x" * MAX_BODY + b" -->"
    response = _save(
        admin, SHIPPED.replace(b"</bpmn:definitions>", padding + b"</bpmn:definitions>")
    )
    error_of(response, 413, "request_entity_too_large")
    assert count(ProcessDraft) == 0


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        ("bad key!", 422, "validation_failed"),
        ("9starts_with_digit", 422, "validation_failed"),
        ("k" * 101, 422, "validation_failed"),
    ],
)
def test_a_bad_key_is_refused(admin, key, status, code):
    error_of(_save(admin, SHIPPED, f"/api/v1/modeler/drafts/{key}"), status, code)
    assert count(ProcessDraft) == 0


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("DELETE", ""), ("POST", "/validate"), ("POST", "/publish"), ("GET", "/compare")],
)
def test_no_draft_is_not_found(admin, method, suffix):
    response = admin.client.open(
        f"/api/v1/modeler/drafts/nobody_drew_this{suffix}", method=method, headers=admin.headers
    )
    error_of(response, 404, "not_found")


def test_only_the_centre_edits_drafts(admin, api_as):
    _save(admin, SHIPPED)
    other = api_as("leader_li")
    error_of(_save(other, SHIPPED), 403, "forbidden")
    error_of(other.get(DRAFT), 403, "forbidden")
    error_of(other.post(f"{DRAFT}/validate"), 403, "forbidden")
    error_of(other.post(f"{DRAFT}/publish"), 403, "forbidden")
    error_of(other.delete(DRAFT), 403, "forbidden")
    read_only = api_as("admin", ["read"])
    error = error_of(_save(read_only, SHIPPED), 403, "forbidden")
    assert error["needed_scope"] == "admin"
    assert len(_bpmn_versions()) == 1


# --- validate and publish ------------------------------------------------------------------


def test_validate_reports_problems_with_their_element_ids(admin):
    _save(admin, _with_form_key(SHIPPED, "letter_review", "no_such_form"))
    body = admin.post(f"{DRAFT}/validate").get_json()
    assert body["valid"] is False
    assert [(p["code"], p["element_id"]) for p in body["problems"]] == [
        ("unknown_form", "review_letter")
    ]
    _save(admin, SHIPPED)
    assert admin.post(f"{DRAFT}/validate").get_json() == {"valid": True, "problems": []}


def test_a_draft_must_keep_its_key(admin):
    _save(admin, SHIPPED, "/api/v1/modeler/drafts/another_key")
    body = admin.post("/api/v1/modeler/drafts/another_key/validate").get_json()
    assert [(p["code"], p["element_id"]) for p in body["problems"]] == [
        ("key_mismatch", "annual_cycle")
    ]
    error = error_of(
        admin.post("/api/v1/modeler/drafts/another_key/publish"), 422, "validation_failed"
    )
    assert error["problems"][0]["code"] == "key_mismatch"
    assert len(_bpmn_versions()) == 1


def test_publishing_an_invalid_draft_stores_nothing(admin):
    _save(admin, _with_form_key(SHIPPED, "letter_review", "no_such_form"))
    error = error_of(admin.post(f"{DRAFT}/publish"), 422, "validation_failed")
    assert error["problems"][0]["element_id"] == "review_letter"
    assert len(_bpmn_versions()) == 1
    assert count(ProcessDraft) == 1  # kept, to be fixed
    assert not _audits("definition.published")


def test_publish_a_draft_as_the_next_version(admin):
    _save(admin, _with_form_key(SHIPPED, "letter_review", "ballot"))
    response = admin.post(f"{DRAFT}/publish")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2
    versions = _bpmn_versions()
    assert [v.version for v in versions] == [1, 2]
    assert b'value="ballot"' in versions[1].source.encode()
    assert count(ProcessDraft) == 0
    (published,) = _audits("definition.published")
    assert published.detail["version"] == 2 and published.detail["base_version"] == 1
    assert len(_audits("definition.upload")) == 3  # the two shipped files, then this


def test_publishing_unchanged_content_keeps_the_version(admin):
    _save(admin, SHIPPED)
    response = admin.post(f"{DRAFT}/publish")
    assert response.status_code == 200
    assert response.get_json()["version"] == 1
    assert len(_bpmn_versions()) == 1
    assert count(ProcessDraft) == 0


# --- compare -------------------------------------------------------------------------------


def test_compare_a_version_with_the_previous_one(admin):
    _save(admin, _with_form_key(SHIPPED, "letter_review", "ballot"))
    second = admin.post(f"{DRAFT}/publish").get_json()
    body = admin.get(f"/api/v1/definitions/{second['id']}/compare").get_json()
    assert (body["process_key"], body["old_version"], body["new_version"]) == ("annual_cycle", 1, 2)
    assert body["changes"] == [
        {
            "change": "changed",
            "element_id": "review_letter",
            "element_type": "userTask",
            "name": "分管领导审核责任书",
            "fields": [
                {"field": "property[formKey]/@value", "old": "letter_review", "new": "ballot"}
            ],
        }
    ]
    first = _bpmn_versions()[0]
    body = admin.get(f"/api/v1/definitions/{first.id}/compare").get_json()
    assert body["old_version"] is None
    assert {c["change"] for c in body["changes"]} == {"added"}
    assert "review_letter" in {c["element_id"] for c in body["changes"]}


def test_compare_a_draft_with_the_latest_version(admin):
    renamed = SHIPPED.replace('name="锁定责任书"'.encode(), 'name="锁定"'.encode())
    _save(admin, renamed)
    body = admin.get(f"{DRAFT}/compare").get_json()
    assert body["new_version"] is None and body["old_version"] == 1
    assert [(c["element_id"], c["fields"]) for c in body["changes"]] == [
        ("lock_letter", [{"field": "@name", "old": "锁定责任书", "new": "锁定"}])
    ]


def test_compare_refuses_what_it_cannot_compare(admin):
    dmn = db.session.scalars(
        sa.select(ProcessDefinition.id).where(ProcessDefinition.kind == "dmn")
    ).first()
    error_of(admin.get(f"/api/v1/definitions/{dmn}/compare"), 422, "validation_failed")
    error_of(admin.get("/api/v1/definitions/999999/compare"), 404, "not_found")
    error_of(admin.get("/api/v1/definitions/99999999999/compare"), 404, "not_found")


# --- rollback ------------------------------------------------------------------------------


def test_rollback_publishes_the_old_content_as_a_new_version(admin):
    instance = start_instance()
    started_on = instance.definition_id
    _save(admin, _with_form_key(SHIPPED, "letter_review", "ballot"))
    admin.post(f"{DRAFT}/publish")
    first, second = _bpmn_versions()

    response = admin.post(f"/api/v1/definitions/{first.id}/rollback")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 3
    third = _bpmn_versions()[2]
    assert third.source == first.source
    assert third.id not in (first.id, second.id)
    (rolled,) = _audits("definition.rolled_back")
    assert (rolled.detail["version"], rolled.detail["restored_version"]) == (3, 1)
    db.session.refresh(instance)
    assert instance.definition_id == started_on  # running instances keep their version

    # Rolling back to the latest, or to content the latest already has: nothing to do.
    error_of(admin.post(f"/api/v1/definitions/{third.id}/rollback"), 409, "conflict")
    error_of(admin.post(f"/api/v1/definitions/{first.id}/rollback"), 409, "conflict")
    assert len(_bpmn_versions()) == 3


def test_rollback_unknown_or_forbidden(admin, api_as):
    error_of(admin.post("/api/v1/definitions/999999/rollback"), 404, "not_found")
    first = _bpmn_versions()[0]
    error_of(api_as("kh_chen").post(f"/api/v1/definitions/{first.id}/rollback"), 403, "forbidden")
    assert len(_bpmn_versions()) == 1
