"""What one department's results application (结果应用) costs as the city grows.

Each department's `record_outcome` ranks the whole field (the bottom-ranked rule), so it reads
every result of the campaign. Before, each result's department was then read on its own (one
statement per department, per outcome: a thousand outcomes x a thousand reads at 1,000
departments); now they come with the results in one statement. Both are measured in one run:
"per-row" patches in the earlier read.

    .venv/bin/python bench/outcomes.py [--sizes 100,1000] [--db sqlite|postgres] [--samples 25]

A synthetic city of N departments with a calibrated result each and one bare instance each
(the outcome reads only the instance's campaign and department); then `--samples`
departments' outcomes are recorded, each in its own unit of work, with each way of reading.
Prints the median milliseconds and SELECT statements per outcome.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import event, select  # noqa: E402

from app import scratch  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    DepartmentResult,
    Person,
    ProcessDefinition,
    ProcessInstance,
)
from app.services import appeals, campaigns, permissions, results  # noqa: E402
from app.services.transactions import unit_of_work  # noqa: E402
from app.simulation import synthetic_city  # noqa: E402

YEAR = 2026


def _per_row(campaign) -> list[DepartmentResult]:
    """The earlier read: the results alone; each department is read when its code is."""
    query = select(DepartmentResult).where(DepartmentResult.campaign_id == campaign.id)
    return list(db.session.scalars(query))


def _city(size: int) -> list[int]:
    """`size` departments, each with a calibrated result and a bare instance: instance ids."""
    rng = random.Random(size)
    departments = synthetic_city(size, YEAR)
    campaign = campaigns.get_or_create(YEAR)
    admin = next(p for p in db.session.scalars(select(Person)) if permissions.is_centre_admin(p))
    definition = db.session.scalars(select(ProcessDefinition)).first()
    instances = []
    for d in departments:
        score = Decimal(rng.randint(6000, 9900)) / 100
        results.record_result(admin, YEAR, d.id, score, Decimal(85), Decimal(0), 0)
        instance = ProcessInstance(
            definition_id=definition.id,
            process_key=definition.process_key,
            campaign_id=campaign.id,
            department_id=d.id,
            status="running",
            state={},
        )
        db.session.add(instance)
        instances.append(instance)
    results.calibrate(admin, YEAR)
    db.session.flush()
    return [i.id for i in instances]


def _measure(instance_ids: list[int]) -> tuple[float, float]:
    """(median ms, median SELECTs) of recording these departments' outcomes."""
    times, reads = [], []
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    for instance_id in instance_ids:
        seen.clear()
        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        unit_of_work(lambda i=instance_id: appeals.record_outcome(i))
        times.append((time.perf_counter() - started) * 1000)
        event.remove(db.engine, "before_cursor_execute", count)
        reads.append(sum(1 for s in seen if s.lstrip().lower().startswith("select")))
    return statistics.median(times), statistics.median(reads)


def one_size(kind: str, size: int, samples: int) -> list[dict]:
    with scratch.database(kind) as (url, tmp):
        app = scratch.migrated_app(url, tmp)
        with app.app_context():
            instance_ids = unit_of_work(lambda: _city(size))
            sample = random.Random(0).sample(instance_ids, min(samples, len(instance_ids)))
            rows = []
            current: Callable = results.campaign_results
            for name, reader in (("per-row", _per_row), ("one read", current)) * 2:
                results.campaign_results = reader  # appeals calls it through the module
                try:
                    ms, reads = _measure(sample)
                finally:
                    results.campaign_results = current
                rows.append({"db": kind, "size": size, "read": name, "ms": ms, "selects": reads})
            db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--samples", type=int, default=25)
    args = parser.parse_args()
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        print(f"== {args.db} {size}", file=sys.stderr, flush=True)
        rows += one_size(args.db, size, args.samples)
    print(f"{'db':8} {'depts':>6} {'read':9} {'ms/outcome':>11} {'SELECTs':>8}")
    for r in rows:
        print(f"{r['db']:8} {r['size']:>6} {r['read']:9} {r['ms']:>11.1f} {r['selects']:>8.0f}")
    by = {}
    for r in rows:  # the later round of each (the first warms the caches)
        by[(r["size"], r["read"])] = r["ms"]
    for size in sorted({r["size"] for r in rows}):
        ratio = by[(size, "per-row")] / by[(size, "one read")]
        print(f"{size} departments: per-row / one read = {ratio:.1f}x")


if __name__ == "__main__":
    main()
