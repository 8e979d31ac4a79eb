"""The account page: roles, password change, sign out everywhere, personal API tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, AuditEvent, Person
from tests.conftest import person
from tests.pages.test_pages import csrf

PASSWORD = "demo-2026"
NEW = "kaohe-2026-spring"
SECRET = re.compile(r'<code id="new-token-secret">(jx_[A-Za-z0-9_-]+)</code>')


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf(client.get("/login"))
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data)


def post_form(client, url: str, data: dict | None = None):
    """Post a form the way the account page does, with its CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client.get("/account")), **(data or {})})


def audited(action: str) -> list[int | None]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == action)))


def hash_of(username: str) -> str:
    db.session.rollback()
    return person(username).password_hash


def tokens() -> list[ApiToken]:
    db.session.rollback()
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_name_and_roles(client, login_as):
    login_as("leader_li")
    response = client.get("/account")
    assert response.status_code == 200
    body = response.get_data(True)
    assert "李建国" in body and "leader_li" in body
    assert body.count("分管领导 ·") == 2
    assert "市财政局预算科" in body and "市人力资源和社会保障局人事科" in body
    assert 'href="/account"' in body  # in the navigation
    assert 'value="admin"' not in body  # the admin scope is not offered
    assert "还没有个人 API 令牌" in body


def test_anonymous_is_sent_to_sign_in(client, org):
    for url in ("/account",):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for url in ("/account/password", "/account/tokens", "/account/sign-out-everywhere"):
        assert client.post(url).status_code == 400  # CSRF first, even for strangers


# --- change password -----------------------------------------------------------------------


def change(client, current: str, new: str, repeat: str | None = None):
    data = {"current_password": current, "new_password": new, "repeat_password": repeat or new}
    return post_form(client, "/account/password", data)


def test_wrong_current_password_is_shown_beside_the_field(client, login_as):
    login_as("head_fin")
    before = hash_of("head_fin")
    response = change(client, "not-it-123", NEW)
    assert response.status_code == 422
    assert re.search(
        r'id="current_password-error">\s*<p>当前密码不正确。</p>', response.get_data(True)
    )
    assert hash_of("head_fin") == before
    assert audited("auth.password_changed") == []


def test_a_mismatched_repeat_is_refused(client, login_as):
    login_as("head_fin")
    before = hash_of("head_fin")
    response = change(client, PASSWORD, NEW, "kaohe-2026-sprinG")
    assert response.status_code == 422
    assert re.search(
        r'id="repeat_password-error">\s*<p>两次输入的新密码不一致</p>', response.get_data(True)
    )
    assert hash_of("head_fin") == before


@pytest.mark.parametrize(
    ("new", "messages"),
    [
        ("abcdefghij", ["密码须同时包含字母和数字。"]),
        ("ab1", ["密码至少8位。"]),
        ("1234567890", ["密码须同时包含字母和数字。", "密码过于常见。"]),
        ("my-head_fin-9", ["密码不能包含用户名。"]),
    ],
)
def test_a_weak_password_is_refused_with_the_rules(client, login_as, new, messages):
    login_as("head_fin")
    before = hash_of("head_fin")
    response = change(client, PASSWORD, new)
    assert response.status_code == 422
    body = response.get_data(True)
    errors = re.search(r'id="new_password-error">(.*?)</div>', body, re.S)
    assert re.findall(r"<p>(.*?)</p>", errors.group(1)) == messages
    assert hash_of("head_fin") == before
    assert client.get("/account").status_code == 200  # still signed in


def test_a_weak_password_is_shown_in_english(client, login_as):
    login_as("head_fin")
    client.get("/lang/en")
    body = change(client, PASSWORD, "abcdefghij").get_data(True)
    assert "must contain both letters and digits" in body
    assert "Change password" in body and "Personal API tokens" in body and "修改密码" not in body


def test_a_password_change_keeps_this_session_and_ends_the_others(client, app, login_as):
    login_as("head_fin")
    other = app.test_client()
    assert sign_in(other, "head_fin").status_code == 302
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200 and "密码已修改" in page.get_data(True)
    assert other.get("/").status_code == 302  # the other browser is signed out
    assert audited("auth.password_changed") == [person("head_fin").id]

    fresh = app.test_client()
    refused = sign_in(fresh, "head_fin", PASSWORD)
    assert refused.status_code == 200 and "用户名或密码不正确" in refused.get_data(True)
    assert sign_in(fresh, "head_fin", NEW).status_code == 302


