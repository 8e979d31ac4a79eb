"""The production set-up of deploy/README.md under faults: gunicorn (deploy/gunicorn.conf.py)
with two workers and two `flask scheduler` processes on PostgreSQL, driven over HTTP by 32
clients. During the load a worker is SIGKILLed, the database drops every connection, and one
scheduler is SIGKILLed in the middle of a sweep of 120 due timers. Afterwards: no 500 at all,
a few 503 at most (the requests in flight when their connection was dropped), every
instance's stored state agrees with its task rows, every timer fired exactly once, and the
installation is ready again. Runs when DATABASE_URL is PostgreSQL (about a minute)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import PROJECT_ROOT, VALID_LETTER

pytestmark = pytest.mark.postgres
VENV = Path(sys.executable).parent
CLIENTS = 32
TIMER_SECONDS = 25  # after set-up: time to start everything and put the clients to work
TIMER_YEARS = range(2027, 2038)  # one timer instance per department and year

SET_UP = f"""
import json
from sqlalchemy import select
from app import create_app
from app.extensions import db
from app.models import Department, Person
from app.services import definitions, instances
from app.services.transactions import unit_of_work

app = create_app()
with app.app_context():
    admin = db.session.scalars(select(Person).where(Person.username == "admin")).one()
    source = open("{PROJECT_ROOT}/tests/fixtures/timer_intermediate.bpmn", "rb").read()
    source = source.replace(b'"PT1H"', b'"PT{TIMER_SECONDS}S"')
    unit_of_work(lambda: definitions.upload("wait.bpmn", source, admin))
    started = []
    for year in {list(TIMER_YEARS)}:
        for department in db.session.scalars(select(Department).order_by(Department.id)).all():
            started.append(unit_of_work(
                lambda: instances.start(department.id, year, admin, "timer_intermediate")
            ).id)
    print(json.dumps(started))
"""

CHECK = """
import json
from sqlalchemy import func, select
from app import create_app
from app.engine import runner
from app.extensions import db
from app.models import HumanTask, InstanceEvent, ProcessInstance

app = create_app()
with app.app_context():
    disagree, statuses = [], {}
    for instance in db.session.scalars(select(ProcessInstance)):
        statuses[instance.status] = statuses.get(instance.status, 0) + 1
        workflow = runner.load(instance.definition.specs, instance.state, None).workflow
        in_state = {t.task_id for t in runner.ready_tasks(workflow)}
        in_rows = set(db.session.scalars(select(HumanTask.task_id).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "ready")))
        if in_state != in_rows:
            disagree.append(instance.id)
    fired = dict(db.session.execute(
        select(InstanceEvent.instance_id, func.count())
        .where(InstanceEvent.bpmn_id == "wait_hour").group_by(InstanceEvent.instance_id)).all())
    completions = db.session.scalar(select(func.count()).select_from(InstanceEvent)
        .where(InstanceEvent.kind == "task_completed"))
    print(json.dumps({"disagree": disagree, "statuses": statuses,
                      "fired": {str(k): v for k, v in fired.items()}, "completions": completions}))
"""

PAYLOADS = {
    "letter_draft": VALID_LETTER,
    "letter_review": {"decision": "approve"},
    "letter_sign": {"confirm": True},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def installation(tmp_path):
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgresql"):
        pytest.skip("needs PostgreSQL")
    name = f"jixiao_fault_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    (tmp_path / "metrics").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": make_url(server).set(database=name).render_as_string(hide_password=False),
        "SECRET_KEY": secrets.token_hex(32),
        "JIXIAO_INSTANCE_DIR": str(tmp_path / "instance"),
        "SCHEDULER_SWEEP_SECONDS": "1",
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": "fault-test",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "JIXIAO_BIND": f"127.0.0.1:{_free_port()}",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
    }
    env.pop("FLASK_DEBUG", None)
    try:
        yield env, name, admin
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(env, args: list[str]) -> str:
    """A command of the installation, run to its end; its output."""
    done = subprocess.run(
        args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _flask(env, *args) -> str:
    return _run(env, [str(VENV / "flask"), "--app", "app:create_app", *args])


def _python(env, script: str):
    """A script's last line of output, as JSON."""
    return json.loads(_run(env, [sys.executable, "-c", script]).splitlines()[-1])


def _spawn(env, args, log: Path) -> subprocess.Popen:
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


class Clients:
    """HTTP clients working through their inboxes; every answer's status is counted."""

    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens = base, tokens
        self.statuses: Counter[int] = Counter()
        self.completed = 0
        self.refused: set[int] = set()  # tasks whose form a client's payload does not satisfy
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _call(self, method: str, path: str, token: str, **kwargs):
        try:
            response = requests.request(
                method,
                self.base + path,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                **kwargs,
            )
        except requests.RequestException:  # a killed worker's connection: the client retries
            with self.lock:
                self.statuses[0] += 1
            return None
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    def work(self, username: str) -> None:
        token = self.tokens[username]
        while not self.stop.is_set():
            inbox = self._call("GET", "/api/v1/tasks", token)
            if inbox is None or inbox.status_code != 200:
                continue
            for task in inbox.json():
                payload = PAYLOADS.get(task["form_key"])
                if payload is None or task["id"] in self.refused:
                    continue
                done = self._call(
                    "POST", f"/api/v1/tasks/{task['id']}/complete", token, json={"data": payload}
                )
                if done is not None and done.status_code in (200, 422):
                    with self.lock:
                        self.completed += done.status_code == 200
                        if done.status_code == 422:
                            self.refused.add(task["id"])
            time.sleep(0.05)


