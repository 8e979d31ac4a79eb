"""Security headers on every response (flask-talisman): a content security policy that allows
our own bundles only, no framing, no MIME sniffing, a strict referrer policy, and HSTS when the
app is served over HTTPS.

TLS itself ends at the reverse proxy (deploy guide), so Talisman does not redirect to HTTPS.
"""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    # bpmn-js, dmn-js and ECharts set style attributes on the elements they draw.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def init_app(app: Flask) -> None:
    https = app.config["PUBLIC_URL"].lower().startswith("https://")
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=https,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )
