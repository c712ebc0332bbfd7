"""Conflicting facts are shown, never settled silently (the power-plant example declares it is within the quota
while its own unit energy use is worse than the limit)."""
from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from cpadvisor import render_report
from cpadvisor.advisor import assess

REPO = Path(__file__).resolve().parent.parent
POWER = REPO / "examples" / "power_plant.yaml"


def test_declaration_against_computed_grade_is_a_conflict(kb):
    a = assess(POWER, kb=kb)
    assert [c.fact for c in a.conflicts] == ["emissions.energy_over_quota"]
    c = a.conflicts[0]
    assert c.declared is False and c.computed is True and "285" in c.detail.zh and "283" in c.detail.zh
    v = a.finding("policy.voluntary_audit")
    assert v.status == "to_verify" and "conflict.emissions.energy_over_quota" in v.missing
    assert a.audit_type() is None  # not silently voluntary


def test_the_report_shows_the_conflict_in_every_format(kb):
    a = assess(POWER, kb=kb)
    for lang, word in (("zh", "事实冲突"), ("en", "Conflicting facts")):
        md = render_report(a, "md", lang, kb=kb)
        html = render_report(a, "html", lang, kb=kb)
        text = "\n".join(p.text for p in Document(io.BytesIO(render_report(a, "docx", lang, kb=kb))).paragraphs)
        for out in (md, html, text):
            assert word in out and a.conflicts[0].detail.get(lang)[:20] in out
        audit = md.split("## ", 3)[2] if lang == "zh" else md
        assert ("矛盾" in audit) if lang == "zh" else ("contradict" in md)


def test_no_conflict_without_contradiction(kb):
    for p in ("steel_plant.yaml", "cement_plant.yaml", "tea_processor.yaml"):
        assert assess(REPO / "examples" / p, kb=kb).conflicts == []


def test_a_new_project_has_no_audit_conflict(kb):
    """A project that does not operate yet is for the admission gate: its declaration about 第八条 grounds is
    not weighed against its design figures (the glass example showed a conflict beside a blocked gate)."""
    from pathlib import Path
    a = assess(Path(__file__).resolve().parent.parent / "examples" / "new_glass_project.yaml", kb=kb)
    assert a.conflicts == []
    assert a.finding("policy.project_admission_gate").status in ("applies", "to_verify")
    existing = a.profile | {"project_type": "existing"}
    existing.pop("plans", None)
    assert [c.fact for c in assess(existing, kb=kb).conflicts] == ["emissions.energy_over_quota"]
