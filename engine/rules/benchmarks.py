"""Unit energy use of each keyed product against its sourced levels (标杆, 基准, quota grades)."""
from __future__ import annotations

from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.profile import EnterpriseProfile, ParkProfile
from cpadvisor.economics.co2 import mix_intensity
from datetime import date
from typing import Any, Optional

from cpadvisor.models.results import BenchmarkGap, TargetGap, Text, ThresholdUse
from cpadvisor.rules.facts import energy_grade, has_quota, vs_benchmark
from cpadvisor.rules.resolve import threshold_use

LEVEL_ORDER = ("quota_1", "benchmark", "quota_2", "baseline", "quota_3")


def benchmarks(kb: KnowledgeBase, profile: EnterpriseProfile | ParkProfile,
               on: Optional[date] = None) -> list[BenchmarkGap]:
    """Unit energy use of each keyed product against its sourced levels, with the saving potential (``on``: the
    assessment's date, for the emission factors published by then)."""
    out: list[BenchmarkGap] = []
    # CO2 of a saving in tce: at the average intensity of the plant's declared energy mix, where every fuel
    # has a sourced factor (an approximation the report names); otherwise not quantified.
    scope = (getattr(profile, "attributes", None) or {}).get("grid_factor_scope")
    intensity, used, _ = mix_intensity(kb.thresholds, list(getattr(profile, "energy", ())), on, scope)
    for pr in getattr(profile, "products", ()):
        if not pr.key:
            continue
        ids = [tid for tid, t in kb.product_thresholds(pr.key) if t.level in LEVEL_ORDER]
        pk = kb.vocab.terms["products"][pr.key]
        if not ids:  # a product the knowledge names without a stored level: its figure shown, nothing compared
            if pr.unit_energy is not None:
                out.append(BenchmarkGap(
                    product=pr.name, product_key=pr.key, indicator=pk.zh, value=pr.unit_energy,
                    unit=pr.unit_energy_unit or getattr(pk, "energy_unit", None) or "", levels=[],
                    annual_output=pr.annual_output, output_unit=pr.output_unit or getattr(pk, "output_unit", None),
                    rating=getattr(pk, "not_compared", None) or Text(
                        zh="已收录的标准中无该产品的限额或标杆值，未作比较",
                        en="no stored standard gives this product's levels: not compared")))
            continue
        unit = getattr(pk, "energy_unit", None) or kb.thresholds[ids[0]].unit
        levels = sorted((threshold_use(kb, t) for t in ids), key=lambda u: LEVEL_ORDER.index(kb.thresholds[u.id].level))
        missing = []
        if pr.unit_energy is None:
            missing.append("product.unit_energy")
            out.append(BenchmarkGap(product=pr.name, product_key=pr.key, indicator=pk.zh, unit=unit, value=0,
                                    levels=levels, rating=Text(zh="待核实", en="to verify"), missing=missing))
            continue
        lv = kb.product_levels(pr.key)
        v = pr.unit_energy
        vb = vs_benchmark(v, lv)
        grade = energy_grade(v, lv)
        parts_zh, parts_en = [], []
        if vb:
            parts_zh.append({"better_than_benchmark": "达到标杆水平", "between": "介于标杆与基准之间",
                             "worse_than_baseline": "低于基准水平"}[vb])
            parts_en.append({"better_than_benchmark": "at or better than the benchmark", "between":
                             "between benchmark and baseline", "worse_than_baseline": "worse than the baseline"}[vb])
        if grade:
            parts_zh.append(f"能耗限额{grade}级" if grade < 4 else "未达能耗限额3级（限定值）")
            parts_en.append(f"quota grade {grade}" if grade < 4 else "worse than quota grade 3 (limit)")
        elif "quota_3" in lv and not has_quota(lv):
            parts_zh.append("所录能耗限额各级数值顺序异常，须核对标准原文")
            parts_en.append("the recorded quota levels are out of order: check the standard")
        usable = {kb.thresholds[t].level for t in ids if kb.thresholds[t].quality == "normal"}
        target_level = ("benchmark" if vb is not None and "benchmark" in usable else
                        "quota_1" if "quota_1" in lv and "quota_1" in usable and (has_quota(lv) or "quota_3" not in lv)
                        else None)
        # the strive-for gap and saving of the summary fields are those of the target level's row
        targets, notes = _targets(kb, pr, pk, unit, v, ids, intensity)
        strive = next((t for t in targets if t.level == target_level), None)
        gap = strive.gap if strive else None
        saving = strive.saving_tce_per_year if strive else None
        if pr.annual_output is None:
            missing.append("product.annual_output")
        elif gap is not None and saving is None:
            missing.append("product.output_unit" if unit.startswith("kgce/") else f"saving in {unit} not converted to tce")
        co2 = co2_factor = None
        if saving is not None:
            if intensity is not None:
                co2_factor = ThresholdUse(id="energy_mix", value=float(round(intensity, 4)), unit="tCO2/tce",
                                          source="; ".join(f"{u.id} = {u.value} {u.unit}" for u in used),
                                          verified=all(u.verified for u in used))
                co2 = round(saving * co2_factor.value, 3)
            else:
                missing.append("CO2 emission factor (tCO2/tce) with a source")
        out.append(BenchmarkGap(product=pr.name, product_key=pr.key, indicator=pk.zh, unit=unit, value=v,
                                annual_output=pr.annual_output, output_unit=pr.output_unit or pk.output_unit,
                                levels=levels, rating=Text(zh="，".join(parts_zh) or "待核实",
                                                           en="; ".join(parts_en) or "to verify"),
                                gap_to_benchmark=gap, gap_target=target_level, saving_tce_per_year=saving, co2_t_per_year=co2,
                                co2_factor=co2_factor, missing=missing, targets=targets, notes=notes))
    return out




