"""JSON Schemas for other systems and editors: the profile (with the knowledge vocabulary) and the Assessment.

The profile schema validates the files people write (enterprise by default, ``kind: park`` for a park,
or either wrapped as ``profile: {...}``), lists the allowed values of every vocabulary field with their
Chinese and English words (``enumDescriptions``, which the VS Code YAML extension shows), declares every
pack attribute with its type and range, and states the size limits checked before assessing.
"""
from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any, Optional

from cpadvisor.intake.migrate import OLD_ATTRIBUTES
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.profile import LIMITS, NONE_DONE, EnterpriseProfile, ParkProfile
from cpadvisor.models.results import Assessment

DIALECT = "https://json-schema.org/draft/2020-12/schema"

FIELD_DOCS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"), "kind": ("画像类型：enterprise（企业，默认）或 park（园区）", "enterprise (default) or park"),
    "city": ("所在市州", "City or prefecture of Hunan"), "county": ("区县", "County or district"),
    "credit_code": ("统一社会信用代码（18位，GB 32100校验）", "Unified social credit code (18 characters, GB 32100)"),
    "park": ("所在园区", "Industrial park"), "size": ("企业规模", "Enterprise size"),
    "sectors": ("所属行业（知识包）", "Sectors (knowledge packs)"), "subsectors": ("细分行业", "Subsectors"),
    "industry_codes": ("国民经济行业代码（GB/T 4754）", "Industry codes (GB/T 4754)"),
    "project_type": ("项目类型：existing 现有、new 新建、rebuilt 改建、expanded 扩建",
                     "Project type: existing, new, rebuilt, expanded"),
    "cp_audit_passed": ("已通过清洁生产审核", "Has passed a cleaner-production audit"),
    "financing_constrained": ("融资受限", "Financing constrained"),
    "total_energy_tce": ("年综合能耗（吨标准煤）", "Total energy use, tce/a"),
    "electricity_mwh": ("年用电量（兆瓦时）", "Electricity use, MWh/a"), "water_m3": ("年取水量（立方米）", "Water intake, m³/a"),
    "emissions": ("强制性审核相关事实（双超双有）", "Facts behind the mandatory audit"),
    "energy": ("分品种能源消费", "Energy use by fuel"), "units": ("主要生产装置", "Production units and key equipment"),
    "products": ("主要产品", "Products"), "solid_wastes": ("固体废物", "Solid wastes"),
    "voc_operations": ("VOCs 相关工序", "VOC operations"),
    "measures_in_place": ("已实施的措施（编号或名称；无：均未实施；不填：未说明）",
                          "Measures already in place (ids or names; none: none done; empty: not stated)"),
    "attributes": ("知识包定义的其他事实", "Further facts declared by the packs"),
    "type": ("装置类型", "Unit type"), "count": ("数量", "Count"), "capacity": ("规模", "Capacity"),
    "capacity_unit": ("规模单位", "Unit of capacity"), "fuel": ("燃料/能源品种", "Fuel"),
    "key": ("产品（用于对标的产品代码）", "Product key (for benchmarking)"), "annual_output": ("年产量", "Annual output"),
    "output_unit": ("产量单位", "Unit of output"), "unit_energy": ("单位产品能耗", "Unit energy use"),
    "unit_water": ("单位产品取水量", "Unit water use"), "unit_material": ("单位产品物耗", "Unit material use"),
    "annual": ("年用量", "Annual use"), "unit": ("计量单位", "Unit"), "annual_t": ("年产生量（吨）", "Annual amount, t"),
    "disposal": ("处置方式", "Disposal"), "hazardous": ("危险废物", "Hazardous waste"), "material": ("物料", "Material"),
    "method": ("治理方式", "Treatment method"), "enclosed": ("密闭", "Enclosed"),
    "annual_solvent_t": ("年溶剂用量（吨）", "Annual solvent use, t"),
    "capture_efficiency_pct": ("VOCs收集效率（%）", "VOC capture efficiency, %"),
    "voc_content_g_l": ("涂料、油墨VOCs含量（g/L）", "VOC content of the coating or ink, g/L"),
    "other_fuels": ("其他燃料（启动、备用、掺烧）", "Other fuels (start-up, back-up, co-firing)"),
    "notes": ("备注", "Notes"), "level": ("园区级别", "Park level"),
    "enterprise_count": ("入园企业数", "Enterprises in the park"), "enterprises": ("入园企业", "Enterprises"),
    "leading_sectors": ("主导产业", "Leading sectors"), "energy_mix": ("能源结构（占比0–1）", "Energy mix (shares 0–1)"),
    "shared_facilities": ("公共设施", "Shared facilities"), "water_reuse_rate": ("水重复利用率（0–1）", "Water reuse rate (0–1)"),
}


