#!/usr/bin/env bash
# LibreOffice Writer (headless) + CJK fonts + poppler, so a test opens the Word report in a real word processor
# and checks the PDF it prints. Idempotent; never fails the CI run: when it cannot be installed,
# tests/test_report_docx.py::test_libreoffice_opens_the_report_as_a4 skips with the reason.
set -u
. "$(dirname "$0")/../lib/apt_install.sh"
need=()
command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
apt_install "${need[@]}" || echo "libreoffice.sh: could not install ${need[*]}; the LibreOffice test will skip" >&2
exit 0
