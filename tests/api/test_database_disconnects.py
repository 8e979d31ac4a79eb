"""A database that drops connections (restart, failover, an idle timeout): the pool tests a
connection before use and replaces a dead one, so no request fails for it; a connection lost
during a request is a 503 in the API's error shape. PostgreSQL only: SQLite has no server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.api.helpers import error_of

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin_engine(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def _drop_the_apps_connections(admin_engine) -> int:
    """What a database restart does to the app's pooled connections (not to this one)."""
    with admin_engine.connect() as conn:
        dropped = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        conn.commit()
    return dropped


def test_requests_after_the_database_dropped_every_connection_succeed(api_as, admin_engine):
    api = api_as("staff_fin")
    assert api.get("/api/v1/tasks").status_code == 200  # the pool holds live connections
    db.session.remove()
    assert _drop_the_apps_connections(admin_engine) >= 1
    for _ in range(5):
        assert api.get("/api/v1/tasks").status_code == 200


def test_a_connection_lost_during_a_request_is_a_503_in_the_error_shape(api_as, admin_engine):
    api = api_as("staff_fin")
    db.session.remove()
    killed = []

    def kill_own_connection(conn, cursor, statement, *args) -> None:
        if not killed and "human_task" in statement.lower():
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with admin_engine.connect() as admin:
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    sa.event.listen(db.engine, "before_cursor_execute", kill_own_connection)
    try:
        response = api.get("/api/v1/tasks")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", kill_own_connection)
    assert killed
    error = error_of(response, 503, "database_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert "try again" in error["message"]
    assert api.get("/api/v1/tasks").status_code == 200  # the next request has a new connection
