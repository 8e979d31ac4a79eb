"""Personal API tokens: issued once, stored hashed, listed without secrets, revocable."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, AuditEvent, Person
from tests.api.helpers import count, error_of
from tests.conftest import ApiClient


def _issue(client, username="head_fin", password="demo-2026", name="laptop"):
    return client.post(
        "/api/v1/tokens", json={"username": username, "password": password, "name": name}
    )


def test_token_is_shown_once_and_stored_only_as_a_hash(client, org):
    response = _issue(client)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "name", "token", "scopes"}
    raw = body["token"]
    assert raw.startswith("jx_") and len(raw) > 40

    stored = db.session.get(ApiToken, body["id"])
    assert stored.name == "laptop" and stored.person.username == "head_fin"
    assert stored.token_hash != raw and len(stored.token_hash) == 64
    # the plain token is nowhere in the database: not in the token table, not in the audit log
    with db.engine.connect() as conn:
        for table in (ApiToken.__table__, AuditEvent.__table__):
            for row in conn.execute(sa.select(table)):
                assert all(raw not in str(value) for value in row), table.name

    mine = ApiClient(client, raw).get("/api/v1/tasks")
    assert mine.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("head_fin", "wrong"), ("nobody", "demo-2026"), ("HEAD_FIN", "demo-2026")],
)
def test_wrong_credentials_are_401_and_issue_nothing(client, org, username, password):
    error_of(_issue(client, username, password), 401, "unauthorized")
    assert count(ApiToken) == 0
    assert count(AuditEvent, AuditEvent.action == "auth.failed") >= 1


def test_inactive_person_gets_no_token_and_old_tokens_stop_working(client, api_as):
    api = api_as("staff_fin")
    db.session.execute(sa.update(Person).where(Person.username == "staff_fin").values(active=False))
    db.session.commit()
    error_of(_issue(client, "staff_fin"), 401, "unauthorized")
    error_of(api.get("/api/v1/tasks"), 401, "unauthorized")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": "demo-2026"}, "username"),
        ({"username": "head_fin"}, "password"),
        ({"username": "", "password": "demo-2026"}, "username"),
        ({"username": 7, "password": "demo-2026"}, "username"),
        ({"username": "head_fin", "password": ["demo-2026"]}, "password"),
        ({"username": "u" * 65, "password": "demo-2026"}, "username"),
        ({"username": "head_fin", "password": "p" * 257}, "password"),
        ({"username": "head_fin", "password": "demo-2026", "name": ""}, "name"),
        ({"username": "head_fin", "password": "demo-2026", "name": "n" * 101}, "name"),
        ({"username": "head_fin", "password": "demo-2026", "admin": True}, "admin"),
    ],
)
def test_bad_token_requests_are_422_and_issue_nothing(client, org, payload, field):
    error = error_of(client.post("/api/v1/tokens", json=payload), 422, "validation_failed")
    assert field in error["fields"]
    assert count(ApiToken) == 0


def test_list_shows_my_tokens_without_secrets(client, api_as):
    api = api_as("head_fin")  # token named "test"
    _issue(client, name="laptop")
    _issue(client, "head_insp", name="theirs")
    response = api.get("/api/v1/tokens")
    assert response.status_code == 200
    listed = response.get_json()
    assert [t["name"] for t in listed] == ["laptop", "test"]
    for token in listed:
        assert set(token) == {
            "id",
            "name",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        }
        assert token["revoked_at"] is None
    hashes = set(db.session.scalars(sa.select(ApiToken.token_hash)))
    assert not any(h in response.get_data(as_text=True) for h in hashes)
    error_of(client.get("/api/v1/tokens"), 401, "unauthorized")


def test_revoked_token_stops_working(client, org):
    issued = _issue(client).get_json()
    api = ApiClient(client, issued["token"])
    assert api.get("/api/v1/tasks").status_code == 200

    response = api.delete(f"/api/v1/tokens/{issued['id']}")
    assert response.status_code == 204 and response.data == b""
    assert db.session.get(ApiToken, issued["id"]).revoked_at is not None
    assert count(AuditEvent, AuditEvent.action == "token.revoke") == 1

    error_of(api.get("/api/v1/tasks"), 401, "unauthorized")
    error_of(api.delete(f"/api/v1/tokens/{issued['id']}"), 401, "unauthorized")


def test_revoking_again_with_another_token_is_404(client, org):
    first, second = _issue(client).get_json(), _issue(client).get_json()
    api = ApiClient(client, second["token"])
    assert api.delete(f"/api/v1/tokens/{first['id']}").status_code == 204
    error_of(api.delete(f"/api/v1/tokens/{first['id']}"), 404, "not_found")
    listed = {t["id"]: t["revoked_at"] for t in api.get("/api/v1/tokens").get_json()}
    assert listed[first["id"]] is not None and listed[second["id"]] is None


def test_nobody_can_revoke_another_persons_token(client, org):
    victim = _issue(client, "head_fin").get_json()
    for attacker in ("head_insp", "admin"):
        api = ApiClient(client, _issue(client, attacker).get_json()["token"])
        error_of(api.delete(f"/api/v1/tokens/{victim['id']}"), 404, "not_found")
    assert db.session.get(ApiToken, victim["id"]).revoked_at is None
    assert ApiClient(client, victim["token"]).get("/api/v1/tasks").status_code == 200
    assert count(AuditEvent, AuditEvent.action == "token.revoke") == 0
