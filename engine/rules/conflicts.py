"""Contradicting facts: a declaration against what the engine computes from the profile's own numbers.

The engine does not choose silently: a conflict is listed in ``Assessment.conflicts`` (the report shows it
in its 审核类型 section), and the audit-type findings it touches become 'to verify' until the consultant
settles it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.models.results import BenchmarkGap, Conflict, Finding, Text
from cpadvisor.rules.facts import energy_grade

GROUNDS = ("over_standard", "over_total_quota", "toxic_hazardous", "energy_over_quota")


@dataclass
class QuotaStanding:
    """One product's unit energy against its energy-quota standard's limit (grade 3)."""

    product: Any
    limit: Optional[float]
    worse: bool  # worse than the limit
    thresholds: list  # the limit's thresholds (sources, verification)
    ids: list[str]  # their ids

    @property
    def unverified_ids(self) -> list[str]:
        """The limit's thresholds that may not decide a legal finding (unverified, draft or suspect)."""
        return [tid for t, tid in zip(self.thresholds, self.ids) if not (t.verified and t.quality == "normal")]

    @property
    def verified(self) -> bool:
        return not self.unverified_ids


def hazardous_wastes(profile: Any) -> list[str]:
    """The kinds of the profile's solid wastes marked hazardous (危险废物)."""
    return list(dict.fromkeys(w.kind for w in getattr(profile, "solid_wastes", ()) if w.hazardous))


def quota_standing(kb: KnowledgeBase, profile: Any) -> list[QuotaStanding]:
    """The operating products of the profile whose unit energy can be graded against a quota standard (a line
    marked ``in_project`` is a new or expanded line: the admission gate weighs it, not the audit)."""
    out = []
    for pr in getattr(profile, "products", ()):
        if pr.key is None or pr.unit_energy is None or getattr(pr, "in_project", False):
            continue
        lv = kb.product_levels(pr.key)
        g = energy_grade(pr.unit_energy, lv)
        if g is None:
            continue
        ts = [(tid, t) for tid, t in kb.product_thresholds(pr.key) if t.level == "quota_3"]
        out.append(QuotaStanding(pr, lv.get("quota_3"), g == 4, [t for _, t in ts], [tid for tid, _ in ts]))
    return out


def find_conflicts(kb: KnowledgeBase, profile: Any, benchmarks: list[BenchmarkGap],
                   standing: Optional[list[QuotaStanding]] = None) -> list[Conflict]:
    """Declarations against what the profile's own numbers show (``standing``: its :func:`quota_standing`, when
    the caller has it already)."""
    em = getattr(profile, "emissions", None)
    if em is None or getattr(profile, "project_type", None) == "new":
        return []  # a project that does not operate yet is for the admission gate, not for an audit
    out: list[Conflict] = []
    worse, within = [], []
    for st in (quota_standing(kb, profile) if standing is None else standing):
        (worse if st.worse else within).append((st.product, st.limit, [t.source for t in st.thresholds], st.verified))
    if em.energy_over_quota is False and worse:
        pr, limit, srcs, ok = worse[0]
        zh_note, en_note = ("", "") if ok else ("（所录限额值未经核实）", " (transcribed, unverified)")
        out.append(Conflict(
            fact="emissions.energy_over_quota", declared=False, computed=True, sources=srcs,
            detail=Text(zh=f"画像申明能耗未超过限额标准，但产品“{pr.name}”单位能耗 {pr.unit_energy:g} 劣于限额限定值 "
                           f"{limit:g}{zh_note}：请核对计量数据与标准原文后确定审核类型。",
                        en=f"The profile declares energy use within the quota, but product '{pr.name}' at "
                           f"{pr.unit_energy:g} is worse than the quota limit {limit:g}{en_note}: check the metering "
                           "and the standard's text before the type of audit is settled.")))
    if em.energy_over_quota is True and within and not worse:
        pr, limit, srcs, ok = within[0]
        out.append(Conflict(
            fact="emissions.energy_over_quota", declared=True, computed=False, sources=srcs,
            detail=Text(zh=f"画像申明能耗超过限额标准，但按所录限额值{'' if ok else '（未经核实）'}各产品均未劣于限定值（如“{pr.name}” "
                           f"{pr.unit_energy:g} ≤ {limit:g}）：请核实申明依据。",
                        en=f"The profile declares energy use over the quota, but by the transcribed (unverified) "
                           f"levels no product is worse than the limit (e.g. '{pr.name}' {pr.unit_energy:g} ≤ "
                           f"{limit:g}): check what the declaration rests on.")))
    wastes = hazardous_wastes(profile)
    if em.toxic_hazardous is False and wastes:
        out.append(Conflict(
            fact="emissions.toxic_hazardous", declared=False, computed=True,
            detail=Text(zh=f"画像申明不使用、不排放有毒有害物质，但所列固体废物“{'、'.join(wastes)}”为危险废物（《清洁生产审核办法》"
                           "第八条第（三）项所称有毒有害物质之一，据转述）：请核对危险废物台账后确定审核类型。",
                        en=f"The profile declares no toxic substances, but lists hazardous waste ({', '.join(wastes)}), "
                           "one of the kinds Audit Measures Art. 8(3) names (as restated): check the hazardous-waste "
                           "records before the type of audit is settled.")))
    out += _small_impact_conflicts(getattr(profile, "attributes", None) or {})
    if em.on_mandatory_list is True and all(getattr(em, g) is False for g in GROUNDS):
        out.append(Conflict(
            fact="emissions.on_mandatory_list", declared=True, computed=False,
            detail=Text(zh="画像申明已列入强制性清洁生产审核名单，但同时申明不存在超标、超总量、有毒有害和能耗超限额的任何情形："
                           "请核对名单（发布部门、年份）与排放、能耗数据。",
                        en="The profile says the enterprise is on the mandatory-audit list, yet states none of the "
                           "grounds (over the standard or quota, toxic substances, energy over the quota): check "
                           "the list (issuing department, year) against the emission and energy data.")))
    return out


