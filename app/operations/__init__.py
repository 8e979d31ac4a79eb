"""Running the product: health and readiness, metrics, logs with request ids, backups."""

from __future__ import annotations

from flask import Flask

from app.operations import endpoints, logs


def init_app(app: Flask) -> None:
    if not app.testing:
        logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    logs.init_request_ids(app)
    endpoints.init_app(app)
