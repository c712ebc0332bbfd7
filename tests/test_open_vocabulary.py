"""Issue 29: common Hunan equipment, fuels and wastes are entered as the plant names them and reach the
family's measures; a Liling tile plant goes through the workbook without substitution."""
from __future__ import annotations

from pathlib import Path

import pytest

from cpadvisor import assess, render_report
from cpadvisor.intake.labels import Labels
from cpadvisor.intake.profiles import load_profile, validate_profile
from cpadvisor.intake.workbook import write_workbook

LILING = {
    "name": "醴陵某陶瓷有限公司", "sectors": ["building_materials"], "subsectors": ["ceramics"],
    "total_energy_tce": "26000吨标煤",
    "units": [
        {"id": "1号辊道窑", "type": "ceramic_kiln", "fuel": "producer_gas"},
        {"id": "2号辊道窑", "type": "ceramic_kiln", "fuel": "producer_gas"},
        {"id": "煤气发生炉", "type": "coal_gasifier", "fuel": "coal"},
        {"id": "喷雾干燥塔", "type": "spray_dryer", "fuel": "coal_water_slurry"},
    ],
    "products": [{"name": "陶瓷砖", "key": "ceramic_tile_wa_0_5_to_10", "annual_output": 1800,
                  "output_unit": "万m²"}],
    "solid_wastes": [{"kind": "other", "name": "废瓷片", "annual_t": 4000, "disposal": "utilised"},
                     {"kind": "other", "name": "废釉", "hazardous": True}],
    "attributes": {"water_recycling_pct": 60},
}


def test_producer_gas_gasifier_spray_dryer_and_slurry_are_words_of_the_vocabulary(kb):
    v, idx = kb.vocab, Labels(kb.vocab).index
    assert idx["fuels"]["发生炉煤气"] == {"producer_gas"} and idx["fuels"]["水煤浆"] == {"coal_water_slurry"}
    assert idx["unit_types"]["煤气发生炉"] == {"coal_gasifier"} and idx["unit_types"]["喷雾干燥塔"] == {"spray_dryer"}
    assert idx["waste_kinds"]["电解锰渣"] == {"manganese_residue"} and idx["waste_kinds"]["废瓷片"] == {"waste_ceramic"}
    assert "kiln_or_furnace" in v.families_of("coal_gasifier") and "dryer" in v.families_of("spray_dryer")


def test_liling_plant_names_each_unit_and_waste_as_given(kb):
    a = assess(LILING, kb=kb)
    f = a.finding("common.kiln_clean_fuel_substitution")
    assert f.status == "applies" and sorted(f.units) == ["喷雾干燥塔", "煤气发生炉"]
    md = render_report(a, "md", "zh", kb=kb)
    for word in ("煤气发生炉", "喷雾干燥塔", "发生炉煤气", "水煤浆", "废瓷片（其他固废）", "废釉（其他固废）", "水重复利用率"):
        assert word in md, word
    assert "工业废水回用率 60" not in md  # 60 % 水重复利用率 is not taken for the wastewater reuse rate
    en = render_report(a, "md", "en", kb=kb)
    assert "废瓷片 (Other solid waste)" in en and "Producer gas" in en


def test_liling_plant_goes_through_the_workbook_without_substitution(kb, tmp_path: Path):
    profile = validate_profile(LILING, kb)
    path = tmp_path / "liling.xlsx"
    path.write_bytes(write_workbook(kb, profile.model_dump(mode="json")))
    got = load_profile(path, kb)
    assert [u.type for u in got.units] == ["ceramic_kiln", "ceramic_kiln", "coal_gasifier", "spray_dryer"]
    assert [u.fuel for u in got.units] == ["producer_gas", "producer_gas", "coal", "coal_water_slurry"]
    assert [(w.kind, w.name) for w in got.solid_wastes] == [("other", "废瓷片"), ("other", "废釉")]
    assert got.attributes["water_recycling_pct"] == 60 and got.total_energy_tce == 26000
    assert got.model_dump(mode="json") == profile.model_dump(mode="json")


