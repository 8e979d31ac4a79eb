#!/usr/bin/env bash
# Set up and run the demo: SQLite database, demo data, web app + scheduler on 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
export FLASK_APP=app:create_app
# The session signing key: made once (random) in the instance folder, reused on every run.
key_file="${JIXIAO_INSTANCE_DIR:-instance}/secret_key"
if [[ -z "${SECRET_KEY:-}" && ! -s "$key_file" ]]; then
  mkdir -p "$(dirname "$key_file")"
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_hex(32))' >"$key_file")
  echo "==> generated a secret key in $key_file"
fi
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo "==> serving on http://127.0.0.1:${PORT:-5000} (Ctrl-C stops)"
exec .venv/bin/flask serve --host 127.0.0.1 --port "${PORT:-5000}"
