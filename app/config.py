"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

from app.security import read_key_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first by default); anything else stops the app at start."""
    value = os.environ.get(name, allowed[0]).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def source_headers(text: str) -> dict[str, dict[str, str]]:
    """Request headers per data source (`{"hotline": {"Authorization": "Bearer …"}}`), from
    the environment so that secrets stay out of the database, the API and the audit trail.
    A malformed value stops the app at start; the message never repeats a header's value."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        raise ValueError("SOURCE_HEADERS is not valid JSON") from None
    if not isinstance(document, dict):
        raise ValueError("SOURCE_HEADERS must map source names to header objects")
    headers: dict[str, dict[str, str]] = {}
    for source, fields in document.items():
        if not isinstance(fields, dict):
            raise ValueError(f"SOURCE_HEADERS[{source!r}] must be an object of headers")
        for name, value in fields.items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError(f"SOURCE_HEADERS[{source!r}]: {name!r} is not a header name")
            if not isinstance(value, str) or any(
                (ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value
            ):
                raise ValueError(f"SOURCE_HEADERS[{source!r}][{name!r}] must be text on one line")
        headers[source] = dict(fields)
    return headers


def from_environment() -> dict:
    """Read settings once, at app creation; every key can be overridden by `create_app`."""
    instance = Path(os.environ.get("JIXIAO_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    public_url = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    return {
        # No default: app.security refuses to start without a key outside development/tests.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or read_key_file(instance),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'jixiao.sqlite3'}"
        ),
        "BPMN_DIR": os.environ.get("BPMN_DIR", str(PROJECT_ROOT / "workflows" / "bpmn")),
        # The scheduler runs inside the process only where asked (dev server, `flask scheduler`).
        "SCHEDULER_ENABLED": _bool("SCHEDULER_ENABLED", False),
        "SCHEDULER_SWEEP_SECONDS": int(os.environ.get("SCHEDULER_SWEEP_SECONDS", "60")),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh"),
        "LOCK_RETRIES": int(os.environ.get("LOCK_RETRIES", "5")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Also on whenever PUBLIC_URL is https (app.security.init_headers).
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "API_TITLE": "绩效考核 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,
        "INSTANCE_PATH": str(instance),
        # Sign-in throttling: failures allowed per username / per address within the window.
        "LOGIN_MAX_FAILURES_PER_USER": int(os.environ.get("LOGIN_MAX_FAILURES_PER_USER", "5")),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": int(
            os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20")
        ),
        "LOGIN_THROTTLE_MINUTES": int(os.environ.get("LOGIN_THROTTLE_MINUTES", "15")),
        # Individual peer / service-recipient ballots are never shown; aggregates need this many.
        "ANONYMITY_MIN_BALLOTS": int(os.environ.get("ANONYMITY_MIN_BALLOTS", "3")),
        "SURVEY_LINK_DAYS": int(os.environ.get("SURVEY_LINK_DAYS", "14")),
        "SURVEY_LINKS_PER_DEPARTMENT": int(os.environ.get("SURVEY_LINKS_PER_DEPARTMENT", "5")),
        # Email for notices (app.services.mail); off while MAIL_SERVER is empty.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_STARTTLS": _bool("MAIL_STARTTLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "jixiao@localhost"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        "PUBLIC_URL": public_url,
        # `production` (the default) or `development`; a moved clock is development only.
        "JIXIAO_ENV": os.environ.get("JIXIAO_ENV", "production"),
        # Tests and demos: run a real process on a clock moved by this duration (P10D, -PT6H).
        "CLOCK_OFFSET": os.environ.get("CLOCK_OFFSET", ""),
        # Evidence files (佐证材料): a directory (default <instance>/storage) and a size limit.
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or None,
        "EVIDENCE_MAX_BYTES": int(os.environ.get("EVIDENCE_MAX_BYTES", str(2_000_000))),
        # Monthly spot checks: ledger entries drawn per month (a diagram may pass `size`).
        "SPOT_CHECK_SAMPLE_SIZE": int(os.environ.get("SPOT_CHECK_SAMPLE_SIZE", "5")),
        # The overdue board (督办看板) also lists steps due within this many days.
        "OVERDUE_SOON_DAYS": int(os.environ.get("OVERDUE_SOON_DAYS", "2")),
        # Data-source pulls: the first retry waits this long, each next one twice as long.
        "PULL_BACKOFF_SECONDS": float(os.environ.get("PULL_BACKOFF_SECONDS", "0.5")),
        # Headers each data source's requests carry (authentication): see `source_headers`.
        "SOURCE_HEADERS": source_headers(os.environ.get("SOURCE_HEADERS", "")),
        # Operations (deploy/README.md): log lines as text or JSON; /metrics needs this token.
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOG_FORMAT": _choice("LOG_FORMAT", ("plain", "json")),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }


def check_clock(config: dict) -> timedelta | None:
    """The clock offset to install, or None; a moved clock in production refuses to start."""
    text = (config.get("CLOCK_OFFSET") or "").strip()
    if not text:
        return None
    if config.get("JIXIAO_ENV", "production") == "production":
        raise RuntimeError(
            "CLOCK_OFFSET moves the clock and is for tests and demos only: set "
            "JIXIAO_ENV=development to use it, or remove it in production."
        )
    from app.clock import parse_offset

    return parse_offset(text)
