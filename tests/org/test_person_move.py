"""A person moved mid-year with open tasks: the move is dated and logged, their old roles end
(kept, never deleted), tasks they can no longer act on go back to the pool, and a task left with
no candidate is flagged to the centre, which reassigns it."""

from __future__ import annotations

from datetime import date

import pytest

from app.models import HumanTask, InstanceEvent, Notice, PersonMove, RoleAssignment
from tests.conftest import VALID_LETTER, person
from tests.org.conftest import audit_actions, fresh

TODAY = date(2026, 1, 5)


def _move(api_as, city, username="head_fin", to="CZ-KJ", **extra):
    return api_as("admin").post(
        f"/api/v1/people/{city.people[username]}/move",
        json={"to_department_id": city.departments[to], "reason": "轮岗交流", **extra},
    )


@pytest.mark.parametrize("claimed", [True, False], ids=["claimed", "unclaimed"])
def test_moving_the_only_candidate_flags_the_task_to_the_centre(api_as, city, claimed):
    draft = city.drafts["CZ-YS"]
    head = api_as("head_fin")
    if claimed:
        assert head.post(f"/api/v1/tasks/{draft}/claim").status_code == 200
        assert fresh(HumanTask, draft).assignee_id == city.people["head_fin"]

    response = _move(api_as, city)
    assert response.status_code == 201, response.get_json()
    moved = response.get_json()
    assert moved["released_task_ids"] == ([draft] if claimed else [])

    task = fresh(HumanTask, draft)
    assert (task.status, task.assignee_id, task.no_candidate) == ("ready", None, True)
    released = InstanceEvent.query.filter_by(kind="task_released").all()
    if claimed:
        [event] = released
        assert event.detail["from_person_id"] == city.people["head_fin"]
        assert event.actor_id == city.people["admin"]
        assert "轮岗交流" in event.detail["reason"]
    else:
        assert released == []

    notices = Notice.query.filter_by(kind="task_no_candidate").all()
    assert sorted(n.person_id for n in notices) == sorted(
        [city.people["admin"], city.people["centre_liu"]]
    )
    assert all(n.instance_id == city.instances["CZ-YS"] for n in notices)
    assert all("预算科" in n.message for n in notices)

    [row] = PersonMove.query.all()
    assert (row.person_id, row.from_department_id, row.to_department_id) == (
        city.people["head_fin"],
        city.departments["CZ-YS"],
        city.departments["CZ-KJ"],
    )
    assert (row.effective_on, row.reason, row.by_id) == (TODAY, "轮岗交流", city.people["admin"])
    assert (
        "org.person_moved",
        city.people["admin"],
        str(city.people["head_fin"]),
    ) in audit_actions()


def test_the_moved_persons_old_role_ends_and_they_lose_sight(api_as, city):
    head = api_as("head_fin")
    draft = city.drafts["CZ-YS"]
    head.post(f"/api/v1/tasks/{draft}/claim")
    assert _move(api_as, city).status_code == 201

    roles = {
        (a.role, a.department.code, a.valid_from, a.valid_to)
        for a in RoleAssignment.query.filter_by(person_id=city.people["head_fin"])
    }
    old = next(r for r in roles if r[0] == "department_head")
    assert old[1:] == ("CZ-YS", old[2], TODAY)  # ended today, kept on record
    assert ("staff", "CZ-KJ", TODAY, None) in roles
    assert person("head_fin").department.code == "CZ-KJ"

    assert head.get("/api/v1/tasks").get_json() == []
    assert head.get(f"/api/v1/tasks/{draft}").status_code == 404
    assert head.get(f"/api/v1/instances/{city.instances['CZ-YS']}").status_code == 404
    assert (
        head.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER}).status_code == 404
    )
    assert {d["code"] for d in head.get("/api/v1/departments").get_json()} == {"CZ-KJ"}


def test_the_centre_reassigns_the_orphaned_task_and_the_new_holder_completes_it(api_as, city):
    draft = city.drafts["CZ-YS"]
    api_as("head_fin").post(f"/api/v1/tasks/{draft}/claim")
    _move(api_as, city)
    response = api_as("admin").post(
        f"/api/v1/tasks/{draft}/reassign",
        json={"to_person_id": city.people["staff_ys2"], "reason": "负责人调离，由蒋伟代为起草"},
    )
    assert response.status_code == 200, response.get_json()
    task = fresh(HumanTask, draft)
    assert (task.assignee_id, task.no_candidate) == (city.people["staff_ys2"], False)

    holder = api_as("staff_ys2")
    assert [t["id"] for t in holder.get("/api/v1/tasks?scope=mine").get_json()] == [draft]
    done = holder.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER})
    assert done.status_code == 200, done.get_json()
    assert fresh(HumanTask, draft).completed_by_id == city.people["staff_ys2"]
    kinds = [e.kind for e in InstanceEvent.query.order_by(InstanceEvent.id)]
    assert (
        kinds.index("task_released")
        < kinds.index("task_reassigned")
        < kinds.index("task_completed")
    )


