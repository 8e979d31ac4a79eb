"""Sign-in, passwords (argon2) and personal API tokens (random, stored as SHA-256, shown once).

Identity seam: `authenticate` is the password provider. Another provider (the city's unified
identity over OIDC) only has to map its verified claim to a username and call `sign_in_as`,
which applies the same account checks, records the attempt and writes the audit trail.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.i18n import Message
from app.models import TOKEN_SCOPES, ApiToken, LoginAttempt, Person
from app.rules.passwords import password_problems
from app.services import audit, permissions
from app.services.errors import Forbidden, Invalid, ServiceError

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
TOKEN_PREFIX = "jx_"
TOKEN_NAME_MAX = 100
TOKEN_DAYS_MAX = 366


class Throttled(ServiceError):
    status = 429
    code = "too_many_attempts"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_throttle(username: str, remote_addr: str | None) -> None:
    """Refuse a sign-in after too many recent failures for this username or from this address
    (counted whether or not the username exists, so throttling reveals nothing)."""
    config = current_app.config
    window_start = clock.now() - timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, last_success) if last_success else window_start
    checks = [
        (LoginAttempt.username == username, config["LOGIN_MAX_FAILURES_PER_USER"], since),
    ]
    if remote_addr:
        checks.append(
            (
                LoginAttempt.remote_addr == remote_addr,
                config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                window_start,
            )
        )
    for clause, limit, start in checks:
        failures = list(
            db.session.scalars(
                select(LoginAttempt.at)
                .where(clause, LoginAttempt.succeeded.is_(False), LoginAttempt.at > start)
                .order_by(LoginAttempt.at.desc())
                .limit(limit)
            )
        )
        if len(failures) >= limit:
            free_at = failures[-1] + timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
            minutes = max(1, math.ceil((free_at - clock.now()).total_seconds() / 60))
            raise Throttled(
                f"too many failed sign-ins; try again in {minutes} minutes",
                retry_after_minutes=minutes,
            )


def authenticate(username: str, password: str, remote_addr: str | None = None) -> Person | None:
    """The person if the password matches; spends the same time whether or not they exist."""
    username = username.strip()[:64]
    check_throttle(username, remote_addr)
    person = db.session.scalars(select(Person).where(Person.username == username)).first()
    try:
        _hasher.verify(person.password_hash if person else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        _record_failure(username, person, remote_addr, "wrong_password")
        return None
    if person is None:
        return None
    return sign_in_as(person, remote_addr, method="password")


def sign_in_as(person: Person, remote_addr: str | None, method: str) -> Person | None:
    """Finish a sign-in an identity provider has verified."""
    if not person.active:
        _record_failure(person.username, person, remote_addr, "inactive")
        return None
    db.session.add(LoginAttempt(username=person.username, remote_addr=remote_addr, succeeded=True))
    audit.record("auth.signed_in", person, "person", person.id, method=method)
    return person


def _record_failure(username: str, person: Person | None, remote_addr: str | None, why: str):
    db.session.add(LoginAttempt(username=username, remote_addr=remote_addr, succeeded=False))
    audit.record(
        "auth.failed",
        person,
        "person",
        person.id if person else None,
        username=username,
        reason=why,
    )


def load_session_user(session_id: str) -> Person | None:
    """Flask-Login's loader: the session carries "id:epoch"; an old epoch is signed out."""
    person_id, _, epoch = session_id.partition(":")
    if not (person_id.isdigit() and epoch.isdigit()):
        return None
    person = db.session.get(Person, int(person_id))
    if person is None or not person.active or person.session_epoch != int(epoch):
        return None
    return person


def sign_out_everywhere(person: Person) -> None:
    person.session_epoch += 1
    audit.record("auth.signed_out_everywhere", person, "person", person.id)


def change_password(person: Person, current: str, new: str) -> None:
    try:
        _hasher.verify(person.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise Invalid(
            "wrong password", fields={"current_password": [Message("当前密码不正确。")]}
        ) from exc
    _set_password(person, new, person)


def reset_password(admin: Person, person: Person, new: str) -> None:
    if not permissions.is_centre_admin(admin):
        raise Forbidden("only the performance-management centre resets passwords")
    _set_password(person, new, admin)


def _set_password(person: Person, new: str, by: Person) -> None:
    problems = password_problems(new, person.username)
    if problems:
        raise Invalid("the password breaks the rules", fields={"new_password": problems})
    person.password_hash = hash_password(new)
    person.password_changed_at = clock.now()
    person.session_epoch += 1  # a new password signs out every other session
    audit.record("auth.password_changed", by, "person", person.id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    person: Person,
    name: str,
    scopes: list[str] | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    scopes = sorted(set(scopes if scopes is not None else ["read", "tasks"]))
    unknown = [s for s in scopes if s not in TOKEN_SCOPES]
    if unknown or not scopes:
        raise Invalid(
            "unknown scopes",
            fields={"scopes": [Message("可选：%(scopes)s", scopes=list(TOKEN_SCOPES))]},
        )
    if "admin" in scopes and not permissions.is_centre_admin(person):
        raise Forbidden("only the performance-management centre may hold the admin scope")
    if not name.strip() or len(name) > TOKEN_NAME_MAX:
        raise Invalid(
            "bad token name", fields={"name": [Message("1至%(n)s个字符。", n=TOKEN_NAME_MAX)]}
        )
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= TOKEN_DAYS_MAX:
            raise Invalid(
                "bad expiry",
                fields={"expires_in_days": [Message("1至%(n)s天。", n=TOKEN_DAYS_MAX)]},
            )
        expires_at = clock.now() + timedelta(days=expires_in_days)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        person_id=person.id,
        name=name.strip(),
        token_hash=_digest(raw),
        scopes=scopes,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("token.issue", person, "api_token", token.id, name=token.name, scopes=scopes)
    return token, raw


def token_for(raw: str) -> ApiToken | None:
    """The live token for a raw bearer value (not revoked, not expired, owner active)."""
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _digest(raw), ApiToken.revoked_at.is_(None))
    ).first()
    now = clock.now()
    if token is None or not token.person.active or (token.expires_at and token.expires_at <= now):
        return None
    return token


def tokens_of(person: Person) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.person_id == person.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(person: Person, token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.person_id != person.id or token.revoked_at is not None:
        return False
    token.revoked_at = clock.now()
    audit.record("token.revoke", person, "api_token", token.id)
    return True


def needs_touch(token: ApiToken) -> bool:
    """Whether to record a use: at most once a minute, to spare writes on every request."""
    return token.last_used_at is None or clock.now() - token.last_used_at > timedelta(minutes=1)


def touch(token: ApiToken) -> None:
    token.last_used_at = clock.now()
