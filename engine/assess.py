"""From a profile to an Assessment: facts, inference, resolution into findings."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from . import __version__
from .evaluator import candidates, plain_events, trace, unknowns
from .facts import Facts, build_facts, energy_grade, has_quota, product_levels, vs_benchmark
from .inference import Event
from .intake import AnyProfile, coerce_profile
from .kb import CompiledRule, KnowledgeBase
from .models import Assessment, BenchmarkGap, Explanation, Finding, RuleTrace, Text, ThresholdUse

PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}
LEVEL_ORDER = ("quota_1", "benchmark", "quota_2", "baseline", "quota_3")


def facts_of(kb: KnowledgeBase, profile: AnyProfile) -> Facts:
    extra: tuple[str, ...] = ()
    if getattr(profile, "industry_codes", None):
        extra = tuple(kb.vocab.sectors_of_codes(profile.industry_codes))
    return build_facts(profile, kb.thresholds, extra)


def threshold_use(kb: KnowledgeBase, tid: str) -> ThresholdUse:
    t = kb.thresholds[tid]
    return ThresholdUse(id=tid, value=t.value, unit=t.unit, source=t.source,
                        effective=t.effective.isoformat() if t.effective else None, verified=t.verified)


def _thresholds_for(kb: KnowledgeBase, cr: CompiledRule, join: Optional[dict]) -> list[ThresholdUse]:
    ids = list(cr.thresholds)
    if cr.join and cr.join.fact == "product" and join and any(
            f in ("energy_grade", "vs_benchmark") for c in cr.join.conds for f in c.fields):
        ids += [tid for tid, t in kb.thresholds.items() if t.product == join.get("key")]
    return [threshold_use(kb, t) for t in dict.fromkeys(ids)]


def resolve(kb: KnowledgeBase, facts: Facts, events: Iterable[Event], derived: dict[str, str]) -> list[Finding]:
    """Findings from rule events: applies beats to-verify; in place and yields_to respected."""
    by_measure: dict[str, dict[str, list[Event]]] = {}
    for ev in events:
        if ev.rule.measure_id:
            by_measure.setdefault(ev.rule.measure_id, {"apply": [], "verify": []})[ev.mode].append(ev)

    def uid(ev: Event) -> Optional[str]:
        return ev.join.get("uid") if ev.join else None

    applied = {mid: evs["apply"] for mid, evs in by_measure.items() if evs["apply"]}
    # yields_to: a general rule gives way where a more specific measure applies to the same unit
    superseded: dict[str, tuple[str, CompiledRule]] = {}
    for mid, evs in list(applied.items()):
        keep = []
        for ev in evs:
            winner = None
            for other in ev.rule.rule.yields_to:
                oevs = applied.get(other)
                if not oevs or other == mid:
                    continue
                ounits = {uid(o) for o in oevs}
                if None in ounits or uid(ev) in ounits or ev.join is None:
                    winner = other
                    break
            if winner:
                superseded[mid] = (winner, ev.rule)
            else:
                keep.append(ev)
        if keep:
            applied[mid] = keep
        else:
            del applied[mid]

    findings: list[Finding] = []
    anchor_fact = (facts.get("enterprise") or facts.get("park") or [{}])[0]
    in_place = set(anchor_fact.get("ip", {})) | {k for u in facts.get("unit", ()) for k in u.get("ip", {})}

    candidates_ids = set(by_measure) | set(superseded) | {k.replace("__", ".", 1) for k in in_place}
    for mid in sorted(candidates_ids, key=kb.measure_order.get):
        info = kb.measures.get(mid)
        if info is None:
            continue
        m = info.measure
        base = dict(measure_id=mid, pack=info.pack, kind=m.kind, name=m.name, clause=m.clause,
                    categories=list(m.categories), cost=m.cost)
        evs = by_measure.get(mid)
        if mid in applied:
            chosen = sorted(applied[mid], key=lambda e: (PRIORITY_RANK[e.rule.rule.priority],
                                                          info.rules.index(e.rule) if e.rule in info.rules else 0))
            best = chosen[0]
            _, results = trace(kb, best.rule, best.anchor, best.join, derived)
            units = list(dict.fromkeys(u for u in (uid(e) for e in chosen) if u))
            findings.append(Finding(**base, status="applies", priority=best.rule.rule.priority, rule_id=best.rule.key,
                                    units=units, reason=best.rule.rule.because, conditions=results,
                                    thresholds=_thresholds_for(kb, best.rule, best.join),
                                    verdict=best.rule.rule.verdict))
        elif mid in superseded:
            winner, rule = superseded[mid]
            findings.append(Finding(**base, status="superseded", rule_id=rule.key, superseded_by=winner,
                                    reason=rule.rule.because, note=rule.rule.yields_why))
        elif evs and evs["verify"]:
            missing: list[str] = []
            best = sorted(evs["verify"], key=lambda e: PRIORITY_RANK[e.rule.rule.priority])[0]
            for ev in evs["verify"]:
                missing += unknowns(kb, ev.rule, ev.anchor, ev.join, derived)
            _, results = trace(kb, best.rule, best.anchor, best.join, derived)
            units = list(dict.fromkeys(u for u in (uid(e) for e in evs["verify"]) if u))
            findings.append(Finding(**base, status="to_verify", priority=best.rule.rule.priority,
                                    rule_id=best.rule.key, units=units, reason=best.rule.rule.because,
                                    conditions=results, missing=list(dict.fromkeys(missing)),
                                    thresholds=_thresholds_for(kb, best.rule, best.join)))
        elif mid.replace(".", "__") in in_place:
            findings.append(Finding(**base, status="in_place"))
    return findings


def benchmarks(kb: KnowledgeBase, profile: AnyProfile) -> list[BenchmarkGap]:
    """Unit energy use of each keyed product against its sourced levels, with the saving potential."""
    out: list[BenchmarkGap] = []
    for pr in getattr(profile, "products", ()):
        if not pr.key:
            continue
        ids = [tid for tid, t in kb.thresholds.items() if t.product == pr.key and t.level in LEVEL_ORDER]
        if not ids:
            continue
        pk = kb.vocab.terms["products"][pr.key]
        unit = getattr(pk, "energy_unit", None) or kb.thresholds[ids[0]].unit
        levels = sorted((threshold_use(kb, t) for t in ids), key=lambda u: LEVEL_ORDER.index(kb.thresholds[u.id].level))
        missing = []
        if pr.unit_energy is None:
            missing.append("product.unit_energy")
            out.append(BenchmarkGap(product=pr.name, product_key=pr.key, indicator=pk.zh, unit=unit, value=0,
                                    levels=levels, rating=Text(zh="待核实", en="to verify"), missing=missing))
            continue
        lv = product_levels(kb.thresholds, pr.key)
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
        target_level = ("benchmark" if vb is not None else
                        "quota_1" if "quota_1" in lv and (has_quota(lv) or "quota_3" not in lv) else None)
        target = lv.get(target_level) if target_level else None
        gap = round(v - target, 6) if target is not None and v > target else (0.0 if target is not None else None)
        saving = None
        if gap is not None and pr.annual_output is not None and unit.startswith("kgce/"):
            denom = unit.split("/", 1)[1]
            if (pr.output_unit or pk.output_unit) == denom:
                saving = round(gap * pr.annual_output / 1000.0, 3)
            else:
                missing.append("product.output_unit")
        elif pr.annual_output is None:
            missing.append("product.annual_output")
        elif gap is not None:
            missing.append(f"saving in {unit} not converted to tce")
        co2 = co2_factor = None
        factor_id = next((tid for tid, t in kb.thresholds.items() if t.level == "factor" and t.unit == "tCO2/tce"), None)
        if saving is not None and factor_id:
            co2_factor = threshold_use(kb, factor_id)
            co2 = round(saving * co2_factor.value, 3)
        elif saving is not None:
            missing.append("CO2 emission factor (tCO2/tce) with a source")
        out.append(BenchmarkGap(product=pr.name, product_key=pr.key, indicator=pk.zh, unit=unit, value=v,
                                annual_output=pr.annual_output, output_unit=pr.output_unit or pk.output_unit,
                                levels=levels, rating=Text(zh="，".join(parts_zh) or "待核实",
                                                           en="; ".join(parts_en) or "to verify"),
                                gap_to_benchmark=gap, gap_target=target_level, saving_tce_per_year=saving, co2_t_per_year=co2,
                                co2_factor=co2_factor, missing=missing))
    return out


def assess(kb: KnowledgeBase, profile: Any, engine: str = "durable") -> Assessment:
    """Assess one profile. ``engine='plain'`` uses the plain evaluator (the oracle)."""
    p = coerce_profile(profile, kb)
    facts = facts_of(kb, p)
    if engine == "durable":
        sess = kb.engine.run(facts)
        events = sess.events
        derived = {}
        for key, st in sess.derived.items():
            name = key.split(":")[0]
            if derived.get(name) != "yes":
                derived[name] = st
    else:
        events, derived = plain_events(kb, facts)
    findings = resolve(kb, facts, events, derived)
    findings.sort(key=lambda f: ({"applies": 0, "to_verify": 1, "superseded": 2, "in_place": 3}.get(f.status, 4),
                                 PRIORITY_RANK[f.priority], f.measure_id))
    return Assessment(profile_name=p.name, profile_kind=p.kind, credit_code=getattr(p, "credit_code", None),
                      knowledge_version=kb.version, engine_version=__version__,
                      assessed_at=datetime.now(timezone.utc), profile=p.model_dump(mode="json"),
                      derived=sorted(n for n, s in derived.items() if s == "yes"), findings=findings,
                      benchmarks=benchmarks(kb, p))


def explain(kb: KnowledgeBase, profile: Any, measure_id: str) -> Explanation:
    """Why a measure was or was not recommended: each rule, each candidate, each condition."""
    if measure_id not in kb.measures:
        from .errors import InputError
        from .yamlio import did_you_mean
        raise InputError(f"unknown measure id '{measure_id}'{did_you_mean(measure_id, kb.measures)}",
                         field="MEASURE_ID")
    p = coerce_profile(profile, kb)
    a = assess(kb, p)
    facts = facts_of(kb, p)
    _, derived = plain_events(kb, facts)
    info = kb.measures[measure_id]
    f = a.finding(measure_id)
    status = f.status if f else "not_applicable"
    traces = []
    for cr in info.rules:
        cands = candidates(cr, facts)
        if not cands:
            traces.append(RuleTrace(rule_id=cr.key, outcome="false", reason=cr.rule.because, conditions=[
                {"fact": cr.join.fact if cr.join else cr.anchor.fact, "text": f"a matching {cr.join.fact if cr.join else cr.anchor.fact} exists",
                 "outcome": "false", "value": None}]))
            continue
        for anchor, join in cands:
            out, res = trace(kb, cr, anchor, join, derived)
            traces.append(RuleTrace(rule_id=cr.key, target=join.get("uid") if join else None, outcome=out,
                                    conditions=res, reason=cr.rule.because))
    summaries = {
        "applies": ("建议实施：规则条件均已满足。", "Recommended: every condition of a rule holds."),
        "to_verify": ("待核实：缺少以下事实，无法判断。", "To verify: facts are missing to decide."),
        "not_applicable": ("不适用：每条规则至少有一个条件不成立。", "Not applicable: each rule has a condition that fails."),
        "in_place": ("已实施：企业或装置已采取该措施，不再推荐。", "Already in place: not recommended again."),
        "superseded": ("被更具体的行业措施替代。", "Superseded by a more specific sector measure."),
    }
    zh, en = summaries[status]
    return Explanation(measure_id=measure_id, name=info.measure.name, status=status, summary=Text(zh=zh, en=en),
                       traces=traces, missing=f.missing if f else [],
                       superseded_by=f.superseded_by if f else None)
