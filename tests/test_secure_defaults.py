"""Safe by default: no known SECRET_KEY, secure cookies behind HTTPS, security headers on
every response."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import config, create_app
from tests.conftest import PROJECT_ROOT

OLD_DEFAULT = "dev-only-change-me"


def _app_in(tmp_path, monkeypatch, **env: str):
    """An app created the way `flask` creates one: from the environment only."""
    monkeypatch.setenv("JIXIAO_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


@pytest.mark.parametrize("key", [None, OLD_DEFAULT, "short"])
def test_the_app_refuses_to_start_without_a_real_key(tmp_path, monkeypatch, key):
    env = {"SECRET_KEY": key} if key else {}
    with pytest.raises(RuntimeError, match="SECRET_KEY is missing or not secret"):
        _app_in(tmp_path, monkeypatch, **env)


def test_the_flask_command_says_why_it_will_not_start(tmp_path):
    env = {"JIXIAO_INSTANCE_DIR": str(tmp_path), "FLASK_APP": "app:create_app", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "routes"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "SECRET_KEY is missing or not secret" in done.stderr


def test_run_sh_makes_one_random_key_and_reuses_it(tmp_path, monkeypatch):
    monkeypatch.setenv("JIXIAO_INSTANCE_DIR", str(tmp_path))
    path = config.write_secret_key()
    first = path.read_text()
    assert len(first) >= config.MIN_KEY_LENGTH and path.stat().st_mode & 0o077 == 0
    assert config.write_secret_key().read_text() == first  # reused
    app = _app_in(tmp_path, monkeypatch)
    assert app.config["SECRET_KEY"] == first
    other = tmp_path / "other"
    assert config.write_secret_key(other).read_text() != first  # random per install


def test_a_cookie_signed_with_the_old_default_key_is_not_trusted(tmp_path, monkeypatch):
    """The attack of issue 13: a session cookie forged with the former fixed key, against an
    install set up by ./run.sh (no SECRET_KEY in the environment)."""
    config.write_secret_key(tmp_path)
    app = _app_in(tmp_path, monkeypatch)
    interface = SecureCookieSessionInterface()
    forged = URLSafeTimedSerializer(
        OLD_DEFAULT,
        salt=interface.salt,
        serializer=interface.serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": interface.digest_method},
    ).dumps({"_user_id": "1", "_fresh": True})
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(forged)


def test_cookies_are_secure_when_served_over_https(tmp_path, monkeypatch):
    app = _app_in(
        tmp_path, monkeypatch, SECRET_KEY="k" * 40, PUBLIC_URL="https://jixiao.example.gov.cn"
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/login", base_url="https://jixiao.example.gov.cn")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    plain = _app_in(tmp_path, monkeypatch, SECRET_KEY="k" * 40, PUBLIC_URL="http://127.0.0.1")
    assert not plain.config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy and "unsafe-eval" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