def _doc(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _enum(values: dict[str, Any]) -> dict:
    """``enum`` with the zh/en words of each value."""
    names = sorted(values)
    return {"type": "string", "enum": names,
            "enumDescriptions": [_doc(getattr(values[n], "zh", n), getattr(values[n], "en", n)) for n in names]}


def _describe(node: Any) -> None:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, p in props.items():
                if name in FIELD_DOCS and isinstance(p, dict) and "description" not in p:
                    p["description"] = _doc(*FIELD_DOCS[name])
        for v in node.values():
            _describe(v)
    elif isinstance(node, list):
        for v in node:
            _describe(v)


def _attributes(kb: KnowledgeBase, on: str) -> dict:
    props: dict[str, Any] = {}
    for name, a in sorted(kb.vocab.attributes(on).items()):
        s: dict[str, Any] = {"description": _doc(a.zh, a.en) + (f" ({a.unit})" if a.unit else "")}
        if name in OLD_ATTRIBUTES:
            s["deprecated"] = True  # read from old profiles with a notice; never needed in a new one
        if a.type == "bool":
            s["type"] = "boolean"
        elif a.type == "number":
            s["type"] = "number"
            if a.min is not None:
                s["minimum"] = a.min
            if a.max is not None:
                s["maximum"] = a.max
        elif a.type == "enum":
            s["type"] = "string"
            s["enum"] = list(a.values or [])
            if a.labels:
                s["enumDescriptions"] = [_doc(a.labels[v].zh, a.labels[v].en) if v in a.labels else v
                                         for v in a.values or []]
        else:
            s["type"] = "string"
        props[name] = s
    return {"type": "object", "properties": props, "additionalProperties": False,
            "maxProperties": LIMITS["attributes"], "description": _doc(*FIELD_DOCS["attributes"])}


def _items(schema: dict, enum: dict) -> None:
    schema["items"] = enum


def profile_schema(kb: KnowledgeBase) -> dict:
    """The JSON Schema (2020-12) of a profile file, with the loaded knowledge's vocabulary."""
    terms = kb.vocab.terms
    sectors = {k: v for k, v in kb.vocab.sectors.items()}
    measures: dict[str, Any] = {mid: info.measure.name for mid, info in kb.measures.items()}
    measures[NONE_DONE] = SimpleNamespace(zh="无（均未实施）", en="none done yet")
    ent = copy.deepcopy(EnterpriseProfile.model_json_schema(ref_template="#/$defs/{model}"))
    park = copy.deepcopy(ParkProfile.model_json_schema(ref_template="#/$defs/{model}"))
    defs: dict[str, Any] = {**ent.pop("$defs", {}), **park.pop("$defs", {})}
    defs["EnterpriseProfile"], defs["ParkProfile"] = ent, park
    ep, pp = ent["properties"], park["properties"]
    ep["kind"] = {"const": "enterprise", "default": "enterprise"}
    _items(ep["sectors"], _enum(sectors))
    _items(ep["subsectors"], _enum(terms["subsectors"]))
    _items(pp["leading_sectors"], _enum(sectors))
    _items(pp["shared_facilities"], _enum(terms["shared_facilities"]))
    for p in (ep, pp):
        _items(p["measures_in_place"], _enum(measures))
    ep["attributes"] = _attributes(kb, "enterprise")
    pp["attributes"] = _attributes(kb, "park")
    u = defs["Unit"]["properties"]
    u["type"] = _enum(terms["unit_types"])
    u["fuel"] = {"anyOf": [_enum(terms["fuels"]), {"type": "null"}]}
    _items(u["other_fuels"], _enum(terms["fuels"]))
    _items(u["measures_in_place"], _enum(measures))
    u["attributes"] = _attributes(kb, "unit")
    defs["EnergyUse"]["properties"]["fuel"] = _enum(terms["fuels"])
    defs["Product"]["properties"]["key"] = {"anyOf": [_enum(terms["products"]), {"type": "null"}]}
    w = defs["SolidWaste"]["properties"]
    w["kind"] = _enum(terms["waste_kinds"])
    w["disposal"] = {"anyOf": [_enum(terms["disposals"]), {"type": "null"}]}
    v = defs["VocOperation"]["properties"]
    v["kind"] = _enum(terms["voc_kinds"])
    v["material"] = {"anyOf": [_enum(terms["voc_materials"]), {"type": "null"}]}
    v["method"] = {"anyOf": [_enum(terms["voc_methods"]), {"type": "null"}]}
    profile = {"if": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "park"}}},
               "then": {"$ref": "#/$defs/ParkProfile"}, "else": {"$ref": "#/$defs/EnterpriseProfile"}}
    schema = {
        "$schema": DIALECT, "$id": "https://cpadvisor.example/schema/profile.json",
        "title": "cpadvisor profile / 企业（园区）画像",
        "description": _doc("企业或园区画像：YAML、JSON 或 profile: 包裹的形式；词汇取自知识库 " + kb.version,
                            "An enterprise or park profile, as written (or wrapped as profile:); vocabulary of "
                            "knowledge " + kb.version),
        "x-knowledge-version": kb.version, "x-limits": dict(LIMITS),
        "anyOf": [
            {"type": "object", "required": ["profile"], "properties": {"profile": profile},
             "additionalProperties": False},
            {"type": "object", "not": {"required": ["profile"]}, **profile},
        ],
        "$defs": defs,
    }
    _describe(schema)
    return schema


