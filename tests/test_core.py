"""Core behaviour: profile validation, results, explanations, CLI."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cpadvisor.cli.app import app
from cpadvisor.errors import InputError
from cpadvisor.models.profile import credit_code_check_char, validate_credit_code
from cpadvisor.errors import KnowledgeError
from tests.conftest import EXAMPLES, demo_pack
from cpadvisor.knowledge.loader import load_knowledge
from cpadvisor.advisor import assess, explain

runner = CliRunner()


def test_credit_code_check_digit():
    body = "91430300MA4QDL0JX"
    assert validate_credit_code(body + credit_code_check_char(body)) == body + credit_code_check_char(body)
    wrong = "0" if credit_code_check_char(body) != "0" else "1"
    with pytest.raises(ValueError, match="check digit"):
        validate_credit_code(body + wrong)


def test_steel_example_end_to_end(kb):
    a = assess(EXAMPLES / "steel_plant.yaml", kb=kb)
    rec = {f.measure_id: f for f in a.recommended}
    # toxic substances (双有): 促进法 第二十七条第二款第（三）项, read: the mandatory audit applies on the facts; the
    # list is not stated, so its deadlines run "from the list's publication (date to fill)" and the list is asked
    assert a.audit_type() == "mandatory"
    assert a.finding("policy.voluntary_audit") is None
    duties = {d.id: d for d in a.finding("policy.mandatory_audit").duties}
    assert "emissions.on_mandatory_list" in duties["complete_audit"].needs
    assert "（公布日期待填）" in duties["complete_audit"].note.zh
    assert rec["steel.sinter_flue_gas_recirculation"].units == ["SJ1"]
    assert rec["steel.bf_top_gas_equalizing_recovery"].units == ["GL1"]
    assert "common.wastewater_recycling" not in rec  # in place
    assert a.finding("common.wastewater_recycling").status == "in_place"
    for f in a.recommended:
        assert f.clause and f.reason and f.conditions and all(c.outcome == "true" for c in f.conditions)
    assert a.knowledge_version == kb.version
    bf = next(b for b in a.benchmarks if b.product_key == "steel_blast_furnace")
    assert bf.gap_to_benchmark == pytest.approx(398 - 361)
    assert bf.saving_tce_per_year == pytest.approx((398 - 361) * 2_800_000 / 1000)
    assert all(not lv.verified and lv.source for lv in bf.levels)


def test_sector_measure_supersedes_general_one_on_same_unit(kb):
    a = assess({"name": "x", "sectors": ["steel"], "attributes": {"low_temp_heat_demand_nearby": False},
                   "units": [{"id": "S1", "type": "sintering_machine",
                              "attributes": {"low_temp_waste_heat_unused": True, "waste_heat_unrecovered": True}}]}, kb=kb)
    assert a.finding("steel.orc_waste_heat_power").status == "applies"
    general = a.finding("common.waste_heat_recovery")
    assert general.status == "superseded" and general.superseded_by and general.note


def test_multi_sector_enterprise_gets_each_sectors_measures(kb):
    a = assess(EXAMPLES / "steel_plant.yaml", kb=kb)
    packs = {f.pack for f in a.recommended}
    assert {"steel", "vocs", "common"} <= packs
    assert "policy.mandatory_audit" in {f.measure_id for f in a.recommended}  # 第二十七条第二款 met on the facts


def test_to_verify_lists_missing_facts(kb):
    a = assess({"name": "x", "sectors": ["steel"], "units": [{"id": "S1", "type": "industrial_kiln"}]}, kb=kb)
    f = a.finding("common.kiln_clean_fuel_substitution")
    assert f.status == "to_verify" and "unit.fuel" in f.missing and f.units == ["S1"]


def test_explain_names_failed_condition(kb):
    prof = {"name": "x", "sectors": ["steel"],
            "units": [{"id": "S1", "type": "industrial_kiln", "fuel": "natural_gas"}]}
    e = explain(prof, "common.kiln_clean_fuel_substitution", kb=kb)
    assert e.status == "not_applicable"
    failed = [c for t in e.traces for c in t.conditions if c.outcome == "false"]
    assert any("fuel in" in c.text and c.value["fuel"] == "natural_gas" for c in failed)
    with pytest.raises(InputError, match="did you mean"):
        explain(prof, "steel.sinter_flue_gas_recirculatio", kb=kb)


def test_explain_no_such_unit(kb):
    e = explain({"name": "x", "sectors": ["paper"]}, "steel.hot_charging", kb=kb)
    assert e.status == "not_applicable" and all(t.outcome == "false" for t in e.traces)


def test_in_place_never_recommended(kb):
    a = assess({"name": "x", "size": "large", "attributes": {"has_energy_carbon_platform": False},
                   "measures_in_place": ["common.energy_carbon_digital_platform"]}, kb=kb)
    assert a.finding("common.energy_carbon_digital_platform").status == "in_place"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_assesses(kb, path):
    a = assess(path, kb=kb)
    assert a.findings and a.profile_name
    res = runner.invoke(app, ["assess", str(path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["knowledge_version"] == kb.version and data["findings"]


def test_examples_cover_every_sector_and_a_park(kb):
    from cpadvisor.intake.profiles import load_profile
    profiles = [load_profile(p, kb) for p in EXAMPLES.glob("*.yaml")]
    sectors = {s for p in profiles if p.kind == "enterprise" for s in p.sectors}
    assert set(kb.vocab.sectors) <= sectors
    assert any(p.kind == "park" for p in profiles)
    assert len(profiles) >= 11


def test_cli_explain_and_measures_and_schema():
    res = runner.invoke(app, ["explain", str(EXAMPLES / "cement_plant.yaml"), "building_materials.cement_ultra_low_emission"])
    assert res.exit_code == 0 and "rule" in res.output
    res = runner.invoke(app, ["measures", "--pack", "steel", "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 9
    res = runner.invoke(app, ["measures", "--pack", "steal"])
    assert res.exit_code == 2 and "did you mean 'steel'" in res.output
    res = runner.invoke(app, ["schema"])
    schema = json.loads(res.stdout)
    assert res.exit_code == 0 and "EnterpriseProfile" in json.dumps(schema)


def test_cli_bad_profile_exit_2(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nsectors: [steel]\nunits:\n  - type: sintering_machin\n", encoding="utf-8")
    res = runner.invoke(app, ["assess", str(p)])
    assert res.exit_code == 2
    assert "bad.yaml:4" in res.output and "did you mean 'sintering_machine'" in res.output


def test_industry_code_maps_to_pack(kb):
    a = assess({"name": "x", "industry_codes": ["3110"], "units": [{"type": "sintering_machine",
                   "attributes": {"sinter_flue_gas_recirculation": False}}]}, kb=kb)
    assert a.finding("steel.sinter_flue_gas_recirculation").status == "applies"


def test_park_gets_park_measures_only(kb):
    a = assess(EXAMPLES / "chemical_park.yaml", kb=kb)
    assert a.profile_kind == "park"
    assert a.recommended and all(f.pack == "parks" for f in a.findings)


def test_assess_save_then_history(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    prof = tmp_path / "p.yaml"
    prof.write_text((EXAMPLES / "cement_plant.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(app, ["assess", str(prof), "--db", db, "--json"]).exit_code == 0
    again = runner.invoke(app, ["assess", str(prof), "--db", db])
    assert again.exit_code == 0 and "already stored" in again.output
    # the enterprise changes: a second record, and history shows what changed
    text = prof.read_text(encoding="utf-8")
    assert "measures_in_place: [common.key_equipment_digitalization]" in text
    prof.write_text(text.replace("measures_in_place: [common.key_equipment_digitalization]", "measures_in_place: "
                                 "[common.key_equipment_digitalization, building_materials.cement_ultra_low_emission]"),
                    encoding="utf-8")
    assert runner.invoke(app, ["assess", str(prof), "--db", db, "--save"]).exit_code == 0
    res = runner.invoke(app, ["history", "湘中南方水泥", "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    assert "building_materials.cement_ultra_low_emission" in res.output


def test_forward_chain_product_energy_to_mandatory_audit(kb):
    """product grade 4 -> derived energy_quota_exceeded -> derived mandatory_audit -> voluntary blocked."""
    base = {"name": "x", "sectors": ["building_materials"],
            "emissions": {"over_standard": False, "over_total_quota": False, "toxic_hazardous": False,
                          "on_mandatory_list": False}}
    over = assess({**base, "products": [{"name": "熟料", "key": "cement_clinker", "unit_energy": 125}]}, kb=kb)
    # the quota levels are transcribed (verified: false): the chain runs, but the legal finding is to verify
    assert not {"energy_quota_exceeded", "mandatory_audit"} & set(over.derived)
    f = over.finding("policy.mandatory_audit")
    assert f.status == "to_verify"
    assert "derived.energy_quota_exceeded" in f.missing
    assert "verify.building_materials.cement_clinker.quota_3" in f.missing
    assert over.finding("policy.voluntary_audit").status == "to_verify"
    verified = load_knowledge(use_cache=False)  # the same numbers, once verified, make it apply
    for tid, t in verified.thresholds.items():
        if t.product == "cement_clinker":
            verified.thresholds[tid] = t.model_copy(update={"verified": True})
    for cr in verified.rules:  # and as if 第八条's text had been read (it is known only as restated)
        if cr.measure_id == "policy.mandatory_audit":
            cr.texts = []
    # (the plain evaluator: durable's rulesets are shared by every knowledge base of the same version)
    sure = assess({**base, "products": [{"name": "熟料", "key": "cement_clinker", "unit_energy": 125}]}, kb=verified,
                  engine="plain")
    assert {"energy_quota_exceeded", "mandatory_audit"} <= set(sure.derived)
    assert sure.finding("policy.mandatory_audit").status == "applies"
    assert sure.finding("policy.voluntary_audit") is None
    plain = assess({**base, "products": [{"name": "熟料", "key": "cement_clinker", "unit_energy": 125}]}, kb=kb,
                   engine="plain")
    assert plain.finding("policy.mandatory_audit").status == "to_verify"
    declared = assess({**base, "emissions": {**base["emissions"], "energy_over_quota": False},
                          "products": [{"name": "熟料", "key": "cement_clinker"}]}, kb=kb)
    assert declared.finding("policy.mandatory_audit") is None  # `is not false`: the declaration wins
    assert declared.finding("policy.voluntary_audit").status == "applies"


def test_out_of_order_quota_levels_give_no_grade_or_gap(kb):
    """GB 21258-2024 600 MW levels are out of order as transcribed: no grade, no gap, a warning instead."""
    a = assess({"name": "x", "sectors": ["power"],
                   "products": [{"name": "供电", "key": "coal_power_sc_600mw", "unit_energy": 300}]}, kb=kb)
    b = a.benchmarks[0]
    assert b.gap_to_benchmark is None and b.gap_target is None
    assert "顺序异常" in b.rating.zh and "out of order" in b.rating.en


def test_required_pack_must_be_loaded(make_kb):
    with pytest.raises(KnowledgeError, match="requires pack 'nowhere'"):
        make_kb({"demo/pack.yaml": demo_pack().replace("  sector: true\n", "  sector: true\n  requires: [nowhere]\n")})


def test_piped_output_is_plain_lines_not_a_wrapped_box():
    """Issue 32: piped, the table wrapped at 80 columns and became unreadable; one plain line a finding now."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "cpadvisor", "assess", str(EXAMPLES / "steel_plant.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 0
    assert not set("┃┏━│") & set(r.stdout)
    lines = r.stdout.splitlines()
    assert lines[1].startswith("措施编号 | 名称 | 状态")
    row = next(x for x in lines if x.startswith("policy.mandatory_audit | "))
    assert "第二十七条第二款" in row  # the whole reason on its one line
