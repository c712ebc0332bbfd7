"""The legal grounds of an obligation decided one by one (``Measure.grounds``): for the mandatory audit,
《清洁生产审核办法》第八条 item by item and being named on the published list (194号 四(一)).

A ground reads yes/no facts of the profile's ``emissions``: any true, it applies; all false, it does not; else it
is to verify, naming the facts missing. A ground that applies and names kinds (``categories``) lists the kinds'
field as missing while the profile names none: the consultant is asked which (e.g. which toxic substances).
``computed: energy_quota`` also grades the products' unit energy against the quota standard's limit: worse than
a limit that is unverified, draft or suspect makes the ground "to verify" (never "applies"), and a declaration of "within the quota" against it is a conflict (``rules.conflicts``).
Only an operating enterprise has grounds: a new project is for the admission gate.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.results import GroundResult, Text
from cpadvisor.rules.conflicts import QuotaStanding, hazardous_wastes, quota_standing
from cpadvisor.rules.facts import within_quota
from cpadvisor.rules.laws import china_today, dated_cite, law_standing


def _value(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def grounds_of(kb: KnowledgeBase, profile: Any, standing: Optional[list[QuotaStanding]] = None,
               on: Optional[date] = None) -> list[GroundResult]:
    """The grounds of every measure that declares them, whether or not the measure applies (``standing``: the
    products' :func:`quota_standing`, when the caller has it already; ``on``: the assessment's date, for
    whether the cited texts are in force; default today in China)."""
    em = getattr(profile, "emissions", None)
    if em is None or getattr(profile, "project_type", None) == "new":
        return []
    if standing is None:
        standing = quota_standing(kb, profile)
    on = on or china_today()
    return [_ground(kb, profile, em, mid, g, standing, on) for mid, g in kb.grounds()]


def _ground(kb: KnowledgeBase, profile: Any, em: Any, mid: str, g: Any, standing: list[QuotaStanding],
            on: date) -> GroundResult:
    values = {f"emissions.{n}": getattr(em, n) for n in g.facts}
    note = None
    if g.computed == "energy_quota" and values.get("emissions.energy_over_quota") is None and \
            within_quota(getattr(profile, "products", ()), kb.product_levels):
        values["emissions.energy_over_quota"] = False  # computed, as the engine's facts have it: never asked
        note = Text(zh="各产品单位能耗均在能耗限额限定值以内（按画像计算，限额值未经核实）",
                    en="every product's unit energy is within its quota limit (computed from the profile; the "
                       "limits are not verified)")
    known = [v for v in values.values() if v is not None]
    missing = [k for k, v in values.items() if v is None]
    status = "applies" if any(known) else "not_applies" if not missing else "to_verify"
    if g.computed == "energy_quota" and status != "applies":
        worse = [s for s in standing if s.worse]
        if worse:
            s = worse[0]
            shaky = not s.verified
            zh = (f"产品“{s.product.name}”单位能耗 {s.product.unit_energy:g} 劣于能耗限额限定值 {s.limit:g}"
                  + ("（限额值未经核实）" if shaky else ""))
            en = (f"product '{s.product.name}' at {s.product.unit_energy:g} is worse than the quota limit {s.limit:g}"
                  + (" (the limit is not verified)" if shaky else ""))
            if status == "not_applies":  # declared within the quota: a conflict, listed apart
                zh += "，与企业“能耗未超限额”的申明矛盾"
                en += ", against the enterprise's declaration that it is within the quota"
            status = "to_verify" if shaky or status == "not_applies" else "applies"
            if status == "applies":
                missing = []
            else:
                missing += [f"verify.{tid}" for tid in s.unverified_ids]
            note = Text(zh=zh, en=en)
            values["products.unit_energy"] = {s.product.name: s.product.unit_energy}
    categories = list(getattr(em, g.categories) or []) if g.categories else []
    if g.hazardous_waste and status != "applies":
        wastes = hazardous_wastes(profile)
        if wastes:
            names = "、".join(wastes)
            zh = f"画像所列固体废物“{names}”为危险废物（第八条第（三）项所称有毒有害物质之一，据转述）"
            en = f"the profile lists hazardous waste ({', '.join(wastes)}), one of the kinds Art. 8(3) names (as restated)"
            if status == "not_applies":
                zh += "，与企业“不使用、不排放有毒有害物质”的申明矛盾"
                en += ", against the enterprise's declaration that it uses and emits no toxic substances"
            status, note = "to_verify", Text(zh=zh, en=en)
            categories = list(dict.fromkeys(categories + ["hazardous_waste"]))
            values["solid_wastes.hazardous"] = wastes
    if g.categories and status == "applies" and not categories:  # met, but which kinds (第八条第（三）项 names five)
        missing.append(f"emissions.{g.categories}")
    if "on_mandatory_list" in g.facts:
        for extra in ("list_department", "list_published"):
            if getattr(em, extra, None) is not None:
                values[f"emissions.{extra}"] = _value(getattr(em, extra))
    law_status, law_note = law_standing(kb, g.law, on)
    cite, cite_en = dated_cite(g.cite, g.cite_en, law_status)
    department = g.list_department
    if department is None and "on_mandatory_list" in g.facts:
        department = em.list_department
    return GroundResult(measure_id=mid, id=g.id, text=Text(zh=g.text.zh, en=g.text.en), status=status, values=values,
                        missing=missing, categories=categories, list_department=department,
                        duties=list(g.duties), cite=cite, cite_en=cite_en, basis=g.basis,
                        verified=g.verified, note=note, law=g.law, law_status=law_status, law_note=law_note)
