"""Tasks: my inbox, one task with its form, and completing it — bad input writes nothing."""

import copy

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEvent,
    HumanTask,
    InstanceEvent,
    LetterLine,
    LetterSignature,
    ResponsibilityLetter,
)
from tests.api.helpers import MAX_BODY, count, error_of, inbox_task
from tests.conftest import VALID_LETTER, start_instance


def _letter(**changes_by_line):
    """VALID_LETTER with `{line_index: {field: value}}` changes."""
    data = copy.deepcopy(VALID_LETTER)
    for index, changes in changes_by_line.items():
        data["lines"][int(index.removeprefix("l"))].update(changes)
    return data


def _nothing_written(task_id: int, events: int) -> None:
    assert count(ResponsibilityLetter) == 0 and count(LetterLine) == 0
    assert db.session.get(HumanTask, task_id).status == "ready"
    assert count(InstanceEvent) == events
    assert count(AuditEvent, AuditEvent.action == "task.complete") == 0


@pytest.fixture
def draft(api_as):
    """The ready draft task of 预算科, as head_fin sees it, and the event count before."""
    start_instance("CZ-YS")
    head = api_as("head_fin")
    return head, inbox_task(head, "draft_letter"), count(InstanceEvent)


def test_inbox_lists_only_my_ready_tasks(api_as):
    start_instance("CZ-YS")
    start_instance("DC-DC")
    fin, insp = api_as("head_fin"), api_as("head_insp")
    assert [(t["bpmn_id"], t["department_name"]) for t in fin.get("/api/v1/tasks").get_json()] == [
        ("draft_letter", "预算科")
    ]
    assert [t["department_name"] for t in insp.get("/api/v1/tasks").get_json()] == ["督查科"]
    for username in ("admin", "leader_li", "leader_zhao", "staff_fin", "head_hr"):
        assert api_as(username).get("/api/v1/tasks").get_json() == [], username


def test_task_detail_describes_its_form(draft):
    head, task, _ = draft
    body = head.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert body["form"]["key"] == "letter_draft"
    assert body["form"]["fields"]["lines"]["required"] is True
    assert set(body["form"]["fields"]["lines"]["items"]) >= {
        "name",
        "direction",
        "target",
        "weight",
    }
    assert body["letter"] is None


def test_another_departments_task_is_404_without_data(draft, api_as):
    _, task, events = draft
    for username in ("head_insp", "leader_zhao"):
        api = api_as(username)
        for response in (
            api.get(f"/api/v1/tasks/{task['id']}"),
            api.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER}),
        ):
            error = error_of(response, 404, "not_found")
            assert set(error) == {"status", "code", "message"}
    _nothing_written(task["id"], events)


@pytest.mark.parametrize("username", ["staff_fin", "leader_li", "admin"])
def test_completing_as_a_non_candidate_is_403(draft, api_as, username):
    _, task, events = draft
    response = api_as(username).post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER}
    )
    error_of(response, 403, "forbidden")
    _nothing_written(task["id"], events)


def test_valid_draft_advances_the_workflow(draft, api_as):
    head, task, _ = draft
    response = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "completed"
    letter = db.session.scalars(sa.select(ResponsibilityLetter)).one()
    assert (letter.revision, letter.status, len(letter.lines)) == (1, "submitted", 4)
    assert head.get("/api/v1/tasks").get_json() == []
    assert inbox_task(api_as("leader_li"), "review_letter")["instance_id"] == task["instance_id"]


