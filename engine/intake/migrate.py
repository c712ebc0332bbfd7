"""Deprecated profile forms, upgraded on intake with a one-line notice (and by ``cpadvisor migrate``).

A profile valid in an earlier version stays valid: each upgrade names what it matches, what it becomes,
the version that replaced it and why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UnitUpgrade:
    """A production unit written in a replaced form."""

    match: dict[str, Any]  # unit fields (after label normalisation) that identify the old form
    becomes: dict[str, Any]  # fields to set
    attributes: dict[str, Any] = field(default_factory=dict)  # attributes to set where not given
    since: str = ""
    why_zh: str = ""
    why_en: str = ""


UPGRADES: tuple[UnitUpgrade, ...] = (
    UnitUpgrade(
        match={"type": "captive_power_plant", "fuel": "coal"},
        becomes={"type": "coal_power_unit"},
        attributes={"power_captive": True},
        since="0.3",
        why_zh="燃煤自备电厂统一写作 coal_power_unit + power_captive: true（所有燃煤机组措施均据此判断）",
        why_en="a captive coal plant is written coal_power_unit with power_captive: true (every coal-unit measure reads that)"),
)


@dataclass(frozen=True)
class Retired:
    """An enterprise attribute that decides nothing any more: still accepted (and kept), named in a notice."""

    since: str
    instead: tuple[str, ...]  # the attributes that decide now
    why_zh: str
    why_en: str
    on: str = "profile"  # profile (an enterprise's or a park's own attributes) or unit


RETIRED: dict[str, Retired] = {
    "small_env_impact": Retired(
        since="0.3", instead=("permit_category", "key_pollutant_discharger", "heavy_metals"),
        why_zh="“环境影响较小”是四(三)原话，不作判断依据；简化审核按排污许可管理类别、是否列入重点排污单位名录、是否涉重金属判断，"
               "请填写 permit_category、key_pollutant_discharger、heavy_metals",
        why_en="the policy's own words (四(三)) are not a fact to decide on; the simplified audit is decided on the "
               "permit's management category, the key dischargers list and heavy metals"),
    "large_electricity_consumer": Retired(
        since="0.3", instead=("electricity_mwh",),
        why_zh="“用电大户”没有出处可查的判定限值；智能微电网按年用电量（electricity_mwh）给出建议并说明，请填写年用电量",
        why_en="no sourced cut-off defines a large consumer; the smart microgrid is recommended on the yearly "
               "electricity use, which is shown as the reason"),
    "low_scrap_ratio": Retired(
        since="0.3", instead=("scrap_ratio_pct",),
        why_zh="“废钢比偏低”没有出处可查的判定限值；按废钢比数值给出建议并说明（低于100%即有提升空间），请填写废钢比",
        why_en="no sourced cut-off defines a low scrap ratio; the measure is recommended on the ratio itself (room "
               "below 100 %), shown as the reason"),
    "large_renewable_potential": Retired(
        since="0.3", instead=("roof_land_area_m2", "roof_or_land_available"),
        why_zh="“风光资源开发潜力大”没有出处可查的判定限值；风光储氢按用氢需求或可利用的屋顶、土地面积给出建议并说明，请填写可利用面积",
        why_en="no sourced level defines a large potential; the measure is recommended on hydrogen demand or the usable "
               "roof and land area, shown as the reason"),
    "wastewater_reuse_low": Retired(
        since="0.3", instead=("wastewater_reuse_pct",),
        why_zh="“工业废水回用率偏低”没有出处可查的判定限值；按回用率数值给出建议并说明（低于100%即有提升空间），请填写工业废水回用率",
        why_en="no sourced cut-off defines a low reuse rate; the measure is recommended on the rate itself (room "
               "below 100 %), shown as the reason"),
    "paper_high_water_intake": Retired(
        since="0.3", instead=("paper_water_intake_m3_t",),
        why_zh="“吨产品取水量偏高”没有出处可查的判定限值；梯级用水按吨产品取水量数值给出建议并排序说明（有产品的清洁生产先进值时以产品对标为准），"
               "请填写吨产品取水量",
        why_en="no sourced cut-off defines a high intake; cascade water use is recommended on the intake per tonne, "
               "shown as the reason (a product's cleaner-production advanced level decides where given)"),
    "chem_high_energy_use": Retired(
        since="0.3", instead=("unit_energy_tce",), on="unit",
        why_zh="“单元能耗偏高”没有出处可查的判定限值；过程强化按单元年综合能耗数值给出建议并排序说明，请填写单元年综合能耗",
        why_en="no sourced cut-off defines an energy-intensive unit; intensification is recommended on the unit's "
               "yearly energy use, shown as the reason and ordering the units"),
    "park_low_water_reuse": Retired(
        since="0.3", instead=("water_reuse_rate",),
        why_zh="“园区工业用水重复利用率偏低”没有出处可查的判定限值；中水回用按园区水重复利用率数值给出建议并说明（低于1即有提升空间），"
               "请填写水重复利用率",
        why_en="no sourced cut-off defines a low park reuse rate; reclaimed-water reuse is recommended on the rate "
               "itself (room below 1), shown as the reason"),
}


@dataclass(frozen=True)
class InPlaceFlag:
    """A yes/no attribute that only said a measure is done: read as ``measures_in_place`` (true), or as nothing
    (false: a measure not listed there is taken as not yet done)."""

    on: str  # profile (an enterprise's or a park's own attributes) or unit
    measure: str
    since: str = "0.3"
    also: tuple[str, ...] = ()  # further measures the flag said were done (one flag read by two measures)

    @property
    def measures(self) -> tuple[str, ...]:
        return (self.measure, *self.also)


IN_PLACE_FLAGS: dict[str, InPlaceFlag] = {
    "has_microgrid": InPlaceFlag("profile", "common.smart_microgrid"),
    "has_energy_carbon_platform": InPlaceFlag("profile", "common.energy_carbon_digital_platform"),
    "green_design_practice": InPlaceFlag("profile", "common.green_product_design"),
    "online_metering": InPlaceFlag("unit", "common.key_equipment_digitalization"),
    "petrochem_wastewater_reused": InPlaceFlag("profile", "petrochem.organic_wastewater_reuse"),
    "food_wastewater_reused": InPlaceFlag("profile", "food.wastewater_reuse"),
    "pulping_wastewater_reused": InPlaceFlag("profile", "paper.pulping_wastewater_reuse"),
    "onsite_renewables": InPlaceFlag("profile", "common.onsite_wind_solar"),
    "hot_charging": InPlaceFlag("unit", "steel.hot_charging"),
    "process_intensified": InPlaceFlag("unit", "petrochem.process_intensification"),
    "zinc_efficient_electrolysis": InPlaceFlag("unit", "nonferrous.zinc_efficient_electrolysis"),
    # the sector packs' 'already done' flags (issue 29): each said exactly that its measure is in place
    "cement_low_nox_precalciner": InPlaceFlag("unit", "building_materials.cement_low_nox_precalciner"),
    "cement_ule_completed": InPlaceFlag("unit", "building_materials.cement_ultra_low_emission"),
    "glass_integrated_flue_gas_treatment": InPlaceFlag("unit", "building_materials.glass_furnace_integrated_treatment"),
    "renewables_storage": InPlaceFlag("profile", "common.renewables_with_storage"),
    "crystal_pulling_advanced": InPlaceFlag("unit", "electronics.advanced_crystal_pulling"),
    "component_clean_process": InPlaceFlag("profile", "electronics.component_clean_process"),
    "fiber_energy_saving": InPlaceFlag("unit", "electronics.fiber_preform_drawing"),
    "polysilicon_closed_loop": InPlaceFlag("unit", "electronics.polysilicon_closed_loop"),
    "salt_membrane_brine": InPlaceFlag("profile", "food.membrane_liquid_salt"),
    "moderate_milling": InPlaceFlag("unit", "food.moderate_rice_milling"),
    "wastewater_biogas_power": InPlaceFlag("profile", "food.sugar_alcohol_wastewater_biogas"),
    "sugar_heat_centralised_control": InPlaceFlag("profile", "food.sugar_heat_optimization"),
    "lead_slag_direct_reduction": InPlaceFlag("unit", "nonferrous.lead_slag_direct_reduction"),
    "paper_cascade_water_use": InPlaceFlag("profile", "paper.cascade_water_use"),
    "disc_filter_white_water": InPlaceFlag("unit", "paper.white_water_disc_filter_reuse"),
    "chlor_alkali_concentrate_reused": InPlaceFlag("profile", "petrochem.chlor_alkali_brine_recovery"),
    "high_efficiency_catalyst": InPlaceFlag("unit", "petrochem.efficient_catalysis"),
    "distillation_heat_integration": InPlaceFlag("unit", "petrochem.efficient_distillation"),
    "power_deep_denox": InPlaceFlag("unit", "power.biomass_msw_deep_denox"),
    "power_ultra_low_emission": InPlaceFlag("unit", "power.coal_ultra_low_emission"),
    "power_deep_peak_shaving": InPlaceFlag("unit", "power.flexibility_retrofit"),
    "bf_equalizing_gas_recovered": InPlaceFlag("unit", "steel.bf_top_gas_equalizing_recovery"),
    "rolling_full_line_temp_control": InPlaceFlag("unit", "steel.hot_rolling_temperature_control"),
    "sinter_flue_gas_recirculation": InPlaceFlag("unit", "steel.sinter_flue_gas_recirculation"),
    "steel_ule_certified": InPlaceFlag("profile", "steel.ultra_low_emission"),
    "ammonia_liquor_heat_recovery": InPlaceFlag("unit", "vocs.coking_ammonia_liquor_heat_recovery"),
    "chamber_pressure_control": InPlaceFlag("unit", "vocs.coking_chamber_pressure_control"),
    "waste_gas_recirculation": InPlaceFlag("unit", "vocs.coking_flue_gas_recirculation"),
    "riser_heat_recovery": InPlaceFlag("unit", "vocs.coking_riser_heat_recovery"),
    "staged_combustion": InPlaceFlag("unit", "vocs.coking_staged_combustion"),
    "coking_ultra_low_emission": InPlaceFlag("profile", "vocs.coking_ultra_low_emission"),
    # one flag that two measures read: the printing VOC treatment (metal cans, flexible packaging) and the solid
    # waste fed to a wall-material line or a cement kiln or mill
    "printing_voc_treatment_complete": InPlaceFlag("profile", "vocs.printing_metal_can_voc_treatment",
                                                   also=("vocs.printing_flexible_packaging_voc_treatment",)),
    "solid_waste_as_feed": InPlaceFlag("unit", "building_materials.solid_waste_wall_materials",
                                       also=("building_materials.cement_alternative_materials",)),
    "park_multi_energy_coordinated": InPlaceFlag("profile", "parks.source_grid_load_storage"),
    "park_energy_cascade_plan": InPlaceFlag("profile", "parks.energy_cascade_use"),
}


# attributes kept so that old profiles stay valid: never offered to a new profile (blank workbook, YAML template),
# deprecated in the JSON Schema
OLD_ATTRIBUTES = frozenset(RETIRED) | frozenset(IN_PLACE_FLAGS)


def _attributed(data: dict) -> list[tuple[str, dict, str, dict]]:
    """(where, item, on, attributes) of the profile itself (on ``profile``) and of each unit (``unit``) that has an
    attributes mapping; ``where`` is the path prefix a notice names (``units[2].``)."""
    units = data.get("units")
    items = [("", data, "profile")] + [(f"units[{i}].", u, "unit") for i, u in
                                       enumerate(units if isinstance(units, list) else []) if isinstance(u, dict)]
    return [(where, item, on, item["attributes"]) for where, item, on in items
            if isinstance(item.get("attributes"), dict)]


def _flags_given(data: dict) -> list[tuple[str, dict, dict, str, InPlaceFlag]]:
    """(where, item, attributes, name, flag) of each old in-place flag the profile or one of its units gives."""
    return [(where, item, attrs, name, flag) for where, item, on, attrs in _attributed(data)
            for name, flag in IN_PLACE_FLAGS.items() if flag.on == on and name in attrs]


def in_place_upgrades(data: dict) -> list[str]:
    """Old in-place flags read as ``measures_in_place`` (the flag's value is kept); one notice per flag."""
    notes = []
    for where, item, attrs, name, flag in _flags_given(data):
        if attrs[name] is True:
            done = item.get("measures_in_place")
            done = list(done) if isinstance(done, list) else []
            item["measures_in_place"] = done + [m for m in flag.measures if m not in done]
            notes.append(f"{where}attributes.{name}: true is read as {where}measures_in_place: "
                         f"[{', '.join(flag.measures)}] "
                         f"(deprecated since {flag.since}: a measure already done is listed under measures_in_place) "
                         f"/ 旧字段已按“已实施措施”读取：已实施的措施请列入已实施措施")
        else:
            notes.append(f"{where}attributes.{name}: decides nothing since {flag.since} (a measure not listed under "
                         f"measures_in_place is taken as not yet done) / 该字段已不作判断依据：未列入已实施措施即按未实施")
    return notes


def move_in_place_flags(data: dict) -> list[str]:
    """Rewrite old in-place flags as what they mean, in place (``cpadvisor migrate``): a true flag's measures are
    appended to the item's ``measures_in_place`` and the flag is removed; a false one is removed (it decides nothing).
    One notice per flag; an attributes mapping the rewrite empties goes too."""
    notes = []
    given = _flags_given(data)
    for where, item, attrs, name, flag in given:
        if attrs.pop(name) is True:
            if not isinstance(item.get("measures_in_place"), list):
                item["measures_in_place"] = []
            done = item["measures_in_place"]
            done.extend(m for m in flag.measures if m not in done)
            notes.append(f"{where}attributes.{name}: true rewritten as {where}measures_in_place: "
                         f"[{', '.join(flag.measures)}] / 旧字段已改写为“已实施措施”")
        else:
            notes.append(f"{where}attributes.{name}: false removed: it decided nothing since {flag.since} "
                         f"/ 旧字段已删除（未列入已实施措施即按未实施）")
    for _, item, attrs, _, _ in given:
        if not attrs and "attributes" in item:
            del item["attributes"]
    return notes


def retired_notices(data: dict) -> list[str]:
    """One line per retired attribute the profile (or one of its units) gives: the value is kept and shown, it
    decides nothing."""
    return [f"{where}attributes.{k}: decides nothing since {r.since} ({r.why_en}); give {', '.join(r.instead)} / "
            f"该字段已不作判断依据：{r.why_zh}"
            for where, _, on, attrs in _attributed(data) for k, r in RETIRED.items() if r.on == on and k in attrs]


def unit_upgrades(units: Any) -> list[tuple[int, UnitUpgrade]]:
    """(index, upgrade) for each unit of a raw, label-normalised ``units`` list written in an old form."""
    out = []
    if not isinstance(units, list):
        return out
    for i, u in enumerate(units):
        if not isinstance(u, dict):
            continue
        for up in UPGRADES:
            if all(u.get(k) == v for k, v in up.match.items()):
                out.append((i, up))
                break
    return out


def apply_unit_upgrade(unit: dict, up: UnitUpgrade) -> None:
    unit.update(up.becomes)
    attrs = unit.get("attributes")
    if not isinstance(attrs, dict):
        attrs = unit["attributes"] = {}
    for k, v in up.attributes.items():
        attrs.setdefault(k, v)


def notice(i: int, unit: dict, up: UnitUpgrade) -> str:
    old = ", ".join(f"{k}: {v}" for k, v in up.match.items())
    new = ", ".join([f"{k}: {v}" for k, v in up.becomes.items()] +
                    [f"attributes.{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in up.attributes.items()])
    name = unit.get("id", i)
    return (f"units[{i}] ({name}): '{old}' is deprecated since {up.since}, read as '{new}' ({up.why_en}); "
            f"`cpadvisor migrate` rewrites the file / 旧写法已自动升级：{up.why_zh}")


def upgrade(data: dict) -> list[str]:
    """Upgrade a raw, label-normalised profile mapping in place; the notices, one line each."""
    notes = []
    units = data.get("units")
    for i, up in unit_upgrades(units):
        apply_unit_upgrade(units[i], up)
        notes.append(notice(i, units[i], up))
    return notes + in_place_upgrades(data) + retired_notices(data)
