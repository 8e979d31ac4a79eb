"""Fixtures of the actuals tests: a real local HTTP server that plays a scripted source, data
sources configured against it, and small helpers to build import files."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Actual
from app.services import actuals
from app.services.transactions import unit_of_work
from tests.conftest import person

HEADER = ["科室编码", "指标编码", "期间", "实际值", "备注"]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    delay: float = 0.0
    requires: dict[str, str] | None = None  # headers without which the answer is 401


@dataclass
class Script:
    """Replies per path, used in order; the last one repeats."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    headers: list[dict[str, str]] = field(default_factory=list)  # of every request, in order

    def next(self, path: str) -> Reply:
        self.hits[path] = self.hits.get(path, 0) + 1
        queue = self.replies.get(path) or [Reply(404, {"error": "no such path"})]
        return queue.pop(0) if len(queue) > 1 else queue[0]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        reply = self.server.script.next(self.path)
        self.server.script.headers.append(dict(self.headers.items()))
        if reply.requires and any(self.headers.get(k) != v for k, v in reply.requires.items()):
            reply = Reply(401, {"error": "unauthorized"})
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class SourceServer:
    url: str
    script: Script

    def serve(self, path: str, *replies: Reply) -> str:
        self.script.replies[path] = list(replies)
        return f"{self.url}{path}"


@pytest.fixture
def source_server() -> Iterator[SourceServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.block_on_close = False
    server.script = Script()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield SourceServer(f"http://127.0.0.1:{server.server_address[1]}", server.script)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def storage_dir(app, monkeypatch, tmp_path):
    """Evidence files of each test in a directory of its own."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    return tmp_path / "storage"


@pytest.fixture
def fast_backoff(app, monkeypatch):
    monkeypatch.setitem(app.config, "PULL_BACKOFF_SECONDS", 0.01)


HOTLINE_MAPPING = {
    "rows": "data.items",
    "department": "deptCode",
    "period": "month",
    "value": "completionRate",
    "indicator_code": "INS-PETITION",
}


def hotline(*rows: tuple[str, str, Any]) -> dict:
    """The 12345 hotline's answer: monthly completion rates per department."""
    return {
        "code": 0,
        "data": {"items": [{"deptCode": d, "month": m, "completionRate": v} for d, m, v in rows]},
    }


def make_source(name: str, url: str, **overrides: Any):
    data = {
        "description": "12345 政务服务热线",
        "url": url,
        "mapping": HOTLINE_MAPPING,
        "timeout_seconds": 0.2,
        "retries": 2,
        "active": True,
    } | overrides
    return unit_of_work(lambda: actuals.save_source(person("admin"), name, data))


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8", header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def actual_rows(**where) -> list[tuple]:
    """(department code, indicator code, period, source, value, revision, current) rows."""
    db.session.expire_all()
    found = db.session.scalars(sa.select(Actual).filter_by(**where).order_by(Actual.id))
    return [
        (
            a.department.code,
            a.indicator.code,
            a.period,
            a.source,
            f"{a.value.normalize():f}",
            a.revision,
            a.current,
        )
        for a in found
    ]
