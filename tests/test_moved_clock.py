"""A clock that tests and demos can move in a real process (CLOCK_OFFSET), refused in
production: a real `flask` process lives days ahead and fires the timers due by then."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import parse_offset
from tests.conftest import PROJECT_ROOT


def _flask(tmp_path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "JIXIAO_INSTANCE_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "k" * 40,
        "FLASK_APP": "app:create_app",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


NOW = "from app import clock; print(clock.now().isoformat())"


def test_a_real_process_runs_on_the_moved_clock_outside_production(tmp_path):
    done = _flask(tmp_path, "shell", stdin=NOW, CLOCK_OFFSET="P10D", JIXIAO_ENV="development")
    assert done.returncode == 0, done.stderr
    printed = [x for x in done.stdout.replace(">>> ", "\n").splitlines() if x.startswith("20")]
    seen = datetime.fromisoformat(printed[-1])
    assert abs(seen - (datetime.now(UTC) + timedelta(days=10))) < timedelta(minutes=5)


def test_production_refuses_a_moved_clock_with_a_clear_message(tmp_path):
    done = _flask(tmp_path, "shell", stdin=NOW, CLOCK_OFFSET="P10D")  # production by default
    assert done.returncode != 0
    assert "CLOCK_OFFSET moves the clock and is for tests and demos only" in done.stderr


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("P10D", timedelta(days=10)),
        ("-PT6H", timedelta(hours=-6)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
    ],
)
def test_offsets_read(text, delta):
    assert parse_offset(text) == delta


@pytest.mark.parametrize("text", ["10 days", "P", "P99999D", "PT", "R3/P1D"])
def test_bad_offsets_are_refused(text):
    with pytest.raises(ValueError, match="CLOCK_OFFSET"):
        parse_offset(text)
