"""Models and migrations agree: autogenerate finds nothing to add, drop or alter in the database
the migrations built (SQLite by default, PostgreSQL when DATABASE_URL points there)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_migrations_built_every_model_table(app):
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
