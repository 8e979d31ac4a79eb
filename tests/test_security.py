"""Secure defaults: no published signing key, secure cookies behind https, security headers on
every response (pages, API, errors, static files)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask.sessions import SecureCookieSessionInterface
from flask_migrate import upgrade

from app import create_app, scratch
from app.extensions import db
from app.security import InsecureConfiguration
from tests.conftest import PROJECT_ROOT, person

OLD_DEFAULT_KEY = "dev-only-change-me"


def forged_cookie(app, key: str, session: dict) -> str:
    """A session cookie signed with `key`, the way Flask signs one (what an attacker builds)."""
    app_with_key = type("App", (), {"secret_key": key, "config": app.config})()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app_with_key)
    return serializer.dumps(session)


@pytest.fixture
def no_key_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("JIXIAO_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    return tmp_path / "instance"


def test_a_cookie_signed_with_the_old_default_key_opens_nothing(no_key_env):
    """A development app started without a key (the old default's only use) signs with a random
    one: a cookie the attacker signs with the old fixed key is not a session. (Its own
    throwaway SQLite database: the cookie check does not depend on the database.)"""
    from app.demo import seed_org
    from app.services.transactions import unit_of_work

    with scratch.database("sqlite") as (url, tmp):
        dev = create_app({"DEBUG": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp})
        with dev.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            unit_of_work(seed_org)
            session = {"_user_id": person("admin").get_id(), "_fresh": True}
        assert dev.config["SECRET_KEY"] != OLD_DEFAULT_KEY
        client = dev.test_client()
        client.set_cookie("session", forged_cookie(dev, OLD_DEFAULT_KEY, session))
        response = client.get("/admin/audit")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        # The same session signed with the app's real key opens the page: the key is what fails.
        client.set_cookie("session", forged_cookie(dev, dev.config["SECRET_KEY"], session))
        assert client.get("/admin/audit").status_code == 200
        with dev.app_context():
            db.engine.dispose()


def test_production_without_a_key_refuses_to_start(no_key_env):
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY is not set") as refused:
        create_app()
    assert str(no_key_env / "secret_key") in str(refused.value)


def test_the_flask_command_without_a_key_says_why(no_key_env, tmp_path):
    """What an operator sees: the command fails and names SECRET_KEY."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app:create_app", "routes"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("key", [OLD_DEFAULT_KEY, "short"])
def test_a_published_or_short_key_is_refused(no_key_env, key):
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY is a published default"):
        create_app({"SECRET_KEY": key})


def test_the_key_file_in_the_instance_folder_is_used(no_key_env):
    """./run.sh writes a random key there once; every later start reads the same one."""
    no_key_env.mkdir(parents=True)
    (no_key_env / "secret_key").write_text("k" * 64 + "\n")
    assert create_app().config["SECRET_KEY"] == "k" * 64


def test_run_sh_makes_a_key_once_and_reuses_it(tmp_path, monkeypatch):
    """The snippet of run.sh that makes the key (run alone: the rest sets up and serves)."""
    script = (PROJECT_ROOT / "run.sh").read_text()
    start = script.index("key_file=")
    end = script.index("fi\n", start) + 3
    snippet = f"set -euo pipefail\ncd {PROJECT_ROOT}\n{script[start:end]}"
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("JIXIAO_INSTANCE_DIR", str(tmp_path / "inst"))
    subprocess.run(["bash", "-c", snippet], check=True, capture_output=True)
    first = (tmp_path / "inst" / "secret_key").read_text().strip()
    subprocess.run(["bash", "-c", snippet], check=True, capture_output=True)
    assert (tmp_path / "inst" / "secret_key").read_text().strip() == first
    assert len(first) >= 32
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0


def test_cookies_are_secure_when_the_public_url_is_https(no_key_env):
    app = create_app({"SECRET_KEY": "s" * 40, "PUBLIC_URL": "https://jixiao.example.gov.cn"})
    response = app.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    plain = create_app({"SECRET_KEY": "s" * 40, "PUBLIC_URL": "http://127.0.0.1:5000"})
    assert "Secure" not in plain.test_client().get("/login").headers["Set-Cookie"]


def assert_security_headers(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    "url",
    ["/login", "/", "/no-such-page", "/api/v1/tasks", "/api/v1/no-such", "/api/v1/openapi.json"],
)
def test_security_headers_on_pages_api_and_errors(client, url):
    assert_security_headers(client.get(url))


def test_security_headers_for_a_signed_in_page_and_api_call(login_as, client, api_as):
    login_as("admin")
    assert_security_headers(client.get("/admin/audit"))
    assert_security_headers(api_as("staff_fin").get("/api/v1/tasks"))
