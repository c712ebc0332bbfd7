"""The fast YAML path (a resolver that looks its table up once per document, shared tags) reads every file the
project holds exactly as ruamel's stock resolver does, lines included."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from cpadvisor.errors import InputError
from cpadvisor.knowledge import yamlio

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for d in ("examples", "knowledge", "tests/fixtures") for p in (ROOT / d).rglob("*.yaml"))


def _stock(text: str, file: str):
    return yamlio._build(YAML(typ="safe").compose(text), file)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_resolver_reads_what_the_stock_one_reads(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        stock = _stock(text, str(path))
    except Exception as exc:  # noqa: BLE001 - a bad-input fixture: the fast path refuses it the same way
        with pytest.raises(type(exc) if isinstance(exc, InputError) else Exception):
            yamlio.loads(text, str(path))
        return
    fast = yamlio.loads(text, str(path))
    assert fast.data == stock.data and fast.lines == stock.lines


def test_fast_resolver_keeps_types_and_still_refuses_tags():
    doc = yamlio.loads("a: yes\nb: 0o17\nc: 1e3\nd: 2024-01-02\ne: ~\nf: '3'\ng: true\n")
    assert doc.data == {"a": "yes", "b": 15, "c": 1000.0, "d": "2024-01-02", "e": None, "f": "3", "g": True}
    with pytest.raises(InputError, match="tag"):
        yamlio.loads("a: !!python/object:os.system x\n")
    with pytest.raises(InputError, match="tag"):
        yamlio.loads("a: !custom x\n")


def test_lines_are_read_from_the_tree_when_asked_for():
    doc = yamlio.loads("name: x\nunits:\n  - id: a\n    type: bf\n  - id: b\nmeta:\n  k: 1\n")
    assert doc.data == {"name": "x", "units": [{"id": "a", "type": "bf"}, {"id": "b"}], "meta": {"k": 1}}
    assert doc.lines == {(): 1, ("name",): 1, ("units",): 2, ("units", 0): 3, ("units", 0, "id"): 3,
                         ("units", 0, "type"): 4, ("units", 1): 5, ("units", 1, "id"): 5, ("meta",): 6,
                         ("meta", "k"): 7}
    assert doc.sub("units").lines[(1, "id")] == 5
    assert yamlio.line_of(doc, ("units", 1, "id")) == 5


def test_a_duplicate_key_deep_down_names_its_path_and_line():
    with pytest.raises(InputError) as e:
        yamlio.loads("a: 1\nunits:\n  - id: x\n  - id: y\n    cap: 1\n    cap: 2\n")
    assert (e.value.line, e.value.field) == (6, "units.1.cap")


def test_the_resolver_memo_keeps_each_documents_types_and_stays_bounded():
    assert yamlio.loads("a: 1\nb: '1'\nc: yes\nd: true\n").data == {"a": 1, "b": "1", "c": "yes", "d": True}
    assert yamlio.loads("a: '1'\nb: 1\nc: 'true'\nd: ~\ne: '~'\n").data == {"a": "1", "b": 1, "c": "true", "d": None,
                                                                        "e": "~"}
    text = "\n".join(f"k{i}: {i}.5" for i in range(yamlio._MEMO_MAX + 10))
    assert yamlio.loads(text).data[f"k{yamlio._MEMO_MAX + 9}"] == yamlio._MEMO_MAX + 9.5
    assert len(yamlio._Resolver._memo) <= yamlio._MEMO_MAX


@pytest.mark.parametrize("text", [
    "[" * 60000 + "]" * 60000,  # JSON, 120 KB
    "a: " + "[" * 60000 + "]" * 60000 + "\n",  # YAML flow
    "a: " + "{b: " * 30000 + "1" + "}" * 30000 + "\n",
    "- " * 50000 + "x\n",  # YAML block sequences, one line
])
def test_deep_nesting_is_refused_before_the_parser_recurses(text, tmp_path):
    """Issue 33: 50,000 levels segfaulted libyaml's composer (exit 139) before the 32-level check. The depth is
    checked on the event stream (iterative) first: one line, exit 2."""
    import resource
    import subprocess
    import sys

    def bounded() -> None:  # the harness's bound: 1.5 GB of address space, 2 minutes
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    f = tmp_path / "deep.yaml"
    f.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "assess", str(f)], capture_output=True, text=True,
                       timeout=120, preexec_fn=bounded)
    assert r.returncode == 2, (r.returncode, r.stderr[-300:])
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "嵌套层级过深" in lines[0] and str(f) in lines[0]


def test_json_is_parsed_as_json_with_lines_when_asked(monkeypatch):
    """Issue 32: a JSON profile is read by the json module (the YAML composer is not run on a valid file);
    a line is still found for an error, and a duplicate key is refused with its line."""
    text = '{\n  "name": "厂",\n  "total_energy_tce": 1e4,\n  "units": [\n    {"type": "x"}\n  ]\n}\n'
    composed = []
    real = yamlio._yaml

    def spy():
        composed.append(1)
        return real()
    monkeypatch.setattr(yamlio, "_yaml", spy)
    doc = yamlio.loads(text, "p.json")
    assert doc.data == {"name": "厂", "total_energy_tce": 10000.0, "units": [{"type": "x"}]}
    assert not composed  # JSON as JSON
    assert yamlio.line_of(doc, ("units", 0, "type")) == 5 and yamlio.line_of(doc, ("total_energy_tce",)) == 3
    with pytest.raises(InputError) as exc:
        yamlio.loads('{\n  "a": 1,\n  "a": 2\n}', "d.json")
    assert "duplicate" in str(exc.value) and exc.value.line == 3
