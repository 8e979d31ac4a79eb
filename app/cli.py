"""`flask` commands: load diagrams, seed the demo, run the scheduler, serve the demo."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from werkzeug.serving import run_simple

from app.services import definitions, timers
from app.services.transactions import unit_of_work


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

    @app.cli.command("sweep-timers")
    def sweep_timers() -> None:
        """Fire every due timer once, then exit."""
        click.echo(f"woke {timers.sweep()} instance(s)")

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the timer scheduler in the foreground (production: one or more of these)."""
        from app.scheduler import TimerScheduler

        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        scheduler = TimerScheduler(current_app._get_current_object())
        scheduler.start()
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
