"""The simplified audit (四(三)) is decided on what a consultant can look up, not on the policy's words restated as a
yes/no: the permit's management category, the key dischargers list and heavy metals (issue 12). A declared
``small_env_impact`` decides nothing; it is kept, named in a notice, and weighed against those facts."""
from __future__ import annotations

from pathlib import Path

from cpadvisor import render_report
from cpadvisor.advisor import assess
from cpadvisor.report.request import requests

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLEAN = {"over_standard": False, "over_total_quota": False, "toxic_hazardous": False, "energy_over_quota": False,
         "on_mandatory_list": False}


def _plant(**attributes):
    return {"name": "小型食品厂", "sectors": ["food"], "project_type": "existing", "size": "small",
            "emissions": dict(CLEAN), "attributes": attributes}


def test_with_the_observable_facts_known_only_the_process_is_asked(kb):
    """The bug: a plant whose permit, list entry and heavy metals are known was still asked 环境影响较小."""
    a = assess(_plant(permit_category="registration", key_pollutant_discharger=False, heavy_metals=False), kb=kb)
    f = a.finding("policy.simplified_audit")
    assert f.status == "to_verify"
    assert f.missing == ["enterprise.simple_process"]
    asked = [r.fact_key for r in requests(kb, a) if "policy.simplified_audit" in r.waiting]
    assert asked == ["enterprise.simple_process"]


def test_no_data_request_asks_for_the_policys_words(kb):
    for p in sorted(EXAMPLES.glob("*.yaml")):
        a = assess(p, kb=kb)
        assert "enterprise.small_env_impact" not in {m for f in a.findings for m in f.missing}, p.name
        assert all(r.fact_key != "enterprise.small_env_impact" for r in requests(kb, a)), p.name


def test_a_declared_small_impact_alone_no_longer_simplifies_and_says_why(kb):
    a = assess(_plant(simple_process=True, small_env_impact=True), kb=kb)
    f = a.finding("policy.simplified_audit")
    assert f.status == "to_verify" and "enterprise.permit_category" in f.missing
    notice = [w for w in a.warnings if "small_env_impact" in w]
    assert len(notice) == 1 and "permit_category" in notice[0] and "排污许可" in notice[0]
    assert a.profile["attributes"]["small_env_impact"] is True  # kept: nothing of the profile is lost


def test_a_declared_small_impact_against_a_key_management_permit_is_a_conflict(kb):
    a = assess(_plant(simple_process=True, small_env_impact=True, permit_category="key",
                      key_pollutant_discharger=True, heavy_metals=False), kb=kb)
    assert [c.fact for c in a.conflicts] == ["attributes.small_env_impact"]
    c = a.conflicts[0]
    assert c.declared is True and c.computed is False
    assert "重点管理" in c.detail.zh and "重点排污单位" in c.detail.zh and "key management" in c.detail.en
    f = a.finding("policy.simplified_audit")
    assert f is None or f.status != "applies"
    md = render_report(a, "md", "zh", kb=kb)
    audit = md.split("### （二）", 1)[0]
    assert "事实冲突" in audit and c.detail.zh[:20] in audit


def test_no_conflict_where_the_facts_bear_the_declaration_out(kb):
    a = assess(_plant(simple_process=True, small_env_impact=True, permit_category="simplified",
                      key_pollutant_discharger=False, heavy_metals=False), kb=kb)
    assert a.conflicts == [] and a.finding("policy.simplified_audit").status == "applies"
    assert len([w for w in a.warnings if "small_env_impact" in w]) == 1  # still told it decides nothing


def test_the_tea_example_is_simplified_on_its_permit(kb):
    a = assess(EXAMPLES / "tea_processor.yaml", kb=kb)
    f = a.finding("policy.simplified_audit")
    assert f.status == "applies"
    assert {c.field for c in f.conditions if c.outcome == "true"} >= {"permit_category", "simple_process"}
    assert not [w for w in a.warnings if "small_env_impact" in w]


LEGACY = """name: 旧画像
sectors: [food]
size: small
project_type: existing
emissions: {over_standard: false, over_total_quota: false, toxic_hazardous: false, energy_over_quota: false, on_mandatory_list: false}
attributes:
  simple_process: true
  small_env_impact: true
"""


def test_the_cli_says_the_notice_on_one_line_and_migrate_rewrites_nothing(tmp_path):
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app

    src = tmp_path / "old.yaml"
    src.write_text(LEGACY, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["assess", str(src)])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stderr.splitlines() if "small_env_impact" in x]
    assert len(lines) == 1 and lines[0].startswith(f"{src}: attributes.small_env_impact: decides nothing")
    res = runner.invoke(app, ["migrate", str(src), "--in-place"])
    assert res.exit_code == 0, res.output
    assert "0 处已升级" in res.stderr and "decides nothing" in res.stderr
    assert src.read_text(encoding="utf-8") == LEGACY  # nothing to rewrite: the value is kept