def test_data_request_asks_the_numbers_and_the_unstated_list(kb):
    """Issue 29: a verdict the engine derives from numbers is asked as the numbers; an empty list of shared
    facilities is "not stated" and asked, not taken for none."""
    from cpadvisor.report.request import requests
    a = assess({"name": "某园区", "kind": "park", "level": "provincial"}, kb=kb)
    keys = {r.path for r in requests(kb, a)}
    assert {"energy_mix.coal", "energy_mix.oil", "shared_facilities"} <= keys
    assert "attributes.park_coal_oil_dominant" not in keys
    a = assess({"name": "某园区", "kind": "park", "shared_facilities": ["none"], "energy_mix": {"coal": 0.2}}, kb=kb)
    keys = {r.path for r in requests(kb, a)}
    assert "shared_facilities" not in keys and a.finding("parks.new_energy_microgrid").status == "applies"


def test_the_requests_list_answers_merge_as_lists(kb):
    """Issue 29/32: a list the request asks for (shared facilities, measures in place) is answered in words
    separated by 、; the answer merges as a list of keys, and 无 says none, which closes the question."""
    from cpadvisor.intake.answers import merge_answers
    from cpadvisor.report.request import requests
    park = {"name": "某园区", "kind": "park"}
    data, _ = merge_answers(kb, park, [("shared_facilities", "集中污水处理厂、集中供热", "资料清单!H3")])
    assert validate_profile(data, kb).shared_facilities == ["wastewater_plant", "centralized_heating"]
    plant = {"name": "某机械厂", "electricity_mwh": 5000, "size": "large",
             "units": [{"id": "AC1", "type": "air_compressor"}]}
    a = assess(plant, kb=kb)
    row = next(r for r in requests(kb, a) if r.path == "measures_in_place")
    assert "按未实施" in row.fact and "无" in row.allowed and row.every_recommendation
    assert "common.smart_microgrid" in row.waiting
    data, _ = merge_answers(kb, plant, [("measures_in_place", "智能微电网建设；common.energy_carbon_digital_platform",
                                         "资料清单!H9")])
    done = assess(validate_profile(data, kb), kb=kb)
    assert done.finding("common.smart_microgrid").status == "in_place"
    assert done.finding("common.energy_carbon_digital_platform").status == "in_place"
    assert "measures_in_place" not in {r.path for r in requests(kb, done)}
    data, _ = merge_answers(kb, plant, [("measures_in_place", "无", "资料清单!H9")])
    none = assess(validate_profile(data, kb), kb=kb)
    assert none.profile["measures_in_place"] == ["none"] and none.finding("common.smart_microgrid").status == "applies"
    assert "measures_in_place" not in {r.path for r in requests(kb, none)}


@pytest.mark.parametrize("word,key,family", [
    ("锌电解车间", "zinc_electrolysis", "electrolyser"), ("电解锰电解车间", "manganese_electrolysis", "electrolyser"),
    ("电镀线", "plating_line", None), ("定型机", "stenter", "dryer"), ("LF炉", "ladle_furnace", "kiln_or_furnace"),
    ("制酸系统", "acid_plant", None), ("热电联产机组", "chp_unit", "generating_unit"), ("电机", "motor", "motor_system"),
])
def test_held_out_plants_equipment_is_in_the_vocabulary(kb, word, key, family):
    assert Labels(kb.vocab).index["unit_types"][word.casefold()] == {key}
    if family:
        assert family in kb.vocab.families_of(key)


def test_a_unit_the_list_lacks_is_entered_by_its_family_and_the_familys_measures_reach_it(kb):
    """Issue 29: a tunnel kiln the list lacks is entered as a kiln or furnace, with its own name kept; a boiler
    of no listed type as a boiler; the suggestion for a mistyped family never crosses families."""
    a = assess({"name": "x", "units": [{"id": "隧道窑", "type": "kiln_or_furnace", "fuel": "coal"},
                                       {"id": "导热油炉", "type": "boiler", "fuel": "coal"}]}, kb=kb)
    assert a.finding("common.kiln_clean_fuel_substitution").units == ["隧道窑"]
    assert a.finding("common.coal_boiler_substitution").units == ["导热油炉"]
    md = render_report(a, "md", "zh", kb=kb)
    assert "隧道窑（工业炉窑（窑炉、熔炉、加热炉））" in md
    assert Labels(kb.vocab).index["unit_types"]["锅炉"] == {"boiler"}
    from cpadvisor.errors import InputError
    with pytest.raises(InputError) as exc:
        assess({"name": "x", "units": [{"type": "kiln_or_furnance"}]}, kb=kb)
    assert "kiln_or_furnace" in str(exc.value) and "ladle_furnace" not in str(exc.value)


