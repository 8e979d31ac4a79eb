"""Bearer-token authentication and token scopes for the API.

A token's scopes narrow what its owner may do through it: reading needs `read`; writing needs the
endpoint's write scope (`tasks` by default, `admin` for the centre's administrative calls). The
services then check the owner's permission on the object, as for any other request.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from app.models import Person
from app.services import accounts
from app.services.errors import Forbidden, ServiceError
from app.services.transactions import unit_of_work

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


def token_required(view=None, *, write_scope: str = "tasks"):
    """`decorators = [token_required]` or `[token_required(write_scope="admin")]`."""
    if view is None:
        return lambda v: token_required(v, write_scope=write_scope)

    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        token = accounts.token_for(raw) if scheme.lower() == "bearer" and raw else None
        if token is None:
            raise Unauthorized("a valid bearer token is required")
        needed = "read" if request.method in SAFE_METHODS else write_scope
        if needed not in token.scopes:
            raise Forbidden(f"this token lacks the {needed!r} scope", needed_scope=needed)
        if accounts.needs_touch(token):
            unit_of_work(lambda: accounts.touch(token))
        g.actor = token.person
        return view(*args, **kwargs)

    return wrapper


def actor() -> Person:
    return g.actor
