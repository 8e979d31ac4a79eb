"""Claim, unclaim, delegate and reassign a task open to two candidates; every change is in the
instance's history and the audit trail."""

from __future__ import annotations

import pytest

from app.models import HumanTask
from tests.conftest import VALID_LETTER
from tests.org.conftest import audit_actions, fresh


@pytest.fixture
def two_heads(api_as, city):
    """staff_ys2 becomes a second department head of CZ-YS (through the API)."""
    response = api_as("admin").post(
        f"/api/v1/people/{city.people['staff_ys2']}/roles",
        json={
            "role": "department_head",
            "department_id": city.departments["CZ-YS"],
            "reason": "副科长",
        },
    )
    assert response.status_code == 201, response.get_json()
    return api_as("head_fin"), api_as("staff_ys2")


def _ids(api, scope):
    response = api.get(f"/api/v1/tasks?scope={scope}")
    assert response.status_code == 200
    return [t["id"] for t in response.get_json()]


def _history(api_as, city):
    body = api_as("admin").get(f"/api/v1/instances/{city.instances['CZ-YS']}").get_json()
    return [
        (e["kind"], e["actor_id"], e["detail"])
        for e in body["history"]
        if e["kind"].startswith("task_")
    ]


def test_a_claim_takes_the_task_from_the_other_candidate(api_as, city, two_heads):
    head, second = two_heads
    draft = city.drafts["CZ-YS"]
    assert _ids(head, "group") == _ids(second, "group") == [draft]

    claimed = head.post(f"/api/v1/tasks/{draft}/claim")
    assert claimed.status_code == 200
    assert claimed.get_json()["assignee_id"] == city.people["head_fin"]
    assert _ids(head, "mine") == [draft]
    assert _ids(second, "group") == _ids(second, "all") == []

    assert second.post(f"/api/v1/tasks/{draft}/claim").status_code == 409
    assert (
        second.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER}).status_code
        == 403
    )
    assert second.post(f"/api/v1/tasks/{draft}/unclaim").status_code == 403
    delegated = second.post(
        f"/api/v1/tasks/{draft}/delegate",
        json={"to_person_id": city.people["staff_fin"], "reason": "抢活"},
    )
    assert delegated.status_code == 403
    task = fresh(HumanTask, draft)
    assert (task.status, task.assignee_id) == ("ready", city.people["head_fin"])

    # Claiming again what I already hold is harmless.
    assert head.post(f"/api/v1/tasks/{draft}/claim").status_code == 200
    assert [k for k, *_ in _history(api_as, city)] == ["task_claimed"]


def test_unclaim_returns_the_task_to_the_pool(api_as, city, two_heads):
    head, second = two_heads
    draft = city.drafts["CZ-YS"]
    head.post(f"/api/v1/tasks/{draft}/claim")
    response = head.post(f"/api/v1/tasks/{draft}/unclaim")
    assert response.status_code == 200
    assert response.get_json()["assignee_id"] is None
    assert _ids(second, "group") == [draft]
    assert second.post(f"/api/v1/tasks/{draft}/claim").status_code == 200
    assert [(k, a) for k, a, _ in _history(api_as, city)] == [
        ("task_claimed", city.people["head_fin"]),
        ("task_unclaimed", city.people["head_fin"]),
        ("task_claimed", city.people["staff_ys2"]),
    ]
    assert [a[0] for a in audit_actions(object_type="human_task")] == [
        "task.claimed",
        "task.unclaimed",
        "task.claimed",
    ]