@pytest.mark.parametrize("word,offered", [
    ("两段炉煤气", None), ("水煤气", None), ("转炉气", "bof_gas"), ("焦炉气", "coke_oven_gas"), ("发生炉气", "producer_gas"),
    ("高炉媒气", "blast_furnace_gas"), ("converter gas", None), ("沼气", "biogas"),
])
def test_did_you_mean_never_offers_a_word_of_another_kind(kb, word, offered):
    """Issue 29: a did-you-mean must share what tells the word apart from its neighbours: a two-stage gasifier's
    gas is never offered 高炉煤气 (its 高 is missing), a converter gas never 高炉煤气; a typo within a word still is."""
    from cpadvisor.intake.labels import labels_of
    hint = labels_of(kb).hint("fuels", word)
    if offered is None:
        assert "did you mean" not in hint and "blast_furnace_gas' (" not in hint, hint
    else:
        assert f"did you mean '{offered}'" in hint, hint


def test_the_workbooks_notes_are_kept_and_shown(kb, tmp_path):
    """Issue 29: the 备注 column of the item sheets was dropped on reading; it is kept through the workbook, in
    YAML and JSON, and printed in the report's unit and waste tables."""
    profile = validate_profile({**LILING, "units": [{**LILING["units"][2], "notes": "两段式，2019年投运"}] + LILING["units"][:2],
                                "solid_wastes": [{**LILING["solid_wastes"][0], "notes": "回用于坯料"}]}, kb)
    path = tmp_path / "liling.xlsx"
    path.write_bytes(write_workbook(kb, profile.model_dump(mode="json")))
    got = load_profile(path, kb)
    assert got.units[0].notes == "两段式，2019年投运" and got.solid_wastes[0].notes == "回用于坯料"
    md = render_report(assess(got, kb=kb), "md", "zh", kb=kb)
    assert "备注: 两段式，2019年投运" in md and "废瓷片（其他固废）（回用于坯料）" in md


def test_a_product_without_stored_levels_is_shown_not_compared(kb):
    """Issue 29: whole-works crude steel, lead bullion and the 600 MW subcritical, 350 MW supercritical and 50 MW
    CHP classes are entered by name; their figure is shown in the benchmarks, and nothing is compared or
    invented, since no stored standard gives their levels."""
    a = assess({"name": "x", "sectors": ["steel"], "products": [
        {"name": "粗钢", "key": "粗钢（全厂吨钢综合能耗）", "annual_output": 500, "output_unit": "万吨", "unit_energy": 560},
        {"name": "3号机组", "key": "coal_power_sc_350mw", "unit_energy": 305},
        {"name": "粗铅", "key": "lead_bullion", "unit_energy": 320},
        {"name": "热电", "key": "coal_chp_50mw", "unit_energy": 380},
        {"name": "1号机", "key": "coal_power_subc_600mw", "unit_energy": 320}]}, kb=kb)
    got = {b.product_key: b for b in a.benchmarks}
    assert set(got) == {"crude_steel_whole_works", "coal_power_sc_350mw", "lead_bullion", "coal_chp_50mw",
                        "coal_power_subc_600mw"}
    for b in got.values():
        assert not b.levels and b.gap_to_benchmark is None and b.saving_tce_per_year is None and "未作比较" in b.rating.zh
    md = render_report(a, "md", "zh", kb=kb)
    assert "粗钢（全厂吨钢综合能耗）" in md and "560 kgce/t" in md and "已收录的标准中无该产品的限额或标杆值" in md


