"""Profile -> facts: plain dicts that durable_rules and the plain evaluator both read.

Missing values are left out (durable treats ``null`` as present). Lists get a
``<name>__n`` count so that "not contains" works on empty lists. Measures in
place become ``ip.<id with __ for .>`` keys.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

from cpadvisor.economics.units import UNITS, convert
from cpadvisor.knowledge.conditions import count_key
from cpadvisor.models.profile import NONE_DONE, EnterpriseProfile, ParkProfile, Product

Facts = dict[str, list[dict[str, Any]]]


def ip_key(measure_id: str) -> str:
    return measure_id.replace(".", "__")


def _put(fact: dict, name: str, value: Any) -> None:
    if value is None:
        return
    fact[name] = value
    if isinstance(value, list):
        fact[count_key(name)] = len(value)


def _in_place(ids: list[str]) -> dict[str, int]:
    return {ip_key(m): 1 for m in ids if m != NONE_DONE}


def has_quota(levels: dict[str, float]) -> bool:
    """The product has a usable quota standard: a limit (grade 3) and levels in order."""
    if "quota_3" not in levels:
        return False
    present = [levels[k] for k in ("quota_1", "quota_2", "quota_3") if k in levels]
    return present == sorted(present)  # out of order as transcribed: no grade rather than a wrong one


def energy_grade(value: float, levels: dict[str, float]) -> Optional[int]:
    """1, 2 or 3 for the best quota level reached (lower is better), 4 if worse than level 3."""
    if not has_quota(levels):
        return None
    for lvl, name in ((1, "quota_1"), (2, "quota_2"), (3, "quota_3")):
        if name in levels and value <= levels[name]:
            return lvl
    return 4


def has_baseline(levels: dict[str, float]) -> bool:
    """Benchmark and baseline levels are sourced for the product, in a usable order (lower is better)."""
    return "benchmark" in levels and "baseline" in levels and levels["benchmark"] <= levels["baseline"]


def vs_benchmark(value: float, levels: dict[str, float]) -> Optional[str]:
    if not has_baseline(levels):
        return None
    if value <= levels["benchmark"]:
        return "better_than_benchmark"
    if value > levels["baseline"]:
        return "worse_than_baseline"
    return "between"


def _worse(value: Optional[float], advanced: Optional[float]) -> Optional[bool]:
    if value is None or advanced is None:
        return None
    return value > advanced


# the product fields the engine computes, and the observable figures each is computed from (what to ask for)
COMPUTED_INPUTS: dict[str, tuple[str, ...]] = {
    "energy_grade": ("unit_energy",), "vs_benchmark": ("unit_energy",),
    "energy_worse_than_cp_advanced": ("unit_energy", "cp_advanced_energy"),
    "water_worse_than_cp_advanced": ("unit_water", "cp_advanced_water"),
    "material_worse_than_cp_advanced": ("unit_material", "cp_advanced_material"),
    "has_quota": (), "has_access_level": (), "has_baseline": (), "in_project": ("in_project",),
}


def within_quota(products: Any, levels_of: Callable[[Optional[str]], dict[str, float]]) -> bool:
    """Every product has a quota standard and a unit energy within its limit (grade 1-3): the plant's energy is
    computed to be within the quota (an enterprise that declares nothing is not asked what the report computes)."""
    if not products:
        return False
    for pr in products:
        levels = levels_of(pr.key) if pr.key else {}
        if not has_quota(levels) or pr.unit_energy is None or energy_grade(pr.unit_energy, levels) == 4:
            return False
    return True


def product_fact(p: Product, i: int, levels: dict[str, float], in_project: bool = False) -> dict[str, Any]:
    f: dict[str, Any] = {"t": "product", "id": f"product:{i}", "uid": p.name, "has_quota": has_quota(levels),
                         "has_access_level": "quota_2" in levels, "has_baseline": has_baseline(levels),
                         "in_project": in_project}
    _put(f, "key", p.key)
    for name in ("annual_output", "unit_energy", "unit_water", "unit_material"):
        _put(f, name, getattr(p, name))
    if p.unit_energy is not None and levels:
        _put(f, "energy_grade", energy_grade(p.unit_energy, levels))
        _put(f, "vs_benchmark", vs_benchmark(p.unit_energy, levels))
    if p.cp_advanced_energy is None and "cp_II" in levels and p.unit_energy is not None:
        # the sector's 清洁生产评价指标体系 covers the product: its Ⅱ级 (国内先进) level decides, marked with the level's
        # threshold so that an unverified system never makes the admission gate block outright
        _put(f, "energy_worse_than_cp_advanced", _worse(p.unit_energy, levels["cp_II"]))
        f["jd"] = {"energy_worse_than_cp_advanced": f"cpeval.{p.key}.cp_II"}
    else:
        _put(f, "energy_worse_than_cp_advanced", _worse(p.unit_energy, p.cp_advanced_energy))
    _put(f, "water_worse_than_cp_advanced", _worse(p.unit_water, p.cp_advanced_water))
    _put(f, "material_worse_than_cp_advanced", _worse(p.unit_material, p.cp_advanced_material))
    return f


def _families(unit_type: str) -> list[str]:
    return [unit_type]


def build_facts(profile: Union[EnterpriseProfile, ParkProfile],
                levels_of: Callable[[Optional[str]], dict[str, float]],
                extra_sectors: tuple[str, ...] = (), families: Callable[[str], list[str]] = _families) -> Facts:
    """All facts of one profile, by kind: enterprise|park, unit, product, waste, voc.

    ``levels_of``: a product key -> its sourced levels (``KnowledgeBase.product_levels``); ``families``: a unit
    type -> the type and its families (``Vocabulary.families_of``), for ``is_a``."""
    if isinstance(profile, ParkProfile):
        park: dict[str, Any] = {"t": "park", "id": "park"}
        for name in ("level", "enterprise_count", "water_reuse_rate", "total_energy_tce"):
            _put(park, name, getattr(profile, name))
        _put(park, "leading_sectors", list(profile.leading_sectors))
        if profile.shared_facilities:  # an empty list is "not stated": the rules ask (issue 29); [none] is none
            _put(park, "shared_facilities", list(profile.shared_facilities))
        mix = profile.energy_mix.model_dump(exclude_none=True)
        if mix:
            park["energy_mix"] = mix
        for k, v in profile.attributes.items():
            _put(park, k, v)
        park["ip"] = _in_place(profile.measures_in_place)
        return {"park": [park], "enterprise": [], "unit": [], "product": [], "waste": [], "voc": []}

    p = profile
    ent: dict[str, Any] = {"t": "enterprise", "id": "enterprise"}
    sectors = list(dict.fromkeys([*p.sectors, *extra_sectors]))
    _put(ent, "sectors", sectors)
    _put(ent, "subsectors", list(p.subsectors))
    _put(ent, "industry_codes", list(p.industry_codes))
    for name in ("size", "project_type", "cp_audit_passed", "financing_constrained", "total_energy_tce",
                 "electricity_mwh", "water_m3"):
        _put(ent, name, getattr(p, name))
    if p.electricity_mwh is None:  # the energy list's electricity answers it (units converted; never from tce)
        _put(ent, "electricity_mwh", electricity_mwh_of(p.energy))
    em = p.emissions.model_dump(exclude_none=True, mode="json")  # dates as ISO text (facts are JSON)
    if "energy_over_quota" not in em and within_quota(p.products, levels_of):
        em["energy_over_quota"] = False  # computed: the report rates every product within its quota, never asks
    if em:
        ent["emissions"] = em
    fuels = [e.fuel for e in p.energy] + [x for u in p.units for x in ([u.fuel] if u.fuel else []) + u.other_fuels]
    _put(ent, "fuels", list(dict.fromkeys(fuels)))
    _put(ent, "unit_types", list(dict.fromkeys(f for u in p.units for f in families(u.type))))
    _put(ent, "waste_kinds", list(dict.fromkeys(w.kind for w in p.solid_wastes)))
    _put(ent, "voc_kinds", list(dict.fromkeys(o.kind for o in p.voc_operations)))
    _put(ent, "voc_materials", list(dict.fromkeys(o.material for o in p.voc_operations if o.material)))
    _put(ent, "product_keys", list(dict.fromkeys(pr.key for pr in p.products if pr.key)))
    for k, v in p.attributes.items():
        _put(ent, k, v)
    ent["ip"] = _in_place(p.measures_in_place)

    units = []
    for i, u in enumerate(p.units):
        f: dict[str, Any] = {"t": "unit", "id": f"unit:{i}", "uid": u.id, "type": u.type, "count": u.count}
        _put(f, "families", families(u.type))
        _put(f, "capacity", u.capacity)
        _put(f, "fuel", u.fuel)
        _put(f, "other_fuels", list(u.other_fuels))
        for k, v in u.attributes.items():
            _put(f, k, v)
        f["ip"] = _in_place(u.measures_in_place)
        units.append(f)
    # The admission gate checks the project's lines: all of a new plant; of a rebuilt or expanded plant the
    # products marked in_project (all of them when none is marked); none of an existing plant.
    marked = any(pr.in_project is not None for pr in p.products)
    kind = getattr(p, "project_type", "existing")

    def in_project(pr: Any) -> bool:
        if kind == "new":
            return pr.in_project is not False
        if kind in ("rebuilt", "expanded"):
            return bool(pr.in_project) if marked else True
        return False

    products = [product_fact(pr, i, levels_of(pr.key), in_project(pr)) for i, pr in enumerate(p.products)]
    wastes = []
    for i, w in enumerate(p.solid_wastes):
        f = {"t": "waste", "id": f"waste:{i}", "uid": f"{w.kind}#{i + 1}", "kind": w.kind}
        for name in ("annual_t", "disposal", "hazardous"):
            _put(f, name, getattr(w, name))
        wastes.append(f)
    vocs = []
    for i, o in enumerate(p.voc_operations):
        f = {"t": "voc", "id": f"voc:{i}", "uid": f"{o.kind}#{i + 1}", "kind": o.kind}
        for name in ("material", "method", "enclosed", "annual_solvent_t"):
            _put(f, name, getattr(o, name))
        vocs.append(f)
    return {"enterprise": [ent], "park": [], "unit": units, "product": products, "waste": wastes, "voc": vocs}


def electricity_mwh_of(energy: Any) -> Optional[float]:
    """The yearly electricity of an energy list in MWh, where every electricity entry is in an electricity unit
    (kWh, 万kWh, MWh, GWh); None otherwise (an entry in tce needs a conversion factor, not made here)."""
    items = [e for e in energy if e.fuel == "electricity"]
    if not items or any(UNITS.get(e.unit.strip(), ("",))[0] != "electricity" for e in items):
        return None
    return float(sum(convert(e.annual, e.unit, "MWh") for e in items))
