"""What reading a city's instances costs in memory and time, with and without their workflow
state: the reason publication, the inbox and the simulation leave the state unread.

    .venv/bin/python bench/city_reads.py [--instances 1000] [--db sqlite|postgres]

A scratch database gets one real instance state (a 5-department year simulated to mid-December,
~50 KB) copied into `--instances` rows; then the rows are read as publication reads them, the
earlier way (whole rows) and the current way (`publications._instances`: state deferred,
departments joined), alternating, three rounds each. Prints the median seconds and the peak
Python memory (tracemalloc) of one read.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import insert, select  # noqa: E402

from app import scratch  # noqa: E402
from app.clock import LOCAL_ZONE  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Campaign, Department, ProcessInstance, Unit  # noqa: E402
from app.services import publications  # noqa: E402
from app.services.transactions import unit_of_work  # noqa: E402
from app.simulation import YearSimulation, synthetic_city  # noqa: E402

YEAR = 2026


def _city(count: int) -> Campaign:
    """A small simulated year for a real state, then `count` instances carrying it."""
    YearSimulation(YEAR, seed=3).run(
        lambda: synthetic_city(5, YEAR), until=datetime(YEAR, 12, 15, tzinfo=LOCAL_ZONE)
    )
    model = db.session.scalars(select(ProcessInstance)).first()
    unit = Unit(code="BENCH", name="基准局")
    departments = [
        Department(code=f"BENCH-{i:04d}", name=f"基准科{i}", unit=unit, function_category="finance")
        for i in range(count)
    ]
    db.session.add_all(departments)
    db.session.flush()
    db.session.execute(
        insert(ProcessInstance),
        [
            {
                "definition_id": model.definition_id,
                "process_key": model.process_key,
                "campaign_id": model.campaign_id,
                "department_id": d.id,
                "status": "waiting_message",
                "state": model.state,
            }
            for d in departments
        ],
    )
    kb = len(json.dumps(model.state, separators=(",", ":"))) / 1024
    print(f"state per instance: {kb:.1f} KB", file=sys.stderr)
    return model.campaign


def _whole_rows(campaign: Campaign) -> list[ProcessInstance]:
    """The earlier read: every column, the state included; departments one by one."""
    rows = list(
        db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.campaign_id == campaign.id)
        )
    )
    for row in rows:
        row.department.code  # noqa: B018  (as publication then read each department)
    return rows


def _measure(read, campaign_id: int) -> tuple[float, float]:
    """(seconds, peak MB) of one read in a fresh session."""
    db.session.expire_all()
    db.session.close()
    campaign = db.session.get(Campaign, campaign_id)
    tracemalloc.start()
    started = time.perf_counter()
    rows = read(campaign)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows
    del rows
    return seconds, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with scratch.database(args.db) as (url, tmp):
        app = scratch.migrated_app(url, tmp)
        with app.app_context():
            campaign_id = unit_of_work(lambda: _city(args.instances)).id
            found: dict[str, list[tuple[float, float]]] = {"whole rows": [], "without state": []}
            for _ in range(3):
                found["whole rows"].append(_measure(_whole_rows, campaign_id))
                found["without state"].append(_measure(publications._instances, campaign_id))
            db.engine.dispose()
    print(f"{args.db}, {args.instances} instances of the campaign read at once (median of 3):")
    print(f"{'read':15} {'seconds':>8} {'peak MB':>8}")
    medians = {}
    for name, runs in found.items():
        medians[name] = (
            statistics.median(s for s, _ in runs),
            statistics.median(m for _, m in runs),
        )
        print(f"{name:15} {medians[name][0]:>8.2f} {medians[name][1]:>8.1f}")
    (s_old, m_old), (s_new, m_new) = medians["whole rows"], medians["without state"]
    print(f"whole / without state: {s_old / s_new:.1f}x the time, {m_old / m_new:.1f}x the memory")


if __name__ == "__main__":
    main()