def test_completing_a_completed_task_is_409_and_changes_nothing(draft):
    head, task, _ = draft
    assert (
        head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER}).status_code
        == 200
    )
    events = count(InstanceEvent)
    again = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    error = error_of(again, 409, "conflict")
    assert error["task_status"] == "completed"
    assert count(ResponsibilityLetter) == 1 and count(InstanceEvent) == events


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (_letter(l1={"weight": "9"}), {"weight_total"}),
        (_letter(l0={"weight": "0"}, l1={"weight": "30"}), {"lines.0.weight"}),
        (_letter(l0={"weight": "-20"}), {"lines.0.weight"}),
        (_letter(l0={"weight": "120"}), {"lines.0.weight"}),
        (
            _letter(l0={"weight": "19.999"}, l1={"weight": "10.001"}),
            {"lines.0.weight", "lines.1.weight"},
        ),
        (_letter(l2={"weight": "abc"}), {"lines.2.weight"}),
        (_letter(l2={"weight": "NaN"}), {"lines.2.weight"}),
        (_letter(l2={"weight": "Infinity"}), {"lines.2.weight"}),
        (_letter(l2={"weight": None}), {"lines.2.weight"}),
        (_letter(l2={"weight": [35]}), {"lines.2.weight"}),
        (_letter(l3={"target": "1e400"}), {"lines.3.target"}),
        (_letter(l3={"direction": "sideways"}), {"lines.3.direction"}),
        (_letter(l3={"kind": "bonus"}), {"lines.3.kind"}),
        (_letter(l1={"name": "财务报表差错率"}), {"lines.1.name"}),
        (_letter(l1={"name": ""}), {"lines.1.name"}),
        (_letter(l1={"name": "名" * 101}), {"lines.1.name"}),
        (_letter(l1={"unit": "u" * 21}), {"lines.1.unit"}),
        (_letter(l0={"extra": 1}), {"lines.0.extra"}),
        ({"lines": []}, {"lines"}),
        ({"lines": "all of them"}, {"lines"}),
        ({"lines": {"0": VALID_LETTER["lines"][0]}}, {"lines"}),
        ({"lines": ["one", 2]}, {"lines.0._schema", "lines.1._schema"}),
        ({"note": "no lines"}, {"lines"}),
        ({}, {"lines"}),
        (dict(VALID_LETTER, note="注" * 2001), {"note"}),
        (
            {
                "lines": [
                    dict(VALID_LETTER["lines"][0], name=f"指标{i}", weight="1") for i in range(100)
                ]
            },
            {"lines"},
        ),
    ],
    ids=[
        "weights-sum-99",
        "weight-zero",
        "weight-negative",
        "weight-over-100",
        "weight-3-places",
        "weight-text",
        "weight-nan",
        "weight-infinity",
        "weight-null",
        "weight-list",
        "target-1e400",
        "bad-direction",
        "bad-kind",
        "duplicate-name",
        "empty-name",
        "long-name",
        "long-unit",
        "unknown-line-field",
        "no-lines",
        "lines-string",
        "lines-object",
        "lines-not-objects",
        "lines-missing",
        "empty-form",
        "long-note",
        "100-lines",
    ],
)
def test_bad_letters_are_422_keyed_to_the_line_and_write_nothing(draft, data, fields):
    head, task, events = draft
    response = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) == fields
    assert all(isinstance(m, list) and m for m in error["fields"].values())
    _nothing_written(task["id"], events)


def test_json_number_1e400_weight_is_422(draft):
    """1e400 parses as float infinity, which Decimal fields must refuse."""
    head, task, events = draft
    body = (
        '{"data": {"lines": [{"name": "a", "direction": "higher", "target": 1, "weight": 1e400}]}}'
    )
    response = head.post(
        f"/api/v1/tasks/{task['id']}/complete", data=body, content_type="application/json"
    )
    error = error_of(response, 422, "validation_failed")
    assert "lines.0.weight" in error["fields"]
    _nothing_written(task["id"], events)


@pytest.mark.parametrize(
    "payload",
    [
        {"data": [VALID_LETTER]},
        {"data": "lines"},
        {"data": None},
        {"data": 1},
        {},
        {"lines": []},
        [],
    ],
    ids=["list", "string", "null", "number", "empty", "no-data-key", "not-an-object"],
)
def test_data_that_is_not_an_object_is_a_clear_422(draft, payload):
    head, task, events = draft
    response = head.post(f"/api/v1/tasks/{task['id']}/complete", json=payload)
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) <= {"data", "lines", "_schema"}
    assert "_" not in error["fields"]
    _nothing_written(task["id"], events)


def test_huge_body_is_413_and_writes_nothing(draft):
    head, task, events = draft
    data = dict(VALID_LETTER, note="注" * MAX_BODY)
    response = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    error_of(response, 413, "request_entity_too_large")
    _nothing_written(task["id"], events)


def test_review_needs_a_decision_and_a_comment_when_sending_back(draft, api_as):
    head, task, _ = draft
    head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    leader = api_as("leader_li")
    review = inbox_task(leader, "review_letter")
    url = f"/api/v1/tasks/{review['id']}/complete"
    events = count(InstanceEvent)
    for data, field in [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "return"}, "comment"),
        ({"decision": "return", "comment": "   "}, "comment"),
        ({"decision": "approve", "comment": "意" * 2001}, "comment"),
    ]:
        error = error_of(leader.post(url, json={"data": data}), 422, "validation_failed")
        assert list(error["fields"]) == [field], data
    assert db.session.scalars(sa.select(ResponsibilityLetter)).one().status == "submitted"
    assert count(InstanceEvent) == events

    returned = leader.post(url, json={"data": {"decision": "return", "comment": "目标偏低"}})
    assert returned.status_code == 200
    redraft = inbox_task(head, "draft_letter")
    shown = head.get(f"/api/v1/tasks/{redraft['id']}").get_json()["letter"]
    assert (shown["revision"], shown["status"], shown["review_comment"]) == (
        1,
        "returned",
        "目标偏低",
    )


def test_signing_must_be_confirmed(draft, api_as):
    head, task, _ = draft
    head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    leader = api_as("leader_li")
    review = inbox_task(leader, "review_letter")
    leader.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "approve"}})
    sign = inbox_task(head, "sign_department")
    for data in ({}, {"confirm": False}, {"confirm": "maybe"}):
        response = head.post(f"/api/v1/tasks/{sign['id']}/complete", json={"data": data})
        assert list(error_of(response, 422, "validation_failed")["fields"]) == ["confirm"]
    assert count(AuditEvent, AuditEvent.action == "task.complete") == 2
    assert count(LetterSignature) == 0
