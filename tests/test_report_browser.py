"""The HTML report in headless Chromium (installed by scripts/ci.d/chromium.sh): measures visible, no script run."""
from __future__ import annotations

import html as htmlmod
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from cpadvisor import render_report
from cpadvisor.report.translate import clause_en
from cpadvisor.advisor import assess

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "report"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="headless Chromium not installed: scripts/ci.d/chromium.sh could not apt-get install chromium")


def chromium(tmp_path: Path, page: Path, *args: str) -> str:
    profile = tmp_path / "chromium-profile"
    res = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def dump_dom(tmp_path: Path, text: str) -> str:
    page = tmp_path / "report.html"
    page.write_text(text, encoding="utf-8")
    return chromium(tmp_path, page, "--dump-dom")


def title_of(dom: str) -> str:
    m = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert m, "no <title> in the DOM"
    return htmlmod.unescape(m.group(1))


def test_chromium_runs_scripts_at_all(tmp_path):
    """Control: a page whose script does run changes its title, so the check below can fail."""
    dom = dump_dom(tmp_path, "<!DOCTYPE html><html><head><title>before</title></head>"
                             "<body><script>document.title='RAN'</script></body></html>")
    assert title_of(dom) == "RAN"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dom_shows_each_measure_and_its_clause_and_no_injected_script_ran(tmp_path, kb, lang):
    a = assess(FIXTURES / "steel_xss.yaml", kb=kb)
    dom = dump_dom(tmp_path, render_report(a, "html", lang, kb=kb))
    assert title_of(dom).endswith(" - 湘钢测试<script>document.title='PWNED'</script>有限公司")  # not 'PWNED'
    name = re.search(r'<p class="enterprise" id="enterprise-name">(.*?)</p>', dom, re.S)
    assert htmlmod.unescape(name.group(1)) == a.profile_name  # shown as text, not parsed as an element
    assert dom.count("<script") == 0
    articles = {m.group(1): htmlmod.unescape(re.sub(r"<[^>]+>", " ", m.group(2)))
                for m in re.finditer(r'<article class="measure[^"]*" data-measure="([^"]+)">(.*?)</article>', dom, re.S)}
    rec = [f for f in a.recommended if f.measure_id not in ("policy.voluntary_audit", "policy.mandatory_audit")]
    assert len(rec) >= 5
    for f in rec:
        text = articles.get(f.measure_id)
        assert text is not None, f.measure_id
        clause = clause_en(f.clause) if lang == "en" else f.clause
        assert f.name.get(lang) in text and clause in text, f.measure_id


def test_screenshot_renders_cjk_page(tmp_path, kb):
    if not shutil.which("fc-list") or not subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                                                         text=True).stdout.strip():
        pytest.skip("no CJK font installed (fonts-noto-cjk): glyphs would be boxes")
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    page = tmp_path / "steel.html"
    page.write_text(render_report(a, "html", "zh", kb=kb), encoding="utf-8")
    shot = tmp_path / "steel.png"
    chromium(tmp_path, page, "--window-size=900,1600", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (900, 1600)
    from PIL import Image
    im = Image.open(shot).convert("L")
    dark = sum(im.histogram()[:128])
    assert dark > 0.01 * width * height  # text drawn, not a blank page


def test_cli_pdf_is_a4(tmp_path):
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    out = tmp_path / "steel.pdf"
    res = CliRunner().invoke(app, ["report", str(FIXTURES / "steel_xss.yaml"), "-o", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    assert data[:5] == b"%PDF-"
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595) < 1.5 and abs(float(h) - 842) < 1.5 for w, h in boxes)
