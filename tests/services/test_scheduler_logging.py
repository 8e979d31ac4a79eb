"""A production `flask scheduler` logs: its INFO lines reach stderr with time, level and logger
(they vanished when nothing configured logging)."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

from app.extensions import db
from app.services import health
from tests.conftest import PROJECT_ROOT

STARTUP_SECONDS = 8
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO app\.scheduler \[-\] scheduler running", re.M
)


def _run_scheduler(database_url: str, tmp_path, **extra: str) -> str:
    """Start `flask scheduler`, let it sweep once, stop it; its stderr."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "JIXIAO_INSTANCE_DIR": str(tmp_path),
        "SCHEDULER_SWEEP_SECONDS": "3600",
        **extra,
    }
    env.pop("FLASK_DEBUG", None)
    env.pop("LOG_LEVEL", None)
    if "LOG_FORMAT" not in extra:
        env.pop("LOG_FORMAT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app:create_app", "scheduler"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(STARTUP_SECONDS)  # start, sweep once (nothing is due), then wait
        assert process.poll() is None, process.communicate()[1]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    return stderr


def test_flask_scheduler_logs_its_info_lines(app, database_url, tmp_path):
    stderr = _run_scheduler(database_url, tmp_path)
    assert LINE.search(stderr), stderr
    assert "Scheduler started" in stderr  # APScheduler's own INFO line, through the same handler


def test_json_logs_one_object_a_line_and_the_sweep_beats(app, database_url, tmp_path):
    stderr = _run_scheduler(database_url, tmp_path, LOG_FORMAT="json")
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    running = [r for r in records if r["message"].startswith("scheduler running")]
    assert running and running[0]["level"] == "INFO" and running[0]["name"] == "app.scheduler"
    assert running[0]["request_id"] == "-" and running[0]["asctime"]
    db.session.rollback()
    [beat] = health.heartbeats()  # the process's sweep recorded its heartbeat
    assert beat.fired == 0 and beat.sweep_seconds >= 0
