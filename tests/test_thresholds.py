"""Every threshold in the packs is a number from ../shared/reference, carried with its source."""
from __future__ import annotations

import csv

import pytest

from cpadvisor.knowledge.paths import reference_dir
from cpadvisor.errors import KnowledgeError
from tests.conftest import demo_measure, demo_pack
from cpadvisor.advisor import assess


def _reference_values() -> dict[str, set[float]]:
    ref = reference_dir()
    assert ref is not None, "../shared/reference must be beside the repo"
    vals: dict[str, set[float]] = {"benchmark": set(), "baseline": set(), "quota_1": set(), "quota_2": set(),
                                   "quota_3": set()}
    with open(ref / "energy-benchmarks.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for col, lvl in (("benchmark_level", "benchmark"), ("baseline_level", "baseline")):
                if row[col].strip():
                    vals[lvl].add(float(row[col]))
    with open(ref / "energy-quota-levels.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for n in (1, 2, 3):
                if row[f"level_{n}"].strip():
                    vals[f"quota_{n}"].add(float(row[f"level_{n}"]))
    return vals


def test_thresholds_come_from_reference(kb):
    ref = _reference_values()
    assert kb.thresholds
    for tid, t in kb.thresholds.items():
        if t.level in ref:
            assert t.value in ref[t.level], f"{tid} = {t.value} is not a {t.level} value in ../shared/reference"
        assert t.source and len(t.source) > 10, tid
        # every reference row is a third-party transcription (Tier C) or a news report (Tier B): unverified. A
        # threshold may be verified only where it cites a legal text read in full (a `laws:` entry, verified)
        read = [law for law in kb.laws.values() if law.verified and law.title.zh in (t.cite or "")]
        assert t.verified is bool(read), f"{tid}: verified only on a legal text read ({t.cite})"
    assert kb.thresholds["common.key_energy_user_tce"].verified  # 节约能源法 第五十二条, read


def test_bare_number_in_rule_is_refused(make_kb):
    with pytest.raises(KnowledgeError, match="sourced threshold"):
        make_kb({"demo/pack.yaml": demo_pack(), "demo/m.yaml": demo_measure(
            "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_level > 0.5]}\n"
                      "    because: {zh: 演示, en: demo}\n")})


def test_threshold_reference_resolves_with_source(make_kb):
    extra = ("thresholds:\n  demo.thing.quota_3:\n    value: 52\n    unit: kgce/t\n    level: quota_3\n"
             "    source: GB 21256-2025 table 1 (Tier C)\n    verified: false\n")
    kb = make_kb({"demo/pack.yaml": demo_pack(extra=extra), "demo/m.yaml": demo_measure(
        "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_level > $demo.thing.quota_3]}\n"
                  "    because: {zh: 演示, en: demo}\n")})
    f = assess({"name": "x", "attributes": {"demo_level": 60}}, kb=kb).finding("demo.m")
    assert f.status == "applies"
    assert f.thresholds[0].id == "demo.thing.quota_3" and f.thresholds[0].verified is False
    assert "GB 21256" in f.thresholds[0].source

