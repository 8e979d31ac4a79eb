"""The audit trail: the centre reads and filters it; no endpoint, and no SQL statement, can edit
or delete it (database triggers refuse UPDATE and DELETE on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from tests.org.conftest import PASSWORD

URL = "/api/v1/audit"


@pytest.fixture
def trail(client, api_as, city, clock):
    """Events on two days: sign-ins on day 1, a claim and a failed sign-in on day 2."""
    client.post("/api/v1/tokens", json={"username": "head_fin", "password": PASSWORD})
    clock.advance(timedelta(days=1))
    api_as("head_fin").post(f"/api/v1/tasks/{city.drafts['CZ-YS']}/claim")
    client.post("/api/v1/tokens", json={"username": "head_fin", "password": "wrong-pass-1"})
    return api_as("admin")


def _events(admin, query=""):
    response = admin.get(URL + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_filter_by_action_prefix(trail, city):
    page = _events(trail, "?action=task.")
    assert [e["action"] for e in page["events"]] == ["task.claimed"]
    assert page["events"][0]["actor_id"] == city.people["head_fin"]
    assert page["events"][0]["object_id"] == str(city.drafts["CZ-YS"])
    assert page["events"][0]["remote_addr"] == "127.0.0.1"
    assert [e["action"] for e in _events(trail, "?action=auth.")["events"]] == [
        "auth.failed",
        "auth.signed_in",
    ]
    # A prefix is literal: "%" and "_" are not wildcards.
    assert _events(trail, "?action=task%25")["total"] == 0
    assert _events(trail, "?action=_ask")["total"] == 0


def test_filter_by_actor(trail, city):
    page = _events(trail, f"?actor_id={city.people['head_fin']}")
    assert {e["actor_id"] for e in page["events"]} == {city.people["head_fin"]}
    assert {"auth.signed_in", "task.claimed", "auth.failed"} <= {
        e["action"] for e in page["events"]
    }
    assert _events(trail, "?actor_id=99999")["total"] == 0


def test_filter_by_time(trail):
    day_two = "2026-01-06T00:00:00%2B00:00"
    later = [e["action"] for e in _events(trail, f"?since={day_two}&per_page=500")["events"]]
    earlier = [e["action"] for e in _events(trail, f"?until={day_two}&per_page=500")["events"]]
    assert "task.claimed" in later and "auth.failed" in later
    assert "auth.signed_in" in earlier and "task.claimed" not in earlier
    everything = _events(trail)["total"]
    assert len(later) + len(earlier) == everything


def test_paging_newest_first(trail):
    total = _events(trail)["total"]
    assert total >= 4
    first = _events(trail, "?per_page=2&page=1")
    second = _events(trail, "?per_page=2&page=2")
    assert (first["total"], first["page"], first["per_page"]) == (total, 1, 2)
    ids = [e["id"] for e in first["events"] + second["events"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    beyond = _events(trail, f"?per_page=2&page={total}")
    assert beyond["events"] == [] and beyond["total"] == total


@pytest.mark.parametrize(
    "query",
    [
        "?page=0",
        "?per_page=501",
        "?per_page=x",
        "?since=yesterday",
        "?actor_id=me",
        "?action=" + "a" * 65,
    ],
)
def test_bad_filters(trail, query):
    assert trail.get(URL + query).status_code == 422


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "kh_chen", "fy_he", "expert_gao"])
def test_only_the_centre_reads_the_trail(api_as, city, username):
    response = api_as(username).get(URL)
    assert response.status_code == 403
    assert "events" not in response.get_json()


def test_an_admin_token_without_read_scope_cannot_read_it(api_as, city):
    assert api_as("admin", ["admin"]).get(URL).status_code == 403


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
@pytest.mark.parametrize("path", [URL, f"{URL}/1"])
def test_no_endpoint_edits_or_deletes_it(client, api_as, city, method, path):
    admin = api_as("admin")
    before = AuditEvent.query.count()
    response = client.open(path, method=method, headers=admin.headers, json={"action": "x"})
    # /audit exists for GET only (405); /audit/<id> does not exist at all (404).
    assert response.status_code == (404 if path.endswith("/1") else 405)
    assert AuditEvent.query.count() == before


def _some_event_id() -> int:
    return db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)).first()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'tampered' WHERE id = :id",
        "UPDATE audit_event SET actor_id = NULL",
        "DELETE FROM audit_event WHERE id = :id",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_change_it(app, client, city, statement):
    client.post("/api/v1/tokens", json={"username": "head_fin", "password": PASSWORD})
    event_id = _some_event_id()
    rows = [(e.id, e.action, e.actor_id) for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert rows
    db.session.commit()
    with (
        db.engine.connect() as conn,
        pytest.raises(sa.exc.DBAPIError, match=r"append-only"),
        conn.begin(),
    ):
        conn.execute(sa.text(statement), {"id": event_id})
    db.session.expire_all()
    assert [(e.id, e.action, e.actor_id) for e in AuditEvent.query.order_by(AuditEvent.id)] == rows
