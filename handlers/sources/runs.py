"""Import a file, pull a source, retry a failed pull: the adapters tied to the services.

Everything here flushes only; the caller's transaction (the API's or the CLI's unit of work,
or the BPMN runner's) commits. A pull never raises for a source's failure: it records a failed
`PullRun` (kind, HTTP status, message) and writes no actuals, so data already recorded stays
as it was and the centre sees the failure and retries it.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from app import clock
from app.extensions import db
from app.models import Campaign, DataSource, Person, PullRun
from app.services import actuals
from app.services.org_import import Report
from handlers import HandlerContext, handler
from handlers.sources import SourceError
from handlers.sources.files import FileSource
from handlers.sources.http import HttpJsonSource


def import_file(actor: Person, filename: str, data: bytes, dry_run: bool) -> Report:
    """Check (dry run) or import a file of actuals; see app.services.actuals.import_rows."""
    actuals.require_centre(actor)
    try:
        rows = FileSource(filename, data).fetch()
    except SourceError as exc:
        return actuals.import_rows(actor, filename, [], dry_run, header_errors=exc.row_errors)
    return actuals.import_rows(actor, filename, rows, dry_run)


def adapter_for(source: DataSource) -> HttpJsonSource:
    return HttpJsonSource(
        source.name,
        source.url,
        source.mapping,
        timeout=float(source.timeout_seconds),
        retries=source.retries,
        backoff=current_app.config["PULL_BACKOFF_SECONDS"],
        headers=current_app.config["SOURCE_HEADERS"].get(source.name),
    )


def pull(
    name: str,
    *,
    actor: Person | None,
    trigger: str,
    retry_of: PullRun | None = None,
) -> PullRun:
    """Pull a configured source once (with its retries) and record the run."""
    source = actuals.source_named(name)
    started = clock.now()
    common = {"trigger": trigger, "actor": actor, "started_at": started, "retry_of": retry_of}
    if not source.active:
        return actuals.record_run(
            source, attempts=0, error_kind="inactive", error="the source is switched off", **common
        )
    adapter = adapter_for(source)
    try:
        rows = adapter.fetch()
    except SourceError as exc:
        return actuals.record_run(
            source,
            attempts=exc.attempts,
            error_kind=exc.kind,
            error=exc.message,
            http_status=exc.http_status,
            **common,
        )
    return actuals.record_run(source, attempts=adapter.attempts, rows=rows, **common)


def trigger_pull(actor: Person, name: str, trigger: str = "api") -> PullRun:
    actuals.require_centre(actor)
    return pull(name, actor=actor, trigger=trigger)


def retry(actor: Person, run_id: int) -> PullRun:
    """Pull again the source of a failed run; the new run names the one it retries."""
    failed = actuals.run_to_retry(actor, run_id)
    return pull(failed.source.name, actor=actor, trigger="retry", retry_of=failed)


@handler("sources.pull")
def pull_task(ctx: HandlerContext, source: str) -> dict:
    """BPMN service task: pull a source. A failed pull does not fail the task: the result's
    `status` says how it went, for a gateway to branch on."""
    run = pull(source, actor=None, trigger="bpmn")
    return {
        "run_id": run.id,
        "status": run.status,
        "error_kind": run.error_kind,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
    }


@handler("sources.pull_year")
def pull_year(ctx: HandlerContext) -> dict:
    """BPMN service task before year-end verification (采集政务系统数据): pull every active
    source not pulled successfully since the campaign year ended. The first instance to get
    here pulls; the others find the runs done (a source that failed is asked again after an
    hour, not by every instance). A failed pull does not stop the instance: the run is
    recorded, shown on the overdue board until a retry succeeds, and verification goes on
    with the figures recorded so far."""
    year = db.session.get(Campaign, ctx.campaign_id).year
    year_end = datetime(year + 1, 1, 1, tzinfo=clock.LOCAL_ZONE)
    done = [pull(s.name, actor=None, trigger="bpmn") for s in actuals.sources_due(year_end)]
    return {
        "pulled": [r.source.name for r in done if r.status == "succeeded"],
        "failed": [r.source.name for r in done if r.status == "failed"],
    }
