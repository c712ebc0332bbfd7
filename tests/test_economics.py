"""Issue 15: measure records with sourced effects, CO2 where sourced, plans with the audit's economic indicators."""
from __future__ import annotations

import copy
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cpadvisor import assess, load_knowledge, render_report
from cpadvisor.authoring.lint import lint
from cpadvisor.cli.app import app
from cpadvisor.economics import convert, irr, npv, simple_payback
from cpadvisor.economics.finance import annual_flows
from cpadvisor.economics.units import UNITS, UnitError
from cpadvisor.errors import InputError, KnowledgeError
from cpadvisor.intake.profiles import load_profile as load_profile_file
from cpadvisor.store.db import Store
from cpadvisor.store.summary import summarize

REPO = Path(__file__).resolve().parent.parent
STEEL = REPO / "examples" / "steel_plant.yaml"
SECTOR_PACKS = ("steel", "petrochem", "nonferrous", "building_materials", "paper", "food", "electronics", "power", "vocs")

money = st.decimals(min_value=1, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=Decimal("0.5"), places=4)
years = st.integers(min_value=1, max_value=40)


# ------------------------------------------------------------ properties of the indicators
@settings(max_examples=60, deadline=None)
@given(money, money, years, rates, rates)
def test_npv_falls_as_the_discount_rate_rises(inv, annual, n, r1, r2):
    lo, hi = sorted((r1, r2))
    flows = annual_flows(annual, n)
    assert npv(lo, inv, flows) >= npv(hi, inv, flows)
    if lo < hi:
        assert npv(lo, inv, flows) > npv(hi, inv, flows)


@settings(max_examples=60, deadline=None)
@given(money, money, years)
def test_irr_makes_npv_zero(inv, annual, n):
    flows = annual_flows(annual, n)
    r = irr(inv, flows)
    if r is None:  # no return at all above -99 %, or beyond 1000 %
        assert npv(Decimal("-0.99"), inv, flows) <= 0 or npv(10, inv, flows) > 0
        return
    assert abs(npv(r, inv, flows)) <= max(Decimal("1e-4") * inv, Decimal("1e-6"))


@settings(max_examples=60, deadline=None)
@given(money, money)
def test_payback_is_investment_over_constant_net_saving(inv, annual):
    assert simple_payback(inv, annual) == inv / annual
    assert simple_payback(inv, -annual) is None


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=3), st.sampled_from(sorted(UNITS)), st.data())
def test_unit_conversions_round_trip(value, unit, data):
    dim = UNITS[unit][0]
    other = data.draw(st.sampled_from(sorted(u for u, (d, _) in UNITS.items() if d == dim)))
    assert convert(convert(value, unit, other), other, unit) == value


def test_conversions_refuse_different_dimensions():
    assert convert(1, "万元", "元") == 10_000 and convert(2500, "kWh", "MWh") == Decimal("2.5")
    with pytest.raises(UnitError):
        convert(1, "tce", "MWh")  # needs a sourced factor, never a definitional one
    with pytest.raises(UnitError):
        convert(1, "furlong", "t")


# ------------------------------------------------------------ plans on the steel example
@pytest.fixture(scope="module")
def steel(kb):
    return assess(STEEL, kb=kb)


def test_plans_get_the_indicators_the_guidelines_name(steel):
    p = {r.plan_id: r for r in steel.plans}
    f1 = p["f1_sinter_fgr"]
    assert f1.annual_net_wan == 580 and f1.payback_years == pytest.approx(1800 / 580, abs=0.01)
    flows = annual_flows(Decimal(580), 15)
    assert f1.npv_wan == pytest.approx(float(npv(Decimal("0.08"), 1800, flows)), abs=0.01)
    assert f1.npv_ratio == pytest.approx(f1.npv_wan / 1800, abs=1e-4)
    assert abs(float(npv(Decimal(str(f1.irr)), 1800, flows))) < 1.0
    assert [r.plan_id for r in sorted((r for r in steel.plans if r.rank), key=lambda r: r.rank)] == \
        ["f1_sinter_fgr", "f2_cdq", "f3_orc"]  # by NPV ratio


def test_sensitivity_moves_the_right_way(steel):
    f2 = next(r for r in steel.plans if r.plan_id == "f2_cdq")
    s = {c.label: c for c in f2.sensitivity}
    assert s["investment+20%"].npv_wan < f2.npv_wan < s["investment-20%"].npv_wan
    assert s["savings-20%"].npv_wan < f2.npv_wan < s["savings+20%"].npv_wan
    assert s["investment+20%"].irr < f2.irr < s["investment-20%"].irr


