"""绩效考核: the Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    from app import config, engine, models, safe_input, security  # noqa: F401  (engine adapts timers; models register)
    from app.extensions import api, babel, csrf, db, login_manager, migrate

    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = safe_input.StorableInt  # before any route is added
    app.config.from_mapping(config.from_environment())
    if overrides:
        app.config.from_mapping(overrides)
    offset = config.check_clock(app.config)
    if offset is not None:
        from app import clock

        clock.install(clock.OffsetClock(offset))
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    # A pooled connection the database dropped (restart, failover, idle timeout) is tested and
    # replaced before use instead of failing one request per worker.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": True,
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    security.check_secret_key(app)
    security.init_headers(app)
    app.before_request(safe_input.guard_form_input)

    db.init_app(app)
    app.teardown_appcontext(_end_session)  # runs before Flask-SQLAlchemy's own removal
    migrate.init_app(app, db, directory=str(config.PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    api.init_app(app)

    from app.api import register as register_api
    from app.pages import register as register_pages

    register_api(app, api)
    register_pages(app)

    from app import cli, errors, operations

    operations.init_app(app)
    errors.register(app)
    cli.register(app)
    return app


def _end_session(_exc: BaseException | None) -> None:
    """End the request's session. When the database dropped the connection after the response
    was built (a restart, a failover), ending it raises: the connection is thrown away instead,
    so the user gets the answer already made rather than a 500."""
    from sqlalchemy.exc import DBAPIError

    from app.extensions import db

    try:
        db.session.remove()
    except DBAPIError:
        db.session().invalidate()
        db.session.remove()


def _select_locale() -> str:
    from flask import session

    chosen = request.args.get("lang") or session.get("lang")
    return chosen if chosen in ("zh", "en") else "zh"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL, foreign keys and a busy timeout for SQLite; nothing for other databases.

    pysqlite's own transaction handling starts a transaction only before a write, so a
    SAVEPOINT opened first became the outermost transaction and its RELEASE committed early.
    We switch it off and emit BEGIN ourselves (the SQLAlchemy documentation's recipe), so every
    unit of work is one real transaction and a stale read fails its write and is retried.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
