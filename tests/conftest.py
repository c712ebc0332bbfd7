"""Shared fixtures: the real knowledge base, and small throw-away knowledge folders."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from cpadvisor import load_knowledge

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
collect_ignore_glob = ["fixtures/*"]  # knowledge packs that are broken on purpose: data for the tests, not cases


@pytest.fixture(scope="session")
def kb():
    return load_knowledge()


@pytest.fixture
def make_kb(tmp_path):
    """make_kb({"demo/pack.yaml": "...", "demo/x.yaml": "..."}) -> KnowledgeBase (common vocabulary copied in)."""

    def _make(files: dict[str, str], with_common: bool = True):
        root = tmp_path / "knowledge"
        root.mkdir(exist_ok=True)
        if with_common:
            (root / "common").mkdir(exist_ok=True)
            shutil.copy(REPO / "knowledge" / "common" / "pack.yaml", root / "common" / "pack.yaml")
        for rel, text in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text), encoding="utf-8")
        empty = tmp_path / "empty-catalog.csv"
        empty.write_text("id,pack,clause,kind,name_zh,name_en,applies_when\n", encoding="utf-8")
        return load_knowledge(root, catalog=empty, use_cache=False)

    return _make


def demo_pack(code: str = "demo", sector: bool = True, extra: str = "") -> str:
    """A minimal pack.yaml (left-aligned YAML); ``extra`` is appended as is."""
    return (f"pack:\n  code: {code}\n  name: {{zh: 演示, en: Demo}}\n  sector: {str(sector).lower()}\n"
            "vocabulary:\n"
            "  unit_types:\n    demo_unit: {zh: 演示装置, en: Demo unit}\n"
            "  attributes:\n"
            "    demo_flag: {on: enterprise, type: bool, zh: 标志, en: Flag}\n"
            "    demo_done: {on: unit, type: bool, zh: 已完成, en: Done}\n"
            "    demo_level: {on: enterprise, type: number, zh: 数值, en: Level}\n" + extra)


def demo_measure(mid: str, rules: str, kind: str = "measure", cases: str = "") -> str:
    """A measure file; ``rules`` is the YAML list under `rules:` (items start with '- ')."""
    return (f"measure:\n  id: {mid}\n  name: {{zh: 演示措施, en: Demo measure}}\n  clause: 三(一)1\n"
            f"  kind: {kind}\n  categories: [energy]\n  cost: low\n  description: {{zh: 演示, en: Demo}}\n"
            "rules:\n" + rules + ("cases:\n" + cases if cases else ""))
