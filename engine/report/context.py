"""The report's content as plain data: one context shared by the Markdown, HTML and Word renderers."""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Optional

from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.targets import TARGET_SOURCE, TARGETS
from cpadvisor.models.results import Assessment, BenchmarkGap, ConditionResult, Finding, Text, ThresholdUse
from cpadvisor.report.memo import keep
from cpadvisor.report.translate import cite_en, clause_en, clauses_en, indicator_unit_en, place_en, units_en
from cpadvisor.report.labels import (CITY_EN, FIELD_LABELS, LIST_DEPARTMENT, PARK_LEVEL, PROJECT_TYPE, SIZE, TOXIC_CATEGORY,
                                     VS_BENCHMARK, labels, pick)

AUDIT_IDS = ("policy.mandatory_audit", "policy.voluntary_audit", "policy.simplified_audit")
INCENTIVE_IDS = ("policy.incentive_priority", "policy.performance_contracting")
CONSEQUENCE_IDS = ("policy.audit_consequences",)
OTHER_POLICY_IDS = ("policy.annual_performance_report", "policy.carbon_in_audit", "policy.project_admission_gate")
POLICY_SECTION_IDS = AUDIT_IDS + INCENTIVE_IDS + CONSEQUENCE_IDS + OTHER_POLICY_IDS
CATEGORY_ORDER = ("energy", "water", "pollution", "carbon", "resources", "safety", "management")
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2, None: 3}

# which vocabulary a field's words come from
TERM_OF_FIELD = {
    "type": "unit_types", "unit_types": "unit_types", "fuel": "fuels", "fuels": "fuels",
    "subsectors": "subsectors", "waste_kinds": "waste_kinds", "disposal": "disposals",
    "voc_kinds": "voc_kinds", "voc_materials": "voc_materials", "material": "voc_materials",
    "method": "voc_methods", "shared_facilities": "shared_facilities", "product_keys": "products", "key": "products",
}
WORDS_OF_FIELD = {"size": SIZE, "project_type": PROJECT_TYPE, "level": PARK_LEVEL, "vs_benchmark": VS_BENCHMARK,
                  "toxic_categories": TOXIC_CATEGORY, "list_department": LIST_DEPARTMENT}
MEMO_MAX = 50_000  # words kept per language across reports
PROVENANCE_ZH = (  # longest first
    ("Tier C DRAFT transcription (uebench), official text not read", "征求意见稿的第三方转录（uebench，C级来源），未读官方原文"),
    ("Tier C transcription (uebench), official text not read", "第三方转录（uebench，C级来源），未读官方原文"),
    ("Tier C demo data in public GitHub JS, official text not read", "公开代码中的演示数据（C级来源），未读官方原文"),
    ("Tier C demo data, official text not read", "演示数据（C级来源），未读官方原文"),
    ("official text not read", "未读官方原文"), ("as reported by", "据报道："), ("Tier C", "C级来源"),
    ("Tier B", "B级来源"),
)
COLLECT_INSTEAD = {"energy_grade": "unit_energy", "vs_benchmark": "unit_energy"}  # computed fields: collect the input
CORE_LABEL_KEYS = {  # core fields shown with an overview label
    "sectors": "f_sectors", "subsectors": "f_subsectors", "industry_codes": "f_industry_codes",
    "type": "c_type", "unit_types": "t_units", "fuels": "c_fuel", "waste_kinds": "t_wastes", "voc_kinds": "t_voc",
    "voc_materials": "c_material", "product_keys": "t_products", "leading_sectors": "f_leading_sectors",
    "shared_facilities": "f_shared_facilities", "kind": "c_kind", "count": "c_count",
    "name": "f_name", "city": "f_city", "county": "f_county", "park": "f_park", "credit_code": "f_credit_code",
    "measures_in_place": "f_measures_in_place", "id": "c_unit_id", "capacity_unit": "f_capacity_unit",
    "annual": "c_annual", "unit": "f_unit", "enterprises": "f_enterprises", "unit_energy_unit": "f_unit",
    "unit_water_unit": "f_unit", "unit_material_unit": "f_unit",
}


_ITEM_ID = re.compile(r"\[[^\]]+\]")  # units[SJ1].x -> units[].x
_NUMS: dict[tuple, str] = {}  # (type, value, unit) -> its words: thresholds and levels recur in every report
_NUMS_MAX = 20_000


