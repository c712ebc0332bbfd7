"""Assessing: a profile and the knowledge base in, an Assessment (or an Explanation) out.

The knowledge base holds knowledge; this module uses it: intake, facts, durable_rules
inference (or the plain evaluator), resolution into findings, benchmarks.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from typing import Any, Optional

from cpadvisor._version import __version__
from cpadvisor.errors import InputError, did_you_mean
from cpadvisor.economics.plans import evaluate_plans
from cpadvisor.rules.cpeval import evaluate as cp_evaluate
from cpadvisor.rules.duties import duties_of
from cpadvisor.rules.grounds import grounds_of
from cpadvisor.rules.laws import china_date
from cpadvisor.intake.profiles import AnyProfile, coerce_profile
from cpadvisor.knowledge.loader import KnowledgeBase, load_knowledge
from cpadvisor.models.results import Assessment, Explanation, RuleTrace, Text
from cpadvisor.rules.benchmarks import benchmarks
from cpadvisor.rules.conflicts import apply_conflicts, find_conflicts, quota_standing
from cpadvisor.rules.durable import DurableEngine
from cpadvisor.rules.facts import Facts, build_facts, ip_key
from cpadvisor.rules.judgements import judge
from cpadvisor.rules.plain import candidates, plain_events, trace
from cpadvisor.rules.resolve import PRIORITY_RANK, resolve
from cpadvisor.rules.trust import unverified_numbers

_ENGINE_LOCK = threading.Lock()


def engine_of(kb: KnowledgeBase) -> DurableEngine:
    """The knowledge base compiled to durable_rules rulesets (once per knowledge base and process)."""
    eng = kb.runtime.get("durable")
    if eng is None:
        with _ENGINE_LOCK:
            eng = kb.runtime.get("durable")
            if eng is None:
                eng = kb.runtime["durable"] = DurableEngine(kb)
    return eng


def facts_of(kb: KnowledgeBase, profile: AnyProfile, warnings: Optional[list[str]] = None) -> Facts:
    """The facts of a profile. A measure listed as in place on a unit whose rules are about the whole
    enterprise (they join no unit) counts as in place for the enterprise, with a warning saying so."""
    extra: tuple[str, ...] = ()
    if getattr(profile, "industry_codes", None):
        extra = tuple(kb.vocab.sectors_of_codes(profile.industry_codes))
    facts = build_facts(profile, kb.product_levels, extra, kb.vocab.families_of)
    judge(kb, facts)
    ent = facts["enterprise"][0] if facts["enterprise"] else None
    if ent is not None:
        for u in getattr(profile, "units", ()):
            for mid in u.measures_in_place:
                info = kb.measures.get(mid)
                if info is None or any(r.join is not None and r.join.fact == "unit" for r in info.rules):
                    continue
                key = ip_key(mid)
                if key not in ent["ip"]:
                    ent["ip"][key] = 1
                    if warnings is not None:
                        warnings.append(f"{mid}: listed as in place on unit '{u.id}'; its rules are about the whole "
                                        f"enterprise, so it counts as in place for the enterprise / 该措施登记在装置"
                                        f"“{u.id}”上，其规则针对整个企业，按企业已实施处理")
    return facts


def assessed_at() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible output: byte-identical JSON across runs)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def assess(profile: Any, kb: Optional[KnowledgeBase] = None, engine: str = "durable") -> Assessment:
    """Assess one profile (a path, a mapping or a profile model).

    ``kb``: a loaded knowledge base (default: the packaged one); ``engine='plain'`` uses the plain evaluator (the test oracle).
    """
    kb = kb or load_knowledge()
    p = coerce_profile(profile, kb)
    warnings: list[str] = list(p._notices)
    facts = facts_of(kb, p, warnings)
    if engine == "durable":
        sess = engine_of(kb).run(facts)
        derived = {}
        for key, st in sess.derived.items():
            name = key.split(":")[0]
            if derived.get(name) != "yes":
                derived[name] = st
        events = sess.events
    else:
        events, derived = plain_events(kb, facts)
    findings = resolve(kb, facts, events, derived)
    at = assessed_at()
    on = china_date(at)  # whether the cited legal texts are in force; the emission factors published by then
    gaps = benchmarks(kb, p, on)
    standing = quota_standing(kb, p)  # read by the conflicts and the grounds alike
    conflicts = find_conflicts(kb, p, gaps, standing)
    apply_conflicts(findings, conflicts)
    findings.sort(key=lambda f: ({"applies": 0, "to_verify": 1, "superseded": 2, "in_place": 3}.get(f.status, 4),
                                 f.optional, f.ranked_below is not None, PRIORITY_RANK[f.priority], f.measure_id))
    duties_of(kb, p, findings, on)
    plans, to_collect = evaluate_plans(kb, p, findings, on)
    cp_evals = cp_evaluate(kb, p, findings)
    a = Assessment(profile_name=p.name, profile_kind=p.kind, credit_code=getattr(p, "credit_code", None),
                   knowledge_version=kb.version, engine_version=__version__,
                   assessed_at=at, profile=p.model_dump(mode="json"),
                   derived=sorted(n for n, s in derived.items() if s == "yes"), findings=findings,
                   benchmarks=gaps, warnings=warnings, conflicts=conflicts,
                   plans=plans, to_collect=to_collect, grounds=grounds_of(kb, p, standing, on),
                   cp_evaluations=cp_evals)
    a._facts = (kb, facts)
    return a


def explain(profile: Any, measure_id: str, kb: Optional[KnowledgeBase] = None) -> Explanation:
    """Why a measure was or was not recommended: each rule, each candidate, each condition."""
    kb = kb or load_knowledge()
    if measure_id not in kb.measures:
        raise InputError(f"unknown measure id '{measure_id}'{did_you_mean(measure_id, kb.measures)}",
                         field="MEASURE_ID")
    p = coerce_profile(profile, kb)
    a = assess(p, kb)
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
                                    conditions=res, reason=cr.rule.because,
                                    unverified=unverified_numbers(kb, cr, join, anchor) if out == "true" else []))
    summaries = {
        "applies": ("建议实施：规则条件均已满足。", "Recommended: every condition of a rule holds."),
        "to_verify": ("待核实：缺少以下事实，无法判断。", "To verify: facts are missing to decide."),
        "not_applicable": ("不适用：每条规则至少有一个条件不成立。", "Not applicable: each rule has a condition that fails."),
        "in_place": ("已实施：企业或装置已采取该措施，不再推荐。", "Already in place: not recommended again."),
        "superseded": ("被更具体的行业措施替代。", "Superseded by a more specific sector measure."),
    }
    zh, en = summaries[status]
    if status == "to_verify" and f is not None and any(m.startswith("verify.") for m in f.missing):
        zh, en = ("待核实：所依据的数值或法规条文未经核实（verify.…），不能据此作出法定结论；其余为缺少的事实。",
                  "To verify: numbers or a legal text it rests on are not verified (verify.…) and cannot make the "
                  "legal finding; the rest are missing facts.")
    return Explanation(measure_id=measure_id, name=info.measure.name, status=status, summary=Text(zh=zh, en=en),
                       traces=traces, missing=f.missing if f else [],
                       superseded_by=f.superseded_by if f else None, grounds=a.grounds_of(measure_id))
