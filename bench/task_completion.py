"""How much does completing one user task cost, and how much of it is the workflow engine?

(a) engine: the raw SpiffWorkflow cycle in memory, the same one a completion runs:
    JSON state -> `runner.load` -> complete the task -> step -> `runner.dump` -> JSON state.
(b) api:    `POST /api/v1/tasks/<id>/complete` through Flask's test client with a bearer token,
    against a migrated database (a temp SQLite file, and/or a throwaway PostgreSQL database).

Both complete the same two tasks of the annual cycle's target-setting stage on a fresh
instance: `draft_letter` (submit the letter), then `review_letter` with decision "return"
(which sends it back to drafting). The clock is fixed, so no timer fires mid-run.

    .venv/bin/python bench/task_completion.py [--rounds N | --rounds-engine 200 --rounds-api 100]
                                              [--warmup 10] [--db sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import clock, scratch  # noqa: E402
from app.clock import MovableClock  # noqa: E402
from app.engine import runner  # noqa: E402
from app.engine.definitions import compile_bundle  # noqa: E402

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # same fixed instant as the tests
BPMN_FILE = PROJECT_ROOT / "workflows" / "bpmn" / "annual_cycle.bpmn"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KINDS = ("draft_letter", "review_letter")  # completion order within one round


def letter_for(category: str) -> dict:
    """The department's letter: its category's seed template, every line from the library
    (as `template_letter` in tests/conftest.py)."""
    from app.rules.templates import TEMPLATES

    lines = [
        {"indicator": line.indicator.code, "weight": f"{line.weight:f}"}
        for line in TEMPLATES[category].lines
    ]
    return {"lines": lines, "note": "基准测试用绩效责任书"}


RETURN = {"decision": "return", "comment": "目标偏低，请修改"}
# What the forms hand the workflow for those two submissions (app/forms/catalog.py).
ENGINE_DATA = {
    "draft_letter": {"letter_id": 1, "letter_revision": 1},
    "review_letter": {"decision": "return", "review_comment": RETURN["comment"]},
}
# department code -> (department head, supervising leader), from app/demo.py
DEPARTMENTS = {  # code: (head, leader, function category)
    "CZ-YS": ("head_fin", "leader_li", "finance"),
    "DC-DC": ("head_insp", "leader_zhao", "inspection"),
    "RS-RS": ("head_hr", "leader_li", "hr"),
    "JG-ZH": ("head_admin", "leader_zhao", "admin_support"),
}


@dataclass
class Result:
    """Per-kind timings in ms (wall clock, and CPU of this process only, which the other work
    on a shared machine disturbs less), plus whatever else the measurement found out."""

    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sql_count: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sql_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    notes: dict[str, Any] = field(default_factory=dict)


class Stopwatch:
    """Wall and process-CPU milliseconds of a `with` block."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = (time.perf_counter() - self._wall) * 1000
        self.cpu = (time.process_time() - self._cpu) * 1000

    def record(self, result: Result, kind: str) -> None:
        result.times[kind].append(self.wall)
        result.cpu[kind].append(self.cpu)


def _ready_task_id(run: runner.Run, bpmn_id: str) -> str:
    return next(t.task_id for t in runner.ready_tasks(run.workflow) if t.bpmn_id == bpmn_id)


# --- (a) the engine cycle, no database ------------------------------------------------------


def measure_engine(rounds: int, warmup: int) -> Result:
    """Deserialize -> complete -> step -> serialize, from and to JSON text as the database
    column holds it. Specs are restored once and cached, as the app does per definition."""
    from app.services.definitions import catalog

    compiled = compile_bundle((BPMN_FILE.name, BPMN_FILE.read_bytes()), [], catalog())
    specs, key = compiled.specs, "bench-annual-cycle"
    started = runner.start(specs, None, {"instance_id": 1, "department_id": 1, "year": 2026}, key)
    started.step()
    fresh = json.dumps(runner.dump(started.workflow))
    after_draft = _engine_cycle(specs, key, fresh, "draft_letter")
    after_return = _engine_cycle(specs, key, after_draft, "review_letter")
    # The return really sent the letter back to drafting (raises StopIteration otherwise).
    _ready_task_id(runner.load(specs, json.loads(after_return), None, key), "draft_letter")

    result = Result()
    result.notes["state, draft ready (bytes)"] = len(fresh.encode())
    result.notes["state, review ready (bytes)"] = len(after_draft.encode())
    result.notes["state, after one return (bytes)"] = len(after_return.encode())

    states = {"draft_letter": fresh, "review_letter": after_draft}
    gc.collect()
    for i in range(warmup + rounds):
        for kind in KINDS:
            with Stopwatch() as watch:
                _engine_cycle(specs, key, states[kind], kind)
            if i >= warmup:
                watch.record(result, kind)
    uncached = []  # what the spec cache saves: restore the specs from JSON every time
    for _ in range(min(rounds, 50)):
        with Stopwatch() as watch:
            _engine_cycle(specs, None, fresh, "draft_letter")
        uncached.append(watch.wall)
    result.notes["draft cycle without the spec cache (ms)"] = median(uncached)
    result.notes.update(_after_returns(specs, key, fresh, returns=10, rounds=min(rounds, 50)))
    return result


