"""GET /api/v1/overdue: the overdue board's rows, scoped to the departments the caller tracks,
with ages in calendar and working days, the cards the sweep gave, filters and 422s."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import reads_workflow_state, sql_statements
from tests.pages.overdue_scenario import NOW, OverdueCity, build

URL = "/api/v1/overdue"
# (department, step, state, card, calendar days, working days, holder), oldest first
EXPECTED = [
    ("CZ-YS", "draft_letter", "overdue", "red_card", 5, 2, "陈晓"),
    ("CZ-KJ", "review_letter", "overdue", "red_card", 3, 2, None),
    ("RS-RS", "draft_letter", "overdue", "yellow_card", 1, 1, None),
    ("DC-DC", "draft_letter", "due_soon", "reminder", 0, 0, None),
]


@pytest.fixture
def city(app, org, clock) -> OverdueCity:
    return build(clock)


def _codes(city: OverdueCity, body: dict) -> list[str]:
    by_id = {ident: code for code, ident in city.departments.items()}
    return [by_id[row["department_id"]] for row in body["rows"]]


def _get(api_as, username: str, **query):
    response = api_as(username).get(URL, query_string=query)
    assert response.status_code == 200, response.get_data(True)[:500]
    return response.get_json()


def test_the_sweep_gave_the_cards_the_board_shows(city):
    assert city.swept == {"red_card": 2, "yellow_card": 1, "reminder": 1}


def test_the_centre_sees_every_row_with_its_age_card_and_holder(city, api_as):
    body = _get(api_as, "admin")
    assert body["now"] == NOW.isoformat()
    assert body["soon_days"] == 2
    assert body["soon_until"] == datetime(2026, 1, 22, 2, 0, tzinfo=UTC).isoformat()
    got = [
        (
            code,
            row["bpmn_id"],
            row["state"],
            row["escalation"],
            row["overdue_days"],
            row["overdue_working_days"],
            row["holder"],
        )
        for code, row in zip(_codes(city, body), body["rows"], strict=True)
    ]
    assert got == EXPECTED
    first = body["rows"][0]
    assert first["task_id"] == city.tasks["CZ-YS"]
    assert first["instance_id"] == city.instances["CZ-YS"]
    assert first["due_at"] == "2026-01-15T01:00:00+00:00"  # 09:00 in Beijing
    assert (first["unit"], first["department"], first["year"]) == ("市财政局", "预算科", 2026)
    assert (first["name"], first["role"]) == ("起草绩效责任书", "department_head")
    assert body["rows"][1]["role"] == "supervising_leader"  # the review waits for a leader
    assert body["counts"] == {"overdue": 3, "yellow_card": 1, "red_card": 2, "due_soon": 1}


def test_without_the_holiday_friday_counts_as_a_working_day(app, org, clock, api_as):
    city = build(clock, holiday=False)
    body = _get(api_as, "admin")
    rows = dict(zip(_codes(city, body), body["rows"], strict=True))
    assert (rows["CZ-YS"]["overdue_days"], rows["CZ-YS"]["overdue_working_days"]) == (5, 3)
    # Sat 17 → Tue 20: the weekend is not counted either way
    assert rows["CZ-KJ"]["overdue_working_days"] == 2
    assert rows["RS-RS"]["escalation"] == "yellow_card"


def test_a_step_due_earlier_today_is_overdue_by_zero_days(city, api_as, clock):
    clock.set(datetime(2026, 1, 21, 3, 0, tzinfo=UTC))  # 督查科's draft fell due at 09:00
    row = _get(api_as, "head_insp")["rows"][0]
    assert (row["state"], row["overdue_days"], row["overdue_working_days"]) == ("overdue", 0, 0)
    assert row["escalation"] == "reminder"  # no sweep since: the board shows what was sent


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("leader_li", ["CZ-YS", "RS-RS"]),  # 预算科 and 人事科
        ("leader_wang", ["CZ-KJ"]),  # 会计科 and 国库科
        ("head_fin", ["CZ-YS"]),
        ("head_hr", ["RS-RS"]),
        ("head_insp", ["DC-DC"]),
        ("leader_sun", []),  # leads departments with nothing overdue
    ],
)
def test_each_supervisor_sees_only_their_departments(city, api_as, username, codes):
    body = _get(api_as, username)
    assert _codes(city, body) == codes
    overdue = sum(code != "DC-DC" for code in codes)
    assert body["counts"]["overdue"] == overdue
    assert body["counts"]["due_soon"] == codes.count("DC-DC")


@pytest.mark.parametrize("username", ["staff_fin", "kh_chen", "fy_he", "expert_gao"])
def test_people_who_track_nothing_are_refused(city, api_as, username):
    response = api_as(username).get(URL)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_anonymous_needs_a_token(city, client):
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"year": 2026}, ["CZ-YS", "CZ-KJ", "RS-RS", "DC-DC"]),
        ({"year": 2025}, []),
        ({"level": "overdue"}, ["CZ-YS", "CZ-KJ", "RS-RS"]),
        ({"level": "due_soon"}, ["DC-DC"]),
        ({"level": "yellow_card"}, ["RS-RS"]),
        ({"level": "red_card"}, ["CZ-YS", "CZ-KJ"]),
        ({"order": "newest"}, ["DC-DC", "RS-RS", "CZ-KJ", "CZ-YS"]),
        ({"order": "newest", "level": "red_card"}, ["CZ-KJ", "CZ-YS"]),
        ({"soon_days": 0}, ["CZ-YS", "CZ-KJ", "RS-RS"]),
        ({"year": 2026, "level": "overdue", "order": "newest"}, ["RS-RS", "CZ-KJ", "CZ-YS"]),
    ],
)
def test_filters_and_order(city, api_as, query, codes):
    assert _codes(city, _get(api_as, "admin", **query)) == codes


def test_the_department_filter_and_counts_before_the_level_filter(city, api_as):
    rs = city.departments["RS-RS"]
    body = _get(api_as, "leader_li", department_id=rs, level="red_card")
    assert body["rows"] == []
    assert body["counts"] == {"overdue": 1, "yellow_card": 1, "red_card": 0, "due_soon": 0}
    assert _codes(city, _get(api_as, "admin", department_id=rs)) == ["RS-RS"]


def test_a_wider_window_brings_later_steps(city, api_as, clock):
    # 督查科's draft is due Wed 21 09:00: the window alone decides whether it is listed
    assert _codes(city, _get(api_as, "head_insp", soon_days=1)) == ["DC-DC"]
    clock.set(datetime(2026, 1, 18, 2, 0, tzinfo=UTC))
    assert _codes(city, _get(api_as, "head_insp")) == []
    assert _codes(city, _get(api_as, "head_insp", soon_days=4)) == ["DC-DC"]


@pytest.mark.parametrize(
    "code",
    ["DC-DC", "CZ-KJ"],  # not leader_li's, whether or not it has rows
)
def test_a_department_outside_the_scope_is_not_found(city, api_as, code):
    response = api_as("leader_li").get(URL, query_string={"department_id": city.departments[code]})
    assert response.status_code == 404
    assert "督查科" not in response.get_data(True)


def test_an_unknown_department_is_not_found(city, api_as):
    assert api_as("admin").get(URL, query_string={"department_id": 999_999}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": "abc"}, "year"),
        ({"year": "1999"}, "year"),
        ({"department_id": "x"}, "department_id"),
        ({"department_id": "0"}, "department_id"),
        ({"level": "purple"}, "level"),
        ({"level": "yellow"}, "level"),
        ({"soon_days": "-1"}, "soon_days"),
        ({"soon_days": "31"}, "soon_days"),
        ({"order": "up"}, "order"),
    ],
)
def test_bad_filters_are_422_with_the_field(city, api_as, query, field):
    response = api_as("admin").get(URL, query_string=query)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]


def test_the_board_reads_the_projection_never_the_workflow_state(city, api_as):
    with sql_statements() as statements:
        _get(api_as, "admin")
    board = [s for s in statements if "human_task" in s]
    assert len(board) == 1  # one query for the rows
    assert not any(reads_workflow_state(s) for s in statements)
