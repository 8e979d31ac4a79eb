#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DATABASE_URL=postgresql+psycopg://... for PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest -q -n auto "$@"