def _after_returns(
    specs: dict[str, Any], key: str, state: str, returns: int, rounds: int
) -> dict[str, float | int]:
    """Every send-back leaves its finished tasks in the state: how that grows the cycle."""
    for _ in range(returns):
        reviewing = _engine_cycle(specs, key, state, "draft_letter")
        state = _engine_cycle(specs, key, reviewing, "review_letter")
    laps = []
    for _ in range(rounds):
        with Stopwatch() as watch:
            _engine_cycle(specs, key, state, "draft_letter")
        laps.append(watch.wall)
    return {
        f"state after {returns} returns (bytes)": len(state.encode()),
        f"draft cycle after {returns} returns (ms)": median(laps),
    }


def _engine_cycle(specs: dict[str, Any], key: str | None, state_json: str, bpmn_id: str) -> str:
    run = runner.load(specs, json.loads(state_json), None, key)
    run.complete(_ready_task_id(run, bpmn_id), ENGINE_DATA[bpmn_id])
    return json.dumps(runner.dump(run.workflow))


# --- (b) the REST API with a database -------------------------------------------------------


class SqlCounter:
    """Counts statements on one engine while `active`, and times them with the COMMIT (which
    is no cursor statement, but a round trip and, on SQLite, the fsync)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.active, self.count, self.seconds = False, 0, 0.0
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        do_commit = engine.dialect.do_commit

        def timed_commit(dbapi_connection: Any) -> None:
            self._started = time.perf_counter()
            do_commit(dbapi_connection)
            self._after()

        engine.dialect.do_commit = timed_commit  # type: ignore[method-assign]

    def _before(self, *args: Any) -> None:
        self._started = time.perf_counter()
        if self.active:
            self.count += 1

    def _after(self, *args: Any) -> None:
        if self.active:
            self.seconds += time.perf_counter() - self._started

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self.count, self.seconds, self.active = 0, 0.0, True
        try:
            yield
        finally:
            self.active = False


def build_app(url: str, instance_dir: str) -> Flask:
    """A migrated app with the shipped definitions and the demo organisation."""
    from app.demo import seed_org
    from app.extensions import db
    from app.services.transactions import unit_of_work

    app = scratch.migrated_app(url, instance_dir)
    with app.app_context():
        unit_of_work(seed_org)
        db.session.remove()
    return app


def _person(username: str):
    from app.extensions import db
    from app.models import Person

    return db.session.scalars(sa.select(Person).where(Person.username == username)).one()


def _issue_tokens(app: Flask) -> dict[str, str]:
    from app.services import accounts
    from app.services.transactions import unit_of_work

    users = {u for head, leader, _ in DEPARTMENTS.values() for u in (head, leader)}
    with app.app_context():
        return {
            u: unit_of_work(lambda u=u: accounts.issue_token(_person(u), "bench")[1]) for u in users
        }


def _start_instance(app: Flask, department_code: str, year: int) -> int:
    from app.extensions import db
    from app.models import Department
    from app.services import instances, library
    from app.services.transactions import unit_of_work

    with app.app_context():
        department = db.session.scalars(
            sa.select(Department.id).where(Department.code == department_code)
        ).one()
        admin = _person("admin")
        if not library.listing(year):  # letters are checked against the year's library
            unit_of_work(lambda: library.seed_year(year))
        return unit_of_work(lambda: instances.start(department, year, admin)).id


def _ready_task(app: Flask, instance_id: int, bpmn_id: str) -> int:
    from app.extensions import db
    from app.models import HumanTask

    with app.app_context():
        return db.session.scalars(
            sa.select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.status == "ready",
            )
        ).one()


def measure_api(app: Flask, rounds: int, warmup: int) -> Result:
    """One fresh instance per round (departments x years); its draft and its review are
    completed through the API. Instance starts and task look-ups are not timed; each runs in
    its own app context, so no session or transaction of ours is open during a request."""
    from app.extensions import db

    tokens = _issue_tokens(app)
    with app.app_context():
        counter = SqlCounter(db.engine)
    client = app.test_client()
    result = Result()
    slots = ((year, code) for year in itertools.count(2026) for code in DEPARTMENTS)
    gc.collect()
    for i in range(warmup + rounds):
        year, code = next(slots)
        instance_id = _start_instance(app, code, year)
        head, leader, category = DEPARTMENTS[code]
        steps = zip(KINDS, (head, leader), (letter_for(category), RETURN), strict=True)
        for kind, username, data in steps:
            task_id = _ready_task(app, instance_id, kind)
            headers = {"Authorization": f"Bearer {tokens[username]}"}
            with counter.measuring(), Stopwatch() as watch:
                response = client.post(
                    f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers
                )
            if response.status_code != 200:
                raise RuntimeError(f"{kind}: {response.status_code} {response.get_data(True)}")
            if i >= warmup:
                watch.record(result, kind)
                result.sql_count[kind].append(counter.count)
                result.sql_ms[kind].append(counter.seconds * 1000)
        _ready_task(app, instance_id, "draft_letter")  # the return really sent it back
    result.notes.update(_api_notes(app, instance_id))
    return result


def _api_notes(app: Flask, instance_id: int) -> dict[str, int]:
    from app.extensions import db
    from app.models import ProcessDefinition, ProcessInstance

    with app.app_context():
        definition = db.session.scalars(
            sa.select(ProcessDefinition).where(ProcessDefinition.process_key == "annual_cycle")
        ).one()
        state = db.session.get(ProcessInstance, instance_id).state
        count = sa.select(sa.func.count()).select_from(ProcessInstance)
        return {
            # read only on a spec-cache miss (deferred columns), not per completion
            "definition source + specs, stored once (bytes)": len(
                definition.source.encode() + json.dumps(definition.specs).encode()
            ),
            "state as stored, after one return (bytes)": len(json.dumps(state).encode()),
            "instances in the database": db.session.scalar(count),
        }


def run_api(database: str, rounds: int, warmup: int, pg_server: str) -> Result:
    from app.extensions import db

    with scratch.database(database, pg_server) as (url, instance_dir):
        app = build_app(url, instance_dir)
        try:
            return measure_api(app, rounds, warmup)
        finally:
            with app.app_context():
                db.engine.dispose()


# --- reporting ------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(
    engine: Result, apis: dict[str, Result], rounds: dict[str, int], load: list[float]
) -> None:
    print(
        f"\nms per completion; (a) {rounds['engine']} rounds, (b) {rounds['api']} rounds;"
        f" load average {load[0]:.1f} before, {load[1]:.1f} after, on {os.cpu_count()} CPUs\n"
        "b/a = median/median; CPU med = this process only (not the PostgreSQL server);\n"
        "SQL stmts = cursor statements (no COMMIT); SQL ms = their time plus the COMMIT's\n"
    )
    header = f"{'task':<15}{'measurement':<20}{'median':>8}{'p95':>8}{'CPU med':>9}{'b/a':>7}"
    header += f"{'SQL stmts':>11}{'SQL ms':>8}"
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        a = median(engine.times[kind])
        print(
            f"{kind:<15}{'(a) engine, memory':<20}{a:>8.2f}{p95(engine.times[kind]):>8.2f}"
            f"{median(engine.cpu[kind]):>9.2f}"
        )
        for name, res in apis.items():
            b = median(res.times[kind])
            counts = sorted(set(res.sql_count[kind]))
            count = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
            print(
                f"{'':<15}{f'(b) API, {name}':<20}{b:>8.2f}{p95(res.times[kind]):>8.2f}"
                f"{median(res.cpu[kind]):>9.2f}{b / a:>7.1f}{count:>11}"
                f"{median(res.sql_ms[kind]):>8.2f}"
            )
    print()
    for label, res in [("engine", engine), *apis.items()]:
        for key, value in res.notes.items():
            shown = f"{value:.1f}" if isinstance(value, float) else f"{value:,}"
            print(f"{label + ':':<10}{key:<44}{shown:>10}")


def progress(what: str) -> None:
    print(f"{what} ...", file=sys.stderr, flush=True)


def postgres_reachable(server_url: str) -> bool:
    url = make_url(server_url)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds-engine", type=int, default=200, help="(a) rounds per task")
    parser.add_argument("--rounds-api", type=int, default=100, help="(b) rounds per database")
    parser.add_argument("--rounds", type=int, help="set both round counts")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds before each")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres", "both"),
        help="default: both when the --pg-server answers, else sqlite",
    )
    parser.add_argument("--pg-server", default=PG_SERVER, help="server URL to create the DB on")
    args = parser.parse_args(argv)
    if args.rounds is not None:
        args.rounds_engine = args.rounds_api = args.rounds
    if min(args.rounds_engine, args.rounds_api) < 1 or args.warmup < 0:
        parser.error("rounds must be >= 1 and warmup >= 0")
    if args.db is None:
        args.db = "both" if postgres_reachable(args.pg_server) else "sqlite"
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    previous = clock.install(MovableClock(START))
    try:
        progress("(a) engine")
        engine = measure_engine(args.rounds_engine, args.warmup)
        databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        apis = {}
        for database in databases:
            progress(f"(b) API on {database}")
            apis[database] = run_api(database, args.rounds_api, args.warmup, args.pg_server)
    finally:
        clock.install(previous)
    rounds = {"engine": args.rounds_engine, "api": args.rounds_api}
    report(engine, apis, rounds, [load_before, os.getloadavg()[0]])


if __name__ == "__main__":
    main()
