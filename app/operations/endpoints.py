"""/healthz, /readyz and /metrics: what a load balancer, systemd and Prometheus ask.

- /healthz: the process answers (no database): restart it when this fails.
- /readyz: the database answers, its schema is at this code's migration head, and a scheduler
  swept within two sweep intervals: send traffic only while this is 200. A 503 names each
  problem in the reader's language.
- /metrics: Prometheus text. It needs `Authorization: Bearer <METRICS_TOKEN>`; without a
  configured token it answers 404, so a forgotten setting never publishes the figures.
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from app import clock, config, metrics
from app.services import health, mail

bp = Blueprint("operations", __name__)


def _problem_text(problem: health.Problem) -> str:
    if problem.code == "database_unreachable":
        return _("数据库无法连接。")
    if problem.code == "migrations_behind":
        return _(
            "数据库结构版本为 %(current)s，本程序需要 %(head)s：请运行 flask db upgrade。",
            **problem.params,
        )
    return _(
        "最近 %(seconds)s 秒内没有定时调度进程完成扫描：请检查 flask scheduler 是否在运行。",
        **problem.params,
    )


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    problems = health.readiness_problems(
        config.PROJECT_ROOT / "migrations", current_app.config["SCHEDULER_SWEEP_SECONDS"]
    )
    if problems:
        listed = [{"code": p.code, "message": _problem_text(p)} for p in problems]
        return jsonify(status="not_ready", problems=listed), 503
    return jsonify(status="ready")


@bp.get("/metrics")
def metrics_text():
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token:
        return jsonify(message=_("未启用监控指标：请设置 METRICS_TOKEN。")), 404
    if not hmac.compare_digest(given.encode(), token.encode()):
        return jsonify(message=_("监控指标需要正确的访问令牌。")), 401
    body = generate_latest(_process_registry()) + generate_latest(_database_registry())
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every process's when they share PROMETHEUS_MULTIPROC_DIR."""
    if not metrics.multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


class _DatabaseFigures:
    """Figures read from the database at scrape time."""

    def collect(self):
        by_status = GaugeMetricFamily(
            "jixiao_instances", "Process instances by status.", labels=["status"]
        )
        for status, n in sorted(health.instances_by_status().items()):
            by_status.add_metric([status], n)
        yield by_status
        yield GaugeMetricFamily(
            "jixiao_timer_lag_seconds",
            "How long the oldest due timer has waited to fire.",
            value=health.oldest_due_timer(),
        )
        yield GaugeMetricFamily(
            "jixiao_mail_outbox_backlog",
            "Notices waiting to be emailed.",
            value=mail.backlog(),
        )
        age = GaugeMetricFamily(
            "jixiao_scheduler_heartbeat_age_seconds",
            "Seconds since each scheduler process finished a sweep.",
            labels=["scheduler"],
        )
        last = GaugeMetricFamily(
            "jixiao_scheduler_last_sweep_seconds",
            "How long each scheduler process's last sweep took.",
            labels=["scheduler"],
        )
        now = clock.now()
        for beat in health.heartbeats():
            age.add_metric([beat.name], (now - beat.beat_at).total_seconds())
            last.add_metric([beat.name], beat.sweep_seconds)
        yield age
        yield last


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseFigures())
    return registry


def _observe(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        metrics.REQUEST_SECONDS.labels(
            endpoint, request.method, f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_observe)
