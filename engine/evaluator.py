"""Plain three-valued evaluation of the same parsed rules.

Serves explanations (which condition held or failed, on which value) and is the
oracle of the property tests: its events must resolve to the same findings as
durable_rules'. It is not a second engine for production use.
"""
from __future__ import annotations

from typing import Optional

from . import conditions as C
from .conditions import FALSE, TRUE, UNKNOWN
from .facts import Facts, ip_key
from .inference import Event
from .kb import CompiledRule, KnowledgeBase
from .models import ConditionResult


def _and(outs: list[str]) -> str:
    if FALSE in outs:
        return FALSE
    return UNKNOWN if UNKNOWN in outs else TRUE


def in_place(cr: CompiledRule, anchor: dict, join: Optional[dict]) -> bool:
    if not cr.measure_id:
        return False
    k = ip_key(cr.measure_id)
    if k in anchor.get("ip", {}):
        return True
    return bool(join and cr.join and cr.join.fact == "unit" and k in join.get("ip", {}))


def trace(kb: KnowledgeBase, cr: CompiledRule, anchor: dict, join: Optional[dict],
          derived: dict[str, str]) -> tuple[str, list[ConditionResult]]:
    """Outcome of one rule on one anchor/join pair, with every condition's result."""
    results: list[ConditionResult] = []
    for pat, fact in ((cr.anchor, anchor), (cr.join, join)):
        if pat is None:
            continue
        specs = kb.specs[pat.fact]
        for cond in pat.conds:
            fld = cond.field if isinstance(cond, C.Cond) else ",".join(cond.fields)
            results.append(ConditionResult.model_construct(fact=pat.fact, text=cond.text, field=fld,
                                           value=C.value_of(cond, fact), outcome=C.evaluate(cond, fact, specs)))
    for n in cr.derived:
        st = derived.get(n)
        results.append(ConditionResult.model_construct(fact="derived", text=n, field=n, value=st,
                                       outcome=TRUE if st == "yes" else UNKNOWN if st == "unknown" else FALSE))
    for n in cr.not_derived:
        st = derived.get(n)
        results.append(ConditionResult.model_construct(fact="derived", text=f"not {n}", field=n, value=st,
                                       outcome=FALSE if st == "yes" else UNKNOWN if st == "unknown" else TRUE))
    if in_place(cr, anchor, join):
        results.append(ConditionResult.model_construct(fact="enterprise", text=f"{cr.measure_id} not in place",
                                       field="measures_in_place", value=cr.measure_id, outcome=FALSE))
    return _and([r.outcome for r in results]), results


def missing_of(results: list[ConditionResult], kb: KnowledgeBase) -> list[str]:
    """Facts to verify: fields whose conditions were unknown, as '<fact>.<field>'."""
    out = []
    for r in results:
        if r.outcome != UNKNOWN:
            continue
        if r.fact == "derived":
            out.append(f"derived.{r.field}")
            continue
        for f in (r.field or "").split(","):
            val = r.value.get(f) if isinstance(r.value, dict) else r.value
            if val is None and kb.specs[r.fact][f].nullable:
                out.append(f"{r.fact}.{f}")
    return out


def candidates(cr: CompiledRule, facts: Facts) -> list[tuple[dict, Optional[dict]]]:
    joins: list[Optional[dict]] = list(facts.get(cr.join.fact, ())) if cr.join else [None]
    return [(a, j) for a in facts.get(cr.anchor.fact, ()) for j in joins]


def plain_events(kb: KnowledgeBase, facts: Facts) -> tuple[list[Event], dict[str, str]]:
    """Every rule outcome that is true or unknown, stratum by stratum, to a fixpoint."""
    derived: dict[str, str] = {}
    events: list[Event] = []
    seen: set[tuple] = set()
    for stratum in sorted({r.stratum for r in kb.rules}):
        rules = [r for r in kb.rules if r.stratum == stratum]
        changed = True
        while changed:
            changed = False
            for cr in rules:
                for anchor, join in candidates(cr, facts):
                    out, _ = trace(kb, cr, anchor, join, derived)
                    if out == FALSE:
                        continue
                    mode = "apply" if out == TRUE else "verify"
                    key = (cr.key, mode, join.get("id") if join else None)
                    if key in seen:
                        continue
                    seen.add(key)
                    events.append(Event(cr, mode, anchor, join))
                    if cr.rule.derive:
                        st = "yes" if mode == "apply" else "unknown"
                        if derived.get(cr.rule.derive) != "yes" and derived.get(cr.rule.derive) != st:
                            derived[cr.rule.derive] = st
                            changed = True
    return events, derived