ROLES = (("baseline", "must_reach"), ("quota_3", "must_reach"), ("benchmark", "strive_for"), ("quota_1", "strive_for"))
LEVEL_WORDS = {"baseline": ("基准水平", "baseline"), "quota_3": ("能耗限额限定值（3级）", "quota limit (grade 3)"),
               "benchmark": ("标杆水平", "benchmark"), "quota_1": ("能耗限额1级", "quota grade 1")}


def _saving(gap: float, pr: Any, pk: Any, unit: str) -> Optional[float]:
    if pr.annual_output is None or not unit.startswith("kgce/"):
        return None
    if (pr.output_unit or pk.output_unit) != unit.split("/", 1)[1]:
        return None
    return round(gap * pr.annual_output / 1000.0, 3)


def _targets(kb: KnowledgeBase, pr: Any, pk: Any, unit: str, v: float, ids: list[str],
             intensity: Any) -> tuple[list[TargetGap], list[Text]]:
    """Gap and saving to each level the standard or document sets: must reach (基准, 限定值) and strive for
    (标杆, 1级), each on its own, never summed together. A suspect or draft level is shown, not used."""
    by_level = {kb.thresholds[t].level: t for t in ids}
    out: list[TargetGap] = []
    for level, role in ROLES:
        tid = by_level.get(level)
        if tid is None:
            continue
        t = kb.thresholds[tid]
        used = t.quality == "normal"
        gap = round(v - t.value, 6) if v > t.value else 0.0
        saving = _saving(gap, pr, pk, unit) if used else None
        co2 = round(saving * float(intensity), 3) if saving is not None and intensity is not None else None
        note = None
        if not used:
            note = Text(zh=f"该值在参考数据中标为{'存疑' if t.quality == 'suspect' else '草案'}：列出供对照，不用于计算节能量",
                        en=f"marked {t.quality} in the reference data: shown for comparison, not used for a saving")
        out.append(TargetGap(role=role, level=level, threshold=tid, level_value=t.value, gap=gap,
                             saving_tce_per_year=saving, co2_t_per_year=co2, used=used, note=note))
    notes: list[Text] = []
    if "baseline" in by_level and "quota_3" in by_level:
        b, q = kb.thresholds[by_level["baseline"]], kb.thresholds[by_level["quota_3"]]
        if b.value > q.value:
            notes.append(Text(
                zh=f"所录基准水平（{b.value:g}）宽于能耗限额限定值（{q.value:g}）：两者出自不同文件和版本，口径可能不同。"
                   "限定值是强制性国家标准的最低要求，须首先达到；基准差距仅供对照。",
                en=f"The recorded baseline ({b.value:g}) is laxer than the quota limit ({q.value:g}): they come from "
                   "different documents and editions and may be defined differently. The limit is the mandatory "
                   "standard's minimum and must be met first; the gap to the baseline is for comparison only."))
    if any(lvl.startswith("quota_") for lvl in by_level):
        # the examples name what such standards correct for in the product's own trade (a steel example in a
        # ceramics report misleads)
        steel = (pr.key or "").startswith("steel_")
        zh_ex = "原料品位、废钢比或铁水比、海拔" if steel else "原料、产品规格、海拔、负荷率"
        en_ex = "ore grade, scrap or hot-metal ratio, altitude" if steel else "raw material, product grade, altitude, load"
        notes.append(Text(
            zh=f"若能耗限额标准对{zh_ex}等规定了修正系数，本评估未作修正：等级和差距为参考性判断。",
            en=f"Where the quota standard defines correction factors ({en_ex}), they were not applied: the grade "
               "and gaps are indicative."))
    return out, notes
