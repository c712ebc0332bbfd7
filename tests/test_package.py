"""cpadvisor as a package: the wheel carries its knowledge, the schemas serve other systems, the CLI follows
conventions, the knowledge cache is safe, and the layout has no import circles."""
from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
import venv
from pathlib import Path

import jsonschema
import pytest

from cpadvisor.advisor import assess
from cpadvisor.intake.schema import assessment_schema, profile_schema
from cpadvisor.knowledge import cache
from cpadvisor.knowledge.loader import load_knowledge
from cpadvisor.knowledge.yamlio import load_file

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO.parent / "shared" / "spec" / "measure-catalog.csv"
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
CLI = [sys.executable, "-m", "cpadvisor"]


def test_catalog_holds_the_spec_catalog():
    """The package's catalog (knowledge/catalog.csv) is the one list of measure ids: every row of the spec's
    requirement list, unchanged, and the measures experts added after it (new-measure writes their rows)."""
    if not SPEC.exists():
        pytest.skip("../shared/spec is not beside this checkout")
    spec = SPEC.read_text(encoding="utf-8-sig").splitlines()
    mine = (REPO / "knowledge" / "catalog.csv").read_text(encoding="utf-8-sig").splitlines()
    assert mine[:len(spec)] == spec


def test_reference_data_is_the_shared_reference():
    shared = REPO.parent / "shared" / "reference"
    if not shared.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    for f in shared.rglob("*"):
        if f.is_file():
            rel = f.relative_to(shared)
            assert (REPO / "knowledge" / "reference" / rel).read_bytes() == f.read_bytes(), rel


def test_nothing_at_run_time_reads_shared():
    for f in (REPO / "engine").rglob("*.py"):
        assert "shared" not in [p for p in f.read_text(encoding="utf-8").split('"') if p == "shared"], f


def _imports() -> dict[str, set[str]]:
    """Each cpadvisor module and the cpadvisor modules it imports, at module or function level alike."""
    mods: dict[str, set[str]] = {}
    for f in (REPO / "engine").rglob("*.py"):
        rel = f.relative_to(REPO / "engine").with_suffix("")
        name = ".".join(("cpadvisor", *rel.parts)).removesuffix(".__init__")
        deps: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cpadvisor"):
                deps |= {f"{node.module}.{a.name}" for a in node.names}  # a module, or a name of one
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("cpadvisor")}
        mods[name] = deps

    def module(d: str) -> str:
        while d not in mods and "." in d:
            d = d.rsplit(".", 1)[0]
        return d

    return {m: {module(d) for d in deps} - {m} for m, deps in mods.items()}


def test_no_import_circles():
    """No import, at module or function level, closes a circle between cpadvisor modules."""
    mods = _imports()
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(mods.get(m, ())):
            if state.get(d) == 1:
                pytest.fail("import circle: " + " -> ".join(path + [m, d]))
            if state.get(d) is None and d in mods:
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(mods):
        if m not in state:
            visit(m, [])
    assert "cpadvisor.knowledge.loader" in mods


# inputs below the rules, the rules below the outputs; a module that imports no cpadvisor module is a leaf any
# layer may use (economics/units.py, the unit table)
LAYERS = {"errors": 0, "_version": 0, "models": 1, "knowledge": 2, "intake": 3, "economics": 3, "rules": 4,
          "advisor": 5, "report": 6, "authoring": 6, "store": 6, "service": 7, "cli": 8, "__main__": 9, "": 9}


def test_imports_run_only_downwards():
    """A subpackage imports only its own layer's modules or lower ones (DEVELOPERS.md, the module table)."""
    mods = _imports()

    def sub(m: str) -> str:
        return (m.split(".") + [""])[1]

    assert {sub(m) for m in mods} <= set(LAYERS), {sub(m) for m in mods} - set(LAYERS)  # a new one needs its layer
    upward = sorted(f"{m} -> {d}" for m, deps in mods.items() for d in deps
                    if mods.get(d) and sub(d) != sub(m) and LAYERS[sub(d)] > LAYERS[sub(m)])
    assert not upward, upward


