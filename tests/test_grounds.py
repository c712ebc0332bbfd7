"""Issue 12: the mandatory audit's legal grounds decided apart: 《清洁生产审核办法》第八条 item by item (which item,
which kinds of toxic substance, whose list), and being named on the published list (194号 四(一)) as a fact of its
own, each with its verdict, the profile values behind it, the duties it brings and the article it cites; and every
rule of the policy pack citing its article or clause in ``because``."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from cpadvisor import assess, render_report
from cpadvisor.knowledge.format import CaseExpect
from cpadvisor.knowledge.loader import KnowledgeBase

REPO = Path(__file__).resolve().parent.parent

BASE = {"over_standard": False, "over_total_quota": False, "toxic_hazardous": False, "energy_over_quota": False,
        "on_mandatory_list": False}


def grounds(a) -> dict:
    return {g.id: g for g in a.grounds_of("policy.mandatory_audit")}


def profile(sectors=("nonferrous",), products=(), **emissions) -> dict:
    return {"name": "某厂", "sectors": list(sectors), "emissions": {**BASE, **emissions}, "products": list(products)}


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_article_8_item_1_met_but_not_listed(kb, engine):
    a = assess(profile(over_standard=True), kb=kb, engine=engine)
    g = grounds(a)
    # 促进法 第二十七条第二款 (read) met on the facts: the audit applies without the list, no voluntary audit
    f = a.finding("policy.mandatory_audit")
    assert f.status == "applies" and not [m for m in f.missing if m.startswith("verify.")]
    assert a.finding("policy.voluntary_audit") is None  # exclusive: never both, never neither
    assert list(g) == ["art8_1", "art8_2", "art8_3", "listed"]
    assert g["art8_1"].status == "applies" and g["art8_1"].values == {"emissions.over_standard": True,
                                                                       "emissions.over_total_quota": False}
    assert g["art8_1"].list_department == "environment" and "第二十七条第二款第（一）项" in g["art8_1"].cite
    assert "第八条第（一）项（据转述）" in g["art8_1"].cite and g["art8_1"].verified
    assert g["art8_2"].status == g["art8_3"].status == "not_applies"
    assert g["listed"].status == "not_applies"
    # the deadlines run from a list publication: the list starts them; the duty itself is the law's
    assert {"start_audit", "complete_audit"} <= set(g["listed"].duties)
    assert not set(g["art8_1"].duties) & {"start_audit", "complete_audit"}


def test_listed_ground_cites_the_policy_which_was_read(kb):
    a = assess(profile(on_mandatory_list=True, over_standard=True, list_department="environment",
                       list_published="2026-03-31"), kb=kb)
    g = grounds(a)["listed"]
    assert g.status == "applies" and g.verified  # 194号 四(一) is read in ../shared/spec
    assert "四(一)" in g.cite and g.values["emissions.list_published"] == "2026-03-31"
    assert g.list_department == "environment"


def test_toxic_ground_names_its_categories_and_the_interval(kb):
    a = assess(profile(toxic_categories=["heavy_metals", "hazardous_waste"], toxic_hazardous=None), kb=kb)
    g = grounds(a)["art8_3"]
    assert g.status == "applies" and sorted(g.categories) == ["hazardous_waste", "heavy_metals"]
    assert "toxic_audit_interval" in g.duties and g.list_department == "environment"


def test_toxic_ground_met_without_its_kinds_asks_which(kb):
    """第八条第（三）项 met on 'uses or emits toxic substances' alone: the consultant is asked which of the five
    kinds, in the ground, the report's line and the data request; once named, nothing is asked."""
    from cpadvisor.report.request import requests
    a = assess(profile(toxic_hazardous=True), kb=kb)
    g = grounds(a)["art8_3"]
    assert g.status == "applies" and g.categories == [] and g.missing == ["emissions.toxic_categories"]
    assert grounds(a)["art8_1"].missing == []  # a ground without kinds asks nothing when met or not
    asked = [r.path for r in requests(kb, a)]
    assert "emissions.toxic_categories" in asked
    md = render_report(a, "md", "zh", kb=kb)
    line = next(x for x in md.splitlines() if x.startswith("- 第二十七条第二款第（三）项"))
    assert "符合" in line and "须注明：" in line
    named = assess(profile(toxic_hazardous=True, toxic_categories=["heavy_metals"]), kb=kb)
    g = grounds(named)["art8_3"]
    assert g.status == "applies" and g.categories == ["heavy_metals"] and g.missing == []
    assert "emissions.toxic_categories" not in [r.path for r in requests(kb, named)]
    line = next(x for x in render_report(named, "md", "zh", kb=kb).splitlines() if x.startswith("- 第二十七条第二款第（三）项"))
    assert "须注明" not in line