def test_with_another_candidate_the_task_goes_back_to_the_pool_unflagged(api_as, city):
    draft = city.drafts["CZ-YS"]
    granted = api_as("admin").post(
        f"/api/v1/people/{city.people['staff_ys2']}/roles",
        json={
            "role": "department_head",
            "department_id": city.departments["CZ-YS"],
            "reason": "副职",
        },
    )
    assert granted.status_code == 201
    api_as("head_fin").post(f"/api/v1/tasks/{draft}/claim")
    assert _move(api_as, city).status_code == 201
    task = fresh(HumanTask, draft)
    assert (task.assignee_id, task.no_candidate) == (None, False)
    assert Notice.query.count() == 0
    group = api_as("staff_ys2").get("/api/v1/tasks?scope=group").get_json()
    assert [t["id"] for t in group] == [draft]


def test_tasks_of_other_departments_stay_with_the_mover(api_as, city):
    """Moving into DC-DC's leader's area is not the point: only tasks the person may no longer
    act on are released. head_insp's DC-DC task is untouched by head_fin's move."""
    api_as("head_insp").post(f"/api/v1/tasks/{city.drafts['DC-DC']}/claim")
    _move(api_as, city)
    assert fresh(HumanTask, city.drafts["DC-DC"]).assignee_id == city.people["head_insp"]


@pytest.mark.parametrize(
    ("extra", "to", "status"),
    [
        ({"effective_on": "2026-01-06"}, "CZ-KJ", 422),  # tomorrow
        ({"effective_on": "2024-12-01"}, "CZ-KJ", 422),  # over a year back
        ({}, "CZ-YS", 409),  # already there
        ({"reason": ""}, "CZ-KJ", 422),
        ({"reason": "   "}, "CZ-KJ", 422),
        ({"reason": "很" * 201}, "CZ-KJ", 422),
        ({"effective_on": "not a date"}, "CZ-KJ", 422),
    ],
)
def test_bad_moves_change_nothing(api_as, city, extra, to, status):
    draft = city.drafts["CZ-YS"]
    api_as("head_fin").post(f"/api/v1/tasks/{draft}/claim")
    response = _move(api_as, city, to=to, **extra)
    assert response.status_code == status, response.get_json()
    assert PersonMove.query.count() == 0
    assert person("head_fin").department.code == "CZ-YS"
    assert fresh(HumanTask, draft).assignee_id == city.people["head_fin"]
    assert all(a.valid_to is None for a in person("head_fin").roles)


@pytest.mark.parametrize(
    ("person_id", "body", "status"),
    [
        (99999, {"to_department_id": 1, "reason": "x"}, 404),
        ("head_fin", {"to_department_id": 99999, "reason": "x"}, 404),
        ("head_fin", {"to_department_id": "2", "reason": "x"}, 422),
        ("head_fin", {"reason": "x"}, 422),
    ],
)
def test_moves_of_unknown_things(api_as, city, person_id, body, status):
    target = city.people.get(person_id, person_id)
    response = api_as("admin").post(f"/api/v1/people/{target}/move", json=body)
    assert response.status_code == status, response.get_json()
    assert PersonMove.query.count() == 0


def test_a_backdated_move_ends_every_role_still_running_on_that_day(api_as, city):
    admin = api_as("admin")
    granted = admin.post(
        f"/api/v1/people/{city.people['staff_ys2']}/roles",
        json={
            "role": "department_head",
            "department_id": city.departments["CZ-YS"],
            "valid_from": "2025-12-01",
        },
    )
    assert granted.status_code == 201
    response = _move(api_as, city, username="staff_ys2", effective_on="2026-01-02")
    assert response.status_code == 201, response.get_json()
    periods = {
        a.role: (a.department.code, a.valid_from, a.valid_to) for a in person("staff_ys2").roles
    }
    assert periods["department_head"] == ("CZ-YS", date(2025, 12, 1), date(2026, 1, 2))
    # The demo's staff role began today, after the move date: it ends with an empty period.
    assert [
        a for a in person("staff_ys2").roles if a.department.code == "CZ-YS" and a.valid_to is None
    ] == []
    assert [a.department.code for a in person("staff_ys2").current_roles()] == ["CZ-KJ"]
    assert PersonMove.query.one().effective_on == date(2026, 1, 2)