def test_a_second_fuel_goes_through_the_workbook_and_reaches_the_rules(kb, tmp_path):
    """Issue 29: a unit's second fuel (back-up, co-firing) is entered in the workbook's 其他燃料 column, kept, shown
    beside the main fuel, and the rules on coal, slurry, petroleum coke or heavy oil read it."""
    profile = validate_profile({"name": "某砖瓦厂", "sectors": ["building_materials"], "units": [
        {"id": "隧道窑", "type": "industrial_kiln", "fuel": "天然气", "other_fuels": ["水煤浆"]}]}, kb)
    path = tmp_path / "kiln.xlsx"
    path.write_bytes(write_workbook(kb, profile.model_dump(mode="json")))
    got = load_profile(path, kb)
    assert got.units[0].other_fuels == ["coal_water_slurry"]
    a = assess(got, kb=kb)
    assert a.finding("common.kiln_clean_fuel_substitution").status == "applies"
    assert "天然气、水煤浆" in render_report(a, "md", "zh", kb=kb)


def test_voc_figures_and_motor_class_are_entered_kept_and_shown(kb, tmp_path):
    """Issue 29: a VOC operation's capture efficiency and the coating's VOC content (g/L), and a motor's IE class,
    go through the workbook and are printed with their units; nothing compares them (no stored level)."""
    profile = validate_profile({"name": "某机械厂", "sectors": ["vocs"], "subsectors": ["industrial_coating"],
                                "voc_operations": [{"kind": "coating", "material": "solvent_coating",
                                                    "capture_efficiency_pct": 65, "voc_content_g_l": 420}],
                                "units": [{"id": "M1", "type": "电机", "count": 40,
                                           "attributes": {"motor_ie_class": "IE2"}}]}, kb)
    path = tmp_path / "coat.xlsx"
    path.write_bytes(write_workbook(kb, profile.model_dump(mode="json")))
    got = load_profile(path, kb)
    assert got.voc_operations[0].capture_efficiency_pct == 65 and got.voc_operations[0].voc_content_g_l == 420
    assert got.units[0].attributes["motor_ie_class"] == "ie2" and got.units[0].count == 40
    md = render_report(assess(got, kb=kb), "md", "zh", kb=kb)
    assert "65 %" in md and "420 g/L" in md and "电动机能效等级（IE）: IE2" in md


def test_caustic_soda_100pct_is_entered_and_not_compared_with_the_rows_by_concentration(kb):
    """Issue 29: a held-out plant reports 100 % caustic soda (折百). GB 21257-2024's stored rows are by the
    product's concentration (≥30 %, ≥45 %, ≥98 %); whether their tonne is 折百 was not read, so the figure is
    shown with that reason and nothing is converted or compared."""
    a = assess({"name": "氯碱厂", "sectors": ["petrochem"], "products": [
        {"name": "烧碱", "key": "烧碱（折100%）", "annual_output": 20, "output_unit": "万吨", "unit_energy": 330}]}, kb=kb)
    b = a.benchmarks[0]
    assert b.product_key == "caustic_soda_100pct" and not b.levels and b.saving_tce_per_year is None
    assert "折百" in b.rating.zh and "GB 21257" in b.rating.zh and "100 %" in b.rating.en
    assert a.profile["products"][0]["annual_output"] == 200000  # 万吨 converted at intake


@pytest.mark.parametrize("word,key", [("电解槽", "electrolyser"), ("精馏塔", "distillation_column"),
                                      ("焦炉", "coke_oven_battery"), ("电机系统", "motor_system"),
                                      ("导热油炉", "industrial_boiler"), ("有机热载体锅炉", "industrial_boiler"),
                                      ("烘箱", "dryer"), ("烘干机", "dryer")])
def test_a_unit_is_named_by_its_short_word(kb, word, key):
    """Issue 29 (a held-out electrolytic manganese plant): 电解槽 was refused because the label reads 电解槽（电解系统）;
    a label's words before its bracket are accepted where no other word is written so."""
    p = validate_profile({"name": "x", "units": [{"id": "U1", "type": word}]}, kb)
    assert p.units[0].type == key