def _small_impact_conflicts(attrs: dict) -> list[Conflict]:
    """A declared 环境影响较小 (四(三)'s words, which decide nothing) against what the authority has classified: a
    key-management permit (《固定污染源排污许可分类管理名录（2019年版）》第二条, read in a third-party copy), the key
    dischargers list, heavy metals."""
    if attrs.get("small_env_impact") is not True:
        return []
    against_zh, against_en = [], []
    if attrs.get("permit_category") == "key":
        against_zh.append("排污许可实行重点管理")
        against_en.append("its pollutant permit is under key management")
    if attrs.get("key_pollutant_discharger") is True:
        against_zh.append("列入重点排污单位名录")
        against_en.append("it is on the key dischargers list")
    if attrs.get("heavy_metals") is True:
        against_zh.append("涉重金属排放")
        against_en.append("it emits heavy metals")
    if not against_zh:
        return []
    return [Conflict(
        fact="attributes.small_env_impact", declared=True, computed=False,
        detail=Text(zh=f"画像申明环境影响较小，但企业{'、'.join(against_zh)}：不符合简化审核流程的条件（四(三)），"
                       "请核对排污许可证与重点排污单位名录。",
                    en=f"The profile declares a small environmental impact, but {', '.join(against_en)}: the "
                       "simplified audit (四(三)) does not apply; check the permit and the key dischargers list."))]


def apply_conflicts(findings: list[Finding], conflicts: list[Conflict]) -> None:
    """A conflict that could lift an obligation makes the findings resting on its declaration 'to verify'
    (a voluntary or simplified audit, while the computation says the energy quota is exceeded, or a hazardous
    waste is listed against a declaration of no toxic substances). A conflict that
    would only add doubt to an obligation (a list entry, a declared exceedance) leaves the obligation standing:
    the list and the enterprise's own declaration bind; the conflict is shown beside it."""
    lifting = [c for c in conflicts if c.fact in ("emissions.energy_over_quota", "emissions.toxic_hazardous")
               and c.declared is False]
    if not lifting:
        return
    for f in findings:
        if f.measure_id in ("policy.voluntary_audit", "policy.simplified_audit") and f.status == "applies":
            f.status = "to_verify"
            f.missing = list(dict.fromkeys(f.missing + [f"conflict.{c.fact}" for c in lifting]))
            for c in lifting:
                c.affects.append(f.measure_id)
