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
