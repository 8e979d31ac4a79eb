"""Where uploaded files (evidence) live: one small interface, a local directory behind it.

Files are content-addressed: the key is `ab/<sha256><suffix>`, so storing the same bytes twice
stores them once and a key never changes meaning. A file written for a transaction that then
rolls back (a form refused after its evidence was stored) is an orphan that harms nothing;
`flask sweep-evidence` (app.services.evidence_sweep) removes orphans older than a grace period.
Storing bytes that are already there refreshes the file's time, so a sweep never takes a file
an upload in progress is about to point to. The directory is `STORAGE_DIR` (default
`<instance>/storage`). Another backend (object storage) implements `Storage` and is returned
by `storage()`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import current_app


class Storage(Protocol):
    def put(self, data: bytes, suffix: str = "") -> tuple[str, str]:
        """Store the bytes; returns (key, sha256 hex)."""

    def read(self, key: str) -> bytes: ...

    def entries(self) -> Iterator[tuple[str, float]]:
        """(key, last written or stored again, epoch seconds) of every file."""

    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"bad storage key {key!r}")
        return path

    def put(self, data: bytes, suffix: str = "") -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}{suffix.lower()}"
        path = self._path(key)
        try:
            os.utime(path)  # already there: it is wanted again now
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            # write beside, then rename: a reader never sees half a file
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)
        return key, digest

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def entries(self) -> Iterator[tuple[str, float]]:
        # `ab/<file>`; a write's temporary file left by a crash is listed too, and swept
        for path in self.root.glob("*/*"):
            if path.is_file():
                yield path.relative_to(self.root).as_posix(), path.stat().st_mtime

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage_root() -> Path:
    return Path(
        current_app.config.get("STORAGE_DIR")
        or Path(current_app.config["INSTANCE_PATH"], "storage")
    )


def storage() -> Storage:
    return LocalStorage(storage_root())
