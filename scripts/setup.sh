#!/usr/bin/env bash
# Create .venv (Python 3.11 or 3.12: durable-rules does not import on 3.13) and install cpadvisor with its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=""
for c in python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if (3,11) <= sys.version_info[:2] <= (3,12) else 1)' 2>/dev/null; then PY="$c"; break; fi
done
if [ -z "$PY" ]; then echo "cpadvisor needs Python 3.11 or 3.12 (durable-rules fails on 3.13)" >&2; exit 1; fi
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev]'