def test_co2_of_savings_only_from_sourced_factors(steel, kb):
    f1 = next(r for r in steel.plans if r.plan_id == "f1_sinter_fgr")
    coal = kb.thresholds["common.ef_coal_tce"]
    assert f1.co2_t_per_year == pytest.approx(7800 * coal.value, abs=0.01)
    assert f1.savings[0].factor.id == "common.ef_coal_tce" and f1.savings[0].factor.verified is False
    f2 = next(r for r in steel.plans if r.plan_id == "f2_cdq")
    # purchased electricity: the MEE/NBS 电力平均 factor, latest data year published by the assessment, national
    grid = kb.thresholds["common.ef_electricity_cn_2023"].value
    assert grid == 0.5306 and f2.savings[0].factor.id == "common.ef_electricity_cn_2023"
    assert (f2.savings[0].factor.data_year, f2.savings[0].factor.region) == (2023, "全国")
    assert f2.co2_t_per_year == pytest.approx(150000 * grid, abs=0.01)  # the water saving adds no CO2
    assert [s.co2_t for s in f2.savings] == [pytest.approx(150000 * grid), None]


def test_no_default_discount_rate_and_a_plan_off_the_recommendations_is_kept(steel):
    f4 = next(r for r in steel.plans if r.plan_id == "f4_reman")
    assert f4.npv_wan is None and f4.irr is None and f4.rank is None
    assert {"life_years", "discount_rate", "savings"} <= set(f4.missing)
    assert f4.payback_years == 7.5  # needs neither a rate nor a life
    assert f4.engine_status != "applies" and f4.flags


def test_plan_for_a_measure_not_found_is_flagged(kb):
    data = load_profile_file(STEEL, kb).model_dump(mode="json")
    data["plans"] = [{"measure": "paper.low_energy_cooking", "investment_wan": 100, "annual_saving_wan": 30,
                      "life_years": 10, "discount_rate": 0.1}]
    a = assess(data, kb=kb)
    assert a.plans[0].engine_status is None and "not recommended" in a.plans[0].flags[0].en
    assert a.plans[0].npv_wan is not None


def test_rate_without_life_gives_no_npv_and_missing_says_so(kb):
    data = load_profile_file(STEEL, kb).model_dump(mode="json")
    data["plans"] = [{"measure": "steel.hot_charging", "investment_wan": 100, "annual_saving_wan": 30,
                      "discount_rate": 0.1}]
    r = assess(data, kb=kb).plans[0]
    assert r.npv_wan is None and r.irr is None and "life_years" in r.missing


@pytest.mark.parametrize("plan, field, words", [
    ({"measure": "steel.not_a_measure"}, "measure", "unknown measure id"),
    ({"measure": "steel.hot_charging", "savings": [{"carrier": "coal", "amount": 1, "unit": "furlong"}]},
     "unit", "unknown unit"),
    ({"measure": "steel.hot_charging", "savings": [{"carrier": "kryptonite", "amount": 1, "unit": "tce"}]},
     "carrier", "unknown fuel"),
    ({"measure": "steel.hot_charging", "discount_rate": 8}, "discount_rate", "less than or equal to 1"),
])
def test_bad_plans_are_one_clear_line_with_exit_code_2(tmp_path, plan, field, words):
    text = STEEL.read_text(encoding="utf-8").split("\nplans:")[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text + "\nplans:\n  - " + json.dumps(plan, ensure_ascii=False) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["assess", str(bad)])
    assert r.exit_code == 2, r.output
    line = r.output.strip().splitlines()[-1]
    assert str(bad) in line and field in line and words in line


def test_two_plans_with_one_id_are_refused(kb):
    data = load_profile_file(STEEL, kb).model_dump(mode="json")
    data["plans"] = [{"measure": "steel.hot_charging"}, {"measure": "steel.hot_charging"}]
    with pytest.raises(InputError, match="two plans"):
        assess(data, kb=kb)


# ------------------------------------------------------------ reports
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_feasibility_table_in_every_format(steel, kb, lang):
    md = render_report(steel, "md", lang, kb=kb)
    html = render_report(steel, "html", lang, kb=kb)
    doc = Document(io.BytesIO(render_report(steel, "docx", lang, kb=kb)))
    irr_head = "IRR" if lang == "en" else "内部收益率"
    for text in (md, html):
        assert irr_head in text and "31.7 %" in text and "3,164.5" in text and "20,751.12" in text
    heads = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    plan_table = next(t for t, h in zip(doc.tables, heads) if irr_head in h)
    first = [c.text for c in plan_table.rows[1].cells]
    assert first[0] == "1" and "31.7 %" in first and "3,164.5" in first
    sens = next(t for t, h in zip(doc.tables, heads) if any("CO2" in x for x in h))
    assert any("20,751.12" in c.text for c in sens.rows[1].cells)


