"""The bad-input corpus of the reliability review: every item gets exit 2 and one line naming file, line and
field (no traceback), valid input is not refused, and assess and batch read a file the same way."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cpadvisor.advisor import assess
from cpadvisor.errors import InputError
from cpadvisor.store.batch import run_batch
from cpadvisor.store.db import INVALID, OK, Store

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "cpadvisor"]

# (file name, text, line, field, words)
CORPUS = [
    ("capital_key.yaml", "name: x\nSectors: [steel]\n", 2, "Sectors", "unknown field"),
    ("true_key.yaml", "name: x\ntrue: 1\n", 2, None, "a key must be text"),
    ("null_key.yaml", "name: x\n~: 1\n", 2, None, "a key must be text"),
    ("huge_int.yaml", "name: x\ntotal_energy_tce: " + "9" * 5000 + "\n", 2, None, "cannot read value"),
    ("deep.yaml", "name: x\nattributes: " + "[" * 3000 + "]" * 3000 + "\n", 2, None, "nested more than"),
    ("control.yaml", "name: x\ncity: \x01\n", 2, None, "malformed YAML/JSON"),
    ("dup.yaml", "name: x\nsectors: [steel]\nname: y\n", 3, "name", "duplicate key 'name'"),
    ("capital_nested.yaml", "name: x\nunits:\n  - Type: sintering_machine\n", 3, "units.0.Type", "unknown field"),
    ("merge.yaml", "<<: {name: x}\n", 1, None, "merge keys"),
    ("nul.yaml", 'name: "a\\0b"\n', 1, "name", "NUL"),
    ("too_big_number.yaml", "name: x\ntotal_energy_tce: 1.0e+16\n", 2, "total_energy_tce", "less than or equal"),
    ("too_many_units.yaml", "name: x\nunits:\n" + "  - {type: sintering_machine}\n" * 2001, 2, "units",
     "at most 2000"),
]


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, **kw.pop("env", {}))
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=120, env=env, **kw)


def one_line(res: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in res.stderr, res.stderr[-1500:]
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr[-1500:]
    return lines[0]


@pytest.mark.parametrize("name, text, line, field, words", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_one_line_exit_2(tmp_path, name, text, line, field, words):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    res = run(["assess", str(f)])
    assert res.returncode == 2, res.stderr[-800:]
    msg = one_line(res)
    assert msg.startswith(f"error: {f}:{line}:"), msg
    if field:
        assert f"[{field}]" in msg, msg
    assert words in msg, msg


def test_capitalised_key_suggests_the_right_one(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: x\nSectors: [steel]\n", encoding="utf-8")
    with pytest.raises(InputError, match="did you mean 'sectors'"):
        assess(f)


def test_folder_named_like_a_profile(tmp_path):
    d = tmp_path / "x.yaml"
    d.mkdir()
    msg = one_line(res := run(["assess", str(d)]))
    assert res.returncode == 2 and "is a folder" in msg and str(d) in msg


def test_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    res = run(["assess", str(fifo)])
    assert res.returncode == 2 and "not a regular file" in one_line(res)


def test_wrong_catalog_is_one_line(tmp_path):
    bad = tmp_path / "cat.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    for cat in (bad, tmp_path / "missing.csv"):
        res = run(["assess", str(REPO / "examples" / "steel_plant.yaml")],
                  env={"CPADVISOR_CATALOG": str(cat), "CPADVISOR_NO_CACHE": "1"})
        assert res.returncode == 2 and "catalog" in one_line(res) and str(cat) in res.stderr


def test_unrelated_knowledge_folder_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    res = run(["assess", str(REPO / "examples" / "steel_plant.yaml")], env={"CPADVISOR_KNOWLEDGE": str(tmp_path)})
    assert res.returncode == 2 and "no knowledge pack" in one_line(res)


def test_saved_assessment_with_an_edited_profile(tmp_path, kb):
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    data = json.loads(a.model_dump_json())
    del data["profile"]["name"]
    data["profile"]["units"][0]["type"] = "sintering_machin"
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = run(["report", str(saved), "-o", str(tmp_path / "r.md")])
    assert res.returncode == 2
    msg = one_line(res)
    assert str(saved) in msg and "[profile." in msg


def test_valid_input_is_not_refused(tmp_path, kb):
    f = tmp_path / "s.yaml"
    f.write_text("name: !!str 123\nsectors: [steel]\n", encoding="utf-8")
    assert assess(f, kb=kb).profile_name == "123"
    j = tmp_path / "d.json"
    j.write_text('{"name": "A\x7fB", "sectors": ["steel"]}', encoding="utf-8")  # a raw U+007F is legal JSON
    assert assess(j, kb=kb).profile_name == "A\x7fB"


def test_assess_and_batch_agree_on_every_corpus_file(tmp_path, kb):
    folder = tmp_path / "c"
    folder.mkdir()
    for name, text, *_ in CORPUS:
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "good.yaml").write_text("name: !!str 123\nsectors: [steel]\n", encoding="utf-8")
    (folder / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (folder / "dir.yaml").mkdir()
    os.mkfifo(folder / "fifo.yaml")
    store = Store(str(tmp_path / "b.db"))
    res = run_batch([folder], store, jobs=1)
    rows = {Path(r.source_file).name: r for r in store.records()}
    assert rows["good.yaml"].status == OK
    for name, *_ in CORPUS:
        assert rows[name].status == INVALID, name
        with pytest.raises(InputError) as exc:
            assess(folder / name, kb=kb)
        assert rows[name].error == exc.value.one_line()  # the same line from both paths
    assert "dangling symbolic link" in rows["dangling.yaml"].error
    assert "is a folder" in rows["dir.yaml"].error and "not a regular file" in rows["fifo.yaml"].error
    assert all(r.run_key for r in rows.values())
    again = run_batch([folder], store, jobs=1)  # every row has its key: nothing piles up
    assert again.skipped == len(rows) and len(store.records()) == len(rows)
    assert res.invalid == len(rows) - 1
    store.close()


def test_knowledge_condition_alias_bomb_is_refused(make_kb):
    from tests.conftest import demo_measure, demo_pack
    bomb = "demo_level in &a [1, *a]"
    with pytest.raises(Exception) as exc:
        make_kb({"demo/pack.yaml": demo_pack(), "demo/m.yaml": demo_measure(
            "demo.m", f"  - id: r\n    priority: low\n    when:\n      enterprise: ['{bomb}']\n"
                      "    because: {zh: x, en: x}\n")})
    assert "aliases are not allowed" in str(exc.value)


def test_knowledge_pack_with_an_alias_is_refused(make_kb):
    with pytest.raises(Exception) as exc:
        make_kb({"demo/pack.yaml": "x: &a [1]\ny: *a\n"})
    assert "aliases are not allowed" in str(exc.value)


def test_unit_level_measure_in_place_counts_for_enterprise_rules(kb):
    base = {"name": "x", "sectors": ["paper"], "water_m3": 1_000_000,
            "units": [{"id": "WWTP", "type": "paper_machine"}]}
    a = assess(base, kb=kb)
    f = a.finding("common.wastewater_recycling")
    assert f is not None and f.status in ("applies", "to_verify")
    base["units"][0]["measures_in_place"] = ["common.wastewater_recycling"]
    b = assess(base, kb=kb)
    g = b.finding("common.wastewater_recycling")
    assert g is None or g.status == "in_place"
    assert any("common.wastewater_recycling" in w and "WWTP" in w for w in b.warnings)


# ---------------------------------------------------------------- the same answer in every process

def test_byte_identical_json_under_several_hash_seeds(tmp_path):
    outs = {}
    for seed in ("0", "1", "12345"):
        res = run(["assess", "--json", str(REPO / "examples" / "aluminium_smelter.yaml")],
                  env={"PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1764547200"})
        assert res.returncode == 0, res.stderr[-800:]
        outs[seed] = res.stdout
    assert len(set(outs.values())) == 1


GEN = """
import hashlib, sys
from bench.synth import Generator
from cpadvisor import load_knowledge
from cpadvisor.advisor import assess
kb = load_knowledge()
h = hashlib.sha256()
n = int(sys.argv[1])
for p in Generator(kb, 2024).profiles(n):
    a = assess(p, kb=kb)
    h.update(a.model_dump_json(exclude={"assessed_at"}).encode())
