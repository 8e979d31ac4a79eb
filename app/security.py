"""Secure defaults: a real signing key, secure cookies behind https, security headers.

A session cookie is signed with SECRET_KEY, so a key anyone can read (a fixed default) lets
anyone forge a session as any user. The app therefore has no default key: outside development
(FLASK_DEBUG) and tests it refuses to start without one; there it uses a random key per process.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from flask_talisman import Talisman

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 16
# Keys that shipped as defaults or examples: never accepted, whatever the mode.
KNOWN_KEYS = frozenset({"dev-only-change-me", "change-me", "changeme", "secret"})

MISSING_KEY = (
    "SECRET_KEY is not set. It signs sessions and CSRF tokens, so the app does not start "
    "without one outside development and tests. Set SECRET_KEY to a long random value, e.g. "
    "the output of `python -c 'import secrets; print(secrets.token_hex(32))'`, or put it in "
    "{path} (./run.sh does this on first run)."
)
WEAK_KEY = (
    "SECRET_KEY is a published default or shorter than {length} characters; anyone could sign "
    "a session with it. Set SECRET_KEY to a long random value."
)

# Scripts only from our own bundles (no inline script anywhere); styles also inline, since
# bpmn-js, dmn-js and ECharts set style attributes on the SVG elements they draw.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def read_key_file(instance: Path) -> str | None:
    """The key ./run.sh keeps in the instance folder, if there is one."""
    path = instance / SECRET_KEY_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


class InsecureConfiguration(RuntimeError):
    """The configuration would let anyone in; the app does not start with it."""


def check_secret_key(app: Flask) -> None:
    """Refuse a missing or published key outside development and tests (where a missing key
    becomes a random one for this process: sessions end when it restarts)."""
    key = app.config.get("SECRET_KEY")
    relaxed = app.config.get("TESTING") or app.debug
    if not key:
        if not relaxed:
            path = Path(app.config["INSTANCE_PATH"]) / SECRET_KEY_FILE
            raise InsecureConfiguration(MISSING_KEY.format(path=path))
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    if key in KNOWN_KEYS or (not relaxed and len(key) < MIN_SECRET_KEY_LENGTH):
        raise InsecureConfiguration(WEAK_KEY.format(length=MIN_SECRET_KEY_LENGTH))


def init_headers(app: Flask) -> None:
    """Security headers on every response (pages, API, errors, static files) via Talisman.

    https is the reverse proxy's job, so Talisman does not redirect; HSTS and secure cookies
    follow PUBLIC_URL's scheme (SESSION_COOKIE_SECURE may still be set explicitly)."""
    https = str(app.config.get("PUBLIC_URL", "")).lower().startswith("https://")
    secure = bool(app.config.get("SESSION_COOKIE_SECURE")) or https
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    # One Talisman per app: it keeps its options (and the app) on itself.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,
        strict_transport_security=https,
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=[],
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
        x_xss_protection=False,
    )