def test_delegate_to_a_colleague_with_a_reason(api_as, city, two_heads):
    head, _ = two_heads
    draft = city.drafts["CZ-YS"]
    head.post(f"/api/v1/tasks/{draft}/claim")
    response = head.post(
        f"/api/v1/tasks/{draft}/delegate",
        json={"to_person_id": city.people["staff_fin"], "reason": "出差一周"},
    )
    assert response.status_code == 200, response.get_json()
    assert fresh(HumanTask, draft).assignee_id == city.people["staff_fin"]
    staff = api_as("staff_fin")
    assert _ids(staff, "mine") == [draft]
    assert (
        head.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER}).status_code == 403
    )
    assert (
        staff.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER}).status_code
        == 200
    )
    assert (
        "task_delegated",
        city.people["head_fin"],
        {"to_person_id": city.people["staff_fin"], "reason": "出差一周"},
    ) in _history(api_as, city)
    assert ("task.delegated", city.people["head_fin"], str(draft)) in audit_actions()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_person_id": "staff_fin"}, "reason"),  # no reason
        ({"to_person_id": "staff_fin", "reason": ""}, "reason"),
        ({"to_person_id": "staff_fin", "reason": "   "}, "reason"),
        ({"to_person_id": "staff_fin", "reason": "长" * 201}, "reason"),
        ({"to_person_id": "staff_dc", "reason": "外援"}, "to_person_id"),  # another department
        ({"to_person_id": "head_fin", "reason": "自己"}, "to_person_id"),  # myself
        ({"to_person_id": 99999, "reason": "查无此人"}, "to_person_id"),
        ({"to_person_id": "7", "reason": "字符串"}, "to_person_id"),
        ({"reason": "没有人"}, "to_person_id"),
    ],
)
def test_bad_delegations_change_nothing(api_as, city, body, field):
    head = api_as("head_fin")
    draft = city.drafts["CZ-YS"]
    head.post(f"/api/v1/tasks/{draft}/claim")
    if isinstance(body.get("to_person_id"), str) and body["to_person_id"] in city.people:
        body = body | {"to_person_id": city.people[body["to_person_id"]]}
    response = head.post(f"/api/v1/tasks/{draft}/delegate", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in str(response.get_json()["error"].get("fields"))
    assert fresh(HumanTask, draft).assignee_id == city.people["head_fin"]
    assert audit_actions(action="task.delegated") == []


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "kh_chen", "staff_ys2"])
def test_only_the_centre_reassigns(api_as, city, two_heads, username):
    draft = city.drafts["CZ-YS"]
    response = api_as(username).post(
        f"/api/v1/tasks/{draft}/reassign",
        json={"to_person_id": city.people["staff_fin"], "reason": "我来安排"},
    )
    assert response.status_code == 403
    assert fresh(HumanTask, draft).assignee_id is None


def test_the_centre_reassigns_a_claimed_task(api_as, city, two_heads):
    head, second = two_heads
    draft = city.drafts["CZ-YS"]
    head.post(f"/api/v1/tasks/{draft}/claim")
    response = api_as("admin").post(
        f"/api/v1/tasks/{draft}/reassign",
        json={"to_person_id": city.people["staff_ys2"], "reason": "负责人病假"},
    )
    assert response.status_code == 200
    assert _ids(second, "mine") == [draft]
    assert _ids(head, "all") == []
    assert ("task.reassigned", city.people["admin"], str(draft)) in audit_actions()
    assert (
        "task_reassigned",
        city.people["admin"],
        {"to_person_id": city.people["staff_ys2"], "reason": "负责人病假"},
    ) in _history(api_as, city)


def test_a_completed_task_cannot_be_handed_over(api_as, city, two_heads):
    head, second = two_heads
    draft = city.drafts["CZ-YS"]
    assert (
        head.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER}).status_code == 200
    )
    assert second.post(f"/api/v1/tasks/{draft}/claim").status_code == 409
    assert head.post(f"/api/v1/tasks/{draft}/unclaim").status_code == 409
    reassigned = api_as("admin").post(
        f"/api/v1/tasks/{draft}/reassign",
        json={"to_person_id": city.people["staff_fin"], "reason": "迟了"},
    )
    assert reassigned.status_code == 409
    assert fresh(HumanTask, draft).status == "completed"


@pytest.mark.parametrize("action", ["claim", "unclaim"])
def test_unknown_tasks(api_as, city, action):
    assert api_as("head_fin").post(f"/api/v1/tasks/99999/{action}").status_code == 404
