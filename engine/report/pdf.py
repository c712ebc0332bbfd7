"""PDF output: the HTML report printed by headless Chromium (Debian's chromium package), for the CLI and the
service alike."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from cpadvisor.errors import InputError


def chromium() -> Optional[str]:
    """The Chromium binary used for PDF output, if one is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html: str, out: Path) -> None:
    """Print an HTML report to PDF (A4, from its @page rule) with headless Chromium."""
    exe = chromium()
    if exe is None:
        raise InputError("PDF needs Chromium (apt-get install chromium); write .docx, .html or .md instead / "
                         "生成PDF需要安装Chromium", str(out), field="-o")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out.resolve()}",
               page.as_uri()]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if res.returncode != 0 or not out.exists():
            raise InputError(f"Chromium could not print the PDF (exit {res.returncode})", str(out), field="-o")


def pdf_bytes(html: str) -> bytes:
    """The PDF of an HTML report, as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.pdf"
        html_to_pdf(html, out)
        return out.read_bytes()
