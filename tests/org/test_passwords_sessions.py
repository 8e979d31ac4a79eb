"""Passwords (argon2, rules) and sessions: a password change or "sign out everywhere" bumps the
person's session epoch, so every browser session made before is no longer accepted.

This checkout has no sign-in page yet, so sessions are checked at Flask-Login's loader
(`accounts.load_session_user`), which is what every page request goes through.
"""

from __future__ import annotations

import pytest

from app.models import Person
from app.services import accounts
from tests.conftest import person
from tests.org.conftest import PASSWORD, audit_actions, fresh

NEW = "kaohe-2026-spring"


def _can_sign_in(client, username, password) -> bool:
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code in (201, 401), response.get_json()
    return response.status_code == 201


def test_change_with_a_wrong_current_password(client, api_as, city):
    before = fresh(Person, city.people["head_fin"]).password_hash
    response = api_as("head_fin").post(
        "/api/v1/me/password", json={"current_password": "not-it-123", "new_password": NEW}
    )
    assert response.status_code == 422
    assert "current_password" in response.get_json()["error"]["fields"]
    assert fresh(Person, city.people["head_fin"]).password_hash == before
    assert audit_actions(action="auth.password_changed") == []


@pytest.mark.parametrize(
    ("new", "messages"),
    [
        ("ab1", ["密码至少8位。"]),
        ("abcdefghij", ["密码须同时包含字母和数字。"]),
        ("1234567890", ["密码须同时包含字母和数字。", "密码过于常见。"]),
        ("password1", ["密码过于常见。"]),
        ("my-head_fin-9", ["密码不能包含用户名。"]),
        ("a1" * 64 + "x", None),  # refused by the request schema (max 128) before the rules
    ],
)
def test_a_weak_new_password_is_refused_with_the_rules(api_as, city, new, messages):
    response = api_as("head_fin").post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": new}
    )
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    if messages is None:
        assert "new_password" in fields
    else:
        assert fields["new_password"] == messages
    assert fresh(Person, city.people["head_fin"]).session_epoch == 0


def test_a_password_change_takes_effect_and_signs_out_other_sessions(client, api_as, city):
    head = person("head_fin")
    old_session = head.get_id()
    response = api_as("head_fin").post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert response.status_code == 204
    assert not _can_sign_in(client, "head_fin", PASSWORD)
    assert _can_sign_in(client, "head_fin", NEW)
    assert accounts.load_session_user(old_session) is None
    changed = fresh(Person, city.people["head_fin"])
    assert changed.password_hash.startswith("$argon2")
    assert changed.password_changed_at is not None
    assert accounts.load_session_user(changed.get_id()).id == changed.id
    assert audit_actions(action="auth.password_changed") == [
        ("auth.password_changed", city.people["head_fin"], str(city.people["head_fin"]))
    ]


def test_the_centre_resets_a_password(client, api_as, city):
    response = api_as("admin").post(
        f"/api/v1/people/{city.people['staff_fin']}/password", json={"new_password": NEW}
    )
    assert response.status_code == 204
    assert _can_sign_in(client, "staff_fin", NEW)
    assert not _can_sign_in(client, "staff_fin", PASSWORD)
    assert audit_actions(action="auth.password_changed") == [
        ("auth.password_changed", city.people["admin"], str(city.people["staff_fin"]))
    ]


@pytest.mark.parametrize(
    ("person_id", "body", "status"),
    [
        ("staff_fin", {"new_password": "short"}, 422),
        ("staff_fin", {}, 422),
        ("staff_fin", {"new_password": 12345678}, 422),
        (99999, {"new_password": NEW}, 404),
    ],
)
def test_bad_resets(api_as, city, person_id, body, status):
    target = city.people.get(person_id, person_id)
    response = api_as("admin").post(f"/api/v1/people/{target}/password", json=body)
    assert response.status_code == status, response.get_json()
    assert _hash_unchanged(city)


def _hash_unchanged(city) -> bool:
    staff = fresh(Person, city.people["staff_fin"])
    return staff.password_changed_at is None and staff.session_epoch == 0


def test_a_department_head_cannot_reset_a_colleagues_password(api_as, city):
    response = api_as("head_fin").post(
        f"/api/v1/people/{city.people['staff_fin']}/password", json={"new_password": NEW}
    )
    assert response.status_code == 403
    assert _hash_unchanged(city)


def test_sign_out_everywhere_ends_earlier_sessions(api_as, city):
    head = person("head_fin")
    old_session = head.get_id()
    assert accounts.load_session_user(old_session).username == "head_fin"
    api = api_as("head_fin")
    assert api.post("/api/v1/me/sign-out-everywhere").status_code == 204
    assert accounts.load_session_user(old_session) is None
    after = fresh(Person, head.id)
    assert after.session_epoch == 1
    assert accounts.load_session_user(after.get_id()).username == "head_fin"
    # API tokens are separate: they are revoked one by one.
    assert api.get("/api/v1/me").status_code == 200
    assert ("auth.signed_out_everywhere", head.id, str(head.id)) in audit_actions()


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:", ":0", "1:x", "99999:0", "1:-1"])
def test_malformed_session_ids_load_nobody(city, session_id):
    assert accounts.load_session_user(session_id) is None


def test_an_inactive_person_has_no_session(city):
    from app.services.transactions import unit_of_work

    head = person("head_fin")
    session_id = head.get_id()

    def deactivate():
        head.active = False

    unit_of_work(deactivate)
    assert accounts.load_session_user(session_id) is None
