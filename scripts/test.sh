#!/usr/bin/env bash
# Install what the tests need (system services in scripts/ci.d, then the venv) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
for s in scripts/ci.d/*.sh; do [ -e "$s" ] && bash "$s"; done
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