print(n, h.hexdigest())
"""


def test_generated_profiles_identical_under_three_hash_seeds():
    """10,000 generated profiles, three hash seeds: the same digest of every assessment's JSON."""
    n = int(os.environ.get("CPADVISOR_SEED_PROFILES", "10000"))
    digests = set()
    for seed in ("0", "7", "4242"):
        res = subprocess.run([sys.executable, "-c", GEN, str(n)], capture_output=True, text=True, timeout=900,
                             cwd=REPO, env=dict(os.environ, PYTHONHASHSEED=seed))
        assert res.returncode == 0, res.stderr[-1500:]
        digests.add(res.stdout.split()[-1])
    assert len(digests) == 1


# ---------------------------------------------------------------- templates cannot run code

def _template_with(tmp_path: Path, tag: str) -> Path:
    from cpadvisor.report.word import DOCX_TEMPLATE
    out = tmp_path / "evil.docx"
    with zipfile.ZipFile(DOCX_TEMPLATE) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body><w:p><w:r><w:t>" + tag.encode() + b"</w:t></w:r></w:p>", 1)
            dst.writestr(item, data)
    return out


@pytest.mark.parametrize("tag", ["{{ 'a' * 3000000000 }}", "{{ [1] * 100000000 }}", "{{ 9 ** 99999999 }}",
                                 "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                                 "{{ ('a' * 900000) + ('b' * 900000) }}"])
def test_word_template_cannot_exhaust_the_machine(tmp_path, kb, tag):
    """Issue 33: `{{ 'a' * 3000000000 }}` ran 72 s to 5.8 GB. The sandbox bounds what a template builds: one line,
    exit 2, under the harness's address-space limit and time-out."""
    import resource

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    evil = _template_with(tmp_path, tag)
    res = subprocess.run([sys.executable, "-m", "cpadvisor", "report", str(REPO / "examples" / "tea_processor.yaml"),
                          "-o", str(tmp_path / "r.docx"), "--template", str(evil)], capture_output=True, text=True,
                         timeout=120, preexec_fn=bounded)
    assert res.returncode == 2, res.stderr[-300:]
    assert "超出安全限制" in one_line(res)


def test_word_template_cannot_reach_python(tmp_path, kb):
    from cpadvisor.report import render_report
    marker = tmp_path / "pwned"
    tag = ("{{ L.__class__.__mro__[1].__subclasses__() }}{{ cycler.__init__.__globals__.os.system('touch "
           + str(marker) + "') }}")
    evil = _template_with(tmp_path, tag)
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    with pytest.raises(InputError) as exc:
        render_report(a, "docx", "zh", kb=kb, template=evil)
    assert not marker.exists()
    assert "\n" not in exc.value.one_line() and str(evil) in exc.value.one_line()
    res = run(["report", str(REPO / "examples" / "steel_plant.yaml"), "-o", str(tmp_path / "r.docx"),
               "--template", str(evil)])
    assert res.returncode == 2 and not marker.exists()
    one_line(res)
    digest = hashlib.sha256(evil.read_bytes()).hexdigest()
    assert digest  # the template file itself is untouched data
