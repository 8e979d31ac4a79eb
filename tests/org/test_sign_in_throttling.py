"""Sign-in throttling through POST /api/v1/tokens: after 5 failures in 15 minutes a username is
refused with a retry hint, whether or not it exists (no account enumeration)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import ApiToken, LoginAttempt
from tests.org.conftest import PASSWORD, audit_actions

URL = "/api/v1/tokens"


def _sign_in(client, username, password):
    return client.post(URL, json={"username": username, "password": password})


def _fail_five_times(client, username):
    bodies = []
    for _ in range(5):
        response = _sign_in(client, username, "wrong-password-1")
        assert response.status_code == 401
        bodies.append(response.get_json())
    return bodies


@pytest.mark.parametrize("username", ["head_fin", "nobody_here"])
def test_five_failures_then_even_the_right_password_is_throttled(client, org, username):
    _fail_five_times(client, username)
    response = _sign_in(client, username, PASSWORD)
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "too_many_attempts"
    assert error["retry_after_minutes"] == 15
    assert "15" in error["message"]
    assert ApiToken.query.count() == 0


def test_unknown_and_known_usernames_look_the_same(client, org):
    known = _fail_five_times(client, "head_fin")
    unknown = _fail_five_times(client, "nobody_here")
    assert known == unknown
    throttled = [_sign_in(client, name, PASSWORD) for name in ("head_fin", "nobody_here")]
    assert [r.status_code for r in throttled] == [429, 429]
    assert throttled[0].get_json() == throttled[1].get_json()


def test_the_hint_counts_down_and_the_window_ends(client, org, clock):
    _fail_five_times(client, "head_fin")
    clock.advance(timedelta(minutes=10))
    response = _sign_in(client, "head_fin", PASSWORD)
    assert response.get_json()["error"]["retry_after_minutes"] == 5
    clock.advance(timedelta(minutes=5, seconds=1))
    response = _sign_in(client, "head_fin", PASSWORD)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["token"].startswith("jx_")


def test_throttling_one_username_leaves_others_alone(client, org):
    _fail_five_times(client, "head_fin")
    assert _sign_in(client, "staff_fin", PASSWORD).status_code == 201


def test_a_success_resets_the_count(client, org):
    for _ in range(4):
        assert _sign_in(client, "head_fin", "wrong-password-1").status_code == 401
    assert _sign_in(client, "head_fin", PASSWORD).status_code == 201
    for _ in range(4):
        assert _sign_in(client, "head_fin", "wrong-password-1").status_code == 401
    assert _sign_in(client, "head_fin", PASSWORD).status_code == 201


def test_failures_are_recorded_in_login_attempts_and_the_audit_trail(client, org, city):
    _fail_five_times(client, "head_fin")
    _sign_in(client, "nobody_here", "x")
    _sign_in(client, "head_fin", PASSWORD)  # throttled: not a new attempt
    attempts = [(a.username, a.succeeded) for a in LoginAttempt.query.order_by(LoginAttempt.id)]
    assert attempts == [("head_fin", False)] * 5 + [("nobody_here", False)]
    assert all(a.remote_addr == "127.0.0.1" for a in LoginAttempt.query)
    failed = audit_actions(action="auth.failed")
    assert failed == [
        ("auth.failed", city.people["head_fin"], str(city.people["head_fin"]))
    ] * 5 + [("auth.failed", None, None)]


def test_a_good_sign_in_is_audited(client, org, city):
    assert _sign_in(client, "head_fin", PASSWORD).status_code == 201
    assert (
        "auth.signed_in",
        city.people["head_fin"],
        str(city.people["head_fin"]),
    ) in audit_actions()
    assert LoginAttempt.query.filter_by(succeeded=True).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "head_fin"},
        {"password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "x" * 65, "password": PASSWORD},
        {"username": "head_fin", "password": PASSWORD, "scopes": ["root"]},
        {"username": "head_fin", "password": PASSWORD, "scopes": []},
        {"username": "head_fin", "password": PASSWORD, "expires_in_days": 0},
        {"username": "head_fin", "password": PASSWORD, "expires_in_days": "7"},
        {"username": ["head_fin"], "password": PASSWORD},
    ],
)
def test_malformed_sign_in_requests(client, org, body):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.get_json()
    assert ApiToken.query.count() == 0
