"""Backups of an installation: its database and its evidence files in one archive, and the
restore that puts them back (deploy/README.md, "Backup and restore").

An archive is a .tar.gz of `manifest.json`, the database (`database.sqlite3`, a consistent
copy through SQLite's backup API; or `database.dump`, `pg_dump --format=custom`) and
`storage/` (the evidence files). The manifest records the migration revision, what the
database held (instances, tasks, people, evidence files) and the SHA-256 of every member.

A restore checks everything before it touches anything: every member's checksum, no member
outside the archive's own folders, the same kind of database, a revision this code knows.
`--dry-run` stops there and says what would be replaced. The database is replaced in one
transaction (SQLite's backup API; on PostgreSQL one psql transaction that recreates the schema
and loads the dump), the evidence folder is swapped in whole (the previous one is kept beside
it), migrations newer than the archive are applied, and the restore is written to the audit
trail. Stop the web and scheduler processes first: a restore replaces what they work on.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import clock, config
from app.extensions import db
from app.models import Evidence, HumanTask, Person, ProcessInstance
from app.services import audit
from app.services.storage import storage_root
from app.services.transactions import unit_of_work

FORMAT = 1
MIGRATIONS = config.PROJECT_ROOT / "migrations"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing was changed."""


@dataclass
class Manifest:
    database: str
    revision: str | None
    created_at: str
    counts: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # member name -> sha256


def counts() -> dict[str, int]:
    """What the current database holds, to compare an archive with."""
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in (
            ("instances", ProcessInstance),
            ("tasks", HumanTask),
            ("people", Person),
            ("evidence_files", Evidence),
        )
    }


def _kind() -> str:
    name = db.engine.dialect.name
    if name not in DUMP_NAMES:
        raise BackupError(f"backups of {name} databases are not supported")
    return name


def _revision() -> str | None:
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url) -> tuple[str, dict[str, str]]:
    """The database address for pg_dump/psql, and an environment with the password (never on
    the command line, where other users of the machine could read it)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _dump_database(kind: str, target: Path) -> None:
    if kind == "sqlite":
        source = sqlite3.connect(db.engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    address, env = _libpq(db.engine.url)
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "-f",
            str(target),
            "-d",
            address,
        ],
        env,
    )


def create(directory: Path) -> tuple[Path, Manifest]:
    """Write an archive of the database and the evidence files into `directory`."""
    kind = _kind()
    manifest = Manifest(
        database=kind,
        revision=_revision(),
        created_at=clock.now().isoformat(),
        counts=counts(),
    )
    db.session.rollback()  # hold no transaction while the dump runs
    directory.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    archive = directory / f"jixiao-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / DUMP_NAMES[kind]
        _dump_database(kind, dump)
        members = [(DUMP_NAMES[kind], dump)]
        root = storage_root()
        if root.is_dir():
            members += [
                (f"storage/{path.relative_to(root).as_posix()}", path)
                for path in sorted(root.rglob("*"))
                if path.is_file()
            ]
        manifest.files = {name: _sha256(path) for name, path in members}
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(manifest.__dict__, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
        partial.rename(archive)
    return archive, manifest


@dataclass
class RestorePlan:
    manifest: Manifest
    current: dict[str, int]
    current_revision: str | None
    head: str | None
    storage: Path


def _safe_member(name: str, kind: str) -> bool:
    if name in ("manifest.json", DUMP_NAMES[kind]):
        return True
    parts = Path(name).parts
    return (
        len(parts) > 1 and parts[0] == "storage" and ".." not in parts and not name.startswith("/")
    )


def inspect(archive: Path) -> Manifest:
    """The archive's manifest, once every member is checked (checksums, names, kinds)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if "manifest.json" not in members:
                raise BackupError("the archive has no manifest.json: not a backup of this product")
            raw = json.loads(tar.extractfile(members["manifest.json"]).read())
            manifest = Manifest(**raw)
            if manifest.database not in DUMP_NAMES:
                raise BackupError(f"unknown database kind {manifest.database!r}")
            for name, member in members.items():
                if not member.isfile() or not _safe_member(name, manifest.database):
                    raise BackupError(f"the archive holds {name!r}, which a backup never does")
            if set(members) - {"manifest.json"} != set(manifest.files):
                raise BackupError("the archive's files differ from its manifest")
            for name, expected in manifest.files.items():
                digest = hashlib.sha256()
                stream = tar.extractfile(members[name])
                for chunk in iter(lambda s=stream: s.read(1 << 20), b""):
                    digest.update(chunk)
                if digest.hexdigest() != expected:
                    raise BackupError(f"{name} does not match its checksum: the archive is damaged")
    except (tarfile.TarError, OSError, EOFError, ValueError, TypeError, KeyError) as exc:
        raise BackupError(f"the archive cannot be read: {type(exc).__name__}: {exc}") from None
    return manifest


def plan(archive: Path) -> RestorePlan:
    """What a restore of `archive` would replace; refuses an archive it could not restore."""
    manifest = inspect(archive)
    kind = _kind()
    if manifest.database != kind:
        raise BackupError(
            f"the archive holds a {manifest.database} database; this installation uses {kind}"
        )
    scripts = ScriptDirectory(str(MIGRATIONS))
    if manifest.revision is not None and not _known(scripts, manifest.revision):
        raise BackupError(
            f"the archive's schema revision {manifest.revision} is newer than this code knows"
        )
    return RestorePlan(
        manifest=manifest,
        current=counts(),
        current_revision=_revision(),
        head=scripts.get_current_head(),
        storage=storage_root(),
    )


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except AlembicError:
        return False


def _load_database(kind: str, dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        source = sqlite3.connect(dump)
        live = sqlite3.connect(db.engine.url.database)
        try:
            source.backup(live)  # page by page under the database's lock: all or nothing
        finally:
            live.close()
            source.close()
        return
    address, env = _libpq(db.engine.url)
    script = dump.with_suffix(".sql")
    with script.open("w") as out:
        out.write("BEGIN;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
        out.flush()
        done = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "-f", "-", str(dump)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        out.write("\nCOMMIT;\n")
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-2000:]}")
    _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", address, "-f", str(script)], env)


def _swap_storage(extracted: Path, root: Path) -> Path | None:
    """Put the archive's evidence folder in place; the previous one is kept beside it."""
    kept = None
    if root.exists():
        kept = root.with_name(f"{root.name}.before-restore-{clock.now():%Y%m%dT%H%M%SZ}")
        root.rename(kept)
    root.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(extracted), str(root))
    return kept


def restore(archive: Path) -> tuple[RestorePlan, Path | None]:
    """Replace the database and the evidence files with the archive's; returns the plan it
    followed and where the previous evidence folder was kept."""
    chosen = plan(archive)
    kind = chosen.manifest.database
    root = chosen.storage
    with tempfile.TemporaryDirectory(dir=root.parent if root.parent.exists() else None) as scratch:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(scratch, filter="data")
        staged = Path(scratch, "storage")
        staged.mkdir(exist_ok=True)
        _load_database(kind, Path(scratch, DUMP_NAMES[kind]))
        kept = _swap_storage(staged, root)
    db.session.remove()
    if chosen.manifest.revision != chosen.head:
        upgrade(directory=str(MIGRATIONS))
    unit_of_work(
        lambda: audit.record(
            "backup.restore",
            None,
            archive=archive.name,
            created_at=chosen.manifest.created_at,
            revision=chosen.manifest.revision,
        )
    )
    return chosen, kept
