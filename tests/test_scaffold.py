"""cpadvisor new-measure: prefilled from the catalog, loads, fails its cases until filled in, never overwrites."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cpadvisor.cli.app import app
from cpadvisor.errors import InputError
from cpadvisor.knowledge.loader import load_knowledge
from cpadvisor.authoring.lint import lint
from cpadvisor.authoring.scaffold import new_measure

FIX = Path(__file__).parent / "fixtures" / "lint"
CATALOG = FIX / "catalog.csv"


@pytest.fixture()
def kb_dir(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(FIX / "semantic", root)
    return root


def test_prefilled_from_catalog_and_loads(kb_dir):
    path, entry = new_measure("demo", "not_encoded", kb_dir, CATALOG)
    assert path == kb_dir / "demo" / "not_encoded.yaml" and entry is not None
    text = path.read_text(encoding="utf-8")
    assert "id: demo.not_encoded" in text and '"未编码"' in text and '"Not encoded"' in text
    assert 'clause: "三(二)9"' in text and "kind: measure" in text
    assert "- sectors contains demo" in text  # demo is a sector pack
    kb = load_knowledge(kb_dir, CATALOG, use_cache=False)  # the scaffold loads as it is
    assert "demo.not_encoded" in kb.measures
    mine = [f for f in lint(kb_dir, CATALOG) if f.file == str(path)]
    assert mine and all(f.check == "placeholder" and f.level == "error" for f in mine)
    todo_lines = [i for i, ln in enumerate(text.splitlines(), 1) if "TODO" in ln]
    assert sorted(f.line for f in mine) == todo_lines
    assert not [f for f in lint(kb_dir, CATALOG) if f.check == "not-encoded"]


def pytest_file(root: Path, path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CPADVISOR_CATALOG": str(CATALOG)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(path.relative_to(root.parent))],
                          capture_output=True, text=True, cwd=root.parent, env=env, timeout=120)


def test_unfinished_cases_fail_then_pass_when_filled(kb_dir):
    path, _ = new_measure("demo", "demo.not_encoded", kb_dir, CATALOG)
    r = pytest_file(kb_dir, path)
    assert r.returncode == 1 and "2 failed" in r.stdout
    assert "knowledge/demo/not_encoded.yaml:" in r.stdout and "unfinished case" in r.stdout
    # the expert fills it in: texts, a real negative profile, no TODO left
    lines = []
    for ln in path.read_text(encoding="utf-8").splitlines():
        if ln.lstrip().startswith("# TODO"):
            continue
        ln = ln.split("  # TODO")[0].replace('"TODO ', '"')
        lines.append(ln)
    filled = "\n".join(lines) + "\n"
    neg = filled.rindex("sectors: [demo]")
    path.write_text(filled[:neg] + "sectors: []" + filled[neg + len("sectors: [demo]"):], encoding="utf-8")
    r = pytest_file(kb_dir, path)
    assert r.returncode == 0 and "2 passed" in r.stdout, r.stdout
    assert not [f for f in lint(kb_dir, CATALOG) if f.file == str(path)]


def test_refuses_to_overwrite(kb_dir):
    path, _ = new_measure("demo", "not_encoded", kb_dir, CATALOG)
    path.write_text(path.read_text(encoding="utf-8") + "# expert's work\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    env = {"CPADVISOR_CATALOG": str(CATALOG)}
    r = CliRunner(env=env).invoke(app, ["new-measure", "demo", "not_encoded", "--knowledge", str(kb_dir)])
    assert r.exit_code == 2 and "file exists, not overwritten" in r.stderr and str(path) in r.stderr
    assert path.read_text(encoding="utf-8") == before


def test_bad_arguments(kb_dir):
    with pytest.raises(InputError, match="unknown pack 'dem'.*did you mean 'demo'"):
        new_measure("dem", "x", kb_dir, CATALOG)
    with pytest.raises(InputError, match="belongs to pack 'common'"):
        new_measure("demo", "common.x", kb_dir, CATALOG)
    with pytest.raises(InputError, match="not in the catalog.*did you mean 'demo.not_encoded'"):
        new_measure("demo", "not_encode", kb_dir, CATALOG)


def test_id_outside_catalog_needs_its_clause_and_names(kb_dir, tmp_path):
    """Issue 32: one catalog; a new id is refused until the author gives its clause and names, then its row is
    written and the file's name is filled in (no placeholders to guess)."""
    with pytest.raises(InputError, match="--clause"):
        new_measure("demo", "brand_new_idea", kb_dir, CATALOG)
    cat = tmp_path / "catalog.csv"
    shutil.copy(CATALOG, cat)
    path, entry = new_measure("demo", "brand_new_idea", kb_dir, cat, clause="三(一)9", name_zh="全新措施",
                              name_en="A brand-new idea")
    assert entry is not None and entry.id == "demo.brand_new_idea"
    assert "demo.brand_new_idea" in cat.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "全新措施" in text and "A brand-new idea" in text and "TODO 措施名称" not in text


def test_park_pack_scaffold(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(Path(__file__).parent.parent / "knowledge", root)
    victim = root / "parks" / "centralized_heating.yaml"
    victim.unlink()
    path, entry = new_measure("parks", "centralized_heating", root)
    text = path.read_text(encoding="utf-8")
    assert entry is not None and "park: []" in text and "kind: park" in text
    load_knowledge(root, use_cache=False)
