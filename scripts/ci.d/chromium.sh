#!/usr/bin/env bash
# Headless Chromium and ChromeDriver (+ CJK fonts) for the HTML report and web page tests. Idempotent; never fails the CI run:
# when it cannot be installed, tests/test_report_browser.py skips with the reason.
set -u
. "$(dirname "$0")/../lib/apt_install.sh"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
apt_install "${need[@]}" || echo "chromium.sh: could not install ${need[*]}; browser tests will skip" >&2
exit 0
