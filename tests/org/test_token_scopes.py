"""Personal API tokens: scopes narrow what a token may do, expiry and revocation end it, and
its secret is shown once and stored only as a hash."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from app.models import ApiToken, HumanTask, Person, ProcessDefinition
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person
from tests.org.conftest import PASSWORD, fresh, readable

BPMN = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "annual_cycle.bpmn"


def _token(client, username, **extra) -> dict:
    response = client.post(
        "/api/v1/tokens", json={"username": username, "password": PASSWORD, **extra}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def test_a_read_token_reads_but_cannot_complete_a_task(api_as, city):
    head = api_as("head_fin", ["read"])
    draft = city.drafts["CZ-YS"]
    assert head.get(f"/api/v1/tasks/{draft}").status_code == 200
    response = head.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER})
    assert response.status_code == 403
    assert response.get_json()["error"]["needed_scope"] == "tasks"
    assert fresh(HumanTask, draft).status == "ready"
    assert head.post(f"/api/v1/tasks/{draft}/claim").status_code == 403
    assert fresh(HumanTask, draft).assignee_id is None


def test_a_tasks_token_cannot_upload_a_definition_even_for_the_centre(api_as, city):
    admin = api_as("admin", ["read", "tasks"])
    before = ProcessDefinition.query.count()
    response = admin.post(
        "/api/v1/definitions",
        data={"file": (BPMN.open("rb"), "changed.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["needed_scope"] == "admin"
    assert ProcessDefinition.query.count() == before
    assert admin.get("/api/v1/definitions").status_code == 200


def test_a_tasks_token_can_complete_a_task(api_as, city):
    head = api_as("head_fin", ["tasks"])  # no read scope: it can act, not browse
    draft = city.drafts["CZ-YS"]
    assert (
        head.post(f"/api/v1/tasks/{draft}/complete", json={"data": VALID_LETTER}).status_code == 200
    )
    assert head.get("/api/v1/tasks").status_code == 403


@pytest.mark.parametrize("username", ["head_fin", "leader_li", "kh_chen", "expert_gao"])
def test_only_the_centre_obtains_an_admin_scope(client, org, username):
    response = client.post(
        "/api/v1/tokens",
        json={"username": username, "password": PASSWORD, "scopes": ["read", "admin"]},
    )
    assert response.status_code == 403
    assert ApiToken.query.filter_by(person_id=person(username).id).count() == 0


def test_the_centre_obtains_an_admin_scope(client, org):
    issued = _token(client, "admin", scopes=["admin", "read"])
    assert issued["scopes"] == ["admin", "read"]


def test_an_expired_token_is_refused(client, org, clock):
    raw = _token(client, "head_fin", expires_in_days=1)["token"]
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 200
    clock.advance(timedelta(days=1))
    response = client.get("/api/v1/me", headers=_bearer(raw))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_revoked_token_is_refused(client, org):
    issued = _token(client, "head_fin")
    other = _token(client, "head_fin", name="second")
    revoked = client.delete(f"/api/v1/tokens/{issued['id']}", headers=_bearer(other["token"]))
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(issued["token"])).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(other["token"])).status_code == 200
    again = client.delete(f"/api/v1/tokens/{issued['id']}", headers=_bearer(other["token"]))
    assert again.status_code == 404


def test_a_deactivated_persons_token_is_refused(client, org):
    raw = _token(client, "head_fin")["token"]

    def deactivate():
        person("head_fin").active = False

    unit_of_work(deactivate)
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 401
    assert fresh(Person, person("head_fin").id).active is False


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic aGVhZF9maW46ZGVtby0yMDI2", "Bearer jx_forged", "Token jx_x"],
)
def test_bad_authorization_headers_are_refused(client, org, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401


def test_tokens_are_stored_hashed_and_never_listed_with_their_secret(client, org):
    issued = _token(client, "head_fin", name="laptop")
    stored = fresh(ApiToken, issued["id"])
    assert stored.token_hash == hashlib.sha256(issued["token"].encode()).hexdigest()
    assert issued["token"] not in stored.token_hash
    listing = client.get("/api/v1/tokens", headers=_bearer(issued["token"]))
    assert listing.status_code == 200
    body = readable(listing)
    assert issued["token"] not in body
    assert stored.token_hash not in body
    [item] = listing.get_json()
    assert set(item) == {
        "id",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    assert item["name"] == "laptop"
    assert item["last_used_at"] is not None


def test_people_see_only_their_own_tokens(client, org):
    _token(client, "head_insp", name="theirs")
    mine = _token(client, "head_fin", name="mine")
    listing = client.get("/api/v1/tokens", headers=_bearer(mine["token"])).get_json()
    assert [t["name"] for t in listing] == ["mine"]
