"""Issue 30: the plant graded against its sector's 清洁生产评价指标体系 (Y scores, nested levels, 限定性 cap),
the shipped systems rated per indicator, authoring checks with their lines, and the admission gate's Ⅱ级."""
from __future__ import annotations

from pathlib import Path

import pytest

from cpadvisor import assess, render_report
from cpadvisor.errors import KnowledgeError
from tests.conftest import demo_measure, demo_pack

REPO = Path(__file__).resolve().parent.parent
SUB = "  subsectors:\n    demo_sub: {zh: 演示子行业, en: Demo subsector}\n"


def system(a1_weight: float = 0.2, a2_weight: float = 0.8, complete: str = "true") -> str:
    return f"""indicator_system:
  id: demo_sys
  name: {{zh: 演示指标体系, en: Demo system}}
  issuer: {{zh: 演示, en: Demo}}
  year: 2015
  subsectors: [demo_sub]
  generation: "2014-2018"
  level_names: {{I: {{zh: Ⅰ级, en: I}}, II: {{zh: Ⅱ级, en: II}}, III: {{zh: Ⅲ级, en: III}}}}
  method: {{basis: 演示评价方法}}
  complete: {complete}
  tier: C
  cite: {{zh: 演示文件, en: A demo document}}
  source: a synthetic document for the test
  groups:
    - id: ga
      name: {{zh: 甲组, en: Group A}}
      weight: 0.6
      indicators:
        - {{id: a1, name: {{zh: 能耗, en: Energy}}, unit: kgce/t, direction: "<=", levels: {{I: 10, II: 20, III: 30}}, weight: {a1_weight}, limiting: true, improved_by: [demo.m]}}
        - {{id: a2, name: {{zh: 利用率, en: Recovery}}, unit: "%", direction: ">=", levels: {{I: 90, II: 80, III: 70}}, weight: {a2_weight}}}
    - id: gb
      name: {{zh: 乙组, en: Group B}}
      weight: 0.4
      indicators:
        - id: b1
          name: {{zh: 管理, en: Management}}
          weight: 1
          texts: {{I: {{zh: 甲, en: A}}, II: {{zh: 乙, en: B}}, III: {{zh: 丙, en: C}}}}
"""


@pytest.fixture(scope="module")
def demo_kb(tmp_path_factory):
    """One knowledge base for the module: the durable host keeps a ruleset per knowledge version, so two bases of
    the same content in one process would share (and clash on) its names."""
    import shutil

    from cpadvisor.knowledge.loader import load_knowledge
    root = tmp_path_factory.mktemp("cpeval") / "knowledge"
    (root / "common").mkdir(parents=True)
    shutil.copy(REPO / "knowledge" / "common" / "pack.yaml", root / "common" / "pack.yaml")
    (root / "demo").mkdir()
    (root / "demo" / "pack.yaml").write_text(demo_pack(extra=SUB), encoding="utf-8")
    (root / "demo" / "m.yaml").write_text(demo_measure(
        "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_flag == true]}\n"
                  "    because: {zh: 演示, en: demo}\n"), encoding="utf-8")
    (root / "demo" / "sys.yaml").write_text(system(), encoding="utf-8")
    empty = root.parent / "empty-catalog.csv"
    empty.write_text("id,pack,clause,kind,name_zh,name_en,applies_when\n", encoding="utf-8")
    return load_knowledge(root, catalog=empty, use_cache=False)


def grade(kb, a1=None, a2=None, b1=None, a2x=None):
    entered = {k: v for k, v in (("a1", {"value": a1}), ("a2", {"value": a2}), ("b1", {"rating": b1})) if
               list(v.values())[0] is not None}
    if a2x is not None:
        entered["a2"] = a2x
    a = assess({"name": "x", "sectors": ["demo"], "subsectors": ["demo_sub"], "attributes": {"demo_flag": True},
                "cp_indicators": {"demo_sys": entered}}, kb=kb)
    return a.cp_evaluations[0]


def test_a_plant_at_level_I(demo_kb):
    e = grade(demo_kb, a1=9, a2=95, b1="Ⅰ级")
    assert e.y == {"I": 100.0, "II": 100.0, "III": 100.0} and e.grade == "I" and e.problems == []


