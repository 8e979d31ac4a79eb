"""Throwaway databases for simulations and benchmarks: a temporary SQLite file, or a database
of its own on a PostgreSQL server, migrated from empty and dropped afterwards (even on error).
"""

from __future__ import annotations

import secrets
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.config import PROJECT_ROOT

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(kind: str = "sqlite", pg_server: str = DEFAULT_PG_SERVER) -> Iterator[tuple[str, str]]:
    """(database URL, a temporary directory for files) of a fresh, empty database."""
    with tempfile.TemporaryDirectory(prefix="jixiao_scratch_") as tmp:
        if kind == "sqlite":
            yield f"sqlite:///{tmp}/scratch.sqlite3", tmp
            return
        name = f"jixiao_scratch_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(make_url(pg_server), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
            yield url, tmp
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def migrated_app(url: str, tmp: str, **config: Any) -> Flask:
    """An app on `url`, migrated to the current schema, with the shipped definitions loaded."""
    from app.services import definitions
    from app.services.transactions import unit_of_work

    app = create_app(
        {
            "SECRET_KEY": secrets.token_hex(32),  # a throwaway database: a throwaway key
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "STORAGE_DIR": f"{tmp}/storage",
            **config,
        }
    )
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))
    return app
