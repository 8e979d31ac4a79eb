"""Service-task handlers, by the name a BPMN service task gives (`letters.lock`).

A handler takes a `HandlerContext` and the task's evaluated parameters, calls services, and
returns a JSON-serialisable result that lands in the task's result variable. Handlers never
see `request`; they run inside the transaction that holds the instance's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HandlerContext:
    instance_id: int
    department_id: int
    campaign_id: int
    data: Mapping[str, Any]


Handler = Callable[..., Any]
REGISTRY: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"handler {name!r} registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def call(name: str, context: HandlerContext, params: Mapping[str, Any]) -> Any:
    if name not in REGISTRY:
        raise LookupError(f"unknown handler {name!r}")
    return REGISTRY[name](context, **params)


# Importing the modules registers their handlers.
from handlers import (  # noqa: E402
    appeals,  # noqa: F401
    evaluation,  # noqa: F401
    letters,  # noqa: F401
    notices,  # noqa: F401
    outcomes,  # noqa: F401
    quarterly,  # noqa: F401
    schedule,  # noqa: F401
    scoring,  # noqa: F401
    sources,  # noqa: F401
    spot_checks,  # noqa: F401
    verification,  # noqa: F401
)
