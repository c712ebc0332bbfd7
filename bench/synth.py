"""Seeded synthetic enterprise and park profiles drawn from the knowledge vocabulary.

Realistic mix: one or two sector packs per enterprise, their units, fuels and typed
attributes, products with unit energy around the sourced quota levels, emissions
facts, solid wastes, VOC operations, some measures in place, and missing values.
"""
from __future__ import annotations

import json
import random
from typing import Any

from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.profile import HUNAN_CITIES, credit_code_check_char

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WORDS = ("华", "湘", "新", "兴", "盛", "达", "丰", "源", "宏", "泰", "联", "金", "瑞", "恒", "鑫", "安", "利", "通")
_KIND = {"building_materials": "建材", "electronics": "电子", "food": "食品", "nonferrous": "有色", "paper": "纸业",
         "petrochem": "化工", "power": "电力", "steel": "钢铁", "vocs": "涂装"}


def _maybe(rng: random.Random, value: Any, p_missing: float = 0.2) -> Any:
    return None if rng.random() < p_missing else value


def _credit_code(rng: random.Random) -> str:
    body = "91" + "43" + "".join(rng.choice("0123456789") for _ in range(4)) + \
        "".join(rng.choice(_CREDIT_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


def _attr_value(rng: random.Random, a: Any) -> Any:
    if a.type == "bool":
        return rng.random() < 0.5
    if a.type == "enum":
        return rng.choice(a.values)
    if a.type == "number":
        lo = a.min if a.min is not None else 0.0
        hi = a.max if a.max is not None else 1000.0
        return round(rng.uniform(lo, hi), 2)
    return "说明"


def _owned(kb: KnowledgeBase, kind: str, packs: set[str]) -> list[str]:
    return [n for n in kb.vocab.terms[kind] if kb.vocab.owner.get((kind, n)) in packs]


class Generator:
    """``Generator(kb, seed).profile(i)`` -> a plain profile dict (valid for this knowledge base)."""

    def __init__(self, kb: KnowledgeBase, seed: int = 2025):
        self.kb = kb
        self.seed = seed
        self.sectors = sorted(kb.vocab.sectors)
        self.codes: dict[str, list[str]] = {}
        for code, pack in kb.vocab.industry_codes.items():
            self.codes.setdefault(pack, []).append(code)
        self.levels: dict[str, list[float]] = {}
        for t in kb.thresholds.values():
            if t.product and t.level in ("quota_1", "quota_2", "quota_3", "benchmark", "baseline"):
                self.levels.setdefault(t.product, []).append(t.value)
        self.measures_by_pack: dict[str, list[str]] = {}
        for mid, info in kb.measures.items():
            if info.measure.kind == "measure":
                self.measures_by_pack.setdefault(info.pack, []).append(mid)

    def profiles(self, n: int, start: int = 0) -> list[dict]:
        return [self.profile(i) for i in range(start, start + n)]

    def profile(self, i: int) -> dict:
        rng = random.Random(f"{self.seed}:{i}")
        if rng.random() < 0.03:
            return self._park(rng, i)
        return self._enterprise(rng, i)

    def _enterprise(self, rng: random.Random, i: int) -> dict:
        kb, v = self.kb, self.kb.vocab
        sectors = rng.sample(self.sectors, 2 if rng.random() < 0.15 else 1)
        packs = set(sectors) | {"common"}
        city = rng.choice(HUNAN_CITIES)
        name = f"{city[:2]}{''.join(rng.sample(_WORDS, 2))}{_KIND.get(sectors[0], '')}有限公司{i}"
        p: dict[str, Any] = {"name": name, "credit_code": _credit_code(rng), "city": city,
                             "size": rng.choice(("large", "medium", "medium", "small", "small", "micro")),
                             "sectors": sectors}
        subs = _owned(kb, "subsectors", set(sectors))
        if subs:
            p["subsectors"] = rng.sample(subs, min(len(subs), rng.randint(1, 2)))
        codes = [c for s in sectors for c in self.codes.get(s, [])]
        if codes and rng.random() < 0.6:
            p["industry_codes"] = [rng.choice(codes)]
        p["project_type"] = rng.choice(("existing",) * 6 + ("new", "rebuilt", "expanded"))
        energy = round(rng.lognormvariate(9, 1.5), 1)
        for key, val, miss in (("cp_audit_passed", rng.random() < 0.3, 0.3),
                               ("financing_constrained", rng.random() < 0.2, 0.5),
                               ("total_energy_tce", energy, 0.1),
                               ("electricity_mwh", round(energy * rng.uniform(1, 6), 1), 0.2),
                               ("water_m3", round(rng.lognormvariate(11, 1.5)), 0.25)):
            val = _maybe(rng, val, miss)
            if val is not None:
                p[key] = val
        em = {k: _maybe(rng, rng.random() < q, 0.25) for k, q in (
            ("over_standard", 0.08), ("over_total_quota", 0.05), ("toxic_hazardous", 0.15),
            ("energy_over_quota", 0.1), ("on_mandatory_list", 0.1))}
        p["emissions"] = {k: x for k, x in em.items() if x is not None}
        fuels = ["coal", "natural_gas", "electricity", "diesel", "steam", "biomass", "coke", "lpg"]
        fuels = [f for f in fuels if f in v.terms["fuels"]] or list(v.terms["fuels"])
        p["energy"] = [{"fuel": f, "annual": round(energy * rng.uniform(0.05, 0.6), 1), "unit": "tce"}
                       for f in rng.sample(fuels, rng.randint(1, 3))]
        unit_attrs = v.attributes("unit")
        types = _owned(kb, "unit_types", packs)
        units = []
        for j in range(rng.randint(1, 5)):
            t = rng.choice(types)
            u: dict[str, Any] = {"id": f"U{j + 1}", "type": t}
            if rng.random() < 0.3:
                u["count"] = rng.randint(1, 4)
            if rng.random() < 0.6:
                u["capacity"] = round(rng.uniform(1, 500), 1)
            if t in ("industrial_boiler", "industrial_kiln") or rng.random() < 0.2:
                u["fuel"] = rng.choice(fuels)
            owner = v.owner.get(("unit_types", t))
            attrs = {n: _attr_value(rng, a) for n, a in unit_attrs.items()
                     if v.owner.get(("attributes", n)) == owner and rng.random() < 0.6}
            if attrs:
                u["attributes"] = attrs
            units.append(u)
        p["units"] = units
        products = []
        keys = _owned(kb, "products", packs)
        for j, key in enumerate(rng.sample(keys, min(len(keys), rng.randint(0, 3)))):
            pk = v.terms["products"][key]
            lv = self.levels.get(key)
            pr: dict[str, Any] = {"name": f"{pk.zh}{j + 1}", "key": key}
            if lv and rng.random() < 0.85:
                pr["unit_energy"] = round(rng.choice(lv) * rng.uniform(0.85, 1.25), 3)
            if rng.random() < 0.8:
                pr["annual_output"] = round(rng.lognormvariate(11, 1.2))
            if rng.random() < 0.3:
                pr["unit_water"] = round(rng.uniform(0.5, 20), 2)
                pr["cp_advanced_water"] = round(pr["unit_water"] * rng.uniform(0.7, 1.2), 2)
            products.append(pr)
        if products:
            p["products"] = products
        wastes = []
        for k in rng.sample(_owned(kb, "waste_kinds", packs) or ["other"], rng.randint(0, 2)):
            w: dict[str, Any] = {"kind": k}
            for f, val in (("annual_t", round(rng.uniform(10, 50000))),
                           ("disposal", rng.choice(sorted(v.terms["disposals"]))),
                           ("hazardous", rng.random() < 0.2)):
                if rng.random() < 0.75:
                    w[f] = val
            wastes.append(w)
        if wastes:
            p["solid_wastes"] = wastes
        if "vocs" in sectors or rng.random() < 0.2:
            ops = []
            for _ in range(rng.randint(1, 2)):
                op: dict[str, Any] = {"kind": rng.choice(sorted(v.terms["voc_kinds"]))}
                for f, kind in (("material", "voc_materials"), ("method", "voc_methods")):
                    if rng.random() < 0.8:
                        op[f] = rng.choice(sorted(v.terms[kind]))
                if rng.random() < 0.7:
                    op["enclosed"] = rng.random() < 0.5
                if rng.random() < 0.6:
                    op["annual_solvent_t"] = round(rng.uniform(1, 300), 1)
                ops.append(op)
            p["voc_operations"] = ops
        ent_attrs = v.attributes("enterprise")
        attrs = {n: _attr_value(rng, a) for n, a in ent_attrs.items()
                 if v.owner.get(("attributes", n)) in packs and rng.random() < 0.5}
        if attrs:
            p["attributes"] = attrs
        pool = [m for s in sorted(packs) for m in self.measures_by_pack.get(s, [])]
        if pool and rng.random() < 0.4:
            p["measures_in_place"] = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
        return p

    def _park(self, rng: random.Random, i: int) -> dict:
        v = self.kb.vocab
        city = rng.choice(HUNAN_CITIES)
        shares = [rng.random() for _ in range(4)]
        total = sum(shares) * 1.05
        mix = {k: round(s / total, 3) for k, s in zip(("coal", "gas", "electricity", "renewables"), shares)}
        p: dict[str, Any] = {
            "kind": "park", "name": f"{city[:2]}{''.join(rng.sample(_WORDS, 2))}工业园{i}", "city": city,
            "level": rng.choice(("national", "provincial", "other")),
            "enterprise_count": rng.randint(10, 400),
            "leading_sectors": rng.sample(self.sectors, 2),
            "shared_facilities": rng.sample(sorted(v.terms["shared_facilities"]), rng.randint(0, 3)),
            "energy_mix": mix,
        }
        if rng.random() < 0.7:
            p["water_reuse_rate"] = round(rng.uniform(0.1, 0.9), 2)
        if rng.random() < 0.8:
            p["total_energy_tce"] = round(rng.lognormvariate(12, 1), 1)
        attrs = {n: _attr_value(rng, a) for n, a in v.attributes("park").items() if rng.random() < 0.6}
        if attrs:
            p["attributes"] = attrs
        return p


def to_yaml(data: Any, indent: int = 0) -> str:
    """Block-style YAML of plain data (strings double-quoted: JSON escapes are valid YAML)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        for k, val in data.items():
            if isinstance(val, (dict, list)) and val:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(val, indent + 2))
            else:
                lines.append(f"{pad}{k}: {_scalar(val)}")
    else:
        for item in data:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {body.lstrip()}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return "\n".join(lines)


def _scalar(x: Any) -> str:
    if isinstance(x, (dict, list)):
        return "{}" if isinstance(x, dict) else "[]"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        return repr(x)
    return json.dumps(x, ensure_ascii=False)
