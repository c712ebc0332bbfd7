"""Issue 31: the feasibility analysis as an audit reviewer computes it (after-tax cash flow, 定额偿还期, NPVR).

The worked examples of ../shared/reference/cp-economics-test-vectors.csv (Tier C courseware, recomputed there) are
golden: A (I = 10, P = 1.58, Y = 10, tax 25 % → F = 1.435, N = 6.97, NPV@6 % = 0.56, IRR = 7.17 %), B (F = 32.5 on
I = 150 → NPV@5 % = 100.96, IRR = 17.26 %), C1 (F = 11.30 on I = 31.67 → N = 2.80, NPV@12 % = 32.18, IRR = 33.7 %).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cpadvisor import assess, render_report
from cpadvisor.economics.finance import after_tax_cash_flow, irr, npv

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def plan(**kw) -> dict:
    return {"name": "某厂", "sectors": ["steel"], "plans": [{"measure": "steel.orc_waste_heat_power", **kw}]}


def test_golden_a_after_tax_cash_flow():
    f = after_tax_cash_flow(10, Decimal("1.58"), 10, Decimal("0.25"))
    assert f == Decimal("1.435")
    assert round(Decimal(10) / f, 2) == Decimal("6.97")
    assert round(npv("0.06", 10, [f] * 10), 2) == Decimal("0.56")
    assert round(irr(10, [f] * 10) * 100, 2) == Decimal("7.17")


def test_golden_b_and_c1_on_the_cash_flow():
    assert round(npv("0.05", 150, [Decimal("32.5")] * 10), 2) == Decimal("100.96")
    assert round(irr(150, [Decimal("32.5")] * 10) * 100, 2) == Decimal("17.26")
    assert round(npv("0.12", Decimal("31.67"), [Decimal("11.30")] * 10), 2) == Decimal("32.18")
    assert round(irr(Decimal("31.67"), [Decimal("11.30")] * 10) * 100, 1) == Decimal("33.7")


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_golden_a_through_a_plan(kb, engine):
    a = assess(plan(investment_wan=10, annual_saving_wan=1.58, depreciation_years=10, income_tax_rate=0.25,
                    life_years=10, discount_rate=0.06, cost_class="higher"), kb=kb, engine=engine)
    r = a.plans[0]
    assert r.method == "after_tax" and r.cash_flow_wan == 1.435
    assert (r.after_tax_payback_years, r.after_tax_npv_wan, r.after_tax_irr) == (6.97, 0.56, 0.0717)
    assert r.payback_years == pytest.approx(6.33, abs=0.01)  # the pre-tax figures stay beside
    # 较高费: 定额偿还期 5 years (courseware); 6.97 > 5, so not feasible though NPV ≥ 0
    assert (r.payback_limit_years, r.feasible) == (5, False)
    assert any("6.97 年 > 定额偿还期 5 年" in t.zh for t in r.feasibility)
    high = assess(plan(investment_wan=10, annual_saving_wan=1.58, depreciation_years=10, income_tax_rate=0.25,
                       life_years=10, discount_rate=0.06, cost_class="high", benchmark_irr=0.06), kb=kb).plans[0]
    assert high.feasible is True and high.payback_limit_years == 10
    low_irr = assess(plan(investment_wan=10, annual_saving_wan=1.58, depreciation_years=10, income_tax_rate=0.25,
                          life_years=10, discount_rate=0.06, cost_class="high", benchmark_irr=0.10), kb=kb).plans[0]
    assert low_irr.feasible is False and any("7.17% < 基准收益率 10.00%" in t.zh for t in low_irr.feasibility)


def test_without_tax_figures_the_pre_tax_figures_are_given_and_the_request_names_them(kb):
    r = assess(plan(investment_wan=10, annual_saving_wan=1.58, life_years=10, discount_rate=0.06), kb=kb).plans[0]
    assert r.method == "pre_tax" and r.cash_flow_wan is None and r.npv_wan is not None
    assert {"depreciation_years", "income_tax_rate", "cost_class"} <= set(r.missing)
    assert r.feasible is None  # no cost class: the payback test cannot be made


def test_ranking_uses_the_after_tax_npvr(kb):
    p = {"name": "某厂", "sectors": ["steel"], "plans": [
        {"id": "a", "measure": "steel.orc_waste_heat_power", "investment_wan": 10, "annual_saving_wan": 1.58,
         "depreciation_years": 10, "income_tax_rate": 0.25, "life_years": 10, "discount_rate": 0.06},
        {"id": "b", "measure": "common.remanufacturing", "investment_wan": 150, "annual_saving_wan": 32.5,
         "depreciation_years": 10, "income_tax_rate": 0, "life_years": 10, "discount_rate": 0.05}]}
    by = {r.plan_id: r for r in assess(p, kb=kb).plans}
    assert by["b"].after_tax_npv_ratio == pytest.approx(100.96 / 150, abs=1e-4)
    assert (by["b"].rank, by["a"].rank) == (1, 2)


def test_steel_example_feasibility_table(kb):
    a = assess(EXAMPLES / "steel_plant.yaml", kb=kb)
    sinter = next(r for r in a.plans if r.plan_id == "f1_sinter_fgr")
    assert sinter.method == "after_tax" and sinter.cash_flow_wan is not None and sinter.feasible is not None
    md = render_report(a, "md", "zh", kb=kb)
    assert "年现金流量F" in md and "定额偿还期" in md and "可行性" in md
    en = render_report(a, "md", "en", kb=kb)
    assert "Cash flow F" in en and "Feasible" in en


# ------------------------------------------------------------ carbon: the factor that applies
ELEC = {"name": "某厂", "sectors": ["steel"], "plans": [
    {"measure": "steel.orc_waste_heat_power", "investment_wan": 900, "annual_saving_wan": 150,
     "savings": [{"carrier": "electricity", "amount": 1000, "unit": "MWh"}]}]}


def factor_of(a):
    return a.plans[0].savings[0].factor


def test_electricity_uses_the_purchased_electricity_factor_of_the_latest_data_year(kb, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796601600")  # 2026-12-07
    a = assess(ELEC, kb=kb)
    f = factor_of(a)
    assert (f.value, f.data_year, f.region) == (0.5306, 2023, "全国") and a.plans[0].co2_t_per_year == 530.6
    assert f.value != 0.5703  # the power sector's reporting factor is a different series
    # before the 2023 factors were published (reported 2026-01-15), the 2022 ones
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767139200")  # 2025-12-31
    f = factor_of(assess(ELEC, kb=kb))
    assert (f.value, f.data_year) == (0.5366, 2022)


def test_the_region_or_province_when_the_consultant_asks(kb, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796601600")
    regional = assess({**ELEC, "attributes": {"grid_factor_scope": "regional"}}, kb=kb)
    f = factor_of(regional)
    assert (f.value, f.data_year, f.region) == (0.5271, 2023, "华中")
    md = render_report(regional, "md", "zh", kb=kb)
    assert "2023年电力二氧化碳排放因子（华中，电力平均）" in md
    en = render_report(regional, "md", "en", kb=kb)
    assert "2023 data (Central China grid, average)" in en
    hunan = factor_of(assess({**ELEC, "attributes": {"grid_factor_scope": "provincial"}}, kb=kb))
    assert (hunan.value, hunan.data_year, hunan.region) == (0.5138, 2021, "湖南") and not hunan.verified


# ------------------------------------------------------------ after implementation: the 绩效表
def test_performance_table_from_the_stored_history(kb, tmp_path):
    import copy
    import json

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from cpadvisor.cli.app import app
    from cpadvisor.intake.profiles import load_profile as load_profile_file
    from cpadvisor.store.db import Store

    db = f"sqlite:///{tmp_path / 'perf.db'}"
    data = load_profile_file(EXAMPLES / "steel_plant.yaml", kb).model_dump(mode="json")
    before = copy.deepcopy(data)
    for p in before["plans"]:
        p["status"], p["status_date"] = "proposed", None
    after = copy.deepcopy(data)
    after["total_energy_tce"] = data["total_energy_tce"] - 5000
    after["products"][0]["unit_energy"] = data["products"][0]["unit_energy"] - 3
    store = Store(db)
    store.save_assessment(assess(before, kb=kb))
    store.save_assessment(assess(after, kb=kb))
    store.close()
    runner = CliRunner()
    r = runner.invoke(app, ["summary", "--db", db, "--performance", data["name"], "--json"])
    assert r.exit_code == 0, r.output
    perf = json.loads(r.output)
    assert [p["id"] for p in perf["plans"]] == ["f3_orc"]  # the implemented plan
    orc = perf["plans"][0]
    assert orc["investment_wan"] == 900 and orc["annual_saving_wan"] == 150 and orc["implemented"] == "2026-06-30"
    assert orc["savings"][0]["carrier"] == "electricity" and orc["co2_t_per_year"] is not None
    energy = next(i for i in perf["indicators"] if i["zh"] == "综合能耗")
    assert energy["after"] == energy["before"] - 5000 and energy["change_pct"] < 0
    first = data["products"][0]
    unit = next(i for i in perf["indicators"] if i["zh"] == f"{first['name']} 单位产品能耗")
    assert unit["after"] == unit["before"] - 3
    xlsx = tmp_path / "perf.xlsx"
    md = tmp_path / "perf.md"
    r = runner.invoke(app, ["summary", "--db", db, "--performance", data["name"], "--xlsx", str(xlsx), "--md", str(md)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["已实施方案", "指标对比", "缺少的数据"]
    assert wb["已实施方案"]["D2"].value == 900
    text = md.read_text(encoding="utf-8")
    assert "## 清洁生产审核绩效表" in text and "主要指标整改前后对比" in text and "综合能耗" in text
    # the report's 方案的实施 chapter carries the table when the store is given (md, html, docx; zh and en)
    src = tmp_path / "after.json"
    src.write_text(json.dumps(after, ensure_ascii=False), encoding="utf-8")
    for fmt, lang in (("md", "zh"), ("md", "en"), ("html", "zh"), ("docx", "zh")):
        out = tmp_path / f"r-{lang}.{fmt}"
        r = runner.invoke(app, ["report", str(src), "--db", db, "-o", str(out), "--lang", lang])
        assert r.exit_code == 0, r.output
        if fmt == "docx":
            from docx import Document
            text = "\n".join(p.text for p in Document(str(out)).paragraphs)
            text += "\n".join(c.text for t in Document(str(out)).tables for row in t.rows for c in row.cells)
        else:
            text = out.read_text(encoding="utf-8")
        title = "Cleaner-production audit performance table" if lang == "en" else "清洁生产审核绩效表"
        assert title in text and "900" in text, (fmt, lang)
    # one assessment only: what is missing is named
    single = f"sqlite:///{tmp_path / 'one.db'}"
    store = Store(single)
    store.save_assessment(assess(data, kb=kb))
    store.close()
    r = runner.invoke(app, ["summary", "--db", single, "--performance", data["name"], "--json"])
    assert "只有一次评估" in json.loads(r.output)["missing"][0]["zh"]
    r = runner.invoke(app, ["summary", "--db", single, "--performance", "无此企业"])
    assert r.exit_code == 2 and "库中没有该企业的评估记录" in r.output


def test_fuel_factors_carry_the_guideline_method_and_it_checks(kb, make_kb):
    """Fuels: NCV x carbon content x oxidation x 44/12 (the guideline's defaults, Tier C), checked at load."""
    from cpadvisor.errors import KnowledgeError
    from tests.conftest import demo_measure, demo_pack
    for tid in ("common.ef_diesel_t", "common.ef_heavy_oil_t", "common.ef_lpg_t", "common.ef_natural_gas_m3"):
        t = kb.thresholds[tid]
        assert t.ncv and t.carbon_content and t.oxidation and not t.verified, tid
        assert abs(t.value - t.ncv * t.carbon_content * t.oxidation * 44 / 12) < t.value * 5e-4, tid
    bad = ("thresholds:\n  demo.ef:\n    value: 3.5\n    unit: tCO2/t\n    level: factor\n    carrier: diesel\n"
           "    ncv: 42.652\n    carbon_content: 0.0202\n    oxidation: 0.98\n    source: a test row (Tier C)\n"
           "    verified: false\n")
    with pytest.raises(KnowledgeError, match="not ncv x carbon_content x oxidation"):
        make_kb({"demo/pack.yaml": demo_pack(extra=bad), "demo/m.yaml": demo_measure(
            "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_flag == true]}\n"
                      "    because: {zh: 演示, en: demo}\n")})


def test_coal_by_kind_and_equipment_uses_the_guideline_method(kb):
    """A saving that names the coal's kind and its equipment: NCV x carbon content x oxidation x 44/12 (烟煤 in an
    industrial boiler: 23.076 x 0.02308 x 0.85 x 44/12 = 1.6599 tCO2/t); in tce through 29.3076 GJ/tce."""
    def co2(**saving):
        p = {"name": "某厂", "sectors": ["steel"], "plans": [{"measure": "steel.orc_waste_heat_power",
                                                             "investment_wan": 10, "annual_saving_wan": 2,
                                                             "savings": [saving]}]}
        r = assess(p, kb=kb).plans[0]
        return r.co2_t_per_year, r.savings[0].factor.id
    assert co2(carrier="coal", amount=1000, unit="t", fuel_kind="烟煤", equipment="工业锅炉") == (
        1659.9, "common.ef_coal_bituminous_industrial_boiler")
    got, tid = co2(carrier="coal", amount=1000, unit="tce", fuel_kind="bituminous", equipment="industrial_boiler")
    assert tid == "common.ef_coal_bituminous_industrial_boiler"
    assert got == pytest.approx(1000 * 29.3076 / 23.076 * 1.6599, abs=0.01)
    assert co2(carrier="coal", amount=1000, unit="t", fuel_kind="anthracite", equipment="cement_kiln")[1] == \
        "common.ef_coal_anthracite_cement_kiln"
    assert co2(carrier="coal", amount=1000, unit="t") == (1900.3, "common.ef_coal_t")  # no kind: the 原煤 row


def test_a_measures_sourced_energy_effect_gets_its_co2_where_every_input_has_a_factor(kb):
    from decimal import Decimal
    from types import SimpleNamespace

    from cpadvisor.economics.co2 import effect_co2

    def eff(value, unit, carrier=None, kind="energy"):
        return SimpleNamespace(kind=kind, value=value, unit=unit, carrier=carrier)
    mix = Decimal("2.5")  # tCO2/tce of a plant's declared mix
    assert effect_co2(kb.thresholds, eff(1000, "tce/a"), mix) == (Decimal("2500.0"), "tCO2/a", None)
    assert effect_co2(kb.thresholds, eff(10, "kgce/t"), mix) == (Decimal("25.000"), "kgCO2/t", None)
    coal = kb.thresholds["common.ef_coal_tce"].value
    v, unit, _ = effect_co2(kb.thresholds, eff(10, "gce/kWh", "coal"), None)
    assert unit == "kgCO2/kWh" and float(v) == pytest.approx(10e-6 * coal * 1000)
    assert effect_co2(kb.thresholds, eff(1000, "tce/a"), None)[2] == "mix"  # no mix: named, not guessed
    assert effect_co2(kb.thresholds, eff(5, "%", "electricity"), mix)[2] == "base"
    assert effect_co2(kb.thresholds, eff(2.5, "kg/t"), mix)[2] == "fuel"
    a = assess(EXAMPLES / "steel_plant.yaml", kb=kb)
    md = render_report(a, "md", "zh", kb=kb)
    assert "CO2未计算：缺少节约的是哪种燃料（来源未写明）" in md  # the sinter effect: kg of an unnamed solid fuel
    en = render_report(a, "md", "en", kb=kb)
    assert "CO2 not computed: missing which fuel is saved" in en


def test_workbook_savings_carry_the_coals_kind_and_equipment(kb, tmp_path):
    """Issue 31 (left over): the plans sheet writes and reads 'coal 7800 t（无烟煤，工业锅炉）'."""
    from cpadvisor.intake.profiles import load_profile, validate_profile
    from cpadvisor.intake.workbook import write_workbook
    p = validate_profile({"name": "厂", "plans": [{"id": "f1", "measure": "common.coal_boiler_substitution",
                          "savings": [{"carrier": "coal", "amount": 7800, "unit": "t", "fuel_kind": "anthracite",
                                       "equipment": "industrial_boiler"},
                                      {"carrier": "electricity", "amount": 2400, "unit": "MWh"}]}]}, kb)
    x = tmp_path / "p.xlsx"
    x.write_bytes(write_workbook(kb, p.model_dump(mode="json")))
    import openpyxl
    cells = [c.value for row in openpyxl.load_workbook(x)["清洁生产方案"].iter_rows() for c in row]
    assert any(isinstance(v, str) and "无烟煤" in v and "工业锅炉" in v for v in cells)
    back = load_profile(x, kb)
    s = back.plans[0].savings[0]
    assert (s.fuel_kind, s.equipment, s.amount) == ("anthracite", "industrial_boiler", 7800)
    assert back.model_dump(mode="json") == p.model_dump(mode="json")