def _wait_ready(base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its workers still booting
            pass
        time.sleep(0.3)
    raise AssertionError("the installation never became ready")


def test_faults_under_load_leave_every_instance_consistent(installation, tmp_path):
    env, name, admin = installation
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    timer_instances = _python(env, SET_UP)
    timers_due = time.monotonic() + TIMER_SECONDS
    base = "http://" + env["JIXIAO_BIND"]

    web = _spawn(
        env, [str(VENV / "gunicorn"), "--config", "deploy/gunicorn.conf.py"], tmp_path / "web.log"
    )
    flask = [str(VENV / "flask"), "--app", "app:create_app", "scheduler"]
    schedulers = [_spawn(env, flask, tmp_path / f"scheduler{i}.log") for i in range(2)]
    try:
        _wait_ready(base, 90)  # a loaded CI machine boots the workers slowly
        usernames = [f"head_{c}" for c in ("fin", "kj", "gk", "hr", "jy", "insp", "db", "admin")]
        usernames += ["leader_li", "leader_zhao", "leader_wang", "leader_sun", "leader_zhou"]
        tokens = {
            u: requests.post(
                base + "/api/v1/tokens", json={"username": u, "password": "demo-2026"}, timeout=10
            ).json()["token"]
            for u in usernames
        }

        # 20 clients race on one task: exactly one completes it, the others get a clear 409
        draft = next(
            t
            for t in requests.get(
                base + "/api/v1/tasks",
                headers={"Authorization": f"Bearer {tokens['head_fin']}"},
                timeout=10,
            ).json()
            if t["form_key"] == "letter_draft"
        )
        racers = Clients(base, tokens)
        barrier = threading.Barrier(20)

        def race() -> None:
            barrier.wait()
            racers._call(
                "POST",
                f"/api/v1/tasks/{draft['id']}/complete",
                tokens["head_fin"],
                json={"data": VALID_LETTER},
            )

        threads = [threading.Thread(target=race) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert racers.statuses == Counter({200: 1, 409: 19}), racers.statuses

        # 32 clients work; a worker is killed, the database drops every connection
        clients = Clients(base, tokens)
        workers = [
            threading.Thread(target=clients.work, args=(usernames[i % len(usernames)],))
            for i in range(CLIENTS)
        ]
        for t in workers:
            t.start()
        time.sleep(3)
        os.kill(_children(web.pid)[0], signal.SIGKILL)
        time.sleep(3)
        with admin.connect() as conn:
            dropped = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar()
        # the timers fall due; one scheduler is killed once its sweep is under way
        engine = sa.create_engine(env["DATABASE_URL"], poolclass=sa.NullPool)
        time.sleep(max(0.0, timers_due - time.monotonic()))
        fired_when_killed = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not fired_when_killed:
            with engine.connect() as conn:
                fired_when_killed = conn.execute(
                    sa.text("SELECT count(*) FROM instance_event WHERE bpmn_id = 'wait_hour'")
                ).scalar()
            time.sleep(0.05)
        schedulers[0].send_signal(signal.SIGKILL)
        # the other scheduler fires the rest
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                waiting = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM process_instance "
                        "WHERE status = 'waiting_timer' AND id = ANY(:ids)"
                    ),
                    {"ids": timer_instances},
                ).scalar()
            if not waiting:
                break
            time.sleep(0.5)
        engine.dispose()
        time.sleep(2)
        clients.stop.set()
        for t in workers:
            t.join(60)
        _wait_ready(base, 30)
        metrics = requests.get(
            base + "/metrics", headers={"Authorization": "Bearer fault-test"}, timeout=10
        ).text
        traced = requests.get(
            base + "/healthz", headers={"X-Request-ID": "fault-trace-1"}, timeout=5
        )
    finally:
        for process in (web, *schedulers):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (web, *schedulers):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()

    statuses = clients.statuses
    print(  # the figures of the run, for deploy/README.md (pytest -s)
        f"answers {dict(statuses)}; connections dropped {dropped}; scheduler killed after "
        f"{fired_when_killed} of {len(timer_instances)} timers; completions {clients.completed}"
    )
    assert statuses[500] == 0, statuses
    assert sum(n for s, n in statuses.items() if s >= 500) <= dropped, (statuses, dropped)
    assert clients.completed >= 10, statuses
    assert 0 < fired_when_killed < len(timer_instances), "the scheduler was not killed mid-sweep"

    state = _python(env, CHECK)
    assert state["disagree"] == [], state
    assert state["statuses"].get("error", 0) == 0, state["statuses"]
    assert state["fired"] == {str(i): 1 for i in timer_instances}  # every timer, exactly once
    counted = float(
        next(
            line
            for line in metrics.splitlines()
            if line.startswith("jixiao_task_completions_total")
        ).split()[1]
    )
    assert clients.completed + 1 <= counted <= state["completions"]
    assert traced.headers["X-Request-ID"] == "fault-trace-1"
    lines = [
        json.loads(line)
        for line in (tmp_path / "web.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(
        r.get("request_id") == "fault-trace-1" and r.get("path") == "/healthz" for r in lines
    )
