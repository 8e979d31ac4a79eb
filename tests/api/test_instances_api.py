"""Instances: start one per department and year (centre admins), read it, retry it."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, HumanTask, InstanceEvent, ProcessInstance
from tests.api.helpers import count, error_of
from tests.conftest import start_instance


def test_start_creates_the_instance_with_its_first_task(api_as):
    response = api_as("admin").post("/api/v1/instances", json={"department_id": 1, "year": 2026})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["department_name"], body["year"], body["status"]) == (
        "预算科",
        2026,
        "waiting_people",
    )
    assert body["definition_version"] == 1
    assert count(ProcessInstance) == 1
    assert list(db.session.scalars(sa.select(HumanTask.bpmn_id))) == ["draft_letter"]


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "staff_fin"])
def test_only_centre_admins_start_instances(api_as, username):
    response = api_as(username).post("/api/v1/instances", json={"department_id": 1, "year": 2026})
    error_of(response, 403, "forbidden")
    assert count(ProcessInstance) == 0 and count(Campaign) == 0


def test_starting_the_same_department_and_year_twice_is_409(api_as):
    api = api_as("admin")
    assert api.post("/api/v1/instances", json={"department_id": 1, "year": 2026}).status_code == 201
    events = count(InstanceEvent)
    again = api.post("/api/v1/instances", json={"department_id": 1, "year": 2026})
    error_of(again, 409, "conflict")
    assert count(ProcessInstance) == 1 and count(HumanTask) == 1
    assert count(InstanceEvent) == events
    # another year, or another department, is fine
    assert api.post("/api/v1/instances", json={"department_id": 1, "year": 2027}).status_code == 201
    assert api.post("/api/v1/instances", json={"department_id": 2, "year": 2026}).status_code == 201


def test_unknown_department_is_404_and_writes_nothing(api_as):
    response = api_as("admin").post("/api/v1/instances", json={"department_id": 999, "year": 2026})
    error_of(response, 404, "not_found")
    assert count(ProcessInstance) == 0 and count(Campaign) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"department_id": 1, "year": "abc"}, "year"),
        ({"department_id": 1, "year": "2026"}, "year"),
        ({"department_id": 1, "year": 99999}, "year"),
        ({"department_id": 1, "year": 1999}, "year"),
        ({"department_id": 1, "year": 2026.5}, "year"),
        ({"department_id": 1, "year": None}, "year"),
        ({"department_id": 1}, "year"),
        ({"department_id": [1], "year": 2026}, "department_id"),
        ({"department_id": {"id": 1}, "year": 2026}, "department_id"),
        ({"department_id": True, "year": 2026}, "department_id"),
        ({"department_id": 0, "year": 2026}, "department_id"),
        ({"department_id": -1, "year": 2026}, "department_id"),
        ({"department_id": 2**31, "year": 2026}, "department_id"),
        ({"year": 2026}, "department_id"),
        ({"department_id": 1, "year": 2026, "process_key": "other"}, "process_key"),
        ([{"department_id": 1, "year": 2026}], "_schema"),
        ("department 1", "_schema"),
    ],
)
def test_bad_start_requests_are_422_with_the_field(api_as, payload, field):
    response = api_as("admin").post("/api/v1/instances", json=payload)
    error = error_of(response, 422, "validation_failed")
    assert field in error["fields"]
    assert count(ProcessInstance) == 0 and count(Campaign) == 0


def test_instance_detail_has_tasks_and_history(api_as):
    instance = start_instance()
    body = api_as("head_fin").get(f"/api/v1/instances/{instance.id}").get_json()
    assert body["id"] == instance.id and body["department_name"] == "预算科"
    assert [(t["bpmn_id"], t["status"], t["role"]) for t in body["tasks"]] == [
        ("draft_letter", "ready", "department_head")
    ]
    assert body["history"][0]["kind"] == "started"
    assert body["history"][0]["actor_name"] == "王敏"
    assert "state" not in body  # the serialized workflow stays inside


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("admin", True),
        ("head_fin", True),
        ("staff_fin", True),
        ("leader_li", True),  # supervises 预算科
        ("head_insp", False),
        ("leader_zhao", False),
        ("head_hr", False),
    ],
)
def test_only_the_department_its_leader_and_the_centre_see_an_instance(api_as, username, visible):
    instance = start_instance("CZ-YS")
    response = api_as(username).get(f"/api/v1/instances/{instance.id}")
    if visible:
        assert response.status_code == 200
        return
    error = error_of(response, 404, "not_found")  # the same answer as for an unknown id
    text = response.get_data(as_text=True)
    assert "预算科" not in text and "draft_letter" not in text
    assert set(error) == {"status", "code", "message"}


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "staff_fin", "head_insp"])
def test_only_centre_admins_retry(api_as, username):
    instance = start_instance()
    error_of(api_as(username).post(f"/api/v1/instances/{instance.id}/retry"), 403, "forbidden")
    assert count(InstanceEvent, InstanceEvent.kind == "retried") == 0


def test_retrying_an_instance_that_is_not_in_error_is_409(api_as):
    instance = start_instance()
    error = error_of(
        api_as("admin").post(f"/api/v1/instances/{instance.id}/retry"), 409, "conflict"
    )
    assert "waiting_people" in error["message"]
    assert count(InstanceEvent, InstanceEvent.kind == "retried") == 0
