"""/healthz, /readyz and /metrics as a load balancer and Prometheus use them, fed by the real
paths: a scheduler's sweep, a completed task, a due timer, an instance in error, the outbox."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import Notice, Person, ProcessInstance
from app.scheduler import TimerScheduler
from app.services import definitions, escalation, health, instances
from app.services.transactions import unit_of_work
from tests.api.helpers import inbox_task
from tests.conftest import PROJECT_ROOT, VALID_LETTER, person, start_instance
from tests.engine.helpers import fixture

TOKEN = "metrics-test-token"


def _metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus text (`labels` as written, e.g. '{a="b"}')."""
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert found, f"{name}{labels} not in the metrics"
    return float(found[1])


@pytest.fixture
def scrape(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)

    def read() -> str:
        db.session.rollback()  # end this test's read snapshot: see what other sessions wrote
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    return read


def test_healthz_answers_without_sign_in_or_database(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_waits_for_a_scheduler_sweep_and_goes_stale_without_one(app, client, clock):
    response = client.get("/readyz")
    assert response.status_code == 503
    [problem] = response.get_json()["problems"]
    assert problem["code"] == "scheduler_stale"
    assert problem["message"] == (
        "最近 120 秒内没有定时调度进程完成扫描：请检查 flask scheduler 是否在运行。"
    )
    english = client.get("/readyz?lang=en").get_json()["problems"][0]["message"]
    assert "No scheduler process finished a sweep in the last 120 seconds" in english

    TimerScheduler(app).sweep()  # what `flask scheduler` does every SCHEDULER_SWEEP_SECONDS
    db.session.rollback()  # this test's session: see what the scheduler's session wrote
    assert client.get("/readyz").get_json() == {"status": "ready"}
    [beat] = health.heartbeats()
    assert beat.name == health.process_name() and beat.beat_at == clock.now()

    clock.advance(timedelta(seconds=119))
    assert client.get("/readyz").status_code == 200
    clock.advance(timedelta(seconds=2))
    assert client.get("/readyz").get_json()["problems"][0]["code"] == "scheduler_stale"


def test_readyz_names_a_schema_behind_the_code(app, client):
    TimerScheduler(app).sweep()
    directory = str(PROJECT_ROOT / "migrations")
    head = health.migration_head(PROJECT_ROOT / "migrations")
    db.session.remove()
    downgrade(directory=directory, revision="-1")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        [problem] = response.get_json()["problems"]
        previous = f"{int(head) - 1:04d}"
        assert problem["code"] == "migrations_behind"
        assert f"需要 {head}" in problem["message"] and previous in problem["message"]
    finally:
        db.session.remove()
        upgrade(directory=directory)


ASK_READYZ = """
import json
from app import create_app
client = create_app().test_client()
for path in ("/readyz", "/healthz"):
    response = client.get(path)
    print(json.dumps([response.status_code, response.get_json()], ensure_ascii=False))
"""


def test_readyz_says_when_the_database_cannot_be_reached(tmp_path):
    """An app whose database is not there (its own process: a second app here would share
    this one's extensions)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32),
        "JIXIAO_INSTANCE_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", ASK_READYZ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    readyz, healthz = (json.loads(line) for line in done.stdout.splitlines()[-2:])
    assert readyz == [
        503,
        {
            "status": "not_ready",
            "problems": [{"code": "database_unreachable", "message": "数据库无法连接。"}],
        },
    ]
    assert healthz == [200, {"status": "ok"}]


def test_metrics_need_a_configured_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert response.get_json()["message"] == "未启用监控指标：请设置 METRICS_TOKEN。"
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN + "x"}):
        assert client.get("/metrics", headers=header).status_code == 401
    assert b"jixiao_" not in client.get("/metrics").get_data()


def test_a_committed_completion_counts_once_and_a_refused_one_not_at_all(scrape, api_as):
    start_instance("CZ-YS")
    head = api_as("head_fin")
    task = inbox_task(head, "draft_letter")
    before = _metric(scrape(), "jixiao_task_completions_total")
    refused = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"lines": []}})
    assert refused.status_code == 422
    assert _metric(scrape(), "jixiao_task_completions_total") == before
    done = head.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": VALID_LETTER})
    assert done.status_code == 200
    text = scrape()
    assert _metric(text, "jixiao_task_completions_total") == before + 1
    complete = 'endpoint="api_tasks.TaskCompletion",method="POST",status="2xx"'
    assert _metric(text, "jixiao_http_request_duration_seconds_count", "{" + complete + "}") >= 1


def test_timer_lag_instances_by_status_and_the_scheduler_show(app, scrape, org, clock):
    unit_of_work(lambda: definitions.upload("timer.bpmn", fixture("timer_intermediate.bpmn"), None))
    start_instance("CZ-YS")  # the annual cycle: waits for people
    waiting = start_instance_of("timer_intermediate", "DC-DC")
    text = scrape()
    assert _metric(text, "jixiao_timer_lag_seconds") == 0
    assert _metric(text, "jixiao_instances", '{status="waiting_timer"}') == 1
    assert "jixiao_scheduler_heartbeat_age_seconds{" not in text

    clock.advance(timedelta(hours=1, minutes=10))
    assert _metric(scrape(), "jixiao_timer_lag_seconds") == pytest.approx(600, abs=1)
    TimerScheduler(app).sweep()
    text = scrape()
    assert _metric(text, "jixiao_timer_lag_seconds") == 0
    assert db.session.get(ProcessInstance, waiting).status == "completed"
    name = health.process_name()
    assert _metric(text, "jixiao_scheduler_heartbeat_age_seconds", f'{{scheduler="{name}"}}') == 0
    assert _metric(text, "jixiao_timers_fired_total") >= 1

    running = db.session.scalars(
        db.select(ProcessInstance).where(ProcessInstance.status != "completed")
    ).one()
    unit_of_work(lambda: instances.suspend(running.id, person("admin"), "维护"))
    assert _metric(scrape(), "jixiao_instances", '{status="suspended"}') == 1


def start_instance_of(key: str, code: str) -> int:
    from app.models import Department

    department = db.session.scalars(db.select(Department).where(Department.code == code)).one()
    return unit_of_work(lambda: instances.start(department.id, 2026, person("admin"), key)).id


def test_the_outbox_backlog_counts_notices_waiting_for_email(app, scrape, org, clock, monkeypatch):
    start_instance("CZ-YS")
    for someone in db.session.scalars(db.select(Person)):
        someone.email = f"{someone.username}@example.gov.cn"
    db.session.commit()
    clock.advance(timedelta(days=30))  # the draft is long overdue: a card goes out
    assert escalation.sweep()
    waiting = db.session.scalar(db.select(db.func.count()).select_from(Notice))
    assert waiting >= 1
    assert _metric(scrape(), "jixiao_mail_outbox_backlog") == 0  # email is off
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    assert _metric(scrape(), "jixiao_mail_outbox_backlog") == waiting


def test_a_request_id_is_echoed_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-1234.abc"})
    assert given.headers["X-Request-ID"] == "proxy-1234.abc"
    for bad in ("x" * 65, "两个字", "a b", ""):
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), bad
