"""Evidence bytes that no row points to (a form refused after its file was stored) are swept
once older than a grace period; referenced and recent files stay."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services import actuals, evidence_sweep
from app.services.errors import Invalid
from app.services.storage import storage
from app.services.transactions import unit_of_work
from tests.conftest import person

DAY = 24 * 3600


def _store(data: bytes, then_refuse: bool = False) -> str:
    """Store an evidence file in a unit of work; refused: the form fails after the file."""
    key = None

    def work():
        nonlocal key
        key = actuals.store_evidence(person("head_fin"), "凭证.csv", data).storage_key
        if then_refuse:
            raise Invalid("the form has errors", fields={"value": ["必须是数字。"]})

    if then_refuse:
        with pytest.raises(Invalid):
            unit_of_work(work)
    else:
        unit_of_work(work)
    return key


def _age(storage_dir, key: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(storage_dir / key, (then, then))


def test_an_old_orphan_goes_and_referenced_or_recent_files_stay(org, storage_dir):
    kept = _store(b"kept,1\n")
    orphan = _store(b"orphan,2\n", then_refuse=True)
    recent = _store(b"recent,3\n", then_refuse=True)
    assert (storage_dir / orphan).exists()  # the refused form left its bytes behind
    for key in (kept, orphan):
        _age(storage_dir, key, 2 * DAY)

    dry = unit_of_work(lambda: evidence_sweep.sweep(timedelta(hours=24), dry_run=True))
    assert (dry.removed, dry.kept) == ([orphan], 2)
    assert (storage_dir / orphan).exists()

    report = unit_of_work(lambda: evidence_sweep.sweep(timedelta(hours=24)))
    assert (report.removed, report.kept) == ([orphan], 2)
    assert not (storage_dir / orphan).exists()
    assert storage().read(kept) == b"kept,1\n" and (storage_dir / recent).exists()
    swept = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.swept"))
    assert [e.detail for e in swept] == [{"removed": 1}]
    assert unit_of_work(lambda: evidence_sweep.sweep(timedelta(hours=24))).removed == []


def test_storing_the_bytes_of_an_old_orphan_again_protects_them(org, storage_dir):
    orphan = _store(b"same,4\n", then_refuse=True)
    _age(storage_dir, orphan, 3 * DAY)
    assert storage().put(b"same,4\n", ".csv")[0] == orphan  # an upload in progress
    assert unit_of_work(lambda: evidence_sweep.sweep(timedelta(hours=24))).removed == []
    assert (storage_dir / orphan).exists()


def test_a_grace_period_under_an_hour_is_refused(org):
    with pytest.raises(ValueError, match="at least"):
        evidence_sweep.sweep(timedelta(minutes=5))


def test_the_cli_lists_and_removes_orphans(app, org, storage_dir):
    orphan = _store(b"cli,5\n", then_refuse=True)
    _age(storage_dir, orphan, 2 * DAY)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["sweep-evidence", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert orphan in dry.output and "would remove 1" in dry.output
    assert (storage_dir / orphan).exists()
    done = runner.invoke(args=["sweep-evidence", "--grace-hours", "72"])
    assert "removed 0" in done.output and "kept 1" in done.output  # two days old is recent
    done = runner.invoke(args=["sweep-evidence", "--grace-hours", "24"])
    assert done.exit_code == 0 and "removed 1" in done.output
    assert not (storage_dir / orphan).exists()
    refused = runner.invoke(args=["sweep-evidence", "--grace-hours", "0"])
    assert refused.exit_code != 0 and "0" in refused.output
