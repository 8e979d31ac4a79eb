"""A production `flask scheduler` logs: its INFO lines reach stderr with time, level and logger
(they vanished when nothing configured logging)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time

from tests.conftest import PROJECT_ROOT

STARTUP_SECONDS = 8
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO app\.scheduler: scheduler running", re.M
)


def test_flask_scheduler_logs_its_info_lines(app, database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "JIXIAO_INSTANCE_DIR": str(tmp_path),
        "SCHEDULER_SWEEP_SECONDS": "3600",
    }
    env.pop("FLASK_DEBUG", None)
    env.pop("LOG_LEVEL", None)
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
    assert LINE.search(stderr), stderr
    assert "Scheduler started" in stderr  # APScheduler's own INFO line, through the same handler
