"""cpadvisor lint: the real knowledge has no errors; planted problems in fixture packs are found."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpadvisor.authoring.lint import lint

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "lint"
REPO = HERE.parent
CLI = [sys.executable, "-m", "cpadvisor"]


def run_cli(*args: str, catalog: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if catalog is not None:
        env["CPADVISOR_CATALOG"] = str(catalog)
    return subprocess.run([*CLI, "lint", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


@pytest.fixture(scope="module")
def semantic():
    return run_cli("--knowledge", str(FIX / "semantic"), catalog=FIX / "catalog.csv")


def lines_with(out: str, *parts: str) -> list[str]:
    return [ln for ln in out.splitlines() if all(p in ln for p in parts)]


def test_real_knowledge_has_no_errors():
    findings = lint(REPO / "knowledge")
    errors = [f.format(REPO) for f in findings if f.level == "error"]
    assert errors == [], "\n".join(errors)


def test_cli_exit_code_and_format(semantic):
    assert semantic.returncode == 1
    assert "Traceback" not in semantic.stderr
    for ln in semantic.stdout.splitlines():
        file, line, level, _ = ln.split(":", 3)
        assert Path(REPO / file).exists() and int(line) >= 1 and level.strip() in ("error", "warning"), ln


def test_contradictions_found(semantic):
    out = semantic.stdout
    f = "tests/fixtures/lint/semantic/demo/contradiction.yaml"
    assert lines_with(out, f"{f}:10: error:", "modern_and_not_modern", "`modern == true` and `modern == false`")
    assert lines_with(out, f"{f}:19: error:", "young_and_old", "kiln_age >", "kiln_age <")
    assert lines_with(out, f"{f}:26: error:", "two_types", "firing not in [direct, indirect]")
    assert lines_with(out, f"{f}:34: error:", "`sectors contains demo` and `sectors not contains demo`")
    assert lines_with(out, f"{f}:10: error:", "no rule reaches measure 'demo.contradiction'")


def test_overlap_and_disjoint_priorities(semantic):
    out = semantic.stdout
    assert lines_with(out, "overlap.yaml:15: warning:", "'old_kiln' (high) and 'direct_fired' (medium)")
    # kiln_age >= old vs kiln_age < old: provably disjoint, so no finding for this pair
    assert not lines_with(out, "'old_kiln'", "'young_kiln'")


def test_thresholds_cases_catalog(semantic):
    out = semantic.stdout
    assert lines_with(out, "semantic/demo/pack.yaml:16: warning:", "demo.clinker.benchmark", "effective")
    assert lines_with(out, "overlap.yaml:25: warning:", "demo.clinker.benchmark", "verified: false")
    assert not lines_with(out, "demo.clinker.baseline")  # dated and verified
    assert lines_with(out, "untested.yaml:1: error:", "demo.untested", "no negative")
    assert lines_with(out, "untested.yaml:16: error:", "units.0.type", "did you mean 'demo_kiln'")
    assert lines_with(out, "catalog.csv:5: error:", "demo.not_encoded")
    assert not lines_with(out, "error:", "demo.overlap' has no")


def test_schema_problems_found():
    r = run_cli("--knowledge", str(FIX / "schema"), catalog=FIX / "catalog.csv")
    assert r.returncode == 1
    assert lines_with(r.stdout, "schema/demo/untested.yaml:6: error:", "unknown field", "'colour'")
    assert lines_with(r.stdout, "schema/demo/contradiction.yaml:13: error:", "'demo_kilm'",
                      "did you mean 'demo_kiln'")


def test_placeholders_and_cases_option(tmp_path):
    import shutil
    kb = tmp_path / "kb"
    shutil.copytree(FIX / "semantic", kb)
    (kb / "demo" / "overlap.yaml").write_text(
        (kb / "demo" / "overlap.yaml").read_text(encoding="utf-8").replace(
            "  cost: low\n", "  cost: low  # TODO: check the cost\n", 1), encoding="utf-8")
    r = run_cli("--knowledge", str(kb), "--cases", catalog=FIX / "catalog.csv")
    assert lines_with(r.stdout, "overlap.yaml:7: error:", "placeholder", "TODO: check the cost")
    # --cases runs them: the contradictory measure's positive case fails
    assert lines_with(r.stdout, "contradiction.yaml:", "case '适用 / applies'", "expected / 期望 applies")


def test_missing_knowledge_dir_is_bad_input(tmp_path):
    r = run_cli("--knowledge", str(tmp_path / "nope"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "nope" in r.stderr and "--knowledge" in r.stderr


def test_lint_file_shows_the_authors_file_first_and_not_the_others_warnings(tmp_path):
    """Issue 32: `lint` printed 200 warnings (177 threshold-date), drowning a new measure's messages."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    repo = Path(__file__).resolve().parent.parent
    root = tmp_path / "knowledge"
    shutil.copytree(repo / "knowledge", root)
    mine = root / "steel" / "hot_charging.yaml"
    text = mine.read_text(encoding="utf-8")
    mine.write_text(text.replace("    year: ", "    year_: ", 1) if "    year: " in text else text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "lint", "--knowledge", str(root), "--file", str(mine)],
                       capture_output=True, text=True, cwd=tmp_path)
    lines = [x for x in r.stdout.splitlines() if x.strip()]
    assert all("hot_charging.yaml" in x or ": error:" in x for x in lines), lines[:5]
    assert "warnings of other files not shown" in r.stderr
