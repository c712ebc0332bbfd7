#!/usr/bin/env bash
# Headless Chromium (+ CJK fonts) for the HTML report tests. Idempotent; never fails the CI run:
# when it cannot be installed, tests/test_report_browser.py skips with the reason.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: apt-get not available; browser tests will skip" >&2; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  apt-get update -q >/dev/null 2>&1 || true
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "chromium.sh: could not install ${need[*]}; browser tests will skip" >&2
fi
exit 0
