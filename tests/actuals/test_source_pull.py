"""Pulling actuals over HTTP from a real local server: success, retries, timeouts, bad answers,
failures that keep what was recorded, and the retry of a failed run."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from app.config import from_environment, source_headers
from app.extensions import db
from app.models import AuditEvent, PullRun
from app.services.transactions import unit_of_work
from handlers import REGISTRY, HandlerContext
from handlers.sources import SourceError, runs
from handlers.sources.http import HttpJsonSource, rows_from
from tests.actuals.conftest import Reply, actual_rows, hotline, make_source
from tests.api.helpers import error_of
from tests.conftest import person

OK = hotline(("DC-DC", "2026-03", 96.5), ("DC-DB", "2026-03", 91))


def _pull(name: str) -> PullRun:
    return unit_of_work(lambda: runs.trigger_pull(person("admin"), name))


def test_a_pull_records_every_row_and_pulling_again_changes_nothing(org, source_server):
    make_source("hotline", source_server.serve("/stats", Reply(200, OK)))
    run = _pull("hotline")
    assert (run.status, run.attempts, run.rows, run.created) == ("succeeded", 1, 2, 2)
    assert actual_rows() == [
        ("DC-DC", "INS-PETITION", "2026-03", "pull", "96.5", 1, True),
        ("DC-DB", "INS-PETITION", "2026-03", "pull", "91", 1, True),
    ]
    again = _pull("hotline")
    assert (again.status, again.created, again.updated, again.unchanged) == ("succeeded", 0, 0, 2)
    assert len(actual_rows()) == 2


def test_a_changed_figure_supersedes_the_pulled_one_and_keeps_it(org, source_server):
    url = source_server.serve(
        "/stats", Reply(200, OK), Reply(200, hotline(("DC-DC", "2026-03", "97.25")))
    )
    make_source("hotline", url)
    _pull("hotline")
    run = _pull("hotline")
    assert (run.created, run.updated, run.unchanged) == (0, 1, 0)
    assert actual_rows(source="pull")[0][-3:] == ("96.5", 1, False)
    assert ("DC-DC", "INS-PETITION", "2026-03", "pull", "97.25", 2, True) in actual_rows()


def test_a_server_error_is_retried_with_backoff(org, source_server, fast_backoff):
    url = source_server.serve("/stats", Reply(500, {"error": "busy"}), Reply(200, OK))
    make_source("hotline", url)
    run = _pull("hotline")
    assert (run.status, run.attempts, run.created) == ("succeeded", 2, 2)
    assert source_server.script.hits["/stats"] == 2


def test_retries_are_bounded_and_the_failure_names_the_status(org, source_server, fast_backoff):
    make_source("hotline", source_server.serve("/stats", Reply(503, {})), retries=2)
    run = _pull("hotline")
    assert (run.status, run.error_kind, run.http_status, run.attempts) == (
        "failed",
        "http_status",
        503,
        3,
    )
    assert source_server.script.hits["/stats"] == 3
    assert "503" in run.error


def test_a_client_error_is_not_retried(org, source_server, fast_backoff):
    make_source("hotline", source_server.serve("/stats", Reply(404, {})))
    run = _pull("hotline")
    assert (run.error_kind, run.http_status, run.attempts) == ("http_status", 404, 1)


def test_a_source_slower_than_its_timeout_fails_as_a_timeout(org, source_server, fast_backoff):
    make_source("hotline", source_server.serve("/stats", Reply(200, OK, delay=0.6)), retries=1)
    run = _pull("hotline")
    assert (run.status, run.error_kind, run.attempts) == ("failed", "timeout", 2)
    assert actual_rows() == []


def test_bad_json_fails_without_retrying(org, source_server, fast_backoff):
    make_source("hotline", source_server.serve("/stats", Reply(200, b"{not json")))
    run = _pull("hotline")
    assert (run.status, run.error_kind, run.attempts) == ("failed", "bad_json", 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": {}}, "data.items"),
        ({"data": {"items": "x"}}, "not a list"),
        ({"data": {"items": [1]}}, "row 1 is not an object"),
        ({"data": {"items": [{"deptCode": "DC-DC", "month": "2026-03"}]}}, "lacks completionRate"),
        ([1, 2], "data.items"),
    ],
)
def test_an_answer_of_the_wrong_shape_fails_clearly(org, source_server, body, message):
    make_source("hotline", source_server.serve("/stats", Reply(200, body)))
    run = _pull("hotline")
    assert (run.status, run.error_kind) == ("failed", "bad_shape")
    assert message in run.error


def test_an_unreachable_source_is_a_connection_failure(org, fast_backoff):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_source("hotline", f"http://127.0.0.1:{port}/stats", retries=1)
    run = _pull("hotline")
    assert (run.status, run.error_kind, run.attempts) == ("failed", "connection", 2)


def test_row_errors_fail_the_whole_pull_and_write_nothing(org, source_server):
    body = hotline(("DC-DC", "2026-03", 96), ("NOPE", "2026-03", 90), ("DC-DB", "2026-14", "abc"))
    make_source("hotline", source_server.serve("/stats", Reply(200, body)))
    run = _pull("hotline")
    assert (run.status, run.error_kind) == ("failed", "rows")
    assert {(e["row"], e["column"]) for e in run.row_errors} == {
        (2, "department"),
        (3, "period"),
        (3, "value"),
    }
    assert actual_rows() == []


def test_a_failed_pull_keeps_what_was_recorded(org, source_server, fast_backoff):
    url = source_server.serve("/stats", Reply(200, OK), Reply(500, {}))
    make_source("hotline", url, retries=1)
    _pull("hotline")
    before = actual_rows()
    failed = _pull("hotline")
    assert (failed.status, failed.error_kind) == ("failed", "http_status")
    assert actual_rows() == before


def test_the_centre_sees_a_failed_run_and_retries_it(org, api_as, source_server, fast_backoff):
    url = source_server.serve("/stats", Reply(500, {}), Reply(200, OK))
    make_source("hotline", url, retries=0)
    admin = api_as("admin")
    first = admin.post("/api/v1/data-sources/hotline/pull")
    assert first.status_code == 201
    assert first.get_json()["status"] == "failed"
    failed = admin.get("/api/v1/pull-runs?status=failed").get_json()
    assert [r["id"] for r in failed] == [first.get_json()["id"]]
    assert failed[0]["http_status"] == 500 and failed[0]["error_kind"] == "http_status"
    retried = admin.post(f"/api/v1/pull-runs/{failed[0]['id']}/retry")
    assert retried.status_code == 201
    body = retried.get_json()
    assert (body["status"], body["retry_of_id"], body["created"]) == (
        "succeeded",
        failed[0]["id"],
        2,
    )
    error_of(admin.post(f"/api/v1/pull-runs/{body['id']}/retry"), 409, "conflict")
    error_of(admin.post("/api/v1/pull-runs/999999/retry"), 404, "not_found")
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.action.startswith("source."))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["source.save", "source.pull", "source.pull"]


def test_an_inactive_source_is_recorded_as_a_failed_run(org, source_server):
    make_source("hotline", source_server.serve("/stats", Reply(200, OK)), active=False)
    run = _pull("hotline")
    assert (run.status, run.error_kind, run.attempts) == ("failed", "inactive", 0)
    assert "/stats" not in source_server.script.hits


def test_the_service_task_handler_pulls_by_source_name(org, source_server):
    make_source("hotline", source_server.serve("/stats", Reply(200, OK)))
    context = HandlerContext(instance_id=0, department_id=0, campaign_id=0, data={})
    result = unit_of_work(lambda: REGISTRY["sources.pull"](context, source="hotline"))
    assert result["status"] == "succeeded" and result["created"] == 2
    run = db.session.get(PullRun, result["run_id"])
    assert (run.trigger, run.triggered_by_id) == ("bpmn", None)


def test_the_adapter_reads_a_plain_list_with_default_field_names():
    rows = rows_from(
        [{"department": "CZ-YS", "indicator": "FIN-ERR", "period": 2026, "value": 1}],
        {"rows": ""},
    )
    assert (rows[0].department, rows[0].indicator, rows[0].period) == ("CZ-YS", "FIN-ERR", "2026")


def test_the_adapter_alone_raises_a_source_error(source_server):
    adapter = HttpJsonSource("x", source_server.serve("/x", Reply(502, {})), retries=0)
    with pytest.raises(SourceError) as raised:
        adapter.fetch()
    assert (raised.value.kind, raised.value.http_status, raised.value.transient) == (
        "http_status",
        502,
        True,
    )


def test_the_cli_pulls_and_exits_1_on_failure(app, org, source_server, fast_backoff):
    make_source("hotline", source_server.serve("/stats", Reply(200, OK), Reply(500, {})), retries=0)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["pull-source", "hotline"])
    assert ok.exit_code == 0, ok.output
    assert "succeeded" in ok.output
    failed = runner.invoke(args=["pull-source", "hotline"])
    assert failed.exit_code == 1
    assert "http_status" in failed.output
    unknown = runner.invoke(args=["pull-source", "nope"])
    assert unknown.exit_code != 0


TOKEN = "Bearer s3cret-token-4711"


def test_a_source_behind_authentication_gets_its_configured_headers(
    app, org, api_as, source_server, monkeypatch
):
    url = source_server.serve("/stats", Reply(200, OK, requires={"Authorization": TOKEN}))
    make_source("hotline", url)
    refused = _pull("hotline")  # nothing configured: the server refuses, not retried
    assert (refused.status, refused.error_kind, refused.http_status, refused.attempts) == (
        "failed",
        "http_status",
        401,
        1,
    )
    assert actual_rows() == []

    monkeypatch.setitem(app.config, "SOURCE_HEADERS", {"hotline": {"Authorization": "Bearer x"}})
    wrong = _pull("hotline")
    assert (wrong.status, wrong.http_status) == ("failed", 401)

    headers = {"Authorization": TOKEN, "X-Api-Key": "k-99"}
    monkeypatch.setitem(app.config, "SOURCE_HEADERS", {"hotline": headers, "other": {"A": "b"}})
    run = _pull("hotline")
    assert (run.status, run.created) == ("succeeded", 2)
    sent = source_server.script.headers[-1]
    assert (sent["Authorization"], sent["X-Api-Key"]) == (TOKEN, "k-99")
    assert "A" not in sent  # another source's headers stay with it

    # The secret appears nowhere an admin or a log can read it.
    admin = api_as("admin")
    runs_page, sources_page = admin.get("/api/v1/pull-runs"), admin.get("/api/v1/data-sources")
    assert (runs_page.status_code, len(runs_page.get_json())) == (200, 3)
    assert sources_page.status_code == 200
    shown = runs_page.get_data(as_text=True) + sources_page.get_data(as_text=True)
    audit = db.session.scalars(sa.select(AuditEvent.detail)).all()
    assert "s3cret" not in shown + repr(audit) + (refused.error or "") + (wrong.error or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["Authorization"]', "must map source names"),
        ('{"hotline": "Bearer s3cret"}', "must be an object"),
        ('{"hotline": {"Bad Name": "s3cret"}}', "is not a header name"),
        ('{"hotline": {"Authorization": "Bearer s3cret\\r\\nX-Evil: 1"}}', "one line"),
        ('{"hotline": {"Authorization": 4711}}', "one line"),
    ],
)
def test_malformed_source_headers_stop_the_app_without_showing_a_secret(text, message):
    with pytest.raises(ValueError, match=message) as raised:
        source_headers(text)
    assert "s3cret" not in str(raised.value) and "4711" not in str(raised.value)


def test_source_headers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOURCE_HEADERS", '{"hotline": {"Authorization": "Bearer t"}}')
    assert from_environment()["SOURCE_HEADERS"] == {"hotline": {"Authorization": "Bearer t"}}
    monkeypatch.delenv("SOURCE_HEADERS")
    assert from_environment()["SOURCE_HEADERS"] == {}
