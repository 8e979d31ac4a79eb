#!/usr/bin/env bash
# Set up and run the demo: SQLite database, demo data, web app + scheduler on 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
export FLASK_APP=app:create_app
# A random SECRET_KEY in the instance folder, made on the first run and reused (unless set).
[[ -n "${SECRET_KEY:-}" ]] || .venv/bin/python -c "from app.config import write_secret_key; write_secret_key()"
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo "==> serving on http://127.0.0.1:${PORT:-5000} (Ctrl-C stops)"
exec .venv/bin/flask serve --host 127.0.0.1 --port "${PORT:-5000}"