def test_a_bracketed_short_word_never_takes_an_exact_label(kb):
    from cpadvisor.intake.labels import labels_of
    lab = labels_of(kb)
    assert lab.lookup("unit_types", "工业炉窑") == ("industrial_kiln", [])  # not kiln_or_furnace's 工业炉窑（…）


@pytest.mark.parametrize("word,fuel,typ", [("燃煤锅炉", "coal", "boiler"), ("生物质锅炉", "biomass", "boiler"),
                                           ("天然气锅炉", "natural_gas", "boiler"),
                                           ("燃煤工业锅炉", "coal", "industrial_boiler"),
                                           ("水煤浆干燥窑", "coal_water_slurry", "drying_kiln")])
def test_a_fuel_written_into_the_unit_word_is_its_fuel(kb, word, fuel, typ):
    """Issue 29: a consultant writes 燃煤锅炉, the fuel and the unit in one word: both are read, and the boiler
    rules reach it without asking the fuel."""
    p = validate_profile({"name": "x", "units": [{"id": "GL1", "type": word}]}, kb)
    assert (p.units[0].type, p.units[0].fuel) == (typ, fuel)
    if fuel == "coal" and typ == "boiler":
        f = assess(p, kb=kb).finding("common.coal_boiler_substitution")
        assert f.status == "applies" and f.units == ["GL1"]


def test_a_fuel_given_beside_the_unit_word_wins(kb):
    p = validate_profile({"name": "x", "units": [{"id": "GL1", "type": "燃煤锅炉", "fuel": "生物质"}]}, kb)
    assert (p.units[0].type, p.units[0].fuel) == ("boiler", "biomass")


def test_a_word_that_is_no_fuel_and_unit_is_still_refused(kb):
    from cpadvisor.errors import InputError
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "units": [{"id": "U1", "type": "燃煤飞船"}]}, kb)
    assert "燃煤飞船" in str(exc.value)


def test_a_ceramic_plant_in_its_own_words(kb):
    """Issue 29 (the Liling plant written as YAML, not through the workbook's drop-downs): 辊道窑, 厂内回用 and 其他危废
    are the consultant's words for a ceramic kiln, reuse on site and a hazardous waste of no listed kind."""
    p = validate_profile({"name": "醴陵某陶瓷厂", "sectors": ["建材"], "units": [
        {"id": "1号辊道窑", "type": "辊道窑", "fuel": "发生炉煤气"}, {"id": "2号窑", "type": "梭式窑", "fuel": "天然气"}],
        "solid_wastes": [{"name": "废瓷片", "kind": "废瓷", "annual_t": 4000, "disposal": "厂内回用"},
                         {"name": "废釉", "kind": "其他危废", "annual_t": 50, "disposal": "委外处置"}]}, kb)
    assert [u.type for u in p.units] == ["ceramic_kiln", "ceramic_kiln"]
    assert [w.disposal for w in p.solid_wastes] == ["utilised", "entrusted"]
    assert p.solid_wastes[1].kind == "other_hazardous" and p.solid_wastes[1].hazardous is True
    assert validate_profile({"name": "x", "solid_wastes": [{"kind": "危险废物", "hazardous": False}]},
                            kb).solid_wastes[0].hazardous is False  # a flag written beside it wins


def test_a_mistyped_attribute_is_offered_with_its_chinese_label(kb):
    """Issue 29: water_reuse_pct was offered wastewater_reuse_pct alone, while 水重复利用率 is water_recycling_pct; the
    label beside the offer lets the consultant see that 工业废水回用率 is another figure."""
    from cpadvisor.errors import InputError
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "attributes": {"water_reuse_pct": 60}}, kb)
    assert "did you mean 'wastewater_reuse_pct' (工业废水回用率)?" in str(exc.value)