def fmt_num(v: Any, unit: Optional[str] = None) -> str:
    """1234567.0 -> '1,234,567'; 0.25 -> '0.25' (no invented precision)."""
    key = (v.__class__, v, unit)
    try:
        return _NUMS[key]
    except KeyError:
        pass
    except TypeError:  # not hashable: not a number
        return str(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        out = str(v)
    else:
        s = f"{int(v):,}" if float(v).is_integer() else f"{v:,.6f}".rstrip("0").rstrip(".")
        out = f"{s} {unit}" if unit else s
    return keep(_NUMS, key, out, _NUMS_MAX)


def short_source(source: str) -> str:
    """The document and table of a source, without the provenance notes (those go to the working papers):
    'GB 21256-2025 表3; Tier C transcription (uebench), official text not read' -> 'GB 21256-2025 表3'."""
    head = source.split(";", 1)[0].strip()
    for cut in (" (as labelled)", ", as reported", ", as quoted", " as reported", " as quoted", ". Read here only"):
        head = head.split(cut, 1)[0]
    return head.strip() or source


class Ctx:
    """Builds the context for one assessment, language and knowledge base."""

    def __init__(self, a: Assessment, lang: str, kb: KnowledgeBase):
        self.a, self.lang, self.kb = a, lang, kb
        self.L = labels(lang)
        self.p = a.profile
        # words that depend only on the knowledge and the language (a label, a vocabulary value in words), kept
        # across reports; bounded, since profile values (names, numbers) pass through it too
        memo = kb.runtime.setdefault("report_words", {})
        self._memo = memo.get(lang)
        if self._memo is None or len(self._memo) > MEMO_MAX:
            self._memo = memo[lang] = {}
        self.uid_labels = self._uid_labels()
        self._order: Optional[dict[str, int]] = None  # the profile's order of units, wastes and VOC operations
        # a finding's evidence, read by its item and by the working papers
        self._evidence: dict[int, tuple[list, list[dict]]] = {}
        self._items: dict[int, tuple[Finding, dict]] = {}  # a finding's item, shown in more than one section
        self._by_id: Optional[dict[str, Finding]] = None

    def finding(self, measure_id: str) -> Optional[Finding]:
        """``Assessment.finding`` from an index made once per report (the first finding of a measure)."""
        if self._by_id is None:
            self._by_id = {}
            for f in self.a.findings:
                self._by_id.setdefault(f.measure_id, f)
        return self._by_id.get(measure_id)

    # ---------------------------------------------------------------- words
    def t(self, pair) -> str:
        """A Text model or a (zh, en) pair in the report language."""
        if pair.__class__ is Text:  # the usual case first
            return clauses_en(pair.en) if self.lang == "en" else pair.zh
        if pair is None:
            return ""
        if isinstance(pair, tuple):
            return pick(pair, self.lang)
        text = pair.get(self.lang) if hasattr(pair, "get") else str(pair)
        return clauses_en(text) if self.lang == "en" else text

    def term(self, kind: str, name: str) -> str:
        if kind == "sectors":
            s = self.kb.vocab.sectors.get(name)
            return self.t(s) if s is not None else name
        return self.kb.vocab.label(kind, name, self.lang)

    def word(self, field: str, value: Any, fact: str = "enterprise") -> str:
        """A profile value in words: booleans, vocabulary names, numbers with their unit."""
        if isinstance(value, (str, int, float)):  # a scalar's words depend on the knowledge and language only
            return self._remember(("w", field, fact, type(value), value), self._word, field, value, fact)
        return self._word(field, value, fact)

    @staticmethod
    def _once(store: dict, obj: Any, make: Any) -> Any:
        """``make(obj)``, made once per object of this report (kept with the object: its id cannot be reused)."""
        hit = store.get(id(obj))
        if hit is None or hit[0] is not obj:
            hit = store[id(obj)] = (obj, make(obj))
        return hit[1]

    def _remember(self, key: tuple, make: Any, *args: Any) -> Any:
        """``make(*args)``, remembered under ``key`` across reports of this knowledge base and language."""
        out = self._memo.get(key)
        if out is None:
            out = self._memo[key] = make(*args)
        return out

    def _word(self, field: str, value: Any, fact: str) -> str:
        L = self.L
        if value is None:
            return L["not_available"]
        if isinstance(value, bool):
            return L["yes"] if value else L["no"]
        if isinstance(value, dict):
            return "; ".join(f"{self.field_label(fact, k)}: {self.word(k, v, fact)}" for k, v in value.items())
        if isinstance(value, (list, tuple)):
            if not value:
                return "—"
            return "、".join(self.word(field, v, fact) for v in value) if self.lang != "en" else \
                ", ".join(self.word(field, v, fact) for v in value)
        if isinstance(value, (int, float)):
            spec = self.kb.vocab.terms["attributes"].get(field)
            return fmt_num(value, getattr(spec, "unit", None))
        if field in ("sectors", "leading_sectors"):
            return self.term("sectors", value)
        if field in ("families", "unit_types"):  # unit types and the equipment families they belong to (is_a)
            kind = "unit_types" if value in self.kb.vocab.terms["unit_types"] else "unit_families"
            return self.term(kind, value)
        attr = self.kb.vocab.terms["attributes"].get(field)
        labels = getattr(attr, "labels", None)
        if labels and value in labels:
            return getattr(labels[value], "en" if self.lang == "en" else "zh")
        if field in WORDS_OF_FIELD and value in WORDS_OF_FIELD[field]:
            return pick(WORDS_OF_FIELD[field][value], self.lang)
        if field == "kind":
            return self.term({"waste": "waste_kinds", "voc": "voc_kinds"}.get(fact, "waste_kinds"), value)
        if field in TERM_OF_FIELD:
            return self.term(TERM_OF_FIELD[field], value)
        if field == "city" and self.lang == "en":
            return CITY_EN.get(value, value)
        return str(value)

    def field_label(self, fact: str, field: str) -> str:
        return self._remember(("f", fact, field), self._field_label, fact, field)

    def _field_label(self, fact: str, field: str) -> str:
        spec = self.kb.specs.get(fact, {}).get(field)
        if spec is not None and (spec.zh or spec.en):
            return spec.en if self.lang == "en" else spec.zh
        if field in FIELD_LABELS:
            return pick(FIELD_LABELS[field], self.lang)
        if field in CORE_LABEL_KEYS:
            return self.L[CORE_LABEL_KEYS[field]]
        return field

    def waste_name(self, waste: dict, kind: Optional[str] = None) -> str:
        """A waste as the plant names it, with its kind: 废瓷片（其他固废）; the kind alone without a name."""
        kind = kind if kind is not None else self.term("waste_kinds", waste["kind"])
        name = waste.get("name")
        if not name or name in kind:
            return kind
        return f"{name}（{kind}）" if self.lang != "en" else f"{name} ({kind})"

    def _uid_labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for u in self.p.get("units", []) or []:
            out[u["id"]] = f"{u['id']}（{self.term('unit_types', u['type'])}）" if self.lang != "en" else \
                f"{u['id']} ({self.term('unit_types', u['type'])})"
        for i, w in enumerate(self.p.get("solid_wastes", []) or []):
            out[f"{w['kind']}#{i + 1}"] = self.waste_name(w) + f" #{i + 1}"
        for i, o in enumerate(self.p.get("voc_operations", []) or []):
            out[f"{o['kind']}#{i + 1}"] = f"{self.term('voc_kinds', o['kind'])} #{i + 1}"
        return out

    def units(self, f: Finding) -> list[str]:
        if not f.units:
            return []
        order = self._order
        if order is None:
            order = self._order = {u: i for i, u in enumerate(self.uid_labels)}
        return [self.uid_labels.get(u, u) for u in sorted(f.units, key=lambda u: order.get(u, len(order)))]

    # ------------------------------------------------------------- sections
    def overview(self) -> dict:
        p, L, w = self.p, self.L, self.word
        rows: list[tuple[str, str]] = [(L["f_name"], p["name"])]
        if p.get("credit_code"):
            rows.append((L["f_credit_code"], p["credit_code"]))
        county = p.get("county") or ""
        if county and self.lang == "en":
            county = place_en(county)
        loc = " ".join(x for x in (w("city", p.get("city")) if p.get("city") else "", county) if x)
        if loc:
            rows.append((L["f_location"], loc))
        if p["kind"] == "park":
            for key, field in (("f_level", "level"), ("f_enterprise_count", "enterprise_count"),
                               ("f_leading_sectors", "leading_sectors"), ("f_shared_facilities", "shared_facilities"),
                               ("f_total_energy", "total_energy_tce")):
                if p.get(field) not in (None, []):
                    rows.append((L[key], w(field, p[field]) + (" tce" if field == "total_energy_tce" else "")))
            if p.get("water_reuse_rate") is not None:
                rows.append((L["f_water_reuse_rate"], f"{p['water_reuse_rate'] * 100:g}%"))
            mix = {k: v for k, v in (p.get("energy_mix") or {}).items() if v is not None}
            if mix:
                rows.append((L["f_energy_mix"], ", ".join(f"{self.field_label('park', 'energy_mix.' + k)} "
                                                          f"{v * 100:g}%" for k, v in mix.items())))
        else:
            if p.get("park"):
                rows.append((L["f_park"], p["park"]))
            for key, field, unit in (("f_size", "size", None), ("f_sectors", "sectors", None),
                                     ("f_subsectors", "subsectors", None), ("f_industry_codes", "industry_codes", None),
                                     ("f_project_type", "project_type", None), ("f_total_energy", "total_energy_tce", "tce"),
                                     ("f_electricity", "electricity_mwh", "MWh"), ("f_water", "water_m3", "m³"),
                                     ("f_cp_audit_passed", "cp_audit_passed", None)):
                v = p.get(field)
                if v in (None, []):
                    continue
                rows.append((L[key], fmt_num(v, unit) if unit else w(field, v)))
        attrs = p.get("attributes") or {}
        if attrs:
            rows.append((L["c_attributes"], "; ".join(f"{self.field_label(p['kind'], k)}: {w(k, v)}"
                                                      for k, v in attrs.items())))
        return {"rows": rows, "tables": self._overview_tables()}

    def _overview_tables(self) -> list[dict]:
        p, L, w = self.p, self.L, self.word
        tables = []
        if p.get("energy"):
            tables.append({"title": L["t_energy"], "head": [L["c_fuel"], L["c_annual"]],
                           "rows": [[w("fuel", e["fuel"]), fmt_num(e["annual"], e.get("unit"))] for e in p["energy"]]})
        if p.get("units"):
            rows = []
            for u in p["units"]:
                extra = "; ".join([f"{self.field_label('unit', k)}: {w(k, v, 'unit')}"
                                   for k, v in (u.get("attributes") or {}).items()]
                                  + ([f"{L['c_notes']}: {u['notes']}"] if u.get("notes") else []))
                cap = fmt_num(u["capacity"], u.get("capacity_unit")) if u.get("capacity") is not None else ""
                rows.append([u["id"], w("type", u["type"]), str(u.get("count", 1)), cap,
                             "、".join(w("fuel", x) for x in ([u["fuel"]] if u.get("fuel") else [])
                                      + (u.get("other_fuels") or [])),
                             extra])
            tables.append({"title": L["t_units"], "head": [L["c_unit_id"], L["c_type"], L["c_count"], L["c_capacity"],
                                                           L["c_fuel"], L["c_attributes"]], "rows": rows})
        if p.get("products"):
            rows = []
            for pr in p["products"]:
                pk = self.kb.vocab.terms["products"].get(pr.get("key") or "")
                eu = pr.get("unit_energy_unit") or getattr(pk, "energy_unit", None)
                rows.append([pr["name"], self.term("products", pr["key"]) if pr.get("key") else "",
                             fmt_num(pr["annual_output"], pr.get("output_unit") or getattr(pk, "output_unit", None))
                             if pr.get("annual_output") is not None else L["not_available"],
                             fmt_num(pr["unit_energy"], eu) if pr.get("unit_energy") is not None else L["not_available"]])
            tables.append({"title": L["t_products"], "head": [L["c_product"], L["b_indicator"], L["c_output"],
                                                              L["c_unit_energy"]], "rows": rows})
        if p.get("solid_wastes"):
            tables.append({"title": L["t_wastes"], "head": [L["c_kind"], L["c_amount"], L["c_disposal"], L["c_hazardous"]],
                           "rows": [[self.waste_name(s, w("kind", s["kind"], "waste"))
                                     + (f"（{s['notes']}）" if s.get("notes") else ""),
                                     fmt_num(s["annual_t"], "t") if s.get("annual_t") is not None else L["not_available"],
                                     w("disposal", s.get("disposal")), w("hazardous", s.get("hazardous"))]
                                    for s in p["solid_wastes"]]})
        if p.get("voc_operations"):
            def num(o: dict, field: str, unit: str) -> str:
                return fmt_num(o[field], unit) if o.get(field) is not None else L["not_available"]

            tables.append({"title": L["t_voc"], "head": [L["c_kind"], L["c_material"], L["c_method"], L["c_enclosed"],
                                                         L["c_solvent"], L["c_capture"], L["c_voc_content"]],
                           "rows": [[w("kind", o["kind"], "voc"), w("material", o.get("material")),
                                     w("method", o.get("method")), w("enclosed", o.get("enclosed")),
                                     num(o, "annual_solvent_t", "t"), num(o, "capture_efficiency_pct", "%"),
                                     num(o, "voc_content_g_l", "g/L")] for o in p["voc_operations"]]})
        return tables

    def evidence(self, conds: list[ConditionResult]) -> list[dict]:
        """The profile values a finding rests on: label, value in words, the condition as written."""
        return self._once(self._evidence, conds, self._evidence_of)

    def _evidence_of(self, conds: list[ConditionResult]) -> list[dict]:
        out = []
        for c in conds:
            if c.outcome != "true" or c.fact == "derived":
                if c.fact == "derived" and c.outcome == "true":
                    out.append({"label": self.derived_label(c.field or ""), "value": self.L["yes"] if not
                                c.text.startswith("not ") else self.L["no"], "cond": c.text})
                continue
            fields = (c.field or "").split(",")
            if isinstance(c.value, dict):  # an any(...) group: one line per field it read
                parts = c.text[4:-1].split("; ") if c.text.startswith("any(") and c.text.endswith(")") else []
                for f, v in c.value.items():
                    if v is None:
                        continue
                    sub = next((x for x in parts if x.split(" ", 1)[0] == f), c.text)
                    out.append({"label": self.field_label(c.fact, f), "value": self.word(f, v, c.fact), "cond": sub})
            else:
                out.append({"label": self.field_label(c.fact, fields[0]), "value": self.word(fields[0], c.value, c.fact),
                            "cond": c.text})
        return out

    def derived_label(self, name: str) -> str:
        rules = self.kb.producers(name)
        if name == "mandatory_audit":
            return self.L["audit_mandatory"]
        return self.t(rules[0].rule.because) if rules else name

    def missing_label(self, m: str) -> tuple[str, str]:
        """'<fact>.<field>' -> (what to collect, the object it is about)."""
        return self._remember(("m", m), self._missing_label, m)

    def _missing_label(self, m: str) -> tuple[str, str]:
        if m.startswith("verify.law:"):  # verify.law:<id>: a legal text the rule rests on, read only as restated
            law = self.kb.laws.get(m.split(":", 1)[1])
            return self.L["v_check_law"].format(t=self.t(law.title) if law else m.split(":", 1)[1]), ""
        if m.startswith("verify.") and ":" in m:  # verify.<measure>:<ground>: a legal text read only as restated
            g = self.kb.ground(m.split(".", 1)[1])
            cite = (g.cite_en if self.lang == "en" else g.cite) if g else m.split(".", 1)[1]
            return self.L["v_check_text"].format(t=cite), ""
        if m.startswith("verify."):
            t = self.kb.thresholds.get(m.split(".", 1)[1])
            what = f"{self.cite(t)} = {fmt_num(t.value, t.unit)}" if t else m.split(".", 1)[1]
            return self.L["v_check_threshold"].format(t=what), ""
        if m.startswith("conflict."):
            fact = m.split(".", 1)[1]
            return self.L["v_check_conflict"].format(f=self.field_label("enterprise", fact)), ""
        if "." not in m or m.split(".", 1)[0] not in ("enterprise", "unit", "product", "waste", "voc", "park", "derived"):
            return pick(FIELD_LABELS.get(m, (m, m)), self.lang), ""
        fact, field = m.split(".", 1)
        field = COLLECT_INSTEAD.get(field, field) if fact == "product" else field
        if fact == "derived":  # a conclusion of other rules, itself open: say so, and where it is settled
            if field == "mandatory_audit":
                return self.L["v_derived_audit"], ""
            return self.L["v_derived"].format(x=self.derived_label(field)), ""
        label = self.field_label(fact, field)
        spec = self.kb.specs.get(fact, {}).get(field)
        if spec is not None and spec.type == "bool" and "是否" not in label and not label.startswith("Whether"):
            label += self.L["v_bool_hint"]
        return label, ""

    def finding_item(self, f: Finding) -> dict:
        """A finding in the client's words (the same dict wherever the report shows it: read only)."""
        return self._once(self._items, f, self._finding_item)

    def _finding_item(self, f: Finding) -> dict:
        en = self.lang == "en"
        asked = {o.fact: self.t(o.question) for o in f.observed  # numbers awaiting judgement
                 if o.threshold is None} if f.observed else {}
        reason = self.t(f.reason) if f.reason else ""
        if reason and f.status == "to_verify":  # the rule's reason holds once the missing facts are confirmed
            reason = self.L["m_if_confirmed"] + reason
        if f.ranked_below:
            first = self.kb.measures.get(f.ranked_below)
            first_name = self.t(first.measure.name) if first else f.ranked_below
            why = self.t(f.note) if f.note else ""
            reason += (f" (listed after “{first_name}”: {why})" if en else f"（列在“{first_name}”之后：{why}）")
        name = self.t(f.name)
        if f.optional:
            name = ("Optional: " if en else "可选：") + name
        return {
            "id": f.measure_id, "name": name, "clause": self.clause(f.clause), "status": self.L[f"st_{f.status}"],
            "status_key": f.status, "priority": self.L.get(f"pr_{f.priority}", "") if f.priority else "",
            "units": self.units(f), "reason": reason,
            "evidence": self.evidence(f.conditions),
            "thresholds": [self.threshold_line(t) for t in f.thresholds] if f.thresholds else [],
            "missing": [asked.get(m) or self.missing_label(m)[0] for m in f.missing] if f.missing else [],
            "cost": f.cost, "categories": f.categories,
            "verdict": self.L.get(f"vd_{f.verdict}", f.verdict or "") if f.verdict else "",
            "duties": [self.duty_line(d, n) for d, n in zip(f.duties, self.law_notes(f.duties))] if f.duties else [],
            **self.measure_words(f.measure_id),
        }

    def measure_words(self, mid: str) -> dict:
        """What a report says of a measure whatever the profile (description, effects, applicability ...),
        made once per knowledge base, measure and language."""
        cache = self.kb.runtime.setdefault("report_measure_words", {})
        key = (self.lang, mid)
        words = cache.get(key)
        if words is None:
            info = self.kb.measures.get(mid)
            m = info.measure if info else None
            words = cache[key] = {
                "description": self.t(m.description) if m else "",
                "effects": [self.effect_line(e) for e in m.effects] if m else [],
                "applicability": [self.t(x) for x in m.applicability] if m else [],
                "prerequisites": [self.t(x) for x in m.prerequisites] if m else [],
                "cross_media": [self.t(x) for x in m.cross_media] if m else [],
                "interactions": self.interactions(m) if m else [],
            }
        return words

    def law_notes(self, items: list) -> list[str]:
        """Per duty or ground of one list, the note on its cited text to print (``law_note``): said once, on the
        first item of a run citing the same text, with 'the same for those below' when more follow."""
        out, prev = [], None
        notes = [self.t(x.law_note) if x.law_note is not None else "" for x in items]
        for i, note in enumerate(notes):
            if not note or note == prev:
                out.append("")
            else:
                more = i + 1 < len(notes) and notes[i + 1] == note
                out.append(self.L["du_law"].format(note=note) + (self.L["du_law_below"] if more else ""))
            prev = note
        return out

    def duty_line(self, d: Any, law_note: Optional[str] = None) -> dict:
        """A duty in the client's words: what, by when, the article; the reading in the working papers.
        ``law_note``: what :meth:`law_notes` prints for it (default: its own note)."""
        en = self.lang == "en"
        when = (self.L["du_due"].format(d=d.due) if d.due else self.t(d.note) if d.note else "")
        cite = d.cite_en if en else d.cite
        if law_note is None:
            law_note = self.law_notes([d])[0]
        if law_note:  # the cited text is repealed, or the law it implements is
            cite += (". " if en else "。") + law_note
        return {"text": self.t(d.text), "when": when, "cite": cite,
                "mark": "" if d.verified else self.L["du_unverified"]}

    def interactions(self, m: Any) -> list[str]:
        """'comes after X', 'replaces Y', 'excludes Z' with the other measures' names."""
        out = []
        for rel, ids in m.interactions.model_dump().items():
            for other in ids:
                o = self.kb.measures.get(other)
                out.append(self.L[f"ix_{rel}"].format(m=self.t(o.measure.name) if o else other))
        return out

    def clause(self, c: str) -> str:
        """A policy clause in the report's language (English: 'Sec. 3(2)2, steel industry')."""
        return clause_en(c) if self.lang == "en" else c

    def cite(self, t: Any) -> str:
        """The source of a number named plainly: document and table, in the report's language."""
        c = t.cite or short_source(t.source)
        return cite_en(c, getattr(t, "cite_en", None)) if self.lang == "en" else c

    def effect_line(self, e: Any) -> dict:
        """A typical effect in words: what, how much, where it holds, the source and its mark; for an energy effect
        its CO2 where every input has a factor (else what is missing)."""
        num = (fmt_num(e.value, e.unit) if e.value is not None
               else f"{fmt_num(e.low)}–{fmt_num(e.high, e.unit)}")
        src = ((e.source_en if self.lang == "en" and e.source_en else e.source) or "") + (f" ({e.year})" if e.year else "")
        text = f"{self.t(e.basis)}: {num} ({self.L['e_scope']}: {self.t(e.scope)}); {src}"
        if e.kind == "energy":
            from cpadvisor.economics.co2 import effect_co2
            value, unit, missing = effect_co2(self.kb.thresholds, e, self._mix_intensity(), self.a.assessed_at.date(),
                                              (self.p.get("attributes") or {}).get("grid_factor_scope"))
            if value is not None:
                text += "; " + self.L["e_co2"].format(v=fmt_num(float(round(value, 4)), unit))
            elif missing:
                text += "; " + self.L["e_co2_missing"].format(m=self.L[f"e_miss_{missing}"])
        return {"text": text, "verified": e.verified,
                "mark": "" if e.verified else self.L["b_unverified"]}

    def _mix_intensity(self) -> Any:
        """The plant's energy-mix CO2 intensity (tCO2/tce) where every fuel has a factor (once per report)."""
        if "mix" not in self.__dict__:
            from types import SimpleNamespace

            from cpadvisor.economics.co2 import mix_intensity
            energy = [SimpleNamespace(**e) for e in self.p.get("energy") or []]
            self.__dict__["mix"] = mix_intensity(self.kb.thresholds, energy, self.a.assessed_at.date(),
                                                 (self.p.get("attributes") or {}).get("grid_factor_scope"))[0]
        return self.__dict__["mix"]

    def carrier(self, c: str) -> str:
        """A saving's carrier in words: a fuel of the vocabulary, or water / material."""
        return self.term("fuels", c) if c in self.kb.vocab.terms["fuels"] else self.L.get(f"carrier_{c}", c)

    def feasibility(self) -> dict:
        """The plans' economics (方案可行性分析) and the figures to collect for 中/高费 options without a plan."""
        L, en = self.L, self.lang == "en"

        def money(x: Optional[float]) -> str:
            return fmt_num(x) if x is not None else L["f_not_computed"]

        def pct(x: Optional[float]) -> str:
            return f"{x * 100:.1f} %" if x is not None else L["f_not_computed"]

        rows, sens, notes, factors, after = [], [], [], {}, []
        for r in self.a.plans:
            if r.feasible is not None or r.method == "after_tax" or r.feasibility:
                limit = (L.get(f"f_class_{r.cost_class}", r.cost_class or "—")
                         + (f" ≤ {fmt_num(r.payback_limit_years)}" if r.payback_limit_years is not None else ""))
                verdict = {True: L["f_feasible_yes"], False: L["f_feasible_no"], None: L["f_feasible_open"]}[r.feasible]
                after.append([self.t(r.name), L["f_method_" + r.method],
                              money(r.cash_flow_wan) if r.cash_flow_wan is not None else "—",
                              fmt_num(r.after_tax_payback_years if r.method == "after_tax" else r.payback_years)
                              if (r.after_tax_payback_years if r.method == "after_tax" else r.payback_years) is not None
                              else L["f_not_computed"], limit,
                              money(r.after_tax_npv_wan if r.method == "after_tax" else r.npv_wan),
                              fmt_num(r.after_tax_npv_ratio if r.method == "after_tax" else r.npv_ratio)
                              if (r.after_tax_npv_ratio if r.method == "after_tax" else r.npv_ratio) is not None
                              else L["f_not_computed"],
                              pct(r.after_tax_irr if r.method == "after_tax" else r.irr),
                              verdict + (": " if en else "：") + ("; " if en else "；").join(self.t(x) for x in r.feasibility)])
            name = self.t(r.name)
            rate_life = (f"{pct(r.discount_rate) if r.discount_rate is not None else '—'} / "
                         f"{r.life_years if r.life_years else '—'}")
            rows.append([str(r.rank) if r.rank else "—", name, L.get(f"pl_{r.status}", r.status)
                         + (f" ({r.status_date})" if r.status_date else ""),
                         money(r.investment_wan), money(r.annual_net_wan),
                         fmt_num(r.payback_years) if r.payback_years is not None else L["f_not_computed"],
                         money(r.npv_wan), fmt_num(r.npv_ratio) if r.npv_ratio is not None else L["f_not_computed"],
                         pct(r.irr), rate_life])
            co2 = "—"
            if r.co2_t_per_year is not None:
                unverified = any(s.factor is not None and not s.factor.verified for s in r.savings)
                co2 = fmt_num(r.co2_t_per_year) + (f" [{L['b_unverified']}]" if unverified else "")
                if r.co2_incomplete:
                    co2 += f" ({L['f_co2_partial']})"
            for s_ in r.savings:
                if s_.factor is not None:
                    factors[s_.factor.id] = self.threshold_line(s_.factor)
            cases = {c.label: c for c in r.sensitivity}
            npvs = [c.npv_wan for c in cases.values() if c.npv_wan is not None]
            irrs = [c.irr for c in cases.values() if c.irr is not None]
            sens.append([name,
                         f"{fmt_num(min(npvs))} … {fmt_num(max(npvs))}" if npvs else L["f_not_computed"],
                         f"{pct(min(irrs))} … {pct(max(irrs))}" if irrs else L["f_not_computed"],
                         "; ".join(f"{self.carrier(s_.carrier)} {fmt_num(s_.amount, s_.unit)}" for s_ in r.savings) or "—",
                         co2])
            msgs = [self.t(f) for f in r.flags]
            if r.missing:
                msgs.append(L["f_missing"] + (": " if en else "：") + "; ".join(
                    L.get(f"fig_{m}", m) for m in r.missing))
            if msgs:
                notes.append({"plan": name, "text": "; ".join(msgs)})
        collect = []
        for c in self.a.to_collect:
            info = self.kb.measures.get(c.measure_id)
            typical = [self.effect_line(e) for e in info.measure.effects] if info else []
            collect.append({"name": self.t(c.name), "figures": "; ".join(L.get(f"fig_{x}", x) for x in c.figures),
                            "typical": typical})
        return {"any": bool(rows), "rows": rows, "sensitivity": sens, "notes": notes, "after": after,
                "after_head": [L[k] for k in ("f_plan", "f_method", "f_cash_flow", "f_payback", "f_quota_period",
                                              "f_npv", "f_npvr", "f_irr", "f_verdict")],
                "factors": list(factors.values()), "collect": collect,
                "head": [L[k] for k in ("f_rank", "f_plan", "f_status", "f_investment", "f_net", "f_payback", "f_npv",
                                        "f_npvr", "f_irr", "f_rate_life")],
                "sens_head": [L["f_plan"], L["f_npv"], L["f_irr"], L["f_savings"], L["f_co2"]]}

    def cp_eval(self) -> list[dict]:
        """清洁生产水平评价: per indicator system, each indicator's value, the document's Ⅰ/Ⅱ/Ⅲ values and the level
        reached; the composite indices and grade, or why they cannot be computed; the problems with the measures
        that improve them."""
        L, en = self.L, self.lang == "en"
        roman = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ"}
        out = []
        for e in self.a.cp_evaluations:
            rows, problems = [], []
            for r in e.indicators:
                if r.levels:
                    sign = "≤" if r.direction == "<=" else "≥"
                    vals = [f"{sign}{fmt_num(r.levels[k])}" if k in r.levels else "—" for k in ("I", "II", "III")]
                else:
                    vals = [self.t(r.texts[k]) if k in r.texts else "—" for k in ("I", "II", "III")]
                if not r.applicable:
                    value, level = L["cp_not_applicable"] + (f" ({r.note})" if r.note else ""), "—"
                elif r.rating is not None:
                    value = L["cp_rated"] + (f" ({r.note})" if r.note else "")
                    level = L[f"cp_level_{r.rating}"]
                elif r.value is not None:
                    origin = L["cp_from_profile"] if r.origin and r.origin.startswith("products.") else \
                        L.get(f"cp_quality_{r.quality}", L["cp_entered"])
                    value = f"{fmt_num(r.value)} ({origin})"
                    level = L[f"cp_level_{r.level}"]
                else:
                    value, level = L["cp_no_value"], L["cp_level_none"]
                unit = (indicator_unit_en(r.unit) if en else r.unit) if r.unit else "—"
                rows.append([self.t(r.group), self.t(r.name) + (" *" if r.limiting else ""), unit, value]
                            + vals + [level])
                if r.applicable and r.level in ("II", "III", "below"):
                    measures = ("; " if en else "；").join(
                        self.t(m.name) + (f" ({L['st_' + m.status]})" if m.status and f"st_{m.status}" in L else "")
                        for m in r.improved_by) or L["cp_no_measure"]
                    problems.append({"indicator": self.t(r.name), "level": level, "measures": measures})
            y = ("; " if en else "；").join(f"Y_{roman[k]} = {fmt_num(v)}" for k, v in e.y.items())
            grade = L[f"cp_grade_{e.grade}"] if e.grade else L["cp_grade_none"]
            names = ("; " if en else "；").join(self.t(e.level_names[k]) for k in ("I", "II", "III") if k in e.level_names)
            doc = f"{self.t(e.name)}（{e.issuer.zh}，{e.year}" + (f"，{e.number}" if e.number else "") + "）" if not en \
                else f"{self.t(e.name)} ({e.issuer.en}, {e.year})"
            out.append({"title": self.t(e.name), "document": doc, "levels": names, "rows": rows, "y": y, "grade": grade,
                        "ids": [r.id for r in e.indicators],
                        "reason": self.t(e.reason), "capped": ", ".join(
                            self.t(r.name) for r in e.indicators if r.id in e.capped_by),
                        "problems": problems, "source": self.t(e.cite),
                        "missing": L["cp_missing"].format(n=len(e.missing)) if e.missing else "",
                        "mark": "" if e.verified else L["b_unverified"],
                        "head": [L[k] for k in ("cp_group", "cp_indicator", "cp_unit", "cp_value", "cp_I", "cp_II",
                                                "cp_III", "cp_reached")]})
        return out

    def performance(self, perf: Optional[dict]) -> Optional[dict]:
        """The 清洁生产审核绩效表 (from the store's history) in the report's words: implemented plans, the key
        indicators before and after, what is missing."""
        if not perf:
            return None
        L, en = self.L, self.lang == "en"
        lang = "en" if en else "zh"
        plans = [[p["name"][lang], p["implemented"] or "—", fmt_num(p["investment_wan"]) if p["investment_wan"] is not None
                  else "—", ("; " if en else "；").join(f"{self.carrier(s['carrier'])} {fmt_num(s['amount'], s['unit'])}"
                                                        for s in p["savings"]) or "—",
                  fmt_num(p["annual_saving_wan"]) if p["annual_saving_wan"] is not None else "—",
                  fmt_num(p["co2_t_per_year"]) if p["co2_t_per_year"] is not None else "—"] for p in perf["plans"]]
        tot = perf["totals"]
        if plans:
            plans.append([L["pf_total"], "", fmt_num(tot["investment_wan"]), "", fmt_num(tot["annual_saving_wan"]),
                          fmt_num(tot["co2_t_per_year"])])
        ind = [[r[lang], r["unit"], fmt_num(r["before"]) if r["before"] is not None else "—",
                fmt_num(r["after"]) if r["after"] is not None else "—",
                f"{r['change_pct']:+.2f} %" if r["change_pct"] is not None else "—"] for r in perf["indicators"]]
        return {"plans": plans, "indicators": ind, "missing": [m[lang] for m in perf["missing"]],
                "plan_head": [L[k] for k in ("pf_plan", "pf_date", "pf_investment", "pf_savings", "pf_money", "pf_co2")],
                "ind_head": [L[k] for k in ("pf_indicator", "pf_unit", "pf_before", "pf_after", "pf_change")]}

    def threshold_line(self, t: ThresholdUse) -> dict:
        return {"id": t.id, "value": fmt_num(t.value, t.unit), "source": t.source, "effective": t.effective or "",
                "cite": self.cite(t),
                "quality_label": self.L.get(f"b_quality_{t.quality}", "") if t.quality != "normal" else "",
                "verified": t.verified, "verified_label": self.L["b_verified_yes"] if t.verified else self.L["b_unverified"]}

    def audit(self) -> dict:
        a, L = self.a, self.L
        items = [self.finding_item(f) for mid in AUDIT_IDS if (f := self.finding(mid)) is not None]
        kind = a.audit_type()
        simplified = self.finding("policy.simplified_audit")
        mandatory = self.finding("policy.mandatory_audit")
        if kind:
            conclusion = L[f"audit_{kind}"]
            if kind == "mandatory" and not any(g.id == "listed" and g.status == "applies"
                                               for g in a.grounds_of("policy.mandatory_audit")):
                conclusion = L["audit_mandatory_facts"]  # owed on the enterprise's own facts; the list starts the clock
            if kind == "voluntary" and simplified is not None and simplified.status == "applies":
                conclusion += ("；" if self.lang != "en" else "; ") + L["audit_simplified"]
        elif a.profile_kind == "park":
            kind, conclusion = "park", L["audit_park"]
        elif (mandatory is None or mandatory.status != "to_verify") and self.p.get("project_type") not in (None, "existing"):
            kind, conclusion = "not_existing", L["audit_not_existing"]
        elif a.mandatory_on_unread_text():
            conclusion = L["audit_article8"]  # the facts are there; the text (or the list) decides
        else:
            conclusion = L["audit_undetermined"]
        conflicts = [self.t(c.detail) for c in a.conflicts]
        if conflicts and kind in ("voluntary", None, "undetermined"):
            conclusion = L["audit_conflict"]
        mine = a.grounds_of("policy.mandatory_audit")
        grounds = [self.ground_line(g, n) for g, n in zip(mine, self.law_notes(mine))]
        return {"kind": kind or "undetermined", "conclusion": conclusion, "items": items, "conflicts": conflicts,
                "grounds": grounds}

    def ground_line(self, g: Any, law_note: Optional[str] = None) -> str:
        """One legal ground in words: the item, its verdict, the kinds named, whose list, and the article."""
        L, en = self.L, self.lang == "en"
        sep, stop = ("; ", ". ") if en else ("；", "。")
        text = self.t(g.text) + (": " if en else "：") + L[f"g_{g.status}"]
        if g.categories:
            text += (" (" if en else "（") + self.word("toxic_categories", g.categories) + (")" if en else "）")
        parts = []
        if g.note is not None:
            parts.append(self.t(g.note))
        open_facts = [self.field_label("enterprise", m) for m in g.missing if m.startswith("emissions.")]
        if open_facts:
            parts.append(L["g_open" if g.status == "to_verify" else "g_name_kinds"].format(
                facts=("; " if en else "、").join(open_facts)))
        if g.list_department and "emissions.on_mandatory_list" not in g.values:
            parts.append(L["g_listed_by"].format(who=self.word("list_department", g.list_department)))
        elif "emissions.on_mandatory_list" in g.values:
            if g.values.get("emissions.list_department"):
                parts.append(L["g_dept"].format(who=self.word("list_department", g.values["emissions.list_department"])))
            if g.values.get("emissions.list_published"):
                parts.append(L["g_published"].format(d=g.values["emissions.list_published"]))
        if parts:
            text += sep + sep.join(parts)
        cite = g.cite_en if en else g.cite
        line = text + stop + L["g_cite"].format(cite=cite) + ("" if g.verified else f" ({L['du_unverified']})" if en
                                                              else f"（{L['du_unverified']}）")
        if law_note is None:
            law_note = self.law_notes([g])[0]
        if law_note:
            line += stop + law_note
        return line

    def benchmarks(self) -> dict:
        L = self.L
        out, any_unverified = [], False
        sums: "OrderedDict[str, list]" = OrderedDict((lvl, [0.0, 0]) for lvl in ("baseline", "quota_3", "benchmark", "quota_1"))
        for b in self.a.benchmarks:
            out.append(self.benchmark(b))
            any_unverified |= any(not lv.verified for lv in b.levels) or (b.co2_factor is not None and not b.co2_factor.verified)
            for t in b.targets:
                if t.used and t.saving_tce_per_year is not None:
                    sums[t.level][0] += t.saving_tce_per_year
                    sums[t.level][1] += 1
        totals = [L["b_total_line"].format(level=L[f"lv_{lvl}"], saving=fmt_num(round(v, 3), "tce" + L["per_year"]), n=n)
                  for lvl, (v, n) in sums.items() if n]
        return {"items": out, "totals": totals, "total_saving": "; ".join(totals), "any_unverified": any_unverified}

    def benchmark(self, b: BenchmarkGap) -> dict:
        L = self.L
        levels = []
        for lv in b.levels:
            t = self.kb.thresholds.get(lv.id)
            level = t.level if t is not None else lv.id.rsplit(".", 1)[-1]
            levels.append({**self.threshold_line(lv), "label": L.get(f"lv_{level}", level)})
        known = b.value is not None and "product.unit_energy" not in b.missing
        per_year = L["per_year"]
        if b.gap_to_benchmark is None:
            gap = L["b_no_target"] if known else L["not_available"]
        elif b.gap_to_benchmark == 0:
            gap = L["b_at_benchmark"]
        else:
            gap = fmt_num(b.gap_to_benchmark, b.unit)
        saving = fmt_num(b.saving_tce_per_year, "tce" + per_year) if b.saving_tce_per_year is not None else L["not_available"]
        if b.co2_t_per_year is not None and b.co2_factor is not None:
            f = b.co2_factor
            where = L["b_energy_mix"] if f.id == "energy_mix" else self.cite(f)
            co2 = (f"{fmt_num(b.co2_t_per_year, 'tCO2' + per_year)} ({L['b_co2_factor']} {fmt_num(f.value, f.unit)}, "
                   f"{where}{'' if f.verified else ', ' + L['b_unverified']})")
        elif b.saving_tce_per_year:
            co2 = L["b_co2_not_quantified"]
        elif not b.levels:  # nothing compared: no potential to quantify
            co2 = "—"
        else:
            co2 = L["not_available"]
        output = fmt_num(b.annual_output, b.output_unit) if b.annual_output is not None else L["not_available"]
        formula = ""
        if b.saving_tce_per_year is not None and b.gap_to_benchmark:
            formula = (f"{L['b_saving_formula']}: {fmt_num(b.gap_to_benchmark, b.unit)} × {output} "
                       f"= {fmt_num(b.saving_tce_per_year, 'tce' + per_year)}")
        targets = []
        for t in b.targets:
            note = self.t(t.note) if t.note else ""
            targets.append([L[f"role_{t.role}"], L[f"lv_{t.level}"], fmt_num(t.level_value, b.unit),
                            fmt_num(t.gap, b.unit) if known and t.gap is not None else L["not_available"],
                            (fmt_num(t.saving_tce_per_year, "tce" + per_year) if t.saving_tce_per_year is not None
                             else L["b_not_used"] if not t.used else L["not_available"]),
                            note])
        return {"targets": targets, "notes": [self.t(n) for n in b.notes],
                "product": b.product, "indicator": self.term("products", b.product_key), "unit": b.unit,
                "value": fmt_num(b.value, b.unit) if known else L["not_available"], "output": output,
                "rating": self.t(b.rating), "levels": levels, "gap": gap, "saving": saving, "co2": co2,
                "gap_label": L["b_gap_quota_1"] if b.gap_target == "quota_1" else L["b_gap"],
                "formula": formula, "missing": [self.missing_label(m)[0] for m in b.missing]}

    def measures(self) -> dict:
        skip = set(POLICY_SECTION_IDS)
        rec = [f for f in self.a.recommended if f.measure_id not in skip]
        out = {}
        for cost in ("low", "medium_high"):
            groups: "OrderedDict[str, list]" = OrderedDict((c, []) for c in CATEGORY_ORDER)
            for f in sorted((f for f in rec if f.cost == cost), key=lambda f: (PRIORITY_ORDER[f.priority], f.measure_id)):
                cat = next((c for c in f.categories if c in groups), f.categories[0] if f.categories else "management")
                groups.setdefault(cat, []).append(self.finding_item(f))
            out[cost] = [{"category": self.L.get(f"cat_{c}", c), "items": items} for c, items in groups.items() if items]
        return {"low": out["low"], "high": out["medium_high"], "count": len(rec),
                "n_low": sum(len(g["items"]) for g in out["low"]),
                "n_high": sum(len(g["items"]) for g in out["medium_high"])}

    def to_verify(self) -> dict:
        """What the consultant should collect, grouped as the data request (资料清单) groups it: one row per
        fact, with the items it is about and the findings waiting for it; then the measures waiting."""
        from cpadvisor.report.request import requests
        collect: "OrderedDict[str, dict]" = OrderedDict()
        names = self.kb.runtime.setdefault("report_names", {}).get(self.lang)
        if names is None:
            names = self.kb.runtime["report_names"][self.lang] = {
                mid: self.t(info.measure.name) for mid, info in self.kb.measures.items()}
        for r in requests(self.kb, self.a):
            generic = _ITEM_ID.sub("[]", r.path) if "[" in r.path else r.path
            if r.fact_key.startswith("cp_indicator."):  # an indicator of an index system: its own words
                words = r.fact.split(" / ")
                label = words[1] if self.lang == "en" and len(words) > 1 else words[0]
            else:
                label, _ = self.missing_label(r.fact_key)
            row = collect.setdefault(generic, {"fact": label, "where": [], "for": []})
            if r.item and not r.fact_key.startswith("cp_indicator."):
                row["where"].append(self.uid_labels.get(r.item, r.item))
            if r.every_recommendation:
                row["for"].append(self.L["v_every_recommendation"])
                continue
            for w in r.waiting:
                if w.startswith("benchmark:"):
                    prod = r.item or w.split(":", 1)[1]
                    row["for"].append(self.L["v_benchmark"].format(p=prod))
                elif w.startswith("cp_eval:"):
                    info = self.kb.indicator_systems.get(w.split(":", 1)[1])
                    row["for"].append(self.L["t_cp_eval"] + (f" ({self.t(info.system.name)})" if info else ""))
                else:
                    row["for"].append(names.get(w, w))
        for b in self.a.benchmarks:  # what is missing in the knowledge, not in the profile
            for m in b.missing:
                if m.startswith("product."):
                    continue
                label, _ = self.missing_label(m)
                row = collect.setdefault(m, {"fact": label, "where": [], "for": []})
                row["for"].append(self.L["v_co2"] if m.startswith("CO2") else self.L["v_benchmark"].format(p=b.product))
        rows = list(collect.values())
        for r in rows:
            r["where"] = ", ".join(dict.fromkeys(r["where"])) or self.L["v_enterprise"]
            r["for"] = list(dict.fromkeys(r["for"]))
        # the questions that matter first, then the optional ones (no sign in the profile that they matter)
        return {"collect": rows, "items": [self.finding_item(f) for f in self.a.to_verify + self.a.optional],
                "n_optional": len(self.a.optional)}

    def policy(self) -> dict:
        a = self.a
        clauses: "OrderedDict[str, list]" = OrderedDict()
        for f in a.recommended:
            clauses.setdefault(f.clause, []).append(self.t(f.name))

        def pick_items(ids):
            return [self.finding_item(f) for mid in ids if (f := self.finding(mid)) is not None]

        return {"clauses": [{"clause": self.clause(c), "measures": names} for c, names in sorted(clauses.items())],
                "incentives": pick_items(INCENTIVE_IDS), "consequences": pick_items(CONSEQUENCE_IDS),
                "other": pick_items(OTHER_POLICY_IDS)}

    def provenance(self, source: str) -> str:
        """A number's provenance for the working papers: in the Chinese report, the recurring English notes of the
        reference data in Chinese (the document names stay as they are)."""
        if self.lang == "en":
            return source
        for en, zh in PROVENANCE_ZH:
            source = source.replace(en, zh)
        return source

    def workings(self) -> list[dict]:
        """The engine's working papers (工作底稿): per finding its id, the rule, the conditions with the profile
        values, and the full provenance of every number. For the auditor's file, not the client's text."""
        out = []
        for f in self.a.recommended + self.a.to_verify + self.a.optional:
            out.append({"id": f.measure_id, "name": self.t(f.name), "status": self.L[f"st_{f.status}"],
                        "rule": f.rule_id or "—",
                        "conditions": [f"{e['label']} = {e['value']} ({e['cond']})" for e in self.evidence(f.conditions)],
                        "thresholds": [f"{t.id} = {fmt_num(t.value, t.unit)}: {self.provenance(t.source)}"
                                       + ("" if t.verified else f" [{self.L['b_unverified']}]") for t in f.thresholds]})
        for f in self.a.findings:
            for d in f.duties:
                out.append({"id": f"{f.measure_id}.{d.id}", "name": self.t(d.text), "status": "", "rule": "—",
                            "conditions": [], "thresholds": [d.basis]})
        for b in self.a.benchmarks:
            if b.co2_factor is not None:
                out.append({"id": b.co2_factor.id, "name": f"{b.product} · CO2", "status": "", "rule": "—",
                            "conditions": [], "thresholds": [f"{fmt_num(b.co2_factor.value, b.co2_factor.unit)}: "
                                                             f"{self.provenance(b.co2_factor.source)}"]})
            for lv in b.levels:
                out.append({"id": lv.id, "name": f"{b.product} · {self.L.get('lv_' + lv.id.rsplit('.', 1)[-1], lv.id)}",
                            "status": "", "rule": "—", "conditions": [],
                            "thresholds": [f"{fmt_num(lv.value, lv.unit)}: {self.provenance(lv.source)}"
                                           + ("" if lv.verified else f" [{self.L['b_unverified']}]")]})
        return out

    def facts(self) -> list[tuple[str, str, str]]:
        """The appendix's table of every profile value: its path, what it means and the value in words."""
        rows: list[tuple[str, str, str]] = []
        memo, sub = self._memo, {"units": "unit", "products": "product", "solid_wastes": "waste", "voc_operations": "voc"}

        scalar = (str, int, float, bool)

        def row(prefix: str, v: Any, field: str, fact: str, key: Optional[tuple]) -> None:
            """A row not remembered: (meaning, value in words), the same for the same field and value in any
            report, so remembered under ``key`` (a scalar's; None for a list)."""
            label = self.field_label(fact, field)
            attr = self.kb.vocab.terms["attributes"].get(field) if isinstance(v, str) else None
            labels = getattr(attr, "labels", None) or {}
            got = ("" if label == field else label,
                   (labels[v].en if self.lang == "en" else labels[v].zh) if isinstance(v, str) and v in labels  # an enum attribute's value in words (登记管理, not registration)
                   else self.word(field, v, fact) if not isinstance(v, str) or field in TERM_OF_FIELD
                   or field in WORDS_OF_FIELD or field in ("sectors", "kind") else v)
            if key is not None:
                memo[key] = got
            rows.append((prefix, *got))

        def value(prefix: str, v: Any, field: str, fact: str) -> None:
            """One value's row, remembered where it can be (_remember, inline: the appendix's hot loop)."""
            key = ("fact_row", fact, field, v.__class__, v) if v.__class__ in scalar else None
            got = memo.get(key) if key is not None else None
            if got is None:
                row(prefix, v, field, fact, key)
            else:
                rows.append((prefix, *got))

        def walk(prefix: str, v: Any, field: str, fact: str) -> None:
            if v is None:
                return
            if isinstance(v, dict):
                nested = field in ("emissions", "energy_mix")
                for k, x in v.items():
                    if x is None:
                        continue
                    path, name = f"{prefix}.{k}" if prefix else k, f"{field}.{k}" if nested else k
                    if x.__class__ in scalar:  # value(), inline: most of a profile's values, without a call
                        key = ("fact_row", fact, name, x.__class__, x)
                        got = memo.get(key)
                        if got is None:
                            row(path, x, name, fact, key)
                        else:
                            rows.append((path, *got))
                    else:
                        walk(path, x, name, fact)
            elif isinstance(v, list):
                if v and isinstance(v[0], dict):
                    for i, x in enumerate(v):
                        walk(f"{prefix}[{i}]", x, field, sub.get(field, fact))
                elif v:
                    value(prefix, v, field, fact)
            else:
                value(prefix, v, field, fact)

        walk("", {k: v for k, v in self.p.items() if k != "kind"}, "", self.p.get("kind", "enterprise"))
        return rows

    ZH_NUM = "一二三四五六七八九十"

    def chapters(self, structure: str) -> list[dict]:
        """The report's chapters: a Chinese audit report's seven (audit) or the short recommendation report
        (screening); each a numbered title and its sections (a block of content, a placeholder for the team).
        The same for the same structure, kind and counts of measures in any report of a language (read only)."""
        park = self.a.profile_kind == "park"
        has_cp = bool(self.a.cp_evaluations)
        key = ("chapters", structure, park, self._measures["n_low"], self._measures["n_high"], has_cp)
        return self._remember(key, self._chapters, structure, park, has_cp)

    def _chapters(self, structure: str, park: bool, has_cp: bool = False) -> list[dict]:
        L = self.L
        S = lambda title, block=None, key=None, ph=None: {"t": title, "block": block, "key": key, "ph": ph}  # noqa: E731
        low = S("t_low_cost", "measures", "low")
        high = S("t_high_cost", "measures", "high")
        cp = [S("t_cp_eval", "cp_eval")] if has_cp else []  # 清洁生产水平评价 where an indicator system applies
        policy = [S("t_clauses", "clauses"), S("t_incentives", "policy_items", "incentives"),
                  S("t_consequences", "policy_items", "consequences"), S("t_other_policy", "policy_items", "other")]
        if structure == "audit":
            plan = [("t_planning", [S("t_audit_basis", "audit_type"), S("t_team", ph="ph_team")]),
                    ("t_preaudit", [S("t_overview_park" if park else "t_overview", "overview"),
                                    S("t_benchmark", "benchmark")] + cp + [S("t_focus", ph="ph_focus"),
                                    S("t_targets", "targets", ph="ph_targets")]),
                    ("t_audit", [S("t_balance", ph="ph_balance"), S("t_causes", ph="ph_causes"),
                                 S("t_collect", "collect"), S("t_verify_measures", "verify_measures")]),
                    ("t_options", [low, high]),
                    ("t_selection", [S("t_feasibility", "feasibility"), S("t_to_collect", "to_collect")]),
                    ("t_implementation", [S("t_implemented", "plans_done", ph="ph_implementation")]),
                    ("t_continuous", policy + [S(None, ph="ph_continuous")])]
        else:
            plan = [("t_overview_park" if park else "t_overview", [S(None, "overview")]),
                    ("t_audit_type", [S(None, "audit_type")]),
                    ("t_benchmark", [S(None, "benchmark")] + ([S("t_cp_eval", "cp_eval")] if cp else [])),
                    ("t_measures", [low, high, S("t_feasibility", "feasibility"), S("t_to_collect", "to_collect")]),
                    ("t_to_verify", [S("t_collect", "collect"), S("t_verify_measures", "verify_measures")]),
                    ("t_policy", policy)]
        en = self.lang == "en"
        out = []
        for i, (ct, secs) in enumerate(plan, 1):
            sections, j = [], 0
            for sec in secs:
                title = ""
                if sec["t"]:
                    j += 1
                    title = (f"{i}.{j} " if en else f"（{self.ZH_NUM[j - 1]}）") + L[sec["t"]]
                    if sec["block"] == "measures":
                        n = self._measures["n_low" if sec["key"] == "low" else "n_high"]
                        title += f" ({L['m_count'].format(n=n)})"
                sections.append({"title": title, "block": sec["block"], "key": sec["key"],
                                 "placeholder": L[sec["ph"]] if sec["ph"] else ""})
            out.append({"title": (f"{i}. " if en else f"{self.ZH_NUM[i - 1]}、") + L[ct], "sections": sections})
        return out

    def structure_of(self, structure: Optional[str]) -> str:
        """audit for an audit (mandatory, voluntary, simplified, or a mandatory one to verify on 第八条), screening
        otherwise, unless chosen."""
        if structure in ("audit", "screening"):
            return structure
        simplified = self.finding("policy.simplified_audit")
        kind = self.a.audit_type() or (simplified and simplified.status == "applies" and "simplified") or (
            self.a.mandatory_on_unread_text() and "mandatory")  # meets 第八条 as restated: an audit is ahead
        return "audit" if kind and self.a.profile_kind == "enterprise" else "screening"

    def targets(self) -> list[str]:
        return [self.L["tg_line"].format(target=t[self.lang], source=TARGET_SOURCE[self.lang]) for t in TARGETS]

    def implemented(self) -> list[str]:
        out = []
        for r in self.a.plans:
            if r.status in ("accepted", "implemented"):
                out.append(f"{self.t(r.name)}: {self.L['pl_' + r.status]}" + (f" ({r.status_date})" if r.status_date else "")
                           + (f"; {self.L['f_co2']} {fmt_num(r.co2_t_per_year)}" if r.co2_t_per_year is not None else ""))
        return out

    def build(self, structure: Optional[str] = None, consultant: Optional[str] = None) -> dict:
        a = self.a
        self._measures = self.measures()
        kind = self.structure_of(structure)
        return {
            "structure": kind, "chapters": self.chapters(kind), "targets": self.targets(),
            "implemented": self.implemented(),
            "L": self.L, "lang": self.lang,
            "meta": {"title": self.L["title_audit"] if kind == "audit" else self.L["title"],
                     "consultant": consultant or self.L["consultant_placeholder"],
                     "name": a.profile_name, "kind": a.profile_kind, "credit_code": a.credit_code or "",
                     "date": a.assessed_at.date().isoformat(), "assessed_at": a.assessed_at.isoformat(timespec="seconds"),
                     "knowledge_version": a.knowledge_version, "engine_version": a.engine_version,
                     "kb_mismatch": self.L["a_kb_mismatch"].format(v=self.kb.version)
                     if self.kb.version != a.knowledge_version else ""},
            "overview": self.overview(), "audit": self.audit(), "benchmarks": self.benchmarks(),
            "measures": self._measures, "feasibility": self.feasibility(), "verify": self.to_verify(),
            "cp_eval": self.cp_eval(),
            "workings": self.workings(), "policy": self.policy(), "facts": self.facts(),
        }


def build_context(a: Assessment, lang: str, kb: KnowledgeBase, structure: Optional[str] = None,
                  consultant: Optional[str] = None, performance: Optional[dict] = None) -> dict:
    """Everything the templates print, already in words of ``lang`` (zh or en); ``structure``: audit or
    screening (default: audit for an enterprise with an audit type, else screening)."""
    c = Ctx(a, lang, kb)
    ctx = c.build(structure, consultant)
    ctx["performance"] = c.performance(performance)
    if lang == "en":
        ctx = {k: (v if k == "L" else units_en(v)) for k, v in ctx.items()}
    return ctx
