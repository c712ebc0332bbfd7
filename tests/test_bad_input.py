"""Bad input: one clear line naming file, line and field; exit code 2; no traceback; nothing executed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cpadvisor.cli.app import app
from cpadvisor.errors import KnowledgeError
from cpadvisor.knowledge.loader import load_knowledge

FIX = Path(__file__).parent / "fixtures" / "bad_input"
REPO = Path(__file__).parent.parent


def assess(path: Path, *extra: str):
    result = CliRunner().invoke(app, ["assess", str(path), *extra])
    return result.exit_code, result.stdout, result.stderr, result.exception


@pytest.mark.parametrize("name, line, field, words", [
    ("malformed.yaml", 3, None, "malformed YAML/JSON"),
    ("malformed.json", 2, None, "malformed YAML/JSON"),
    ("alias_bomb.yaml", 2, None, "anchors/aliases are not allowed"),
    ("wrong_types.yaml", 3, "total_energy_tce", "a number in tce"),
    ("negative_output.yaml", 6, "products.0.annual_output", "greater than or equal to 0 (got -5)"),
    ("unknown_sector.yaml", 2, "sectors.0", "unknown sector 'steal' (did you mean 'steel'?)"),
    ("typo_unit.yaml", 5, "units.0.type", "unknown unit type 'sintering_machin' (did you mean 'sintering_machine'?)"),
    ("non_utf8_gbk.yaml", 1, None, "not UTF-8"),
    ("python_tag.yaml", 2, None, "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
])
def test_bad_profile_one_line_exit_2(name, line, field, words):
    path = FIX / name
    code, out, err, exc = assess(path)
    assert code == 2
    assert isinstance(exc, SystemExit)  # typer.Exit, not a crash
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}:{line}:"), lines[0]
    if field:
        assert f"[{field}]" in lines[0]
    assert words in lines[0]


def test_python_tag_in_profile_runs_nothing(tmp_path):
    marker = Path("/tmp/cpadvisor_pwned_profile")
    marker.unlink(missing_ok=True)
    assess(FIX / "python_tag.yaml")
    assert not marker.exists()


def test_fifty_megabyte_file(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.write(b"name: big\n")
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing to read
    code, out, err, exc = assess(big)
    assert code == 2 and isinstance(exc, SystemExit)
    assert err.strip() == f"error: {big}: file is 52.4 MB, over the 5 MB limit / 文件过大"


def test_missing_file():
    code, _, err, _ = assess(FIX / "does_not_exist.yaml")
    assert code == 2 and "does_not_exist.yaml" in err and "cannot read file" in err


def test_real_process_exit_code_and_no_traceback():
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "assess", str(FIX / "typo_unit.yaml")],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "did you mean 'sintering_machine'" in r.stderr
    assert "Traceback" not in r.stderr


def test_knowledge_pack_never_executes_code():
    """A pack with an object-constructing tag is refused with file:line; the command did not run."""
    marker = Path("/tmp/cpadvisor_pwned_knowledge")
    marker.unlink(missing_ok=True)
    kb_dir = FIX / "tag_kb"
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(kb_dir, use_cache=False)
    problem = exc.value.problems[0]
    assert problem.file == str(kb_dir / "demo" / "pack.yaml") and problem.line == 8
    assert "python/object/apply:os.system" in problem.message
    code, _, err, _ = assess(REPO / "examples" / "steel_plant.yaml", "--knowledge", str(kb_dir))
    assert code == 2 and f"{kb_dir / 'demo' / 'pack.yaml'}:8:" in err and "Traceback" not in err
    assert not marker.exists()
    assert not os.path.exists("/tmp/cpadvisor_pwned_profile")


@pytest.mark.parametrize("value", ["5", "true", "'x'"])
def test_a_list_field_given_a_scalar_is_one_line_not_a_traceback(tmp_path, value):
    """Issue 33: `units: 5` or `units: true` raised TypeError in the label pass (80 lines, HTTP 500)."""
    import subprocess
    import sys
    f = tmp_path / "p.yaml"
    f.write_text(f"name: t\nunits: {value}\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "assess", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and f"{f}:2: [units]" in lines[0] and "应为列表" in lines[0]


def test_did_you_mean_never_suggests_the_same_word():
    from cpadvisor.errors import did_you_mean
    assert did_you_mean("note", ["note", "notes"]) == " (did you mean 'notes'?)"
    assert did_you_mean("scope", ["scope"]) == ""