def test_report_without_plans_lists_figures_to_collect(kb):
    data = load_profile_file(STEEL, kb).model_dump(mode="json")
    data.pop("plans")
    a = assess(data, kb=kb)
    assert not a.plans
    high = {f.measure_id for f in a.recommended if f.cost == "medium_high" and f.kind == "measure"}
    assert high and {c.measure_id for c in a.to_collect} == high
    md = render_report(a, "md", "zh", kb=kb)
    assert "（二）中/高费方案需收集的数据" in md and "总投资（万元）" in md  # 五、方案的确定 in an audit report
    sinter = next(c for c in a.to_collect if c.measure_id == "steel.sinter_flue_gas_recirculation")
    assert sinter.typical and sinter.typical[0].value == 2.5  # a sourced typical figure is shown, for orientation
    assert "石横特钢" in md and "无有出处的典型数据" in md  # and where none is sourced, the report says so
    doc = Document(io.BytesIO(render_report(a, "docx", "en", kb=kb)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "5.2 Figures to collect" in text and "no sourced typical figure" in text


# ------------------------------------------------------------ knowledge
def test_every_sector_pack_has_a_sourced_typical_effect(kb):
    for pack in SECTOR_PACKS:
        effects = [e for info in kb.measures.values() if info.pack == pack for e in info.measure.effects]
        assert effects, pack
        assert all(e.source and (e.year or e.url) for e in effects), pack


def test_benchmark_co2_at_the_plants_energy_mix(steel, kb):
    bf = next(b for b in steel.benchmarks if b.product_key == "steel_blast_furnace")
    mix = {"coal": 3100000, "coke": 900000, "natural_gas": 60000}
    f = {k: kb.thresholds[f"common.ef_{k}_tce"].value for k in mix}
    intensity = sum(mix[k] * f[k] for k in mix) / sum(mix.values())
    assert bf.co2_factor.value == pytest.approx(intensity, abs=1e-4) and bf.co2_factor.verified is False
    assert bf.co2_t_per_year == pytest.approx(bf.saving_tce_per_year * bf.co2_factor.value, rel=1e-6)


def test_benchmark_co2_not_quantified_when_a_fuel_has_no_factor(kb):
    data = load_profile_file(STEEL, kb).model_dump(mode="json")
    data["energy"].append({"fuel": "blast_furnace_gas", "annual": 1000, "unit": "tce"})
    bf = next(b for b in assess(data, kb=kb).benchmarks if b.product_key == "steel_blast_furnace")
    assert bf.co2_t_per_year is None and any("emission factor" in m for m in bf.missing)


def _copy_knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", root)
    return root


def test_lint_flags_an_effect_without_a_source(tmp_path):
    root = _copy_knowledge(tmp_path)
    f = root / "paper" / "cascade_water_use.yaml"
    text = f.read_text(encoding="utf-8")
    start = text.index("      source:")
    end = text.index("\n", text.index("      year:")) + 1
    f.write_text(text[:start] + text[end:].replace("      url: https://water.hczyw.com/2021/0222/144103.html\n", ""),
                 encoding="utf-8")
    found = [x for x in lint(root) if x.check == "effect-source"]
    assert len(found) == 1 and "cascade_water_use" in found[0].message and found[0].level == "error"
    assert found[0].line is not None


def test_unknown_interaction_is_a_load_error_with_did_you_mean(tmp_path):
    root = _copy_knowledge(tmp_path)
    f = root / "steel" / "hot_charging.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("\nrules:", "\n  interactions: {after: [steel.hot_rolling_temprature_control]}\nrules:", 1),
                 encoding="utf-8")
    with pytest.raises(KnowledgeError, match="did you mean 'steel.hot_rolling_temperature_control'"):
        load_knowledge(root, use_cache=False)


# ------------------------------------------------------------ tracking over time
def test_history_and_summary_track_plan_status(kb, tmp_path):
    db = f"sqlite:///{tmp_path / 'plans.db'}"
    store = Store(db)
    data = load_profile_file(STEEL, kb).model_dump(mode="json")
    before = copy.deepcopy(data)
    for p in before["plans"]:
        p["status"], p["status_date"] = "proposed", None
    store.save_assessment(assess(before, kb=kb))
    store.save_assessment(assess(data, kb=kb))
    s = summarize(store)
    store.close()
    pl = s["plans"]
    assert pl["total"] == 4 and pl["by_status"] == {"accepted": 1, "proposed": 2, "implemented": 1}
    assert pl["implementation_rate_pct"] == 25.0
    assert pl["realised"]["mwh"] == 2400 and pl["realised"]["tco2"] == pytest.approx(2400 * 0.5306, abs=0.01)
    r = CliRunner().invoke(app, ["history", data["name"], "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    changes = json.loads(r.output)[0]["assessments"][-1]["changes"]["plans"]
    assert {(c["id"], c["from"], c["to"]) for c in changes} == {
        ("f1_sinter_fgr", "proposed", "accepted"), ("f3_orc", "proposed", "implemented")}
    r = CliRunner().invoke(app, ["history", data["name"], "--db", db])
    assert "f3_orc" in r.output and "已实施/implemented" in r.output
    r = CliRunner().invoke(app, ["summary", "--db", db])
    assert r.exit_code == 0 and "25.0%" in r.output


def test_an_old_store_gains_the_plans_column(kb, tmp_path):
    import sqlite3
    path = tmp_path / "old.db"
    Store(f"sqlite:///{path}").close()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE assessment DROP COLUMN plans")
    con.commit()
    con.close()
    store = Store(f"sqlite:///{path}")
    store.save_assessment(assess(STEEL, kb=kb))
    assert summarize(store)["plans"]["total"] == 4
    store.close()


def test_workbook_carries_plans_and_names_the_cell_of_a_bad_saving(kb, tmp_path):
    import openpyxl

    from cpadvisor.intake.workbook import write_workbook
    data = load_profile_file(STEEL, kb).model_dump(mode="json", exclude_none=True)
    x = tmp_path / "steel.xlsx"
    x.write_bytes(write_workbook(kb, data))
    a = assess(x, kb=kb)
    assert [(p.plan_id, p.npv_wan) for p in a.plans] == [(p.plan_id, p.npv_wan) for p in assess(STEEL, kb=kb).plans]
    wb = openpyxl.load_workbook(x)
    ws = wb["清洁生产方案"]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value == "savings")
    ws.cell(3, col, "coal lots tce")
    wb.save(x)
    r = CliRunner().invoke(app, ["assess", str(x)])
    assert r.exit_code == 2
    letter = openpyxl.utils.get_column_letter(col)
    assert f"清洁生产方案!{letter}3" in r.output.strip().splitlines()[-1]


def test_a_separate_plans_file_is_tied_to_its_profile(tmp_path):
    plans = REPO / "examples" / "plans" / "power_plant_plans.yaml"
    r = CliRunner().invoke(app, ["assess", str(REPO / "examples" / "power_plant.yaml"), "--plans", str(plans), "--json"])
    assert r.exit_code == 0, r.output
    p = json.loads(r.output)["plans"]
    assert [x["plan_id"] for x in p] == ["p1_turbine"] and p[0]["payback_years"] == pytest.approx(6500 / 1450, abs=0.01)
    r = CliRunner().invoke(app, ["assess", str(STEEL), "--plans", str(plans)])
    assert r.exit_code == 2 and f"{plans}:3" in r.output and "is for" in r.output  # another profile's plans
    bad = tmp_path / "bad_plans.yaml"
    bad.write_text(plans.read_text(encoding="utf-8").replace("power.energy_saving_retrofit", "power.energy_saving"),
                   encoding="utf-8")
    r = CliRunner().invoke(app, ["report", str(REPO / "examples" / "power_plant.yaml"), "--plans", str(bad)])
    assert r.exit_code == 2 and f"{bad}:5" in r.output and "did you mean" in r.output
    out = tmp_path / "r.md"
    r = CliRunner().invoke(app, ["report", str(REPO / "examples" / "power_plant.yaml"), "--plans", str(plans), "-o", str(out)])
    assert r.exit_code == 0 and "4.48" in out.read_text(encoding="utf-8")


def test_interactions_and_effects_show_under_the_measure(steel, kb):
    assert kb.measures["steel.orc_waste_heat_power"].measure.interactions.after == ["steel.low_temp_heat_multi_supply"]
    md = render_report(steel, "md", "en", kb=kb)
    assert "comes after “Low-temperature waste heat" in md
    doc = Document(io.BytesIO(render_report(steel, "docx", "zh", kb=kb)))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any("宜在“低温余热多联供”之后实施" in c for c in cells)
    assert any("烧结固体燃耗降低" in c and "未核实" in c for c in cells)  # a typical effect with its mark