def test_an_eaf_plant_in_its_own_words(kb):
    """Issue 29 (a held-out EAF works): 钢渣 is a smelting slag, 转炉钢 the BOF process, 粗钢 the whole-works figure;
    电炉钢 fits three EAF classes, so the message lists them with their labels, to pick by the furnace's size."""
    from cpadvisor.errors import InputError
    p = validate_profile({"name": "x", "sectors": ["钢铁"], "products": [
        {"name": "转炉钢", "key": "转炉钢"}, {"name": "粗钢", "key": "粗钢"}],
        "solid_wastes": [{"kind": "钢渣", "annual_t": 120000, "disposal": "外售"}]}, kb)
    assert [x.key for x in p.products] == ["steel_bof", "crude_steel_whole_works"]
    assert p.solid_wastes[0].kind == "slag"
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "products": [{"name": "电炉钢", "key": "电炉钢"}]}, kb)
    msg = str(exc.value)
    assert "steel_eaf_ge70t (电弧炉工序（公称容量≥70t）)" in msg and "steel_eaf_lt50t" in msg


def test_an_electric_furnace_is_not_asked_its_fuel(kb):
    """Issue 29: a ladle furnace (LF) or an EAF heats with electric arcs; the word says its fuel, so the kiln fuel
    rule does not ask it. A fuel written beside it still wins."""
    a = assess({"name": "x", "sectors": ["steel"], "units": [{"id": "LF1", "type": "LF炉"},
                                                             {"id": "DL1", "type": "电弧炉"}]}, kb=kb)
    assert [u["fuel"] for u in a.profile["units"]] == ["electricity", "electricity"]
    f = a.finding("common.kiln_clean_fuel_substitution")
    assert f is None or f.status == "not_applies" or "LF1" not in f.units


def test_a_fine_chemicals_plant_in_its_own_words(kb):
    """Issue 29: 反应釜 is a batch reactor, an RTO is entered as an abatement unit (shown, no measure reads it), 储罐
    is storage and loading; 有机溶剂 fits both solvent classes, so the message lists both with their labels."""
    from cpadvisor.errors import InputError
    p = validate_profile({"name": "x", "sectors": ["石化化工"], "units": [
        {"id": "1号釜", "type": "反应釜"}, {"id": "RTO", "type": "RTO"}],
        "voc_operations": [{"kind": "储罐"}, {"kind": "精馏"}]}, kb)
    assert [u.type for u in p.units] == ["batch_reactor", "abatement_unit"]
    assert [o.kind for o in p.voc_operations] == ["storage_loading", "purification"]
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "voc_operations": [{"kind": "synthesis", "material": "有机溶剂"}]}, kb)
    assert "high_voc_solvent (高VOCs含量或高反应活性有机溶剂)" in str(exc.value) and "low_voc_solvent" in str(exc.value)


@pytest.mark.parametrize("word,key", [("食品", "food"), ("化工", "petrochem"), ("石化", "petrochem"),
                                      ("有色", "nonferrous"), ("火电", "power"), ("制浆造纸", "paper")])
def test_sectors_by_their_short_words(kb, word, key):
    """Issue 29 (a park written in its own words): 食品 was refused for 食品加工行业."""
    assert validate_profile({"name": "x", "sectors": [word]}, kb).sectors == [key]


def test_a_core_field_written_as_an_attribute_says_where_it_goes(kb):
    """A consultant writes electricity_mwh under attributes: the message says it is a field of the profile itself,
    not a retired attribute it resembles."""
    from cpadvisor.errors import InputError
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "attributes": {"electricity_mwh": 5000}}, kb)
    msg = str(exc.value)
    assert "'electricity_mwh' is a field of the profile itself" in msg and "large_electricity_consumer" not in msg
    with pytest.raises(InputError) as exc:
        validate_profile({"name": "x", "units": [{"id": "G1", "type": "boiler", "attributes": {"fuel": "coal"}}]}, kb)
    assert "'fuel' is a field of the unit itself" in str(exc.value)


def test_a_tea_workshop_in_its_own_words(kb):
    """茶叶, 杀青机 and 柴 are a tea processor's words for its subsector, its fixing machine and its firewood."""
    p = validate_profile({"name": "x", "sectors": ["食品"], "subsectors": ["茶叶"],
                          "units": [{"id": "杀青机", "type": "杀青机", "fuel": "柴"}]}, kb)
    assert (p.subsectors, p.units[0].type, p.units[0].fuel) == (["tea"], "tea_processing_machine", "firewood")
