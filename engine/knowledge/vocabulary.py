"""The merged vocabulary of all packs: field specs for rules, name checks for profiles."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from cpadvisor.economics.units import UNITS
from cpadvisor.knowledge.conditions import FieldSpec
from cpadvisor.knowledge.format import Attribute, PackFile, ProductKey, Term
from cpadvisor.models.profile import NONE_DONE, EnterpriseProfile, ParkProfile, Unit
from cpadvisor.knowledge.yamlio import did_you_mean

TERM_KINDS = ("subsectors", "unit_types", "unit_families", "fuels", "waste_kinds", "disposals", "voc_kinds",
              "voc_materials", "voc_methods", "shared_facilities", "products", "attributes")

Loc = tuple[Any, ...]


@dataclass
class Vocabulary:
    sectors: dict[str, Any] = field(default_factory=dict)  # pack code -> pack name
    industry_codes: dict[str, str] = field(default_factory=dict)  # GB/T 4754 prefix -> pack
    terms: dict[str, dict[str, Union[Term, Attribute, ProductKey]]] = field(
        default_factory=lambda: {k: {} for k in TERM_KINDS})
    owner: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> pack
    sector_aliases: dict[str, list[str]] = field(default_factory=dict)  # pack code -> other words for it

    def add_pack(self, pack: PackFile, where: str) -> list[str]:
        problems = []
        if pack.pack.sector:
            self.sectors[pack.pack.code] = pack.pack.name
            self.sector_aliases[pack.pack.code] = list(pack.pack.aliases)
        for code in pack.pack.industry_codes:
            self.industry_codes[code] = pack.pack.code
        for kind in TERM_KINDS:
            for name, term in getattr(pack.vocabulary, kind).items():
                if (kind, name) in self.owner:
                    problems.append(f"{kind} '{name}' is declared twice: in pack '{self.owner[(kind, name)]}' "
                                    f"and in '{pack.pack.code}' ({where})")
                    continue
                self.owner[(kind, name)] = pack.pack.code
                self.terms[kind][name] = term
        return problems

    def names(self, kind: str) -> frozenset:
        return frozenset(self.terms[kind])

    def families_of(self, unit_type: str) -> list[str]:
        """The unit type and every family it is a member of (transitively), in declaration order."""
        cache = self.__dict__.setdefault("_family_cache", {})
        if unit_type not in cache:
            out: list[str] = [unit_type]
            todo = [unit_type]
            while todo:
                t = self.terms["unit_types"].get(todo[0]) or self.terms["unit_families"].get(todo[0])
                todo.pop(0)
                for fam in (t.is_a if t is not None else ()):  # type: ignore[union-attr]
                    if fam not in out:
                        out.append(fam)
                        todo.append(fam)
            cache[unit_type] = out
        return cache[unit_type]

    def open_families(self) -> None:
        """Make every family a unit type too (issue 29): a unit the lists lack is entered by its family, with its
        own name as its id, and the family's measures reach it. Called once all packs are loaded."""
        for name, fam in list(self.terms["unit_families"].items()):
            if name not in self.terms["unit_types"]:
                self.terms["unit_types"][name] = fam
                self.owner[("unit_types", name)] = self.owner.get(("unit_families", name), "common")
        self.__dict__.pop("_family_cache", None)

    def family_problems(self) -> list[str]:
        """is_a names that are not families, is_a on other words, and is_a cycles."""
        out = []
        fams = self.terms["unit_families"]
        for kind in ("unit_types", "unit_families"):
            for name, t in self.terms[kind].items():
                for f in t.is_a:  # type: ignore[union-attr]
                    if f not in fams:
                        out.append(f"{kind} '{name}' is_a unknown family '{f}'{did_you_mean(f, fams)}")
                if kind == "unit_families" and name in self.families_of(name)[1:]:
                    out.append(f"family '{name}' is a member of itself (is_a cycle)")
        for kind in TERM_KINDS:
            if kind not in ("unit_types", "unit_families"):
                for name, t in self.terms[kind].items():
                    if getattr(t, "is_a", None):
                        out.append(f"{kind} '{name}': is_a is for unit types and families only")
        return out  # a family with no member among the loaded packs is fine (a pack may be loaded alone)

    def attributes(self, on: str) -> dict[str, Attribute]:
        cache = self.__dict__.setdefault("_attr_cache", {})
        if on not in cache:
            cache[on] = {k: a for k, a in self.terms["attributes"].items() if a.on == on}  # type: ignore[union-attr]
        return cache[on]

    def label(self, kind: str, name: str, lang: str = "zh") -> str:
        t = self.terms.get(kind, {}).get(name)
        if t is None:
            return name
        return getattr(t, lang, name)

    # ------------------------------------------------------------ field specs
    def field_specs(self) -> dict[str, dict[str, FieldSpec]]:
        S = FieldSpec
        sectors = frozenset(self.sectors)
        v = self.names
        ent = {
            "size": S("size", "enum", True, frozenset({"large", "medium", "small", "micro"})),
            "sectors": S("sectors", "list", False, sectors),
            "subsectors": S("subsectors", "list", False, v("subsectors")),
            "industry_codes": S("industry_codes", "list", False),
            "project_type": S("project_type", "enum", False, frozenset({"existing", "new", "rebuilt", "expanded"})),
            "cp_audit_passed": S("cp_audit_passed", "bool", True),
            "financing_constrained": S("financing_constrained", "bool", True),
            "total_energy_tce": S("total_energy_tce", "number", True),
            "electricity_mwh": S("electricity_mwh", "number", True),
            "water_m3": S("water_m3", "number", True),
            "fuels": S("fuels", "list", False, v("fuels")),
            "unit_types": S("unit_types", "list", False, v("unit_types") | v("unit_families")),
            "waste_kinds": S("waste_kinds", "list", False, v("waste_kinds")),
            "voc_kinds": S("voc_kinds", "list", False, v("voc_kinds")),
            "voc_materials": S("voc_materials", "list", False, v("voc_materials")),
            "product_keys": S("product_keys", "list", False, v("products")),
        }
        for e in ("over_standard", "over_total_quota", "toxic_hazardous", "energy_over_quota", "on_mandatory_list"):
            ent[f"emissions.{e}"] = S(f"emissions.{e}", "bool", True)
        unit = {
            "type": S("type", "enum", False, v("unit_types")),
            "families": S("families", "list", False, v("unit_types") | v("unit_families")),
            "count": S("count", "number", False),
            "capacity": S("capacity", "number", True),
            "fuel": S("fuel", "enum", True, v("fuels")),
            "other_fuels": S("other_fuels", "list", False, v("fuels")),  # a second fuel (start-up, back-up, co-firing)
        }
        product = {
            "key": S("key", "enum", False, v("products")),
            "annual_output": S("annual_output", "number", True),
            "unit_energy": S("unit_energy", "number", True),
            "unit_water": S("unit_water", "number", True),
            "unit_material": S("unit_material", "number", True),
            "has_quota": S("has_quota", "bool", False),  # the product's key has sourced quota levels
            "has_access_level": S("has_access_level", "bool", False),  # the standard sets grade 2 (access value)
            "has_baseline": S("has_baseline", "bool", False),  # benchmark and baseline levels are sourced
            "in_project": S("in_project", "bool", False),  # part of the new, rebuilt or expanded line
            "energy_grade": S("energy_grade", "number", True),
            "vs_benchmark": S("vs_benchmark", "enum", True,
                              frozenset({"better_than_benchmark", "between", "worse_than_baseline"})),
            "energy_worse_than_cp_advanced": S("energy_worse_than_cp_advanced", "bool", True),
            "water_worse_than_cp_advanced": S("water_worse_than_cp_advanced", "bool", True),
            "material_worse_than_cp_advanced": S("material_worse_than_cp_advanced", "bool", True),
        }
        waste = {
            "kind": S("kind", "enum", False, v("waste_kinds")),
            "annual_t": S("annual_t", "number", True),
            "disposal": S("disposal", "enum", True, v("disposals")),
            "hazardous": S("hazardous", "bool", True),
        }
        voc = {
            "kind": S("kind", "enum", False, v("voc_kinds")),
            "material": S("material", "enum", True, v("voc_materials")),
            "method": S("method", "enum", True, v("voc_methods")),
            "enclosed": S("enclosed", "bool", True),
            "annual_solvent_t": S("annual_solvent_t", "number", True),
        }
        park = {
            "level": S("level", "enum", True, frozenset({"national", "provincial", "other"})),
            "enterprise_count": S("enterprise_count", "number", True),
            "leading_sectors": S("leading_sectors", "list", False, sectors),
            "shared_facilities": S("shared_facilities", "list", True, v("shared_facilities")),
            "water_reuse_rate": S("water_reuse_rate", "number", True, max=1),
            "total_energy_tce": S("total_energy_tce", "number", True),
        }
        for e in ("coal", "oil", "gas", "electricity", "renewables"):
            park[f"energy_mix.{e}"] = S(f"energy_mix.{e}", "number", True, max=1)
        specs = {"enterprise": ent, "unit": unit, "product": product, "waste": waste, "voc": voc, "park": park}
        for fact in ("enterprise", "unit", "park"):
            for name, a in self.attributes(fact).items():
                typ = {"bool": "bool", "number": "number", "enum": "enum", "text": "text"}[a.type]
                specs[fact][name] = S(name, typ, True, frozenset(a.values) if a.values else None, a.zh, a.en,
                                      max=a.max if a.type == "number" else None)
        return specs

    def attribute_clashes(self) -> list[str]:
        core = {"enterprise": set(EnterpriseProfile.model_fields) | {"fuels", "unit_types", "waste_kinds",
                                                                    "voc_kinds", "voc_materials", "product_keys",
                                                                    "t", "sid", "id", "ip"},
                "unit": {"type", "families", "count", "capacity", "fuel", "id", "uid", "t", "sid", "ip"},
                "park": set(ParkProfile.model_fields) | {"t", "sid", "id", "ip"}}
        return [f"attribute '{n}' clashes with the core {a.on} field of the same name"
                for n, a in self.terms["attributes"].items() if n in core[a.on]]  # type: ignore[union-attr]

    # --------------------------------------------------------- profile checks
    def _check_plans(self, p: Union[EnterpriseProfile, ParkProfile], measure_ids: set[str],
                     out: list[tuple[Loc, str]]) -> None:
        """Plans name known measures, known units and (for energy) known fuels; plan ids are unique."""
        seen: set[str] = set()
        for i, plan in enumerate(p.plans):
            if plan.measure not in measure_ids:
                out.append((("plans", i, "measure"),
                            f"unknown measure id '{plan.measure}'{did_you_mean(plan.measure, measure_ids)} / 未知措施编号"))
            pid = plan.id or plan.measure
            if pid in seen:
                out.append((("plans", i, "id"), f"two plans with the id '{pid}': give each an id / 方案编号重复"))
            seen.add(pid)
            for j, sv in enumerate(plan.savings):
                if sv.unit not in UNITS:
                    out.append((("plans", i, "savings", j, "unit"),
                                f"unknown unit '{sv.unit}'{did_you_mean(sv.unit, UNITS)} / 未知单位"))
                if UNITS.get(sv.unit, ("",))[0] in ("energy_ce", "electricity", "heat") or sv.carrier in self.terms["fuels"]:
                    if sv.carrier not in self.terms["fuels"]:
                        out.append((("plans", i, "savings", j, "carrier"),
                                    f"unknown fuel '{sv.carrier}'{self.hint('fuels', sv.carrier)} / 未知能源品种"))

    def check_profile(self, p: Union[EnterpriseProfile, ParkProfile], measure_ids: set[str]) -> list[tuple[Loc, str]]:
        """Names the vocabulary does not know, wrong attribute types, units that do not match."""
        out: list[tuple[Loc, str]] = []

        def term(kind: str, value: Any, loc: Loc, what: str) -> None:
            if value is not None and value not in self.terms[kind]:
                out.append((loc, f"unknown {what} '{value}'{self.hint(kind, str(value))} / 未知的{what}"))

        def measures(ids: list[str], loc: Loc) -> None:
            for i, mid in enumerate(ids):
                if mid not in measure_ids and mid != NONE_DONE:
                    out.append((loc + (i,), f"unknown measure id '{mid}'{did_you_mean(mid, measure_ids)} / 未知措施编号"))

        core_fields = {"enterprise": set(EnterpriseProfile.model_fields), "park": set(ParkProfile.model_fields),
                       "unit": set(Unit.model_fields)}

        def attrs(values: dict[str, Any], on: str, loc: Loc) -> None:
            known = self.attributes(on)
            for name, val in values.items():
                a = known.get(name)
                if a is None:
                    other = self.terms["attributes"].get(name)
                    if other is not None:
                        where = {"unit": "units[i].attributes", "enterprise": "attributes (of the enterprise)",
                                 "park": "attributes (of a park profile)"}[other.on]  # type: ignore[union-attr]
                        out.append((loc + (name,), f"'{name}' is a {other.on} attribute: write it under {where} / "  # type: ignore[union-attr]
                                                   f"“{name}”属于{ {'unit': '生产装置', 'enterprise': '企业', 'park': '园区'}[other.on] }的属性"))  # type: ignore[union-attr]
                        continue
                    if name in core_fields[on]:  # electricity_mwh under attributes: a field of the item itself
                        where = "units[i]" if on == "unit" else "the top level"
                        out.append((loc + (name,), f"'{name}' is a field of the {'unit' if on == 'unit' else 'profile'} "
                                                   f"itself, not an attribute: write it at {where} / “{name}”不是属性，"
                                                   f"请直接写在{'生产装置' if on == 'unit' else '画像'}一级"))
                        continue
                    hint = did_you_mean(name, known)
                    if hint:  # with its label: 工业废水回用率 is not 水重复利用率
                        key = hint.split("'")[1]
                        hint = f" (did you mean '{key}' ({known[key].zh})?)"
                    out.append((loc + (name,), f"unknown {on} attribute '{name}'{hint} / 未知属性"))
                    continue
                if a.type == "bool" and not isinstance(val, bool):
                    out.append((loc + (name,), f"'{name}' must be true or false, got {val!r}"))
                elif a.type == "number":
                    if isinstance(val, bool) or not isinstance(val, (int, float)):
                        out.append((loc + (name,), f"'{name}' must be a number, got {val!r}"))
                    elif (a.min is not None and val < a.min) or (a.max is not None and val > a.max):
                        out.append((loc + (name,), f"'{name}' = {val} is outside {a.min}..{a.max} {a.unit or ''}"))
                elif a.type == "enum" and val not in (a.values or []):
                    out.append((loc + (name,), f"'{name}' must be one of {a.values}, got {val!r}"
                                               f"{did_you_mean(str(val), a.values or [])}"))
                elif a.type == "text" and not isinstance(val, str):
                    out.append((loc + (name,), f"'{name}' must be text, got {val!r}"))

        measures(p.measures_in_place, ("measures_in_place",))
        self._check_plans(p, measure_ids, out)
        if isinstance(p, ParkProfile):
            attrs(p.attributes, "park", ("attributes",))
            for i, s in enumerate(p.leading_sectors):
                if s not in self.sectors:
                    out.append((("leading_sectors", i), f"unknown sector '{s}'{self.hint('sectors', s)} / 未知行业"))
            for i, f in enumerate(p.shared_facilities):
                term("shared_facilities", f, ("shared_facilities", i), "shared facility")
            return out
        attrs(p.attributes, "enterprise", ("attributes",))
        for i, s in enumerate(p.sectors):
            if s not in self.sectors:
                out.append((("sectors", i), f"unknown sector '{s}'{self.hint('sectors', s)} / 未知行业"))
        for i, s in enumerate(p.subsectors):
            term("subsectors", s, ("subsectors", i), "subsector")
        for i, e in enumerate(p.energy):
            term("fuels", e.fuel, ("energy", i, "fuel"), "fuel")
        for i, u in enumerate(p.units):
            term("unit_types", u.type, ("units", i, "type"), "unit type")
            term("fuels", u.fuel, ("units", i, "fuel"), "fuel")
            measures(u.measures_in_place, ("units", i, "measures_in_place"))
            attrs(u.attributes, "unit", ("units", i, "attributes"))
        for i, pr in enumerate(p.products):
            if pr.key is not None:
                term("products", pr.key, ("products", i, "key"), "product key")
                pk = self.terms["products"].get(pr.key)
                if pk is not None and pr.unit_energy_unit and pk.energy_unit and pr.unit_energy_unit != pk.energy_unit:
                    out.append((("products", i, "unit_energy_unit"),
                                f"unit energy of '{pr.key}' is measured in {pk.energy_unit}, got {pr.unit_energy_unit}"
                                " / 单位产品能耗计量单位不符"))
        for i, w in enumerate(p.solid_wastes):
            term("waste_kinds", w.kind, ("solid_wastes", i, "kind"), "solid waste kind")
            term("disposals", w.disposal, ("solid_wastes", i, "disposal"), "disposal")
        for i, o in enumerate(p.voc_operations):
            term("voc_kinds", o.kind, ("voc_operations", i, "kind"), "VOC operation")
            term("voc_materials", o.material, ("voc_operations", i, "material"), "VOC material")
            term("voc_methods", o.method, ("voc_operations", i, "method"), "VOC method")
        return out

    def hint(self, kind: str, word: str, show: int = 12) -> str:
        """' (did you mean …?)' for a close name, else the valid values (the first ``show`` and how to see all)."""
        names = sorted(self.sectors if kind == "sectors" else self.terms[kind])
        close = did_you_mean(word, names)
        if close:
            return close
        head = ", ".join(names[:show])
        more = f", … {len(names) - show} more: cpadvisor vocab" if len(names) > show else ""
        return f" (valid: {head}{more})"

    def sectors_of_codes(self, codes: list[str]) -> list[str]:
        """Packs that GB/T 4754 codes map to (longest prefix wins)."""
        out = []
        for code in codes:
            digits = code.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            best = max((p for p in self.industry_codes if digits.startswith(p)), key=len, default=None)
            if best and self.industry_codes[best] not in out:
                out.append(self.industry_codes[best])
        return out
