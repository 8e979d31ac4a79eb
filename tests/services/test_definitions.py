"""Definitions service: refused uploads write nothing; versions; DMN through a business-rule
task; a definition tampered after upload stops its instance in error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.engine import runner
from app.extensions import db
from app.models import AuditEvent, HumanTask, InstanceEvent, ProcessDefinition, ProcessInstance
from app.services import definitions, instances, library
from app.services.errors import Invalid
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person
from tests.engine.helpers import bpmn, fixture, registered, replace_strings

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
    b'<bpmn:process id="p" name="&x;" isExecutable="true" /></bpmn:definitions>'
)


LONE_START = (
    '<bpmn:startEvent id="s"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:endEvent id="e" /><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" />'
)


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(ProcessDefinition)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def _upload(name: str, data: bytes | None = None, actor: str | None = "admin"):
    who = person(actor) if actor else None
    return unit_of_work(lambda: definitions.upload(name, data or fixture(name), who))


@pytest.mark.parametrize(
    ("filename", "data", "codes"),
    [
        ("broken.bpmn", b"<bpmn:definitions", {"malformed_xml"}),
        ("page.bpmn", b"<html><body>hello</body></html>", {"not_bpmn"}),
        ("evil.bpmn", XXE, {"doctype_forbidden"}),
        (
            "many_problems.bpmn",
            None,
            {
                "script_forbidden",
                "unknown_handler",
                "unknown_form",
                "unknown_role",
                "expression",
                "structure",
            },
        ),
        (
            "lazy.bpmn",
            bpmn(LONE_START, executable=False),
            {"no_executable_process"},
        ),
        ("broken.dmn", b"<definitions", {"malformed_xml"}),
        ("evil.dmn", XXE, {"doctype_forbidden"}),
        (
            "bands.dmn",
            fixture("grade_bands.dmn").replace(b'"\xe8\x89\xaf\xe5\xa5\xbd"', b"__import__('os')"),
            {"expression"},
        ),
    ],
    ids=[
        "malformed",
        "not-bpmn",
        "xxe",
        "many",
        "not-executable",
        "dmn-malformed",
        "dmn-xxe",
        "dmn-dangerous-cell",
    ],
)
def test_a_refused_upload_reports_problems_and_writes_nothing(org, filename, data, codes):
    before = _counts()
    with pytest.raises(Invalid) as caught:
        _upload(filename, data if data is not None else fixture(filename))
    problems = caught.value.extra["problems"]
    assert {p["code"] for p in problems} == codes
    assert all(set(p) == {"code", "message", "element_id", "line", "file"} for p in problems)
    assert "root:" not in repr(problems)  # nothing of /etc/passwd
    if codes <= {"expression", "script_forbidden", "unknown_handler", "structure"}:
        assert all(p["element_id"] for p in problems)
    db.session.rollback()
    assert _counts() == before


def test_a_dangerous_dmn_cell_names_its_rule(org):
    data = fixture("grade_bands.dmn").replace(
        '"良好"'.encode(), b"().__class__.__base__.__subclasses__()"
    )
    with pytest.raises(Invalid) as caught:
        _upload("bands.dmn", data)
    assert {(p["element_id"], p["file"]) for p in caught.value.extra["problems"]} == {
        ("rule_good_out", "bands.dmn")
    }


def test_same_file_twice_makes_no_new_version_and_a_change_makes_version_2(org):
    first, created = _upload("versioned_v1.bpmn")
    assert (first.version, created) == (1, True)
    again, created = _upload("versioned_v1.bpmn")
    assert (again.id, again.version, created) == (first.id, 1, False)
    second, created = _upload("versioned_v2.bpmn")
    assert (second.version, created, second.process_key) == (2, True, "versioned")
    assert definitions.latest("versioned").id == second.id
    uploads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "definition.upload")
    ).all()
    assert sorted(a.detail["version"] for a in uploads if a.detail["key"] == "versioned") == [1, 2]


def _start(department_id: int, year: int) -> ProcessInstance:
    return unit_of_work(
        lambda: instances.start(department_id, year, person("admin"), process_key="versioned")
    )


def _ready(instance: ProcessInstance) -> list[HumanTask]:
    return db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "ready")
    ).all()


def test_an_instance_keeps_its_version_and_new_instances_use_the_latest(org):
    v1, _ = _upload("versioned_v1.bpmn")
    head = person("head_fin")
    old = _start(head.department_id, 2026)
    v2, _ = _upload("versioned_v2.bpmn")
    unit_of_work(lambda: library.seed_year(2027))
    new = _start(head.department_id, 2027)
    assert (old.definition_id, new.definition_id) == (v1.id, v2.id)

    [draft] = _ready(old)
    unit_of_work(lambda: instances.complete_task(draft.id, head, VALID_LETTER))
    db.session.expire_all()
    old = db.session.get(ProcessInstance, old.id)
    assert (old.status, old.definition_id) == ("completed", v1.id)  # v1 ends after drafting

    [draft] = _ready(new)
    unit_of_work(lambda: instances.complete_task(draft.id, head, VALID_LETTER))
    db.session.expire_all()
    assert [t.bpmn_id for t in _ready(new)] == ["review_letter"]  # only v2 has a review
    assert db.session.get(ProcessInstance, new.id).status == "waiting_people"


def test_a_dmn_table_is_evaluated_through_a_business_rule_task(org):
    table, created = _upload("grade_bands.dmn")
    assert (table.kind, table.process_key, created) == ("dmn", "grade_band", True)
    lookup, _ = _upload("grade_lookup.bpmn")
    for score, grade in ((95, "优秀"), (90, "优秀"), (80, "良好"), (60, "合格"), (12, "不合格")):
        run = runner.start(lookup.specs, None, {"score": score})
        assert run.step().status == "completed"
        assert run.workflow.data["grade"] == grade


def test_a_changed_dmn_makes_a_new_bpmn_version_when_reloaded(org):
    _upload("grade_bands.dmn")
    first, _ = _upload("grade_lookup.bpmn")
    stricter = fixture("grade_bands.dmn").replace(b"&gt;= 90", b"&gt;= 95")
    _upload("grade_bands.dmn", stricter)
    second, created = _upload("grade_lookup.bpmn")
    assert (created, second.version) == (True, first.version + 1)
    run = runner.start(second.specs, None, {"score": 92})
    run.step()
    assert run.workflow.data["grade"] == "良好"


def test_a_definition_tampered_after_upload_stops_its_instance_in_error(org, tmp_path):
    target = tmp_path / "pwned"
    calls: list[dict] = []
    with registered("test.probe", lambda ctx, **params: calls.append(params)):
        definition, _ = _upload("handler_probe.bpmn")
        evil = f"__import__('pathlib').Path({str(target)!r}).touch()"
        definition.specs = replace_strings(definition.specs, "year - 2000", evil)
        definition.spec_hash = "tampered"  # a new cache key, as a changed row would have
        db.session.commit()
        instance = unit_of_work(
            lambda: instances.start(1, 2026, person("admin"), process_key="handler_probe")
        )

    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert (instance.status, instance.error_task) == ("error", "call_probe")
    assert "is not allowed" in instance.error_message
    assert "__import__" in instance.error_message
    errors = db.session.scalars(
        select(InstanceEvent).where(
            InstanceEvent.instance_id == instance.id, InstanceEvent.kind == "error"
        )
    ).all()
    assert [e.detail["message"] for e in errors] == [instance.error_message]
    assert not target.exists()
    assert calls == []