def assessment_schema() -> dict:
    """The JSON Schema of an Assessment (``assess --json``), as other systems receive it."""
    schema = Assessment.model_json_schema(mode="serialization")
    schema["$schema"] = DIALECT
    schema["title"] = "cpadvisor assessment / 评估结果"
    return schema


def vocabulary(kb: Any, pack: Optional[str] = None) -> dict:
    """The vocabulary as data: words by kind and every attribute, with where it goes."""
    v = kb.vocab
    terms: dict[str, list] = {"sectors": [
        {"key": k, "zh": n.zh, "en": n.en, "pack": k, "aliases": v.sector_aliases.get(k, [])}
        for k, n in sorted(v.sectors.items()) if not pack or k == pack]}
    for kind in ("subsectors", "unit_types", "unit_families", "fuels", "waste_kinds", "disposals", "voc_kinds",
                 "voc_materials", "voc_methods", "shared_facilities", "products"):
        terms[kind] = [{"key": k, "zh": t.zh, "en": t.en, "pack": v.owner.get((kind, k)),
                        **({"aliases": list(t.aliases)} if getattr(t, "aliases", None) else {}),
                        **({"is_a": v.families_of(k)[1:]} if kind in ("unit_types", "unit_families") else {}),
                        **({"members": sorted(u for u in v.terms["unit_types"] if k in v.families_of(u))}
                           if kind == "unit_families" else {})}
                       for k, t in sorted(v.terms[kind].items()) if not pack or v.owner.get((kind, k)) == pack]
    where = {"enterprise": "attributes", "unit": "units[].attributes", "park": "attributes (park)"}
    attrs = []
    for name, a in sorted(v.terms["attributes"].items()):
        owner = v.owner.get(("attributes", name))
        if pack and owner != pack:
            continue
        attrs.append({"name": name, "on": a.on, "where": where[a.on], "type": a.type, "zh": a.zh, "en": a.en,
                      **({"deprecated": True} if name in OLD_ATTRIBUTES else {}),
                      "values": list(a.values or []), "unit": a.unit, "min": a.min, "max": a.max, "pack": owner,
                      **({"judged_from": a.judged_from.number, "threshold": a.judged_from.threshold}
                         if a.judged_from else {})})
    return {"knowledge_version": kb.version, "terms": terms, "attributes": attrs}
