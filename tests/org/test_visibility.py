"""List endpoints return only what the caller may see: departments, people, and the inbox."""

from __future__ import annotations

import pytest

from tests.org.conftest import DC_DC_SECRETS, readable

CZ_YS_PEOPLE = {"head_fin", "staff_fin", "staff_ys2"}


@pytest.mark.parametrize(
    ("username", "departments"),
    [
        ("head_fin", {"CZ-YS"}),
        ("staff_fin", {"CZ-YS"}),
        ("leader_li", {"CZ-YS", "RS-RS"}),
        ("leader_zhao", {"DC-DC", "JG-ZH"}),
        ("expert_gao", set()),
        ("kh_chen", "all"),
        ("fy_he", "all"),
        ("admin", "all"),
    ],
)
def test_departments_list_is_scoped(api_as, city, username, departments):
    response = api_as(username).get("/api/v1/departments")
    assert response.status_code == 200
    codes = {d["code"] for d in response.get_json()}
    assert codes == (set(city.departments) if departments == "all" else departments)


@pytest.mark.parametrize(
    ("username", "people"),
    [
        ("head_fin", CZ_YS_PEOPLE),
        ("staff_ys2", CZ_YS_PEOPLE),
        ("head_insp", {"head_insp", "staff_dc"}),
        ("leader_li", {"leader_li"}),  # no department: only themself
        ("expert_gao", {"expert_gao"}),
    ],
)
def test_people_list_is_scoped(api_as, city, username, people):
    response = api_as(username).get("/api/v1/people")
    assert response.status_code == 200
    assert {p["username"] for p in response.get_json()} == people


def test_the_centre_lists_everyone(api_as, city):
    people = api_as("admin").get("/api/v1/people").get_json()
    assert {p["username"] for p in people} == set(city.people)
    assert len(people) == 38


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("head_fin", ["CZ-YS"]),
        ("head_insp", ["DC-DC"]),
        ("staff_fin", []),  # the draft is the department head's
        ("leader_li", []),  # nothing waits for the leader yet
        ("admin", []),  # the centre reassigns; it is no candidate
        ("expert_gao", []),
    ],
)
def test_inbox_holds_only_tasks_of_my_departments(api_as, city, username, codes):
    tasks = api_as(username).get("/api/v1/tasks").get_json()
    by_id = {code: city.drafts[code] for code in codes}
    assert sorted(t["id"] for t in tasks) == sorted(by_id.values())


def test_a_unit_scoped_role_sees_only_its_units_tasks(api_as, city):
    """A department head over the whole of 市财政局 (unit CZJ) gets CZ-YS's draft, never
    DC-DC's (督查室), in the inbox and in what they may claim."""
    unit_id = api_as("admin").get("/api/v1/departments").get_json()
    czj = next(d["unit"]["id"] for d in unit_id if d["code"] == "CZ-YS")
    granted = api_as("admin").post(
        f"/api/v1/people/{city.people['head_kj']}/roles",
        json={"role": "department_head", "unit_id": czj},
    )
    assert granted.status_code == 201, granted.get_json()
    head = api_as("head_kj")
    for scope in ("all", "group"):
        tasks = head.get(f"/api/v1/tasks?scope={scope}").get_json()
        assert [t["id"] for t in tasks] == [city.drafts["CZ-YS"]]
    assert head.post(f"/api/v1/tasks/{city.drafts['DC-DC']}/claim").status_code == 404
    assert head.post(f"/api/v1/tasks/{city.drafts['CZ-YS']}/claim").status_code == 200


@pytest.mark.parametrize("username", ["head_fin", "staff_fin", "leader_li", "expert_gao"])
def test_no_list_carries_another_departments_data(api_as, city, username):
    api = api_as(username)
    for url in ("/api/v1/departments", "/api/v1/people", "/api/v1/tasks", "/api/v1/me"):
        response = api.get(url)
        assert response.status_code == 200
        body = readable(response)
        assert not [s for s in DC_DC_SECRETS if s in body], (url, body[:300])
