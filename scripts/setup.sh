#!/usr/bin/env bash
# Idempotent set-up shared by ./run.sh and ./test.sh: virtualenv, Python packages,
# compiled translations, the browser bundles (npm); with --test also the browser (Debian chromium
# + a CJK font).
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[[ "${1:-}" == "--test" ]] && want_browser=1

if [[ $want_browser == 1 ]] && ! { [[ -x /usr/bin/chromium ]] && fc-list 2>/dev/null | grep -i "noto.*cjk" >/dev/null; }; then
  echo "==> installing chromium and fonts-noto-cjk (apt-get)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
if [[ ! -f $stamp ]]; then
  echo "==> installing Python packages"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[test]"
  rm -f .venv/.installed-* && touch "$stamp"
fi

if compgen -G "app/translations/*/LC_MESSAGES/messages.po" >/dev/null; then
  .venv/bin/pybabel compile -d app/translations >/dev/null
fi

# Browser code (bpmn-js, dmn-js, ECharts) from the npm registry, bundled by esbuild.
if ! command -v npm >/dev/null; then
  echo "==> installing Node.js and npm (apt-get)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
npm_stamp=node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)
if [[ ! -f $npm_stamp ]]; then
  echo "==> installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch "$npm_stamp"
fi
npm run --silent build
