"""`flask backup` / `flask restore`: a round trip through the real commands brings back the
database and the evidence files as they were; a damaged or foreign archive changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Evidence, HumanTask
from app.services import actuals, instances
from app.services.storage import storage, storage_root
from app.services.transactions import unit_of_work
from tests.conftest import VALID_LETTER, person, start_instance

KEPT = b"%PDF-1.4\n% kept evidence\n%%EOF\n"
LATER = b"%PDF-1.4\n% evidence stored after the backup\n%%EOF\n"


@pytest.fixture
def installation(app, org, tmp_path, monkeypatch):
    """An instance waiting for its draft and one evidence file, with storage of its own."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    start_instance("CZ-YS")
    kept = unit_of_work(lambda: actuals.store_evidence(person("head_fin"), "依据.pdf", KEPT))
    return app.test_cli_runner(), kept.storage_key


def _draft() -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "draft_letter")).one()


def _backup(runner, tmp_path) -> Path:
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    [archive] = (tmp_path / "backups").glob("jixiao-backup-*.tar.gz")
    assert str(archive) in result.output and "tasks 1" in result.output
    return archive


def _change_everything() -> None:
    """After the backup: the draft is completed and another evidence file is stored."""
    unit_of_work(lambda: instances.complete_task(_draft().id, person("head_fin"), VALID_LETTER))
    unit_of_work(lambda: actuals.store_evidence(person("head_fin"), "后来.pdf", LATER))
    assert _draft().status == "completed"


def test_a_round_trip_brings_back_the_database_and_the_evidence(installation, tmp_path):
    runner, kept_key = installation
    archive = _backup(runner, tmp_path)
    _change_everything()

    dry = runner.invoke(args=["restore", str(archive), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "evidence_files: 2 now -> 1 after the restore" in dry.output
    assert "dry run: nothing was changed" in dry.output
    assert _draft().status == "completed"  # the dry run changed nothing

    refused = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert refused.exit_code != 0 and _draft().status == "completed"

    done = runner.invoke(args=["restore", str(archive), "--yes"])
    assert done.exit_code == 0, done.output
    db.session.remove()
    assert _draft().status == "ready"  # the database is the backup's again
    assert [e.filename for e in db.session.scalars(select(Evidence))] == ["依据.pdf"]
    assert storage().read(kept_key) == KEPT
    files = [p for p in storage_root().rglob("*") if p.is_file()]
    assert len(files) == 1  # the later file went with the folder it was in ...
    previous = next(storage_root().parent.glob("storage.before-restore-*"))
    assert len([p for p in previous.rglob("*") if p.is_file()]) == 2  # ... which is kept
    restored = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "backup.restore")
    ).one()
    assert restored.detail["archive"] == archive.name
    # and the restored installation works on: the draft can be completed again
    unit_of_work(lambda: instances.complete_task(_draft().id, person("head_fin"), VALID_LETTER))


def _rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of `archive` with `change(name, bytes) -> [(name, bytes)]` applied to members."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            for name, data in change(member.name, source.extractfile(member).read()):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
    return target


def _manifest_with(**fields):
    def change(name: str, data: bytes):
        if name == "manifest.json":
            data = json.dumps({**json.loads(data), **fields}).encode()
        return [(name, data)]

    return change


def _damaged(name: str, data: bytes):
    if name.startswith("storage/"):
        data = data.replace(b"kept", b"KEPT")
    return [(name, data)]


def _escaping(name: str, data: bytes):
    return [(name, data)] + ([("storage/../../evil.pdf", KEPT)] if name == "manifest.json" else [])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_damaged, "does not match its checksum"),
        (_escaping, "which a backup never does"),
        (_manifest_with(revision="9999"), "newer than this code knows"),
        (_manifest_with(database="mysql"), "unknown database kind"),
        (_manifest_with(files={}), "differ from its manifest"),
        (_manifest_with(counts=None, extra=1), "cannot be read"),
    ],
)
def test_a_bad_archive_is_refused_and_changes_nothing(installation, tmp_path, change, message):
    runner, _ = installation
    archive = _backup(runner, tmp_path)
    _change_everything()
    bad = _rewrite(archive, tmp_path / "bad.tar.gz", change)
    for args in (["--dry-run"], ["--yes"]):
        result = runner.invoke(args=["restore", str(bad), *args])
        assert result.exit_code != 0
        assert message in result.output and "nothing was changed" in result.output
    assert _draft().status == "completed"
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 2


def test_an_archive_of_the_other_database_kind_is_refused(installation, tmp_path):
    runner, _ = installation
    archive = _backup(runner, tmp_path)
    other = "postgresql" if db.engine.dialect.name == "sqlite" else "sqlite"
    kind = db.engine.dialect.name
    renamed = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}

    def change(name: str, data: bytes):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["database"] = other
            manifest["files"][renamed[other]] = manifest["files"].pop(renamed[kind])
            return [(name, json.dumps(manifest).encode())]
        return [(renamed[other] if name == renamed[kind] else name, data)]

    bad = _rewrite(archive, tmp_path / "other.tar.gz", change)
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
    assert f"holds a {other} database; this installation uses {kind}" in result.output


def test_not_an_archive_at_all(installation, tmp_path):
    runner, _ = installation
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0 and "cannot be read" in result.output
    assert _draft().status == "ready"