def test_unknown_facts_make_a_ground_to_verify_with_what_is_missing(kb):
    a = assess({"name": "某厂", "sectors": ["paper"]}, kb=kb)
    g = grounds(a)
    assert {k: v.status for k, v in g.items()} == dict.fromkeys(g, "to_verify")
    assert g["art8_1"].missing == ["emissions.over_standard", "emissions.over_total_quota"]
    assert g["listed"].missing == ["emissions.on_mandatory_list"]


def test_energy_ground_on_an_unverified_quota_is_to_verify_never_applies(kb):
    clinker = {"name": "熟料", "key": "cement_clinker", "annual_output": 1000000, "unit_energy": 125,
               "unit_energy_unit": "kgce/t"}
    em = {k: v for k, v in BASE.items() if k != "energy_over_quota"}
    a = assess({"name": "某厂", "sectors": ["building_materials"], "emissions": em, "products": [clinker]}, kb=kb)
    g = grounds(a)["art8_2"]
    assert g.status == "to_verify"
    assert any(m.startswith("verify.building_materials.cement_clinker.quota_3") for m in g.missing)
    assert "125" in g.note.zh and g.list_department == "energy"


def test_declared_within_quota_against_the_computation_is_to_verify(kb):
    clinker = {"name": "熟料", "key": "cement_clinker", "unit_energy": 125}
    a = assess(profile(sectors=("building_materials",), products=[clinker]), kb=kb)
    assert grounds(a)["art8_2"].status == "to_verify"
    assert [c.fact for c in a.conflicts] == ["emissions.energy_over_quota"]


def test_a_new_line_of_an_expansion_is_not_an_audit_ground(kb):
    """An expansion's new line (in_project) is weighed by the admission gate: its design figure neither meets
    第八条第（二）项 nor contradicts the operating plant's declaration."""
    line = {"name": "新线熟料", "key": "cement_clinker", "unit_energy": 125, "in_project": True}
    a = assess(profile(sectors=("building_materials",), products=[line]) | {"project_type": "expanded"}, kb=kb)
    assert grounds(a)["art8_2"].status == "not_applies" and a.conflicts == []
    old = dict(line, in_project=False, name="老线熟料")
    b = assess(profile(sectors=("building_materials",), products=[line, old]) | {"project_type": "expanded"}, kb=kb)
    assert grounds(b)["art8_2"].status == "to_verify" and "老线熟料" in grounds(b)["art8_2"].note.zh


def test_declared_over_quota_applies(kb):
    assert grounds(assess(profile(energy_over_quota=True), kb=kb))["art8_2"].status == "applies"


def test_a_new_project_has_no_grounds(kb):
    a = assess({"name": "新项目", "sectors": ["petrochem"], "project_type": "new",
                "emissions": {"toxic_hazardous": True}}, kb=kb)
    assert a.grounds == []


def test_report_lists_each_ground_with_its_verdict(kb):
    a = assess(profile(over_standard=True, toxic_categories=["heavy_metals"], toxic_hazardous=None), kb=kb)
    md = render_report(a, "md", kb=kb)
    section = md.split("强制性审核的法定情形")[1].split("\n\n")[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("- ")]
    assert len(lines) == 4, section
    assert "第八条第（一）项" in lines[0] and "符合" in lines[0] and "生态环境" in lines[0]
    assert "第八条第（三）项" in lines[2] and "铅、汞、镉、铬" in lines[2]
    assert "名单" in lines[3] and "不符合" in lines[3]
    en = render_report(a, "md", kb=kb, lang="en")
    assert "Art. 8(1)" in en and "met" in en


def test_case_expectations_check_grounds(kb):
    exp = CaseExpect(grounds={"policy.mandatory_audit": {"art8_1": "applies", "listed": "not_applies"}})
    assert exp.grounds["policy.mandatory_audit"]["listed"] == "not_applies"
    with pytest.raises(ValueError):
        CaseExpect(grounds={"policy.mandatory_audit": {"art8_1": "maybe"}})


