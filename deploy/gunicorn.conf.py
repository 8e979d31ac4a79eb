"""gunicorn settings for the web processes (deploy/README.md). Every value can be overridden
by the environment variable named beside it."""

import os

from prometheus_client import multiprocess

bind = os.environ.get("JIXIAO_BIND", "127.0.0.1:8000")  # behind the reverse proxy
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))  # about 2 per core
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))  # a worker stuck this long is replaced
graceful_timeout = 30
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500
accesslog = None  # the app logs one line per request, with its request id (LOG_FORMAT=json)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "app:create_app()"


def child_exit(server, worker):
    """A worker that exited (or was killed) stops counting in the shared metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
