"""`flask` commands: load diagrams, seed the demo, run the scheduler, serve the demo."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from werkzeug.serving import run_simple

from app.services import definitions, timers, year_check
from app.services.transactions import unit_of_work


def _report_violations(violations: list) -> None:
    if not violations:
        click.echo("年度规则核查：全部通过。")
        return
    click.echo(f"年度规则核查：{len(violations)} 处不符。")
    for v in violations:
        click.echo(f"  [{v.rule}] {v.subject}: {v.message}")


def register(app: Flask) -> None:
    @app.cli.command("load-definitions")
    def load_definitions() -> None:
        """Load (or version) the shipped diagrams in workflows/bpmn/."""
        results = unit_of_work(lambda: definitions.load_directory(current_app.config["BPMN_DIR"]))
        for definition, created in results:
            state = "new version" if created else "unchanged"
            click.echo(
                f"{definition.process_key} v{definition.version} ({definition.kind}): {state}"
            )

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo city, its people and the current year's instances (idempotent)."""
        from app.demo import DEMO_PASSWORD, seed_demo

        logins = seed_demo()
        click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for role, usernames in logins:
            click.echo(f"  {role}: {', '.join(usernames)}")

    @app.cli.command("import-org")
    @click.argument("kind", type=click.Choice(["org", "people"]))
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--as", "username", default="admin", help="the centre admin importing")
    @click.option("--dry-run", is_flag=True, help="check every row, write nothing")
    def import_org(kind: str, path: str, username: str, dry_run: bool) -> None:
        """Import departments (org) or people from a .csv or .xlsx file."""
        from pathlib import Path

        from sqlalchemy import select

        from app.extensions import db
        from app.models import Person
        from app.services import org_import
        from app.services.errors import Invalid

        actor = db.session.scalars(select(Person).where(Person.username == username)).first()
        if actor is None:
            raise click.ClickException(f"no person {username!r}")
        file = Path(path)
        try:
            report = unit_of_work(
                lambda: org_import.run(kind, file.name, file.read_bytes(), actor, dry_run)
            ).as_dict()
        except Invalid as exc:
            report = exc.extra.get("report") or {"errors": exc.extra.get("fields")}
        for error in report.get("errors") or []:
            click.echo(f"  row {error['row']} {error['column']}: {error['message']}", err=True)
        click.echo({k: v for k, v in report.items() if k != "errors"})
        if report.get("errors"):
            raise SystemExit(1)

    @app.cli.command("import-actuals")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--as", "username", default="admin", help="the centre admin importing")
    @click.option("--dry-run", is_flag=True, help="check every row, write nothing")
    def import_actuals(path: str, username: str, dry_run: bool) -> None:
        """Import actuals (实际值) from a .csv or .xlsx file: 科室编码, 指标编码, 期间, 实际值."""
        from pathlib import Path

        from app.services.errors import Invalid
        from handlers.sources import runs

        actor = _person(username)
        file = Path(path)
        try:
            report = unit_of_work(
                lambda: runs.import_file(actor, file.name, file.read_bytes(), dry_run)
            ).as_dict()
        except Invalid as exc:
            report = exc.extra.get("report") or {
                "errors": [
                    {"row": 1, "column": k, "message": " ".join(v)}
                    for k, v in (exc.extra.get("fields") or {}).items()
                ]
            }
        for error in report.get("errors") or []:
            click.echo(f"  row {error['row']} {error['column']}: {error['message']}", err=True)
        click.echo({k: v for k, v in report.items() if k != "errors"})
        if report.get("errors"):
            raise SystemExit(1)

    @app.cli.command("pull-source")
    @click.argument("name")
    @click.option("--as", "username", default="admin", help="the centre admin pulling")
    def pull_source(name: str, username: str) -> None:
        """Pull a configured data source once; a failed pull is recorded and exits 1."""
        from handlers.sources import runs

        actor = _person(username)
        run = unit_of_work(lambda: runs.trigger_pull(actor, name, trigger="cli"))
        click.echo(
            f"pull run {run.id} of {name}: {run.status} after {run.attempts} attempt(s); "
            f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}"
        )
        if run.status != "succeeded":
            click.echo(f"  {run.error_kind}: {run.error}", err=True)
            for error in run.row_errors[:50]:
                click.echo(f"  row {error['row']} {error['column']}: {error['message']}", err=True)
            raise SystemExit(1)

    @app.cli.command("sweep-evidence")
    @click.option(
        "--grace-hours",
        type=click.IntRange(min=1),
        default=24,
        show_default=True,
        help="keep files stored within this many hours (a request may still be running)",
    )
    @click.option("--dry-run", is_flag=True, help="list the orphans, remove nothing")
    def sweep_evidence(grace_hours: int, dry_run: bool) -> None:
        """Remove stored evidence bytes that no evidence row points to."""
        from app.services import evidence_sweep

        report = unit_of_work(
            lambda: evidence_sweep.sweep(timedelta(hours=grace_hours), dry_run=dry_run)
        )
        for key in report.removed:
            click.echo(f"  {key}")
        verb = "would remove" if dry_run else "removed"
        click.echo(f"{verb} {len(report.removed)} unreferenced file(s); kept {report.kept}")

    @app.cli.command("sweep-timers")
    def sweep_timers() -> None:
        """Fire every due timer once, then exit."""
        click.echo(f"woke {timers.sweep()} instance(s)")

    @app.cli.command("escalate")
    def escalate_command() -> None:
        """Escalate overdue steps once (reminder, yellow card, red card), then send mail."""
        from app.services import escalation, mail

        click.echo(f"escalated {escalation.sweep()}; emailed {mail.deliver_pending()}")

    @app.cli.command("simulate-year")
    @click.option(
        "--departments",
        type=click.IntRange(1, 5000),
        default=None,
        help="a synthetic city of this many departments (default: the demo city)",
    )
    @click.option("--year", type=click.IntRange(2000, 2099), default=2026)
    @click.option("--seed", type=int, default=1, help="every random choice follows it")
    @click.option(
        "--database",
        type=click.Choice(["sqlite", "postgres"]),
        default="sqlite",
        help="the scratch database: a temporary SQLite file or a PostgreSQL database",
    )
    def simulate_year(departments: int | None, year: int, seed: int, database: str) -> None:
        """Run a whole campaign year on a fast clock in a scratch database, and summarise it.

        Nothing touches the configured database: the run migrates a throwaway one (dropped
        at the end), loads the shipped diagrams and the demo city (or a synthetic one)."""
        from app import scratch
        from app.demo import seed_org
        from app.simulation import YearSimulation, synthetic_city

        with scratch.database(database) as (url, tmp):
            sim_app = scratch.migrated_app(url, tmp)
            with sim_app.app_context():
                simulation = YearSimulation(year, seed, progress=lambda m: click.echo(m, err=True))
                if departments:
                    summary = simulation.run(lambda: synthetic_city(departments, year))
                else:
                    summary = simulation.run(lambda: seed_org().values())
                violations = year_check.check(year)
        for line in summary.lines():
            click.echo(line)
        _report_violations(violations)
        if summary.errors or summary.completed != summary.departments or violations:
            raise SystemExit(1)

    @app.cli.command("check-year")
    @click.argument("year", type=click.IntRange(2000, 2099))
    def check_year(year: int) -> None:
        """Read a campaign back and report every broken invariant (exit 1 if any)."""
        violations = year_check.check(year)
        _report_violations(violations)
        if violations:
            raise SystemExit(1)

    @app.cli.command("backup")
    @click.option(
        "--to", "directory", default="backups", show_default=True, type=click.Path(file_okay=False)
    )
    def backup_command(directory: str) -> None:
        """Archive the database and the evidence files (restore with `flask restore`)."""
        from app.operations import backup

        try:
            archive, manifest = backup.create(Path(directory))
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        audit_line = ", ".join(f"{k} {v}" for k, v in manifest.counts.items())
        click.echo(
            f"wrote {archive} ({manifest.database}, revision {manifest.revision}; {audit_line})"
        )

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--dry-run", is_flag=True, help="Check the archive and say what it would replace."
    )
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(archive: str, dry_run: bool, yes: bool) -> None:
        """Replace the database and the evidence files with a backup's (stop the web and
        scheduler processes first)."""
        from app.operations import backup

        try:
            plan = backup.plan(Path(archive))
        except backup.BackupError as exc:
            raise click.ClickException(f"{exc}; nothing was changed") from None
        manifest = plan.manifest
        click.echo(
            f"archive: {manifest.database} database of {manifest.created_at}, "
            f"revision {manifest.revision}, {len(manifest.files) - 1} evidence file(s)"
        )
        for name, now in plan.current.items():
            click.echo(f"  {name}: {now} now -> {manifest.counts.get(name, 0)} after the restore")
        click.echo(
            f"  evidence folder {plan.storage} is replaced (the current one is kept beside it)"
        )
        if manifest.revision != plan.head:
            click.echo(f"  migrations {manifest.revision} -> {plan.head} run after the restore")
        if dry_run:
            click.echo("dry run: nothing was changed")
            return
        if not yes:
            click.confirm("Replace this installation's data with the archive's?", abort=True)
        try:
            _, kept = backup.restore(Path(archive))
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo("restored" + (f"; the previous evidence folder is {kept}" if kept else ""))

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the timer scheduler in the foreground (production: one or more of these)."""
        from app.scheduler import TimerScheduler

        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        scheduler = TimerScheduler(current_app._get_current_object())
        scheduler.start()
        logging.getLogger("app.scheduler").info(
            "scheduler running, sweeping every %s s", current_app.config["SCHEDULER_SWEEP_SECONDS"]
        )
        click.echo("scheduler running; Ctrl-C stops it")
        stop.wait()
        scheduler.shutdown()

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def serve(host: str, port: int) -> None:
        """Development server with the scheduler inside (the one-command demo)."""
        from app.scheduler import TimerScheduler

        app_obj = current_app._get_current_object()
        scheduler = TimerScheduler(app_obj)
        scheduler.start()
        try:
            run_simple(host, port, app_obj, threaded=True, use_reloader=False)
        finally:
            scheduler.shutdown()


def _person(username: str):
    """The person a command acts as (`--as`), or a clear error."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Person

    found = db.session.scalars(select(Person).where(Person.username == username)).first()
    if found is None:
        raise click.ClickException(f"no person {username!r}")
    return found
