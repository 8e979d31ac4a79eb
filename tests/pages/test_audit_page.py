"""The audit trail page: the centre only, filters, paging, and bad filters as 400, never 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services import audit
from app.services.transactions import unit_of_work
from tests.conftest import person

URL = "/admin/audit"


def _record(action: str, username: str | None, object_type: str, object_id, **detail) -> int:
    def write():
        audit.record(
            action, person(username) if username else None, object_type, object_id, **detail
        )
        db.session.flush()

    unit_of_work(write)
    from app.models import AuditEvent

    return db.session.scalars(db.select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()


@pytest.fixture
def trail(client, login_as, clock) -> SimpleNamespace:
    """The admin signed in on 2026-01-05 09:00 (Beijing), then three events on three days; the
    last at 01:30 on 2026-01-08 in Beijing, which is still 2026-01-07 in UTC."""
    assert login_as("admin").status_code == 302
    completed = _record("task.complete", "head_fin", "human_task", 70007, comment="同意")
    clock.advance(timedelta(days=1))
    issued = _record("token.issue", "admin", "api_token", 70003, scopes=["read", "tasks"])
    clock.advance(timedelta(days=1, hours=16, minutes=30))
    claimed = _record("task.claim", "leader_li", "human_task", 70008)
    return SimpleNamespace(completed=completed, issued=issued, claimed=claimed)


def shown(response) -> list[int]:
    assert response.status_code == 200, response.get_data(True)[:500]
    return [int(i) for i in re.findall(r'<tr data-event-id="(\d+)">', response.get_data(True))]


def test_the_centre_sees_the_trail_newest_first_in_beijing_time(client, trail):
    response = client.get(URL)
    ids = shown(response)
    assert ids == sorted(ids, reverse=True)
    assert ids[:3] == [trail.claimed, trail.issued, trail.completed]
    body = response.get_data(True)
    assert "2026-01-08 01:30:00" in body  # stored as 2026-01-07 17:30 UTC
    assert "2026-01-05 09:00:00" in body
    assert "陈晓" in body and "head_fin" in body  # who
    assert "<code>task.complete</code>" in body
    assert "human_task #70007" in body
    assert "comment=同意" in body and 'scopes=["read", "tasks"]' in html.unescape(body)
    assert "127.0.0.1" in body  # the admin's sign-in came from the test client
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert f'id="audit-total">{total}<' in body
    assert len(ids) == min(total, 50)  # one page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "head_fin"}, ["completed"]),
        ({"actor": " leader_li "}, ["claimed"]),
        ({"actor": "nobody"}, []),
        ({"action": "task."}, ["claimed", "completed"]),
        ({"action": "token.issue"}, ["issued"]),
        ({"object_type": "human_task"}, ["claimed", "completed"]),
        ({"object_type": "human_task", "object_id": "70008"}, ["claimed"]),
        ({"object_id": "70003"}, ["issued"]),
        ({"since": "2026-01-08"}, ["claimed"]),  # Beijing days, not UTC days
        ({"since": "2026-01-06", "until": "2026-01-06"}, ["issued"]),
        ({"action": "task.", "until": "2026-01-07"}, ["completed"]),
        ({"actor": "admin", "action": "token."}, ["issued"]),
    ],
)
def test_each_filter_shows_only_the_matching_rows(client, trail, query, expected):
    ids = shown(client.get(URL, query_string=query))
    assert ids == [getattr(trail, name) for name in expected]
    if not expected:
        assert "没有符合条件的记录" in client.get(URL, query_string=query).get_data(True)


def test_paging_keeps_the_filters(client, login_as):
    login_as("admin")

    def many():
        for n in range(120):
            audit.record("bulk.test", None, "thing", n)

    unit_of_work(many)
    first = client.get(URL, query_string={"action": "bulk."})
    ids = shown(first)
    body = first.get_data(True)
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    assert 'id="audit-total">120<' in body and "第 1 页，共 3 页" in body
    assert 'href="/admin/audit?page=2&amp;action=bulk."' in body and 'rel="prev"' not in body
    second = shown(client.get(URL, query_string={"action": "bulk.", "page": "2"}))
    third = shown(client.get(URL, query_string={"action": "bulk.", "page": "3"}))
    assert len(second) == 50 and len(third) == 20
    assert max(second) < min(ids) and max(third) < min(second)
    assert len(set(ids + second + third)) == 120
    last = client.get(URL, query_string={"action": "bulk.", "page": "3"}).get_data(True)
    assert 'rel="next"' not in last and 'href="/admin/audit?page=2&amp;action=bulk."' in last
    beyond = client.get(URL, query_string={"action": "bulk.", "page": "9"})
    assert shown(beyond) == []
    assert 'href="/admin/audit?page=3&amp;action=bulk."' in beyond.get_data(True)  # back in range


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-13-01"}, "日期"),
        ({"since": "yesterday"}, "日期"),
        ({"until": "0001-01-01"}, "日期须在 2000 至 2099 年之间"),
        ({"until": "9999-12-31"}, "日期须在 2000 至 2099 年之间"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "截止日期不能早于起始日期"),
        ({"page": "-1"}, "页码无效"),
        ({"page": "0"}, "页码无效"),
        ({"page": "abc"}, "页码"),
        ({"page": "99999999999999999999999"}, "页码无效"),
        ({"actor": "x" * 65}, "64"),
        ({"action": "x" * 1000}, "64"),
    ],
)
def test_bad_filters_give_a_400_page_with_the_reason(client, trail, query, message):
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    body = response.get_data(True)
    assert "筛选条件有误" in body and message in body
    assert "data-event-id" not in body


def test_blank_filters_are_ignored(client, trail):
    query = {"actor": "", "action": " ", "since": "", "until": "", "page": ""}
    assert shown(client.get(URL, query_string=query))[:1] == [trail.claimed]


def test_the_page_offers_no_way_to_change_the_trail(client, trail):
    body = client.get(URL).get_data(True)
    assert re.findall(r'<form method="post" action="([^"]+)"', body) == ["/logout"]
    for method in (client.post, client.put, client.delete):
        assert method(URL).status_code in (400, 405)  # CSRF refuses unsafe methods first


def test_only_the_centre_may_read_it(client, login_as, org):
    assert login_as("head_fin").status_code == 302
    assert client.get(URL).status_code == 403
    assert client.get(URL, query_string={"page": "abc"}).status_code == 403
    assert 'href="/admin/audit"' not in client.get("/").get_data(True)


def test_the_centre_sees_the_link(client, login_as):
    login_as("centre_liu")
    assert 'href="/admin/audit"' in client.get("/").get_data(True)
    english = client.get(URL, query_string={"lang": "en", "page": "x"}).get_data(True)
    assert "Audit trail" in english and "Some filters are invalid" in english


def test_anonymous_is_sent_to_sign_in(client, org):
    response = client.get(URL, query_string={"page": "2"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fadmin%2Faudit")
