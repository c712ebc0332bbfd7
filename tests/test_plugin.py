"""The pytest plugin: expert cases collected by name; a failure shows file:line, expected vs actual and why."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cpadvisor.knowledge.loader import load_knowledge
from cpadvisor.knowledge.yamlio import load_file

REPO = Path(__file__).parent.parent


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_collects_every_case_of_a_pack_by_name():
    kb = load_knowledge()
    want = sorted([ci.case.name for ci in kb.cases if ci.pack == "steel"]  # and the indicator systems' cases
                  + [c.name for i in kb.indicator_systems.values() if i.pack == "steel" for c, _ in i.cases])
    r = run_pytest(REPO, "--collect-only", "-q", "knowledge/steel")
    got = sorted(ln.split("::", 1)[1] for ln in r.stdout.splitlines() if ln.startswith("knowledge/steel/"))
    assert r.returncode == 0 and got == want


def test_one_measure_file_passes():
    r = run_pytest(REPO, "-q", "knowledge/steel/hot_charging.yaml")
    n = sum(1 for ci in load_knowledge().cases if ci.file.endswith("steel/hot_charging.yaml"))
    assert r.returncode == 0 and f"{n} passed" in r.stdout


@pytest.fixture()
def kb_copy(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", root)
    return root


def test_failing_case_shows_file_line_expected_actual_and_why(kb_copy):
    f = kb_copy / "steel" / "hot_charging.yaml"
    text = f.read_text(encoding="utf-8")
    assert isinstance(load_file(f).get("cases"), list) and text.rstrip().splitlines()[-1].startswith("    ")
    line = len(text.rstrip("\n").splitlines()) + 1
    f.write_text(text.rstrip("\n") + "\n" + """  - name: planted failure
    profile:
      sectors: [steel]
      units:
        - {id: RZ1, type: hot_rolling_mill}
    expect:
      applies: [steel.hot_charging]
""", encoding="utf-8")
    r = run_pytest(kb_copy.parent, "-q", "knowledge/steel/hot_charging.yaml")
    out = r.stdout
    assert r.returncode == 1 and "1 failed" in out
    assert f"knowledge/steel/hot_charging.yaml:{line}: case 'planted failure' failed" in out
    assert "steel.hot_charging: expected / 期望 applies, actual / 实际 not_applicable" in out
    assert "✗ enterprise: unit_types contains continuous_caster" in out
    assert "✓ unit: type == hot_rolling_mill" in out
    assert "Traceback" not in out


def test_broken_file_reports_load_problem(kb_copy):
    f = kb_copy / "steel" / "hot_charging.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("  kind: measure\n", "  kind: measure\n  colour: red\n", 1),
                 encoding="utf-8")
    line = f.read_text(encoding="utf-8").splitlines().index("  colour: red") + 1
    r = run_pytest(kb_copy.parent, "-q", "knowledge/steel")
    assert r.returncode == 1
    assert f"knowledge/steel/hot_charging.yaml:{line}: [measure.colour] unknown field" in r.stdout
    assert "the knowledge does not load because of other files" in r.stdout  # the pack's other files