def test_a_case_failing_on_a_ground_says_which(kb):
    from cpadvisor.authoring.cases import run_case
    info = next(c for c in kb.cases if c.measure_id == "policy.mandatory_audit" and "超标排放" in c.case.name)
    wrong = info.case.expect.model_copy(update={"grounds": {"policy.mandatory_audit": {"art8_1": "not_applies"}}})
    res = run_case(kb, dataclasses.replace(info, case=info.case.model_copy(update={"expect": wrong})))
    assert len(res.failures) == 1 and "art8_1" in res.failures[0] and "applies" in res.failures[0]


def test_unknown_ground_in_a_case_is_refused_at_load(make_kb):
    from tests.conftest import demo_measure, demo_pack
    from cpadvisor.errors import KnowledgeError
    ground = ("  grounds:\n    - id: art8_1\n      text: {zh: 情形, en: Ground}\n      facts: [over_standard]\n"
              "      cite: 某办法第八条\n      cite_en: Art. 8\n      basis: 转述\n")
    rules = "  - id: r\n    when:\n      enterprise: [demo_flag == true]\n    because: {zh: 第八条, en: Art. 8}\n"
    case = ("  - name: c\n    profile: {sectors: [demo], attributes: {demo_flag: true}}\n"
            "    expect: {applies: [demo.m], grounds: {demo.m: {art8_l: applies}}}\n")
    text = demo_measure("demo.m", rules, kind="obligation", cases=case).replace("rules:\n", ground + "rules:\n", 1)
    with pytest.raises(KnowledgeError) as exc:
        make_kb({"demo/pack.yaml": demo_pack(), "demo/m.yaml": text})
    assert "unknown ground 'art8_l'" in str(exc.value) and "did you mean 'art8_1'" in str(exc.value)


CITES = re.compile(r"第[一二三四五六七八九十百零0-9]+条|[一二三四五]\([一二三四五六七八九十]\)\d?|Art\. \d+")


def test_every_policy_rule_cites_an_article_or_clause(kb: KnowledgeBase):
    rules = [(r.key, r.rule.because) for r in kb.rules if r.pack == "policy"]
    assert len(rules) >= 20 and any("/derive/" in k for k, _ in rules)
    lacking = [k for k, b in rules if not (CITES.search(b.zh) and CITES.search(b.en))]
    assert not lacking, lacking


def test_phase_out_asks_nothing_of_a_product_whose_standard_sets_no_baseline(kb):
    """Sinter and coke have quota grades but no sourced benchmark/baseline: there is nothing to compare, so the
    baseline rule must not make phase-out a high-priority question (the steel example did, for 烧结矿 and 焦炭)."""
    a = assess({"name": "某厂", "sectors": ["steel"], "project_type": "existing",
                "products": [{"name": "烧结矿", "key": "steel_sintering", "unit_energy": 49},
                             {"name": "焦炭", "key": "coke_top_charging", "unit_energy": 128}]}, kb=kb)
    assert a.finding("policy.obsolete_capacity_phaseout") is None
    from cpadvisor.intake.profiles import load_profile
    from pathlib import Path
    steel = assess(Path(__file__).resolve().parent.parent / "examples" / "steel_plant.yaml", kb=kb)
    f = steel.finding("policy.obsolete_capacity_phaseout")
    assert f is None or (f.optional and "product.vs_benchmark" not in f.missing), (f.units, f.missing, f.optional)
    worse = assess({"name": "某厂", "sectors": ["steel"], "project_type": "existing",
                    "products": [{"name": "生铁", "key": "steel_blast_furnace", "unit_energy": 440}]}, kb=kb)
    assert worse.finding("policy.obsolete_capacity_phaseout").status == "to_verify"  # 440 > baseline 435
    unknown = assess({"name": "某厂", "sectors": ["steel"], "project_type": "existing",
                      "products": [{"name": "生铁", "key": "steel_blast_furnace"}]}, kb=kb)
    f = unknown.finding("policy.obsolete_capacity_phaseout")
    assert f is not None and "product.vs_benchmark" in f.missing  # levels exist, the number is missing: ask


