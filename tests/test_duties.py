"""Issue 12: what a mandatory audit entails, dated from the list publication: deadlines, the audit interval of
an enterprise with toxic substances, the disclosure duty and the penalties, each with the article it cites."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from cpadvisor import assess, render_report
from cpadvisor.intake.profiles import load_profile
from cpadvisor.rules.duties import add_months

REPO = Path(__file__).resolve().parent.parent
STEEL = REPO / "examples" / "steel_plant.yaml"


def steel(kb, **emissions):
    data = load_profile(STEEL, kb).model_dump(mode="json")
    data["emissions"].update(emissions)
    return data


def duties(a) -> dict:
    return {d.id: d for d in a.finding("policy.mandatory_audit").duties}


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert add_months(date(2026, 3, 20), 2) == date(2026, 5, 20)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 12, 15), 12) == date(2027, 12, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_listed_enterprise_gets_dated_deadlines(kb, engine):
    a = assess(steel(kb, on_mandatory_list=True, list_published="2026-03-31", list_department="environment",
                     last_audit_completed="2021-11-30"), kb=kb, engine=engine)
    assert a.finding("policy.mandatory_audit").status == "applies"
    d = duties(a)
    assert d["publish_information"].due == "2026-04-30"
    assert d["start_audit"].due == "2026-05-31" and d["complete_audit"].due == "2027-03-31"
    assert d["toxic_audit_interval"].due == "2026-11-30"  # five years after the last audit
    assert "第十四条" in d["annual_disclosure"].cite and "第十九条" in d["annual_disclosure"].cite
    assert "清洁生产促进法" in d["penalties"].cite and "第三十九条" in d["penalties"].cite
    assert "第二十七条第四款" in d["report_results"].cite and "第十条第二款" in d["disclosure_period"].cite
    assert "第十七条、第二十条" in d["temporary_disclosure"].cite and "第二十八条" in d["disclosure_penalties"].cite
    # the 办法's deadlines are read as restated: marked; the statutes and 24号令 were read
    assert {k for k, x in d.items() if not x.verified} == {"publish_information", "start_audit", "complete_audit",
                                                           "toxic_audit_interval"}
    assert "over_standard_penalty" not in d and "energy_quota_penalty" not in d  # no offence stated


def test_duties_follow_the_facts(kb):
    energy_list = duties(assess(steel(kb, on_mandatory_list=True, list_department="energy", toxic_hazardous=False,
                                      energy_over_quota=True), kb=kb))
    assert "publish_information" in energy_list  # every enterprise under mandatory audit (as restated)
    assert "start_audit" not in energy_list  # the two-month start: restated for the environment department's lists
    assert "toxic_audit_interval" not in energy_list  # no toxic substances
    assert energy_list["complete_audit"].due is None and "not given" in energy_list["complete_audit"].note.en
    assert "第十六条第二款" in energy_list["energy_quota_penalty"].cite  # 节约能源法: over the quota
    assert "over_standard_penalty" not in energy_list
    over = duties(assess(steel(kb, over_standard=True), kb=kb))
    assert "第九十九条" in over["over_standard_penalty"].cite and "第八十三条" in over["over_standard_penalty_water"].cite
    not_listed = duties(assess(STEEL, kb=kb))
    assert not_listed["start_audit"].note.zh == "自名单公布之日起2个月内（公布日期待填）"
    assert not_listed["start_audit"].needs == ["emissions.on_mandatory_list"]
    assert "上一轮审核完成日期" in not_listed["toxic_audit_interval"].note.zh
    clean = assess(steel(kb, toxic_hazardous=False, on_mandatory_list=False), kb=kb).finding("policy.mandatory_audit")
    assert clean is None or not clean.duties  # no obligation, no duties


def test_report_shows_duties_with_dates_and_articles(kb):
    a = assess(steel(kb, on_mandatory_list=True, list_published="2026-03-31", list_department="environment"), kb=kb)
    md = render_report(a, "md", "zh", kb=kb)
    assert "相关义务与期限" in md and "开展清洁生产审核 (期限：2026-05-31). 《清洁生产审核办法》（2016年第38号令）" in md
    assert "条文据转述，未核对原文" in md
    en = render_report(a, "md", "en", kb=kb, workings=False)
    assert "Start the cleaner-production audit (due: 2026-05-31). Cleaner Production Audit Measures" in en
    doc = Document(io.BytesIO(render_report(a, "docx", "zh", kb=kb)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "每年3月15日前披露上一年度1月1日至12月31日的环境信息" in text and "第十四条、第十九条" in text
    work = md[md.index("### （三）工作底稿"):]
    assert "宁夏" in work and "中国环境报2022-04-13" in work  # where the deadlines were read: the working papers


def test_toxic_categories_name_the_ground_and_contradictions_are_refused(kb, tmp_path):
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    a = assess(steel(kb, toxic_hazardous=None, toxic_categories=["heavy_metals"], on_mandatory_list=True,
                     list_department="environment"), kb=kb)
    assert a.profile["emissions"]["toxic_hazardous"] is True  # a category named is the fact itself
    assert a.finding("policy.mandatory_audit").status == "applies"
    md = render_report(a, "md", "zh", kb=kb)
    assert "第二十七条第二款第（三）项：使用有毒、有害原料进行生产或在生产中排放有毒、有害物质：符合（含铅、汞、镉、铬等重金属和类金属砷的物质）" in md
    assert "“双超双有”重点企业名单（确定企业并起算期限）：符合；名单发布部门：生态环境部门" in md  # the list is a separate ground (四(一))
    bad = tmp_path / "bad.yaml"
    text = STEEL.read_text(encoding="utf-8").replace("  toxic_hazardous: true", "  toxic_hazardous: false\n  toxic_categories: [pops]")
    assert "toxic_categories: [pops]" in text
    bad.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(app, ["assess", str(bad)])
    assert r.exit_code == 2 and "toxic_categories lists pops" in r.output and str(bad) in r.output


def test_workbook_carries_the_list_date_as_an_excel_date(kb, tmp_path):
    import datetime

    import openpyxl

    from cpadvisor.intake.workbook import write_workbook
    data = load_profile(STEEL, kb).model_dump(mode="json", exclude_none=True)
    data["emissions"].update(on_mandatory_list=True, list_department="environment")
    x = tmp_path / "steel.xlsx"
    x.write_bytes(write_workbook(kb, data))
    wb = openpyxl.load_workbook(x)
    form = wb["企业"]
    row = next(r for r in range(1, form.max_row + 1) if form.cell(r, 2).value == "emissions.list_published")
    form.cell(row, 3, datetime.datetime(2026, 3, 31))  # typed as a date in Excel
    wb.save(x)
    assert duties(assess(x, kb=kb))["start_audit"].due == "2026-05-31"


def test_incentives_list_what_4_2_offers_read_in_the_policy_itself(kb):
    a = assess({"name": "x", "sectors": ["paper"], "cp_audit_passed": True}, kb=kb)
    f = a.finding("policy.incentive_priority")
    assert f.status == "applies"
    assert [d.id for d in f.duties] == ["priority_applications", "government_funds", "special_funds", "tax_preferences"]
    assert all(d.verified and d.cite == "湘工信节能〔2024〕194号 四(二)" for d in f.duties)
    md = render_report(a, "md", "zh", kb=kb, workings=False)
    assert "依法落实和完善节能节水、环境保护、资源综合利用相关税收优惠政策. 湘工信节能〔2024〕194号 四(二)" in md
    doc = Document(io.BytesIO(render_report(a, "docx", "en", kb=kb)))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any("Tax preferences for energy and water saving" in c for c in cells)


def test_admission_gate_verdicts_and_the_conditions_it_could_not_check(kb):
    base = {"name": "x", "project_type": "new", "sectors": ["power"],
            "energy": [{"fuel": "coal", "annual": 50000, "unit": "tce"}]}
    ok = {"coal_reduction_substitution": True, "emission_offset_secured": True, "regional_energy_carbon_compliant": True}
    for engine in ("durable", "plain"):
        g = assess({**base, "attributes": ok}, kb=kb, engine=engine).finding("policy.project_admission_gate")
        assert (g.status, g.verdict) == ("applies", "required"), engine
        g = assess({**base, "attributes": {**ok, "coal_reduction_substitution": False}}, kb=kb,
                   engine=engine).finding("policy.project_admission_gate")
        assert (g.status, g.verdict) == ("applies", "blocked") and "煤炭消费减量替代" in g.reason.zh, engine
        g = assess(base, kb=kb, engine=engine).finding("policy.project_admission_gate")
        assert g.status == "to_verify" and {"enterprise.coal_reduction_substitution", "enterprise.emission_offset_secured",
                                            "enterprise.regional_energy_carbon_compliant"} <= set(g.missing), engine
    gas = assess({**base, "energy": [{"fuel": "natural_gas", "annual": 100, "unit": "tce"}]}, kb=kb)
    assert "enterprise.coal_reduction_substitution" not in gas.finding("policy.project_admission_gate").missing


def test_benchmark_is_a_gate_condition_for_new_projects(kb):
    """《产业结构调整指导目录（2024年本）》限制类说明: a new project below the 标杆 level is managed as 限制类 and may not
    be approved. The note is a third-party copy and the levels transcriptions: blocked-to-verify, never blocked."""
    ok = {"emission_offset_secured": True, "regional_energy_carbon_compliant": True}
    a = assess({"name": "x", "project_type": "new", "sectors": ["steel"], "attributes": ok}, kb=kb)
    g = a.finding("policy.project_admission_gate")
    assert g.verdict == "required" and [d.id for d in g.duties] == ["benchmark_restricted"]
    assert not g.duties[0].verified and "限制类" in g.duties[0].cite
    md = render_report(a, "md", "zh", kb=kb, workings=False)
    assert "能效标杆水平可作为" not in md and "参照限制类管理" in md
    assert "可核查的准入条件均已满足" in md  # 'required' reads as a pass of what can be checked
    clinker = {"name": "熟料", "key": "cement_clinker", "annual_output": 1e6}
    for engine in ("durable", "plain"):
        below = assess({"name": "x", "project_type": "new", "sectors": ["building_materials"], "attributes": ok,
                        "products": [dict(clinker, unit_energy=105)]}, kb=kb, engine=engine)
        f = below.finding("policy.project_admission_gate")
        assert f.status == "to_verify" and f.units == ["熟料"], engine
        assert "verify.law:industrial_structure_catalogue_2024" in f.missing, engine
        md = render_report(below, "md", "zh", kb=kb, workings=False)
        assert "《产业结构调整指导目录（2024年本）》原文中的相应条目" in md
    # not a 两高 sector: no gate at all (electronics, 300 tce)
    chips = assess({"name": "x", "project_type": "new", "sectors": ["electronics"],
                    "energy": [{"fuel": "electricity", "annual": 300, "unit": "tce"}]}, kb=kb)
    assert chips.finding("policy.project_admission_gate") is None or \
        chips.finding("policy.project_admission_gate").status == "not_applies"


def test_phase_out_below_the_baseline_is_a_question_never_an_obligation(kb):
    """《产业结构调整指导目录（2024年本）》: below the baseline and not retrofitted in time -> managed as 淘汰类.
    The baseline is a transcription and the deadline is not in the profile: to verify, naming the level."""
    clinker = {"name": "熟料", "key": "cement_clinker", "annual_output": 1e6, "unit_energy_unit": "kgce/t"}
    worse = assess({"name": "x", "sectors": ["building_materials"], "products": [dict(clinker, unit_energy=125)]}, kb=kb)
    f = worse.finding("policy.obsolete_capacity_phaseout")
    assert f.status == "to_verify" and f.rule_id.endswith("/product_worse_than_baseline")
    assert "verify.building_materials.cement_clinker.baseline" in f.missing
    better = assess({"name": "x", "sectors": ["building_materials"], "products": [dict(clinker, unit_energy=110)]}, kb=kb)
    assert better.finding("policy.obsolete_capacity_phaseout") is None
    new_line = assess({"name": "x", "sectors": ["building_materials"], "project_type": "new",
                       "products": [dict(clinker, unit_energy=125, in_project=True)]}, kb=kb)
    assert new_line.finding("policy.obsolete_capacity_phaseout") is None
    for engine in ("durable", "plain"):
        assert assess({"name": "x", "sectors": ["building_materials"], "products": [dict(clinker, unit_energy=125)]},
                      kb, engine=engine).finding("policy.obsolete_capacity_phaseout").status == "to_verify"