# ---------------------------------------------------------------- schemas

@pytest.fixture(scope="module")
def validator(kb):
    s = profile_schema(kb)
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_profile_schema_accepts_every_example(validator, path):
    errors = [e.message for e in validator.iter_errors(load_file(path).data)]
    assert not errors, errors[:3]


def test_profile_schema_accepts_the_wrapped_form(validator):
    assert validator.is_valid({"profile": load_file(EXAMPLES[0]).data})


BAD = Path(__file__).parent / "fixtures" / "bad_input"


@pytest.mark.parametrize("name", ["wrong_types.yaml", "negative_output.yaml", "unknown_sector.yaml", "typo_unit.yaml"])
def test_profile_schema_rejects_the_bad_fixtures(validator, name):
    assert not validator.is_valid(load_file(BAD / name).data)


@pytest.mark.parametrize("profile", [
    {"name": "x", "sectors": ["steal"]},
    {"name": "x", "units": [{"type": "sintering_machin"}]},
    {"name": "x", "units": [{"type": "sintering_machine", "fuel": "kol"}]},
    {"name": "x", "attributes": {"no_such_attribute": 1}},
    {"kind": "park", "name": "p", "leading_sectors": ["steal"]},
    {"name": "x", "units": [{"type": "sintering_machine"}] * 2001},
])
def test_profile_schema_knows_the_vocabulary_and_limits(validator, profile):
    assert not validator.is_valid(profile)