def test_a_limiting_indicator_caps_the_grade(demo_kb):
    """Y_Ⅰ = 0.6 × 0.8 + 0.4 = 88 ≥ 85, but the limiting a1 is at Ⅱ: the grade is Ⅱ, capped by a1."""
    e = grade(demo_kb, a1=15, a2=95, b1="I")
    assert e.y["I"] == 88.0 and e.y["II"] == 100.0
    assert (e.grade, e.capped_by) == ("II", ["a1"]) and "限定性" in e.reason.zh
    a1 = next(r for r in e.indicators if r.id == "a1")
    assert a1.level == "II" and [m.measure_id for m in a1.improved_by] == ["demo.m"]
    assert a1.improved_by[0].status == "applies" and e.problems == ["a1"]


def test_levels_are_nested_and_below_III_is_named(demo_kb):
    e = grade(demo_kb, a1=35, a2=75, b1="II")
    levels = {r.id: r.level for r in e.indicators}
    assert levels == {"a1": "below", "a2": "III", "b1": "II"}
    assert e.y["III"] == 88.0 and e.grade == "below"  # a1 misses Ⅲ: 0.6 × 0.8 + 0.4


def test_missing_values_leave_the_composite_open(demo_kb):
    e = grade(demo_kb, a1=9, a2=95)
    assert e.grade is None and e.y == {} and e.missing == ["b1"] and "尚缺 1 项" in e.reason.zh


def test_a_not_applicable_indicator_renormalises_the_weights(demo_kb):
    e = grade(demo_kb, a1=9, b1="I", a2x={"applicable": False, "note": "无此工序"})
    assert e.missing == [] and e.y["I"] == 100.0 and e.grade == "I"  # a1 carries its group alone


def test_weights_that_do_not_sum_to_1_fail_with_their_line(make_kb, tmp_path):
    with pytest.raises(KnowledgeError) as exc:
        make_kb({"demo/pack.yaml": demo_pack(extra=SUB), "demo/m.yaml": demo_measure(
            "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_flag == true]}\n"
                      "    because: {zh: 演示, en: demo}\n"), "demo/sys.yaml": system(0.2, 0.7)})
    text = str(exc.value)
    assert "sum to 0.9, not 1" in text and "sys.yaml:19:" in text  # the group's line


def test_lint_reports_a_weight_sum_of_0_9_with_its_line(tmp_path):
    import shutil
    import subprocess
    import sys
    root = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", root)
    f = root / "electronics" / "cp_eval_electroplating_2015.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("          weight: 0.3\n", "          weight: 0.2\n", 1),
                 encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "lint", "--knowledge", str(root)], capture_output=True,
                       text=True)
    assert r.returncode == 1, r.stdout[-500:] + r.stderr[-500:]
    assert "cp_eval_electroplating_2015.yaml:" in r.stdout + r.stderr and "sum to 0.9, not 1" in r.stdout + r.stderr


def test_levels_out_of_order_and_unknown_measures_are_refused(make_kb):
    bad = system().replace("levels: {I: 10, II: 20, III: 30}", "levels: {I: 20, II: 10, III: 30}").replace(
        "improved_by: [demo.m]", "improved_by: [demo.n]")
    with pytest.raises(KnowledgeError) as exc:
        make_kb({"demo/pack.yaml": demo_pack(extra=SUB), "demo/m.yaml": demo_measure(
            "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_flag == true]}\n"
                      "    because: {zh: 演示, en: demo}\n"), "demo/sys.yaml": bad})
    assert "out of order" in str(exc.value) and "unknown measure 'demo.n'" in str(exc.value)


def test_the_steel_example_is_rated_per_indicator_with_sources(kb):
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    e = next(x for x in a.cp_evaluations if x.system_id == "steel_bf_bof_2014")
    lv = {r.id: r for r in e.indicators}
    assert (lv["ironmaking_energy"].level, lv["ironmaking_energy"].origin) == ("II", "products.生铁.unit_energy")
    assert lv["sintering_energy"].level == "I" and lv["coking_energy"].level == "III"
    assert e.grade is None and "未完整收录" in e.reason.zh and not e.verified and e.tier == "C"
    links = {m.measure_id: m.status for m in lv["ironmaking_energy"].improved_by}
    assert links["steel.bf_top_gas_equalizing_recovery"] == "applies"
    for lang, head, grade_words in (("zh", "清洁生产水平评价", "未完整收录"), ("en", "Cleaner-production level",
                                                                           "not complete here")):
        md = render_report(a, "md", lang, kb=kb)
        assert head in md and grade_words in md, lang
        assert ("炼铁工序能耗" if lang == "zh" else "Ironmaking process energy use") in md
    md = render_report(a, "md", "zh", kb=kb)
    section = md[md.index("清洁生产水平评价"):]
    assert "≤417" in section and "Ⅱ级" in section and "未核实" in section
    assert "高炉炉顶均压煤气回收" in section  # the problem linked to the measure that improves it