def test_explain_shows_each_ground(kb):
    from typer.testing import CliRunner

    from cpadvisor.advisor import explain
    from cpadvisor.cli.app import app
    from pathlib import Path
    steel = Path(__file__).resolve().parent.parent / "examples" / "steel_plant.yaml"
    e = explain(steel, "policy.mandatory_audit", kb=kb)
    assert {g.id: g.status for g in e.grounds} == {"art8_1": "not_applies", "art8_2": "not_applies",
                                                    "art8_3": "applies", "listed": "to_verify"}
    assert explain(steel, "common.coal_boiler_substitution", kb=kb).grounds == []
    r = CliRunner().invoke(app, ["explain", str(steel), "policy.mandatory_audit"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "art8_3" in r.output and "第二十七条第二款第（三）项" in r.output and "listed" in r.output


def test_a_hazardous_waste_is_a_sign_of_the_toxic_ground(kb):
    """危险废物 is the first kind 第八条第（三）项 names (as restated): a solid waste marked hazardous makes the
    toxic ground "to verify" where nothing is declared, and a conflict where the enterprise declares no toxics."""
    waste = [{"kind": "slag", "annual_t": 100, "hazardous": True}]
    base = {k: v for k, v in BASE.items() if k != "toxic_hazardous"}
    a = assess({"name": "某厂", "sectors": ["nonferrous"], "emissions": base, "solid_wastes": waste}, kb=kb)
    g = grounds(a)["art8_3"]
    assert g.status == "to_verify" and "hazardous_waste" in g.categories and "危险废物" in g.note.zh
    assert a.conflicts == []
    b = assess({"name": "某厂", "sectors": ["nonferrous"], "emissions": BASE, "solid_wastes": waste}, kb=kb)
    assert grounds(b)["art8_3"].status == "to_verify"
    assert [c.fact for c in b.conflicts] == ["emissions.toxic_hazardous"]
    assert b.finding("policy.voluntary_audit").status == "to_verify"  # the declaration may not lift the obligation
    c = assess({"name": "某厂", "sectors": ["nonferrous"], "emissions": BASE,
                "solid_wastes": [{"kind": "slag", "annual_t": 100, "hazardous": False}]}, kb=kb)
    assert grounds(c)["art8_3"].status == "not_applies" and c.conflicts == []


def test_a_rule_resting_on_an_unread_text_is_at_most_to_verify(make_kb):
    """rests_on: a ground read only as restated works like an unverified number (to verify, derived unknown, the
    text named); the same rule on a ground that was read applies; an unknown ground id fails to load."""
    from tests.conftest import demo_measure, demo_pack
    from cpadvisor.errors import KnowledgeError

    def kb_with(verified: str, rests_on: str = "g1"):
        ground = ("  grounds:\n    - id: g1\n      text: {zh: 情形, en: Ground}\n      facts: [over_standard]\n"
                  f"      cite: 某办法第八条\n      cite_en: Art. 8\n      basis: 转述\n      verified: {verified}\n")
        rules = (f"  - id: r\n    priority: high\n    derive: demo_duty\n    rests_on: [{rests_on}]\n    when:\n"
                 "      enterprise: [demo_flag == true]\n    because: {zh: 第八条, en: Art. 8}\n")
        text = demo_measure("demo.m", rules, kind="obligation").replace("rules:\n", ground + "rules:\n", 1)
        follow = demo_measure("demo.n", "  - id: r\n    priority: low\n    when:\n      derived: [demo_duty]\n"
                              "    because: {zh: 第九条, en: Art. 9}\n")
        return make_kb({"demo/pack.yaml": demo_pack(), "demo/m.yaml": text, "demo/n.yaml": follow})

    p = {"name": "x", "sectors": ["demo"], "attributes": {"demo_flag": True}}
    for engine in ("durable", "plain"):
        shaky = assess(p, kb=kb_with("false"), engine=engine)
        f = shaky.finding("demo.m")
        assert (f.status, f.missing) == ("to_verify", ["verify.demo.m:g1"]), engine
        assert "demo_duty" not in shaky.derived and shaky.finding("demo.n").status == "to_verify", engine
        read = assess(p, kb=kb_with("true"), engine=engine)
        assert read.finding("demo.m").status == "applies" and read.finding("demo.n").status == "applies", engine
    with pytest.raises(KnowledgeError) as exc:
        kb_with("false", rests_on="g11")
    assert "rests on unknown ground 'g11'" in str(exc.value) and "did you mean 'g1'" in str(exc.value)


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_the_mandatory_audit_applies_on_the_statutory_grounds_or_the_list(kb, engine):
    """Over every combination of the five yes/no facts, the mandatory audit applies exactly when a case of
    促进法 第二十七条第二款 (read) is met on the facts or the enterprise is on the list (194号 四(一), read); the
    voluntary audit applies exactly when it does not: never both, never neither."""
    import itertools
    names = ("over_standard", "over_total_quota", "toxic_hazardous", "energy_over_quota", "on_mandatory_list")
    for values in itertools.product((True, False), repeat=5):
        em = dict(zip(names, values))
        a = assess({"name": "x", "sectors": ["food"], "emissions": em}, kb=kb, engine=engine)
        mand, vol = a.finding("policy.mandatory_audit"), a.finding("policy.voluntary_audit")
        status = (mand.status if mand else "not_applies", vol.status if vol else "not_applies")
        if any(values):
            assert status == ("applies", "not_applies"), em
            assert not [m for m in mand.missing if m.startswith("verify.")], em
            met = {g.id for g in a.grounds_of("policy.mandatory_audit") if g.status == "applies"}
            assert ("art8_1" in met) == (em["over_standard"] or em["over_total_quota"]), em
            assert ("art8_3" in met) == em["toxic_hazardous"] and ("listed" in met) == em["on_mandatory_list"], em
        else:
            assert status == ("not_applies", "applies"), em


def test_explain_says_which_unread_text_a_true_rule_rests_on(kb):
    from cpadvisor.advisor import explain
    e = explain(REPO / "examples" / "steel_plant.yaml", "policy.mandatory_audit", kb=kb)
    by_rule = {t.rule_id.split("/")[1]: t for t in e.traces}
    # 第二十七条第二款 is read: the rule's firing rests on no unread text and decides
    assert (by_rule["double_over_double_hazard"].outcome, by_rule["double_over_double_hazard"].unverified) == (
        "true", [])
    assert by_rule["on_published_list"].outcome == "unknown" and by_rule["on_published_list"].unverified == []
    assert e.status == "applies"
    # a ground met only through unverified quota levels still names what to check
    quota = explain(profile(sectors=("building_materials",), energy_over_quota=None, products=[
        {"name": "熟料", "key": "cement_clinker", "annual_output": 1e6, "unit_energy": 125}]),
        "policy.mandatory_audit", kb=kb)
    assert quota.status == "to_verify" and "未经核实" in quota.summary.zh


def test_no_pack_text_keeps_the_space_yaml_folding_leaves_after_chinese_punctuation(kb):
    from cpadvisor.knowledge.format import Text
    assert Text(zh="主管部门、 环境保护部门，\n依法", en="x").zh == "主管部门、环境保护部门，\n依法"
    assert Text(zh="《清洁生产促进法》 第三十九条；湘工信节能〔2024〕194号 四(一)", en="x").zh == \
        "《清洁生产促进法》第三十九条；湘工信节能〔2024〕194号 四(一)"  # the clause's own space stays
    folded = re.compile(r"[、，。；：》）”] [\u4e00-\u9fff《（“]")
    texts = [t for info in kb.measures.values() for t in
             [info.measure.description.zh] + [r.rule.because.zh for r in info.rules] + [d.text.zh for d in
                                                                                        info.measure.duties]]
    assert len(texts) > 250 and not [t for t in texts if folded.search(t)]


def test_a_finding_waiting_on_the_mandatory_audit_says_so(kb):
    """The voluntary and simplified audits wait on whether the mandatory one applies: the report asks that
    question and points to the section that settles it, not a bare 'missing: mandatory audit'."""
    a = assess(profile(toxic_hazardous=None), kb=kb)  # whether toxic substances are used is not known
    assert "derived.mandatory_audit" in a.finding("policy.voluntary_audit").missing
    for lang, asked, bare in (("zh", "是否须开展强制性清洁生产审核（见审核类型一节）", "缺少: 强制性清洁生产审核"),
                              ("en", "whether a mandatory audit is required", "Missing: Mandatory cleaner-production audit")):
        md = render_report(a, "md", lang, kb=kb)
        assert asked in md and bare not in md, lang