# --- sign out everywhere -------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_including_this_one(client, app, login_as):
    login_as("head_fin")
    other = app.test_client()
    assert sign_in(other, "head_fin").status_code == 302
    assert other.get("/").status_code == 200
    response = post_form(client, "/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "已在所有设备上退出登录" in client.get("/login").get_data(True)
    assert client.get("/account").status_code == 302
    assert other.get("/").status_code == 302
    assert audited("auth.signed_out_everywhere") == [person("head_fin").id]
    assert sign_in(client, "head_fin").status_code == 302  # the password still works


# --- personal API tokens -------------------------------------------------------------------


def test_a_token_is_shown_once_works_and_is_refused_after_revoking(client, login_as):
    login_as("head_fin")
    response = post_form(
        client,
        "/account/tokens",
        {"name": "报表脚本", "scopes": ["read", "tasks"], "expires_in_days": "30"},
    )
    assert response.status_code == 201
    assert "no-store" in response.headers["Cache-Control"]
    secret = SECRET.search(response.get_data(True)).group(1)
    token = tokens()[0]
    assert token.name == "报表脚本" and token.scopes == ["read", "tasks"]
    assert token.expires_at is not None and secret not in token.token_hash
    assert audited("token.issue") == [person("head_fin").id]

    again = client.get("/account").get_data(True)
    assert secret not in again and "报表脚本" in again and "从未使用" in again

    bearer = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.get_json()["username"] == "head_fin"
    assert "从未使用" not in client.get("/account").get_data(True)

    revoked = post_form(client, f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    page = client.get("/account").get_data(True)
    assert "已撤销" in page and f"/account/tokens/{token.id}/revoke" not in page
    assert audited("token.revoke") == [person("head_fin").id]


def test_the_centre_may_choose_the_admin_scope(client, login_as):
    login_as("admin")
    assert 'value="admin"' in client.get("/account").get_data(True)
    response = post_form(client, "/account/tokens", {"name": "管理", "scopes": ["admin", "read"]})
    assert response.status_code == 201
    assert tokens()[0].scopes == ["admin", "read"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "t"}, "scopes"),
        ({"name": "t", "scopes": ["admin"]}, "scopes"),  # not the centre's
        ({"name": "t", "scopes": ["root"]}, "scopes"),
        ({"name": "t", "scopes": ["read"], "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "t", "scopes": ["read"], "expires_in_days": "367"}, "expires_in_days"),
        ({"name": "t", "scopes": ["read"], "expires_in_days": "abc"}, "expires_in_days"),
        ({"name": "t", "scopes": ["read"], "expires_in_days": "9" * 30}, "expires_in_days"),
    ],
)
def test_bad_token_requests_are_refused_beside_the_field(client, login_as, data, field):
    login_as("head_fin")
    response = post_form(client, "/account/tokens", data)
    assert response.status_code == 422
    body = response.get_data(True)
    assert f'id="{field}-error"' in body
    assert not SECRET.search(body)
    assert tokens() == []


def test_a_token_without_expiry_lives_until_revoked(client, login_as):
    login_as("head_fin")
    response = post_form(
        client, "/account/tokens", {"name": "t", "scopes": ["read"], "expires_in_days": ""}
    )
    assert response.status_code == 201
    assert tokens()[0].expires_at is None
    assert "长期有效" in client.get("/account").get_data(True)


def test_someone_elses_token_cannot_be_revoked(client, app, login_as):
    login_as("head_fin")
    post_form(client, "/account/tokens", {"name": "mine", "scopes": ["read"]})
    token = tokens()[0]
    other = app.test_client()
    sign_in(other, "staff_fin")
    response = other.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf(other.get("/account"))}
    )
    assert response.status_code == 404
    assert post_form(client, "/account/tokens/999999/revoke").status_code == 404
    assert tokens()[0].revoked_at is None


# --- CSRF ----------------------------------------------------------------------------------


def test_every_account_form_needs_its_csrf_token(client, login_as):
    login_as("head_fin")
    post_form(client, "/account/tokens", {"name": "mine", "scopes": ["read"]})
    token = tokens()[0]
    before = hash_of("head_fin")
    posts = {
        "/account/password": {
            "current_password": PASSWORD,
            "new_password": NEW,
            "repeat_password": NEW,
        },
        "/account/tokens": {"name": "other", "scopes": ["read"]},
        f"/account/tokens/{token.id}/revoke": {},
        "/account/sign-out-everywhere": {},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "请求无效" in response.get_data(True)
    assert hash_of("head_fin") == before
    assert [(t.name, t.revoked_at) for t in tokens()] == [("mine", None)]
    db.session.rollback()
    assert db.session.scalar(select(func.max(Person.session_epoch))) == 0
    assert client.get("/account").status_code == 200