def test_profile_schema_lists_values_with_words(kb):
    s = profile_schema(kb)
    unit_type = s["$defs"]["Unit"]["properties"]["type"]
    assert "sintering_machine" in unit_type["enum"]
    i = unit_type["enum"].index("sintering_machine")
    assert "烧结" in unit_type["enumDescriptions"][i] and "/" in unit_type["enumDescriptions"][i]
    assert " / " in s["$defs"]["EnterpriseProfile"]["properties"]["total_energy_tce"]["description"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_assessment_matches_the_output_schema(kb, path):
    v = jsonschema.Draft202012Validator(assessment_schema())
    data = json.loads(assess(path, kb=kb).model_dump_json())
    errors = [e.message for e in v.iter_errors(data)]
    assert not errors, errors[:3]


def test_cli_schema_output():
    res = subprocess.run(CLI + ["schema", "--output"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and json.loads(res.stdout)["title"].startswith("cpadvisor assessment")


# ---------------------------------------------------------------- CLI conventions

def test_version_lang_and_stdin():
    v = subprocess.run(CLI + ["--version"], capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and v.stdout.startswith("cpadvisor 0.") and "knowledge " in v.stdout
    bad = subprocess.run(CLI + ["assess", str(EXAMPLES[0]), "--lang", "fr"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "zh or en" in bad.stderr
    text = EXAMPLES[0].read_text(encoding="utf-8")
    piped = subprocess.run(CLI + ["assess", "-", "--json"], input=text, capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
    direct = subprocess.run(CLI + ["assess", str(EXAMPLES[0]), "--json"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
    assert piped.returncode == 0 and piped.stdout == direct.stdout
    typo = subprocess.run(CLI + ["assess", "-"], input="name: x\nsectors: [steal]\n", capture_output=True, text=True,
                          timeout=60)
    assert typo.returncode == 2 and typo.stderr.startswith("error: <stdin>:2: [sectors.0]")


def test_plugin_collects_only_knowledge_packs(tmp_path):
    """An unrelated project's YAML is never collected, even in a folder called knowledge/."""
    other = tmp_path / "knowledge" / "app"
    other.mkdir(parents=True)
    (other / "config.yaml").write_text("cases: [1, 2]\n", encoding="utf-8")
    (tmp_path / "test_x.py").write_text("def test_ok():\n    assert True\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout[-800:]


# ---------------------------------------------------------------- the knowledge cache

def test_cache_is_used_rebuilt_when_corrupt_and_refused_when_shared(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("CPADVISOR_CACHE_DIR", str(d))
    monkeypatch.delenv("CPADVISOR_NO_CACHE", raising=False)
    from cpadvisor.knowledge import loader
    monkeypatch.setattr(loader, "_CACHE", {})
    a = load_knowledge()
    files = list(d.glob("kb-*.pickle"))
    assert len(files) == 1 and stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) & 0o077 == 0
    monkeypatch.setattr(loader, "_CACHE", {})
    calls = []
    real = loader._Loader.load
    monkeypatch.setattr(loader._Loader, "load", lambda self: calls.append(1) or real(self))
    b = load_knowledge()  # from the disk cache: no parsing
    assert calls == [] and b.version == a.version and len(b.rules) == len(a.rules)
    files[0].write_bytes(files[0].read_bytes()[:200] + b"garbage")  # corrupt: rebuilt, never trusted
    monkeypatch.setattr(loader, "_CACHE", {})
    c = load_knowledge()
    assert calls == [1] and c.version == a.version
    os.chmod(d, 0o777)  # a directory others can write: a loaded cache would be their code
    monkeypatch.setattr(loader, "_CACHE", {})
    load_knowledge()
    assert calls == [1, 1]
    assert cache.cache_dir() is None
    os.chmod(d, 0o700)


def test_no_cache_option_and_env(tmp_path):
    env = dict(os.environ, CPADVISOR_CACHE_DIR=str(tmp_path / "c"))
    subprocess.run(CLI + ["--no-cache", "assess", str(EXAMPLES[0])], capture_output=True, timeout=60, env=env)
    assert not list((tmp_path / "c").glob("kb-*"))
    subprocess.run(CLI + ["assess", str(EXAMPLES[0])], capture_output=True, timeout=60,
                   env=dict(env, CPADVISOR_NO_CACHE="1"))
    assert not list((tmp_path / "c").glob("kb-*"))
    subprocess.run(CLI + ["assess", str(EXAMPLES[0])], capture_output=True, timeout=60, env=env)
    assert len(list((tmp_path / "c").glob("kb-*"))) == 1


# ---------------------------------------------------------------- the wheel

def test_wheel_installs_and_runs_from_an_empty_folder(tmp_path):
    """Build the wheel, install it into a fresh venv, run from an empty folder: nothing may come from the checkout."""
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    assert "warning" not in build.stderr.lower() or "absent from the `packages`" not in build.stderr
    wheel = next(dist.glob("cpadvisor-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    inst = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=900)
    assert inst.returncode == 0, inst.stderr[-2000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    example = empty / "plant.yaml"
    shutil.copy(REPO / "examples" / "steel_plant.yaml", example)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CPADVISOR_", "PYTHON"))}
    env["CPADVISOR_CACHE_DIR"] = str(tmp_path / "cache")
    run = subprocess.run([str(env_dir / "bin" / "cpadvisor"), "assess", "plant.yaml", "--json"], cwd=empty,
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    a = json.loads(run.stdout)
    assert len(a["findings"]) > 10 and any(f["status"] == "applies" for f in a["findings"])
    code = ("import cpadvisor, pathlib; kb = cpadvisor.load_knowledge(); "
            "from cpadvisor.knowledge.catalog import load_catalog; n = len(load_catalog()); "
            "assert len(kb.measures) == n == len(kb.catalog) >= 122, len(kb.measures); "
            "assert 'site-packages' in str(kb.root), kb.root; "
            "from cpadvisor.knowledge.paths import reference_dir; assert (reference_dir() / 'README.md').exists(); "
            "a = cpadvisor.assess('plant.yaml', kb=kb); r = cpadvisor.render_report(a, 'md', 'en', kb=kb); "
            "assert a.recommended and r; print(cpadvisor.__version__, kb.version)")
    py_run = subprocess.run([str(py), "-c", code], cwd=empty, capture_output=True, text=True, timeout=300, env=env)
    assert py_run.returncode == 0, py_run.stderr[-2000:]
    assert py_run.stdout.split()[1] == load_knowledge().version  # the same knowledge as the checkout's
