"""The working-day calendar through the API: read by everyone, kept by the centre."""

from __future__ import annotations

import pytest

from app.models import AuditEvent, CalendarDay
from tests.api.helpers import count, error_of

URL = "/api/v1/calendar/2026"
NATIONAL_DAY = [
    *({"date": f"2026-10-0{d}", "working": False, "note": "国庆节"} for d in range(1, 8)),
    {"date": "2026-10-10", "working": True, "note": "国庆节调休上班"},
]


def test_the_centre_replaces_a_year_and_everyone_reads_it(api_as):
    saved = api_as("admin").put(URL, json={"days": NATIONAL_DAY})
    assert saved.status_code == 200
    assert [(d["date"], d["working"]) for d in saved.get_json()][-2:] == [
        ("2026-10-07", False),
        ("2026-10-10", True),
    ]
    assert api_as("head_fin").get(URL).get_json() == saved.get_json()
    assert count(AuditEvent, AuditEvent.action == "calendar.replace") == 1

    replaced = api_as("admin").put(URL, json={"days": NATIONAL_DAY[:1]}).get_json()
    assert [d["date"] for d in replaced] == ["2026-10-01"]
    assert count(CalendarDay) == 1


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ([{"date": "2027-01-01", "working": False}], "days.0.date"),
        ([{"date": "2026-10-01", "working": False}] * 2, "days.1.date"),
        ([{"date": "2026-10-09", "working": True}], "days.0.date"),  # a Friday is worked anyway
    ],
)
def test_bad_days_are_422_on_the_day_and_write_nothing(api_as, days, field):
    error = error_of(api_as("admin").put(URL, json={"days": days}), 422, "validation_failed")
    assert field in error["fields"]
    assert count(CalendarDay) == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"days": "2026-10-01"},
        {"days": [{"date": "not a date", "working": False}]},
        {"days": [{"date": "2026-10-01"}]},
        {"days": [{"date": "2026-10-01", "working": False, "note": "x" * 101}]},
        {"days": [{"date": "2026-10-01", "working": False}] * 121},
    ],
)
def test_malformed_bodies_are_422_and_write_nothing(api_as, body):
    error_of(api_as("admin").put(URL, json=body), 422, "validation_failed")
    assert count(CalendarDay) == 0


def test_only_the_centre_keeps_it_and_odd_years_are_404(api_as):
    error_of(api_as("leader_li").put(URL, json={"days": []}), 403, "forbidden")
    error_of(api_as("admin").get("/api/v1/calendar/1999"), 404, "not_found")
    error_of(api_as("admin").put("/api/v1/calendar/2101", json={"days": []}), 404, "not_found")