def test_the_gate_compares_a_new_steel_project_with_level_II(kb):
    base = {"name": "新建高炉", "project_type": "new", "sectors": ["steel"], "subsectors": ["bf_bof_route"],
            "attributes": {"emission_offset_secured": True, "regional_energy_carbon_compliant": True}}
    # 355: better than Ⅱ级 (417) and than the 标杆 level (361), so the 限制类 condition holds too
    good = assess({**base, "products": [{"name": "生铁", "key": "steel_blast_furnace", "unit_energy": 355}]}, kb=kb)
    f = good.finding("policy.project_admission_gate")
    assert f.status == "applies" and f.verdict == "required" and f.units == []
    bad = assess({**base, "products": [{"name": "生铁", "key": "steel_blast_furnace", "unit_energy": 425}]}, kb=kb)
    f = bad.finding("policy.project_admission_gate")
    assert f.status == "to_verify" and f.units == ["生铁"]
    assert "verify.cpeval.steel_blast_furnace.cp_II" in f.missing
    # a design value given by the consultant still decides where the system does not apply
    declared = assess({**base, "products": [{"name": "生铁", "key": "steel_blast_furnace", "unit_energy": 355,
                                              "cp_advanced_energy": 350}]}, kb=kb)
    assert declared.finding("policy.project_admission_gate").status == "applies"
    assert declared.finding("policy.project_admission_gate").verdict == "blocked"


def test_the_workbook_has_the_indicator_sheet_and_reads_it_back(kb, tmp_path):
    import io

    from openpyxl import load_workbook

    from cpadvisor.intake.profiles import load_profile
    from cpadvisor.intake.workbook import write_workbook
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    wb = load_workbook(io.BytesIO(write_workbook(kb, a.profile)))
    ws = wb["清洁生产指标"]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=3)}
    assert [c.value for c in rows["ironmaking_energy"][4:8]] == ["kgce/t铁", "≤390", "≤417", "≤446"]
    rows["fresh_water"][8].value, rows["fresh_water"][9].value = 3.6, "实测"
    rows["industrial_policy"][8].value, rows["industrial_policy"][10].value = "Ⅰ级", "无淘汰类装备"
    f = tmp_path / "cp.xlsx"
    wb.save(f)
    p = load_profile(f, kb)
    got = p.cp_indicators["steel_bf_bof_2014"]
    assert (got["fresh_water"].value, got["fresh_water"].quality) == (3.6, "measured")
    assert (got["industrial_policy"].rating, got["industrial_policy"].note) == ("I", "无淘汰类装备")
    e = assess(f, kb=kb).cp_evaluations[0]
    assert {r.id: r.level for r in e.indicators}["fresh_water"] == "II"
    blank = load_workbook(io.BytesIO(write_workbook(kb, None, packs=["steel"])))
    assert "清洁生产指标" in blank.sheetnames  # a blank steel template offers the sheet too


def test_the_data_request_asks_for_the_missing_indicators_and_its_answers_merge(kb):
    from cpadvisor.intake.answers import merge_answers
    from cpadvisor.report.request import request_markdown, requests
    a = assess(REPO / "examples" / "steel_plant.yaml", kb=kb)
    rows = {r.path: r for r in requests(kb, a)}
    assert "cp_indicators.steel_bf_bof_2014.fresh_water" in rows
    assert "cp_indicators.steel_bf_bof_2014.ironmaking_energy" not in rows  # read from the product
    md = request_markdown(kb, a, list(rows.values()))
    assert "生产用新鲜水量" in md and "清洁生产水平评价" in md and "cp_eval:" not in md
    data, _ = merge_answers(kb, a.profile, [("cp_indicators.steel_bf_bof_2014.fresh_water", 3.4, "资料清单!H9"),
                                            ("cp_indicators.steel_bf_bof_2014.accident_prevention", "Ⅱ级", "资料清单!H10")])
    e = assess(data, kb=kb).cp_evaluations[0]
    lv = {r.id: r.level for r in e.indicators}
    assert lv["fresh_water"] == "I" and lv["accident_prevention"] == "II"
    report = render_report(a, "md", "zh", kb=kb)
    assert "cp_indicator." not in report and "cp_eval:" not in report


def test_coverage_lists_the_systems(tmp_path):
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "coverage"], capture_output=True, text=True,
                       env={**__import__("os").environ, "COLUMNS": "200"})
    assert r.returncode == 0
    assert "steel_bf_bof_2014" in r.stdout and "electroplating_2015" in r.stdout and "unverified" in r.stdout
