"""Issue 28: what the knowledge says about the law is what the texts read say (../shared/spec/laws/).

Each test failed on the knowledge before issue 28: a reading that overstated (逐步纳入 as every audit, an encouraged
park title as a duty, cpadvisor's own simplified-audit screen as a legal standard, disclosure as merely explored)
or cited a text as unread that was read.
"""
from __future__ import annotations

from cpadvisor import assess


def test_the_laws_block_carries_what_was_read(kb):
    laws = kb.laws
    assert laws["cp_promotion_law"].verified and not laws["cp_promotion_law"].repeal_verified
    assert laws["cp_promotion_law"].successor == "eco_environment_code"
    assert str(laws["eco_environment_code"].adopted) == "2026-03-12" and not laws["eco_environment_code"].verified
    assert laws["disclosure_measures"].verified and not laws["cp_audit_measures"].verified
    hunan = laws["hunan_cp_measures"]
    assert (str(hunan.adopted), str(hunan.effective), [str(d) for d in hunan.amended]) == (
        "2009-09-27", "2010-01-01", ["2020-09-25"])
    assert laws["energy_conservation_law"].verified and not laws["industrial_structure_catalogue_2024"].verified


def test_every_duty_and_ground_cites_an_article_of_a_declared_text(kb):
    for mid in ("policy.mandatory_audit", "policy.obsolete_capacity_phaseout", "policy.project_admission_gate"):
        m = kb.measures[mid].measure
        for item in list(m.duties) + list(m.grounds):
            assert item.law is None or item.law in kb.laws, (mid, item.id)
            assert "第" in item.cite or "四(一)" in item.cite or "限制类" in item.cite, (mid, item.id, item.cite)


def test_carbon_indicators_enter_audits_step_by_step(kb):
    m = kb.measures["policy.carbon_in_audit"].measure
    assert "逐步" in m.description.zh and "step by step" in m.description.en
    assert not m.description.zh.startswith("开展清洁生产审核时，将碳排放量")  # was worded as every audit's duty


def test_park_titles_are_encouraged_not_owed(kb):
    rules = kb.measures["parks.model_park_creation"].rules
    assert all("均应" not in r.rule.because.zh for r in rules)
    assert any("鼓励" in r.rule.because.zh and "非强制义务" in r.rule.because.zh for r in rules)


def test_the_simplified_audit_screen_is_cpadvisor_s_own_and_the_enterprise_applies(kb):
    m = kb.measures["policy.simplified_audit"].measure
    assert "本工具的判定方法而非法定标准" in m.description.zh and "申请" in m.description.zh
    a = assess({"name": "x", "size": "small", "emissions": {k: False for k in (
        "over_standard", "over_total_quota", "toxic_hazardous", "energy_over_quota", "on_mandatory_list")},
        "attributes": {"simple_process": True, "permit_category": "simplified", "key_pollutant_discharger": False,
                       "heavy_metals": False}}, kb=kb)
    f = a.finding("policy.simplified_audit")
    assert f.status == "applies" and "可向主管部门申请按简化流程开展审核" in f.reason.zh


def test_disclosure_is_binding_for_mandatory_audit_enterprises_not_explored(kb):
    m = kb.measures["policy.audit_consequences"].measure
    assert "2022-02-08起已是法定义务" in m.description.zh
    a = assess({"name": "x", "emissions": {"on_mandatory_list": True}, "cp_audit_passed": False}, kb=kb)
    f = a.finding("policy.audit_consequences")
    assert f.status == "applies" and "已是法定义务" in f.reason.zh and "第七条第（二）项" in f.reason.zh
    assert "探索" in f.reason.zh  # the credit rating, tiered prices, green finance and weather control stay explored


def test_the_key_energy_user_threshold_is_the_law_read(kb):
    t = kb.thresholds["common.key_energy_user_tce"]
    assert t.verified and t.value == 10000 and "第五十二条" in t.cite
