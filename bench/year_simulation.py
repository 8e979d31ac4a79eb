"""The whole year at scale: the simulation at several city sizes, and a burst of due timers.

    .venv/bin/python bench/year_simulation.py                      # 10 and 100, SQLite + PostgreSQL
    .venv/bin/python bench/year_simulation.py --sizes 10,100,1000 --db sqlite
    .venv/bin/python bench/year_simulation.py --burst 1000 --sizes ""

(a) `flask simulate-year` at each size (synthetic cities, app.simulation), each in a process
    of its own so that its peak memory is its own: wall time, instances and tasks, state size
    per instance at year end (KB, without the specs), peak RSS.
(b) The timer burst: `--burst N` instances are taken through target setting, so that each
    waits for its first monthly spot check (an unannounced day in February); then the clock
    jumps past all of them and one sweep wakes every instance: instances fired per second.
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from app import clock, scratch  # noqa: E402
from app.clock import LOCAL_ZONE  # noqa: E402
from app.simulation import YearSimulation, synthetic_city  # noqa: E402

YEAR = 2026


def _quiet_alembic() -> None:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)


def _cpu_seconds() -> float:
    """This process's CPU time (user + system): less disturbed by other work than wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_year(db: str, size: int) -> dict:
    """(a) in this process: one simulated year of `size` departments."""
    _quiet_alembic()
    with scratch.database(db) as (url, tmp):
        app = scratch.migrated_app(url, tmp)
        with app.app_context():
            started, cpu_started = time.perf_counter(), _cpu_seconds()

            def progress(message: str) -> None:  # a month at a time, to the parent's stderr
                elapsed = time.perf_counter() - started
                print(f"  {db} {size}: {elapsed:7.0f} s  {message}", file=sys.stderr, flush=True)

            simulation = YearSimulation(YEAR, seed=size, progress=progress)
            summary = simulation.run(lambda: synthetic_city(size, YEAR))
            cpu_seconds = _cpu_seconds() - cpu_started  # the year's, without the migrations
            from app.extensions import db as sqla

            sqla.engine.dispose()
    return {
        "db": db,
        "size": size,
        "completed": summary.completed,
        "seconds": round(summary.wall_seconds, 1),
        "tasks": summary.tasks_completed,
        "wake_ups": summary.wake_ups,
        "state_kb_mean": round(summary.state_kb_mean, 1),
        "state_kb_max": round(summary.state_kb_max, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpu_seconds": round(cpu_seconds, 1),
        "sweeps": summary.sweeps,
        "simulated_until": f"{summary.simulated_until:%Y-%m-%d}",
        "errors": summary.errors[:3],
    }


def burst(db: str, size: int) -> dict:
    """(b) in this process: `size` instances wait for February's spot check; wake them all."""
    from app.extensions import db as sqla
    from app.services import timers

    _quiet_alembic()
    with scratch.database(db) as (url, tmp):
        app = scratch.migrated_app(url, tmp)
        with app.app_context():
            simulation = YearSimulation(YEAR, seed=size)
            february = datetime(YEAR, 2, 1, tzinfo=LOCAL_ZONE)
            setup_started = time.perf_counter()
            simulation.run(lambda: synthetic_city(size, YEAR), until=february)
            setup = time.perf_counter() - setup_started
            previous = clock.install(simulation.clock)
            try:
                simulation.clock.set(datetime(YEAR, 2, 26, 12, 0, tzinfo=LOCAL_ZONE))
                started = time.perf_counter()
                fired = timers.sweep()
                seconds = time.perf_counter() - started
            finally:
                clock.install(previous)
            sqla.engine.dispose()
    return {
        "db": db,
        "instances": size,
        "fired": fired,
        "seconds": round(seconds, 2),
        "per_second": round(fired / seconds, 1) if seconds else None,
        "setup_seconds": round(setup, 1),
    }


def _child(kind: str, db: str, size: int) -> dict:
    """Run one measurement in a fresh interpreter (its own peak memory), return its JSON."""
    command = [sys.executable, __file__, "--one", kind, db, str(size)]
    print(f"== {kind} {db} {size}", file=sys.stderr, flush=True)
    # stdout is the result; stderr (progress, and a traceback on failure) goes straight through
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        return {"db": db, "size": size, "failed": done.returncode}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _postgres_reachable() -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(scratch.DEFAULT_PG_SERVER)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100", help="comma-separated city sizes (a)")
    parser.add_argument(
        "--burst", type=int, default=1000, help="instances in the burst (b); 0: skip"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--one", nargs=3, metavar=("KIND", "DB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, db, size = args.one
        result = (one_year if kind == "year" else burst)(db, int(size))
        print(json.dumps(result, ensure_ascii=False))
        return

    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in databases and not _postgres_reachable():
        print("PostgreSQL does not answer: SQLite only", file=sys.stderr)
        databases = ["sqlite"]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    years = [_child("year", db, size) for db in databases for size in sizes]
    bursts = [_child("burst", db, args.burst) for db in databases] if args.burst else []

    load = os.getloadavg()[0]
    print(f"one simulated campaign year per row; load average {load:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'db':9}{'depts':>7}{'done':>6}{'wall s':>9}{'CPU s':>8}{'tasks':>8}{'wakes':>8}"
        f"{'wakes/s':>8}{'KB mean':>9}{'KB max':>8}{'RSS MB':>8}"
    )
    for r in years:
        if "failed" in r:
            print(f"{r['db']:9}{r['size']:>7}  failed (exit {r['failed']})")
            continue
        print(
            f"{r['db']:9}{r['size']:>7}{r['completed']:>6}{r['seconds']:>9}{r['cpu_seconds']:>8}"
            f"{r['tasks']:>8}{r['wake_ups']:>8}{r['wake_ups'] / r['seconds']:>8.1f}"
            f"{r['state_kb_mean']:>9}{r['state_kb_max']:>8}{r['peak_mb']:>8}"
        )
    if bursts:
        print("\ntimer burst: every instance's first monthly spot check due at once, one sweep")
        print(f"{'db':9}{'instances':>10}{'fired':>7}{'sweep s':>9}{'per s':>8}{'setup s':>9}")
        for b in bursts:
            if "failed" in b:
                print(f"{b['db']:9}  failed (exit {b['failed']})")
                continue
            print(
                f"{b['db']:9}{b['instances']:>10}{b['fired']:>7}{b['seconds']:>9}"
                f"{b['per_second']:>8}{b['setup_seconds']:>9}"
            )


if __name__ == "__main__":
    main()
