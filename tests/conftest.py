"""Test vocabulary: `app`, `client`, `clock`, `org` (demo departments and people),
`api_as(username)` and `login_as(username)`.

The database is built by the migrations, once per session: a temporary SQLite file by default,
or, when DATABASE_URL names a PostgreSQL server, a fresh database created there and dropped
at the end. Tables are emptied after every test.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app import clock as app_clock
from app import create_app
from app.clock import MovableClock
from app.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    server_url = _postgres_url()
    if server_url is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"jixiao_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _migrated_app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10}
            if database_url.startswith("postgresql")
            else {},
        }
    )
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()
            path = Path(db.engine.url.database)
            shutil.copyfile(path, path.with_suffix(".pristine"))
    return app


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    movable = MovableClock(START)
    previous = app_clock.install(movable)
    yield movable
    app_clock.install(previous)


@pytest.fixture
def app(_migrated_app, clock):
    with _migrated_app.app_context():
        yield _migrated_app
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    """PostgreSQL: TRUNCATE (which the audit trail's append-only row triggers allow). SQLite:
    put back the freshly migrated file, since its triggers refuse deleting audit rows."""
    if db.engine.dialect.name == "sqlite":
        db.engine.dispose()
        path = Path(db.engine.url.database)
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(path.with_suffix(".pristine"), path)
        return
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def org(app):
    """Demo departments and people, and the shipped definitions (no instances)."""
    from app.demo import seed_org
    from app.services import definitions, library
    from app.services.transactions import unit_of_work

    unit_of_work(lambda: definitions.load_directory(app.config["BPMN_DIR"]))
    departments = unit_of_work(seed_org)
    unit_of_work(lambda: library.seed_year(START.year))
    return departments


def person(username: str):
    from app.models import Person

    return db.session.scalars(sa.select(Person).where(Person.username == username)).one()


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (lower-cased): to check that a read costs
    a fixed handful of statements, not one per row."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement.lower())

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def reads_workflow_state(statement: str) -> bool:
    """Whether a statement reads an instance's workflow state (also through a joined alias)."""
    return re.search(r"process_instance(_\d+)?\.state\b", statement) is not None


class ApiClient:
    """A test client that sends a bearer token for one person."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self.headers, **kw)


@pytest.fixture
def api_as(app, client, org):
    from app.services import accounts
    from app.services.transactions import unit_of_work

    def make(username: str, scopes: list[str] | None = None) -> ApiClient:
        """A client with a token of `scopes` (default: every scope the person may hold)."""
        from app.services import permissions

        someone = person(username)
        if scopes is None:
            scopes = ["read", "tasks"] + (["admin"] if permissions.is_centre_admin(someone) else [])
        token = unit_of_work(lambda: accounts.issue_token(someone, "test", scopes)[1])
        return ApiClient(client, token)

    return make


@pytest.fixture
def login_as(app, client, org):
    """Sign a person in through the sign-in page (with its CSRF token)."""
    import re

    def login(username: str, password: str = "demo-2026"):
        page = client.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
        response = client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": token.group(1).decode(),
            },
        )
        return response

    return login


def start_instance(department_code: str = "CZ-YS", year: int = 2026):
    """Start the annual cycle for a demo department as the centre admin."""
    from app.models import Department
    from app.services import instances
    from app.services.transactions import unit_of_work

    department = db.session.scalars(
        sa.select(Department).where(Department.code == department_code)
    ).one()
    return unit_of_work(lambda: instances.start(department.id, year, person("admin")))


def template_letter(category: str) -> dict:
    """A letter of the seed template of a function category, all library lines."""
    from app.rules.templates import TEMPLATES

    lines = [
        {"indicator": line.indicator.code, "weight": f"{line.weight:f}"}
        for line in TEMPLATES[category].lines
    ]
    return {"lines": lines, "note": None}


VALID_LETTER = {
    "lines": [
        {
            "name": "财务报表差错率",
            "kind": "individual",
            "direction": "lower",
            "target": "0.5",
            "unit": "%",
            "weight": "20",
        },
        {
            "name": "费用控制目标达成率",
            "kind": "individual",
            "direction": "higher",
            "target": "100",
            "unit": "%",
            "weight": "10",
        },
        {
            "name": "预算执行进度",
            "kind": "individual",
            "direction": "higher",
            "target": "95",
            "unit": "%",
            "weight": "35",
        },
        {
            "indicator": "COM-JI",
            "name": "重点工作完成率",
            "kind": "common",
            "direction": "higher",
            "target": "100",
            "unit": "%",
            "weight": "35",
        },
    ],
    "note": "2026年度预算科绩效责任书",
}
