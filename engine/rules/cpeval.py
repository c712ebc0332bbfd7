"""Where the plant stands on its sector's 清洁生产评价指标体系 (the 预审核's 清洁生产水平评价).

Per indicator: the value (read from the profile where it holds the number, e.g. a product's unit energy; else the
consultant's ``cp_indicators`` entry) against the document's Ⅰ/Ⅱ/Ⅲ values in its direction, or the consultant's
rating of a qualitative indicator; membership is nested (meeting Ⅰ meets Ⅱ and Ⅲ). The composite index of level
k is, as the 2014-2018 documents' 评价方法 states it,

    Y_k = 100 × Σ_groups w_g × Σ_indicators ω_gi × [indicator meets level k]

with the weights renormalised over the applicable indicators, in Decimal. The grade follows the document's rule:
Ⅰ级 when Y_Ⅰ ≥ its threshold and every 限定性指标 is at Ⅰ, Ⅱ级 likewise at Ⅱ or better, Ⅲ级 when Y_Ⅲ reaches its
threshold, else 未达到Ⅲ级. Where the document's weights are missing (never filled by guess) or a value is missing,
each indicator is still rated and the reason the composite cannot be computed is given.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from cpadvisor.models.results import CpEvaluation, Finding, IndicatorResult, MeasureLink, Text

ORDER = ("I", "II", "III", "below")
RANK = {k: i for i, k in enumerate(ORDER)}


def level_of(value: float, direction: str, levels: dict[str, float]) -> str:
    """The best level a value meets (levels nested); 'below' when it meets none the document gives."""
    for k in ("I", "II", "III"):
        lim = levels.get(k)
        if lim is None:
            continue
        if (value <= lim) if direction == "<=" else (value >= lim):
            return k
    return "below"


def applicable(kb: Any, profile: Any) -> list[Any]:
    """The systems whose subsectors the profile names."""
    subs = set(getattr(profile, "subsectors", None) or ())
    return [info for info in kb.indicator_systems.values() if subs & set(info.system.subsectors)]


def evaluate(kb: Any, profile: Any, findings: list[Finding]) -> list[CpEvaluation]:
    """The plant against every system that applies to it."""
    by_id = {f.measure_id: f for f in findings}
    return [_evaluate(kb, info.system, profile, by_id) for info in applicable(kb, profile)]


def _value(ind: Any, profile: Any, entered: dict) -> tuple[Optional[float], Optional[str], Any]:
    vf = ind.value_from
    if vf is not None and vf.products:
        for p in getattr(profile, "products", ()):
            if p.key in vf.products and getattr(p, vf.field) is not None:
                return getattr(p, vf.field), f"products.{p.name}.{vf.field}", None
    got = entered.get(ind.id)
    if got is not None and got.value is not None:
        return got.value, "entered", got
    return None, None, got


def _evaluate(kb: Any, sysm: Any, profile: Any, by_id: dict[str, Finding]) -> CpEvaluation:
    entered = (getattr(profile, "cp_indicators", None) or {}).get(sysm.id, {})
    rows: list[IndicatorResult] = []
    for g in sysm.groups:
        for ind in g.indicators:
            value, origin, got = _value(ind, profile, entered)
            level = rating = None
            if ind.levels and value is not None:
                level = level_of(value, ind.direction, ind.levels)
            elif ind.texts and got is not None and got.rating is not None:
                level = rating = got.rating
                origin = "rated"
            links = []
            for mid in ind.improved_by:
                f = by_id.get(mid)
                m = kb.measures[mid].measure
                links.append(MeasureLink(measure_id=mid, name=Text(zh=m.name.zh, en=m.name.en),
                                         status=f.status if f else None))
            rows.append(IndicatorResult(
                id=ind.id, name=Text(zh=ind.name.zh, en=ind.name.en), group=Text(zh=g.name.zh, en=g.name.en),
                unit=ind.unit_label or ind.unit, direction=ind.direction, value=value, rating=rating, origin=origin,
                quality=got.quality if got is not None else None, note=got.note if got is not None else None,
                level=level, levels=dict(ind.levels), texts={k: Text(zh=t.zh, en=t.en) for k, t in ind.texts.items()},
                weight=ind.weight, group_weight=g.weight, limiting=ind.limiting,
                applicable=got.applicable if got is not None else True, improved_by=links))
    live = [r for r in rows if r.applicable]
    missing = [r.id for r in live if r.level is None]
    problems = [r.id for r in live if r.level in ("II", "III", "below")]
    y, grade, capped, reason = _grade(sysm, live, missing)
    return CpEvaluation(system_id=sysm.id, name=Text(zh=sysm.name.zh, en=sysm.name.en), number=sysm.number,
                        issuer=Text(zh=sysm.issuer.zh, en=sysm.issuer.en), year=sysm.year, generation=sysm.generation,
                        level_names={k: Text(zh=t.zh, en=t.en) for k, t in sysm.level_names.items()},
                        tier=sysm.tier, cite=Text(zh=sysm.cite.zh, en=sysm.cite.en),
                        source=" ".join(sysm.source.split()), verified=sysm.verified,
                        indicators=rows, y=y, grade=grade, reason=reason, capped_by=capped, missing=missing,
                        problems=problems)


def _grade(sysm: Any, rows: list[IndicatorResult],
           missing: list[str]) -> tuple[dict[str, float], Optional[str], list[str], Text]:
    """(Y by level, grade, 限定性指标 that capped it, the reason in words)."""
    if not sysm.complete or not all(g.complete for g in sysm.groups):
        gone = [g.name.zh for g in sysm.groups if not g.complete]
        return {}, None, [], Text(
            zh="指标体系未完整收录（" + ("、".join(gone) if gone else "部分一级指标") + "的指标不全）：已逐项评定级别，"
               "综合评价指数与等级须按完整文件计算。",
            en="The document is not complete here (" + ("; ".join(g.name.en for g in sysm.groups if not g.complete)
                                                          or "some groups") + " lack rows): each indicator is rated, "
               "and the composite index and grade need the whole document.")
    no_weights = [r.id for r in rows if r.weight is None or r.group_weight is None]
    if no_weights:
        n = len(no_weights)
        return {}, None, [], Text(
            zh=f"指标体系的权重未取得（{n} 项指标缺权重，不按猜测补齐）：已逐项评定级别，综合评价指数与等级须按文件的权重计算。",
            en=f"The document's weights were not found ({n} indicators lack one; none is guessed): each indicator "
               "is rated, and the composite index and grade need the document's weights.")
    if missing:
        return {}, None, [], Text(
            zh=f"尚缺 {len(missing)} 项指标的数值或评定，综合评价指数待补齐后计算。",
            en=f"{len(missing)} indicators have no value or rating yet: the composite index waits for them.")
    groups: dict[str, list[IndicatorResult]] = {}
    for r in rows:
        groups.setdefault(r.group.zh, []).append(r)
    total_w = sum(Decimal(str(rs[0].group_weight)) for rs in groups.values())
    y: dict[str, float] = {}
    for k in ("I", "II", "III"):
        acc = Decimal(0)
        for rs in groups.values():
            wsum = sum(Decimal(str(r.weight)) for r in rs)
            met = sum(Decimal(str(r.weight)) for r in rs if RANK[r.level] <= RANK[k])  # type: ignore[index]
            acc += Decimal(str(rs[0].group_weight)) / total_w * met / wsum
        y[k] = float(round(acc * 100, 2))
    m = sysm.method
    limiting = [r for r in rows if r.limiting]

    def limits_at(k: str) -> list[str]:
        return [r.id for r in limiting if RANK[r.level] > RANK[k]]  # type: ignore[index]

    if y["I"] >= m.y_I and not limits_at("I"):
        return y, "I", [], Text(zh=f"Y_Ⅰ = {y['I']:g} ≥ {m.y_I:g}，限定性指标均达到Ⅰ级。",
                                en=f"Y_I = {y['I']:g} ≥ {m.y_I:g} and every limiting indicator is at level I.")
    capped = limits_at("I") if y["I"] >= m.y_I else []
    if y["II"] >= m.y_II and not limits_at("II"):
        return y, "II", capped, Text(
            zh=f"Y_Ⅱ = {y['II']:g} ≥ {m.y_II:g}，限定性指标均达到Ⅱ级或以上" + ("（限定性指标未达Ⅰ级，不能评为Ⅰ级）。" if capped else "。"),
            en=f"Y_II = {y['II']:g} ≥ {m.y_II:g} and every limiting indicator is at level II or better"
               + (" (a limiting indicator below level I keeps it from level I)." if capped else "."))
    capped = capped or (limits_at("II") if y["II"] >= m.y_II else [])
    if y["III"] >= m.y_III:
        return y, "III", capped, Text(zh=f"Y_Ⅲ = {y['III']:g}，达到Ⅲ级。", en=f"Y_III = {y['III']:g}: level III.")
    return y, "below", capped, Text(zh=f"Y_Ⅲ = {y['III']:g} < {m.y_III:g}：未达到Ⅲ级。",
                                    en=f"Y_III = {y['III']:g} < {m.y_III:g}: below level III.")
