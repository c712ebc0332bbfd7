"""The data request (资料清单): every fact an assessment still misses, once, with where it goes, which
findings wait on it, and an empty answer column. Its answers are read back by ``cpadvisor.intake.answers``."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from cpadvisor.advisor import facts_of
from cpadvisor.intake.answers import HEADERS, LIST_OF, SHEET
from cpadvisor.intake.profiles import validate_profile
from cpadvisor.intake.xlsx import text_safe
from cpadvisor.intake.schema import FIELD_DOCS
from cpadvisor.intake.workbook import ENTERPRISE_FIELDS, PARK_FIELDS
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.profile import EnterpriseProfile, ParkProfile, Product, Unit
from cpadvisor.models.results import Assessment
from cpadvisor.report.labels import LABELS
from cpadvisor.report.markdown import md_escape
from cpadvisor.rules.facts import COMPUTED_INPUTS
from cpadvisor.rules.plain import candidates, outcome, unknowns

EVERY = LABELS["v_every_recommendation"]  # the report's own words for "waits on every recommendation"


@dataclass
class Request:
    """One fact to collect."""

    path: str  # where it goes in the profile: total_energy_tce, attributes.x, units[SJ1].attributes.y ...
    fact: str  # Chinese / English words
    item: str  # the unit, product ... it is about ('' for the enterprise or park)
    unit: str
    allowed: str
    where: str  # workbook sheet and column, and the YAML path
    waiting: list[str] = field(default_factory=list)  # measure ids
    kind: str = "text"  # bool number enum text
    fact_key: str = ""  # as findings name it: unit.hot_charging, enterprise.total_energy_tce
    every_recommendation: bool = False  # waits on every recommendation (measures in place): printed as such


def _spec(kb: KnowledgeBase, fact: str, name: str) -> Any:
    return kb.specs.get(fact, {}).get(name)


@lru_cache(maxsize=None)
def _core(fact: str) -> frozenset[str]:
    """The fields a profile item of this kind has itself (the rest are attributes)."""
    return frozenset({"enterprise": set(EnterpriseProfile.model_fields), "park": set(ParkProfile.model_fields),
                      "unit": set(Unit.model_fields), "product": set(Product.model_fields),
                      "waste": {"annual_t", "disposal", "hazardous"},
                      "voc": {"material", "method", "enclosed", "annual_solvent_t"}}.get(fact, set()))


def _describe(kb: KnowledgeBase, fact: str, name: str) -> tuple[str, str, str, str, str]:
    """(profile path, words, unit, allowed values, type) of a fact field (made once per knowledge base and
    field)."""
    cache = kb.runtime.setdefault("request_words", {})
    got = cache.get((fact, name))
    if got is None:
        got = cache[(fact, name)] = (_profile_path(kb, fact, name), *_describe_once(kb, fact, name))
    return got


_ALLOWED = {"bool": "是 / 否", "number": "数字 / number", "date": "日期 YYYY-MM-DD / date"}


def _describe_once(kb: KnowledgeBase, fact: str, name: str) -> tuple[str, str, str, str]:
    spec = _spec(kb, fact, name)
    values = spec.values if spec is not None else None
    top = name.split(".")[0]
    attr = kb.vocab.terms["attributes"].get(name)
    col = None
    if "." in name and fact in ("enterprise", "park"):  # emissions.<field>, energy_mix.<carrier>: the workbook's row
        col = next((c for c in (ENTERPRISE_FIELDS if fact == "enterprise" else PARK_FIELDS) if c.key == name), None)
    if col is not None:
        zh, en, unit, values = col.zh, col.en, col.unit, None
        typ = {"bool": "bool", "number": "number", "int": "number", "date": "date"}.get(col.kind, "text")
    else:
        if attr is not None and top not in _core(fact):
            zh, en, unit = attr.zh, attr.en, attr.unit or ""  # type: ignore[union-attr]
        else:
            zh, en = FIELD_DOCS.get(name.split(".")[-1], FIELD_DOCS.get(top, (name, name)))
            unit = ""
        typ = spec.type if spec is not None else "text"
    if typ != "bool" and values:
        allowed = ", ".join(sorted(values)[:12]) + (" …" if len(values) > 12 else "")
    else:
        allowed = _ALLOWED.get(typ, "")
    return f"{zh} / {en}", unit, allowed, typ


def _profile_path(kb: KnowledgeBase, fact: str, name: str) -> str:
    top = name.split(".")[0]
    if top in _core(fact) or name.startswith(("emissions.", "energy_mix.")):
        return name
    return f"attributes.{name}"


def _expand(kb: KnowledgeBase, a: Assessment, missing: list[str], ctx: dict) -> list[tuple[str, Optional[dict]]]:
    """Missing facts as (fact.field, the joined fact or None); a derived fact becomes what its producers miss.

    Only the producers of the derived facts named are evaluated (``ctx`` caches the profile's facts): a
    derived fact the assessment holds is 'yes', one it lists as missing 'unknown'.
    """
    out: list[tuple[str, Optional[dict]]] = []
    todo = list(missing)
    seen: set[str] = set()
    while todo:
        m = todo.pop(0)
        if m in seen:
            continue
        seen.add(m)
        if not m.startswith("derived."):
            out.append((m, None))
            continue
        if "facts" not in ctx:
            ctx["facts"] = a.facts_for(kb)  # built by the assessment, or rebuilt from its profile
            if ctx["facts"] is None:
                ctx["facts"] = facts_of(kb, validate_profile(a.profile, kb))
            ctx["derived"] = {n: "yes" for n in a.derived}
        facts, derived = ctx["facts"], ctx["derived"]
        derived.setdefault(m.split(".", 1)[1], "unknown")
        for cr in kb.producers(m.split(".", 1)[1]):
            for anchor, join in candidates(cr, facts):
                if outcome(kb, cr, anchor, join, derived) == "unknown":
                    for u in unknowns(kb, cr, anchor, join, derived):
                        if u.startswith("derived."):
                            derived.setdefault(u.split(".", 1)[1], "unknown")
                            todo.append(u)
                        else:
                            out.append((u, join))
    return out


def requests(kb: KnowledgeBase, a: Assessment) -> list[Request]:
    """Every fact the assessment lists as missing, once (per item for unit, product, waste and VOC facts)."""
    p = a.profile
    items = {"unit": {u.get("id"): (i, u) for i, u in enumerate(p.get("units") or [])},
             "product": {pr.get("name"): (i, pr) for i, pr in enumerate(p.get("products") or [])},
             "waste": {f"{w.get('kind')}#{i + 1}": (i, w) for i, w in enumerate(p.get("solid_wastes") or [])},
             "voc": {f"{o.get('kind')}#{i + 1}": (i, o) for i, o in enumerate(p.get("voc_operations") or [])}}
    rows: dict[str, Request] = {}

    def add(fact: str, name: str, target: Optional[str], mid: Optional[str], decided: bool = False) -> None:
        """``decided``: the caller has found the fact missing itself (a ground's kinds: an empty list)."""
        if fact == "product" and name in COMPUTED_INPUTS and COMPUTED_INPUTS[name] != (name,):
            # a field the engine computes (a grade, a comparison): ask for the figures it is computed from
            item = items["product"].get(target, (None, {}))[1] if target else {}
            covered = "cp_II" in kb.product_levels(item.get("key"))  # an index system gives the 国内先进 level
            for source in COMPUTED_INPUTS[name]:
                if not (source == "cp_advanced_energy" and covered):
                    add(fact, source, target, mid, decided)
            return
        attr = kb.vocab.attributes(fact).get(name) if fact in ("enterprise", "unit", "park") else None
        j = getattr(attr, "judged_from", None)
        if j is not None and j.threshold and fact in ("enterprise", "park"):
            # a verdict the engine derives from numbers: ask for the numbers (the verdict only once they are given)
            lack = [n for n in j.number if not _has(p, _profile_path(kb, fact, n))]
            if lack:
                for n in lack:
                    add(fact, n, target, mid, decided)
                return
        path, words, unit, allowed, typ = _describe(kb, fact, name)
        if fact in LIST_OF:
            if target is None or target not in items[fact]:
                return
            _, item = items[fact][target]
            if _has(item, path):
                return
            lst, sheet = LIST_OF[fact]
            key = f"{lst}[{target}].{path}"
            where = f"{sheet}表 {target} 行「{words.split(' / ')[0]}」列 · YAML: {key}"
        else:
            if not decided and _has(p, path):
                return
            key = path
            sheet = "园区" if fact == "park" else "企业"
            where = f"{sheet}表「{words.split(' / ')[0]}」行 · YAML: {path}"
        r = rows.get(key)
        if r is None:
            r = rows[key] = Request(key, words, target or "", unit, allowed, where, [], typ, f"{fact}.{name}")
        if mid and mid not in r.waiting:
            r.waiting.append(mid)

    ctx: dict = {}
    for f in a.to_verify:
        targets = f.units or [None]
        for m, join in _expand(kb, a, f.missing, ctx):
            fact, _, name = m.partition(".")
            if fact not in LIST_OF and fact not in ("enterprise", "park"):
                continue  # verify.<threshold>, conflict.<fact>: for the consultant to check, not to collect
            if fact in LIST_OF:
                for t in ([join.get("uid")] if join else targets):
                    add(fact, name, t, f.measure_id)
            else:
                add(fact, name, None, f.measure_id)
    present = {f.measure_id for f in a.findings}
    for g in a.grounds:  # an obligation's grounds still open (or met, its kinds unnamed): the facts each needs
        if g.missing and g.measure_id in present:
            for m in g.missing:
                if m.startswith("emissions."):
                    add("enterprise", m, None, g.measure_id, decided=True)
    for f in a.findings:  # the dates an obligation's duties run from, where not given
        for d in f.duties:
            for m in d.needs:
                add("enterprise", m, None, f.measure_id)
    for b in a.benchmarks:
        for m in b.missing:
            if m.startswith("product."):
                add("product", m.split(".", 1)[1], b.product, f"benchmark:{b.product_key}")
    for e in a.cp_evaluations:  # the indicators of a 清洁生产评价指标体系 still without a value or rating
        for r in e.indicators:
            if r.id not in e.missing:
                continue
            key = f"cp_indicators.{e.system_id}.{r.id}"
            if r.levels:
                sign = "≤" if r.direction == "<=" else "≥"
                allowed = "数值 / number (Ⅰ/Ⅱ/Ⅲ " + " / ".join(f"{sign}{r.levels[k]:g}" for k in ("I", "II", "III")
                                                              if k in r.levels) + ")"
            else:
                allowed = "评级 / rating: Ⅰ级、Ⅱ级、Ⅲ级、未达到Ⅲ级"
            rows[key] = Request(key, f"{r.name.zh} / {r.name.en}", e.name.zh, r.unit or "", allowed,
                                f"清洁生产指标表「{r.name.zh}」行 · YAML: {key}", [f"cp_eval:{e.system_id}"],
                                "number" if r.levels else "text", f"cp_indicator.{r.id}")
    recommended = a.recommended
    if recommended and not p.get("measures_in_place"):  # not stated: the recommendations take none as done
        sheet = "已实施措施表" if p.get("kind") != "park" else "园区表「已实施措施编号」行"
        rows["measures_in_place"] = Request(  # waits on every recommendation: said in words, not listed
            "measures_in_place", "已实施的清洁生产措施（未列入的建议措施按未实施给出） / Measures already in place "
            "(a recommendation not listed is taken as not yet done)", "", "",
            "措施名称，多项用、分隔；均未实施填 无 / measure names, separated by 、; 无 if none", f"{sheet} · YAML: "
            "measures_in_place", [f.measure_id for f in recommended], "text",
            f"{p.get('kind') or 'enterprise'}.measures_in_place", every_recommendation=True)
    return list(rows.values())


def _has(d: dict, path: str) -> bool:
    cur: Any = d
    for part in path.split("."):
        if not isinstance(cur, dict) or cur.get(part) is None or cur.get(part) == []:
            return False  # an empty list is "not stated"
        cur = cur[part]
    return True


# ------------------------------------------------------------------ writing

def write_request_xlsx(kb: KnowledgeBase, a: Assessment, rows: list[Request]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for c, (zh, en) in enumerate(HEADERS, start=1):
        ws.cell(1, c, zh).font = Font(bold=True)
        ws.cell(2, c, en).font = Font(italic=True, color="808080", size=9)
    names = {mid: info.measure.name.zh for mid, info in kb.measures.items()}
    names.update({f"cp_eval:{sid}": f"清洁生产水平评价（{i.system.name.zh}）" for sid, i in kb.indicator_systems.items()})
    fill = PatternFill("solid", fgColor="FFF2CC")
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(yes_no)
    for r, row in enumerate(rows, start=3):
        values = [row.path, row.fact, row.item, row.unit, row.allowed, row.where,
                  EVERY[0] if row.every_recommendation else "；".join(names.get(m, m) for m in row.waiting), None]
        for c, v in enumerate(values, start=1):
            ws.cell(r, c, v)
        ws.cell(r, len(HEADERS)).fill = fill
        if row.kind == "bool":
            yes_no.add(f"H{r}")
    for letter, width in zip("ABCDEFGH", (34, 40, 12, 10, 24, 40, 50, 18)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    meta = wb.create_sheet("_about")
    meta.sheet_state = "hidden"
    for i, (k, v) in enumerate((("profile", a.profile_name), ("knowledge", a.knowledge_version),
                                ("credit_code", a.credit_code or "")), start=1):
        meta.cell(i, 1, k)
        meta.cell(i, 2, v)
    buf = io.BytesIO()
    text_safe(wb)
    wb.save(buf)
    return buf.getvalue()


def request_markdown(kb: KnowledgeBase, a: Assessment, rows: list[Request], lang: str = "zh") -> str:
    names = {mid: info.measure.name.get(lang) for mid, info in kb.measures.items()}
    names.update({f"cp_eval:{sid}": ("Cleaner-production level" if lang == "en" else "清洁生产水平评价")
                  + f" ({i.system.name.get(lang)})" for sid, i in kb.indicator_systems.items()})
    title = "Data request" if lang == "en" else "资料清单"
    head = (["#", "fact", "item", "unit", "where", "waiting findings", "answer"] if lang == "en" else
            ["#", "资料", "所属", "单位", "填写位置", "等待的结论", "答复"])
    out = [f"# {title}: {md_escape(a.profile_name)}", "",
           f"{len(rows)} " + ("facts to collect (待核实)." if lang == "en" else "项资料待补充（待核实）。"), "",
           "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(rows, start=1):
        fact = r.fact.split(" / ")[1] if lang == "en" and " / " in r.fact else r.fact.split(" / ")[0]
        waits = EVERY[lang == "en"] if r.every_recommendation else "; ".join(names.get(m, m) for m in r.waiting)
        out.append("| " + " | ".join([str(i), md_escape(fact), md_escape(r.item), md_escape(r.unit),
                                      md_escape(r.where), md_escape(waits),
                                      ""]) + " |")
    return "\n".join(out) + "\n"


