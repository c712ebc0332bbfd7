"""Plain three-valued evaluation of the same parsed rules.

Serves explanations (which condition held or failed, on which value) and is the
oracle of the property tests: its events must resolve to the same findings as
durable_rules'. It is not a second engine for production use.
"""
from __future__ import annotations

from typing import Optional

from cpadvisor.knowledge import conditions as C
from cpadvisor.knowledge.conditions import FALSE, TRUE, UNKNOWN
from cpadvisor.rules.facts import Facts, ip_key
from cpadvisor.rules.durable import Event
from cpadvisor.knowledge.loader import CompiledRule, KnowledgeBase
from cpadvisor.rules.trust import derived_status


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
          derived: dict[str, str]) -> tuple[str, list[dict]]:
    """Outcome of one rule on one anchor/join pair, with every condition's result (ConditionResult dicts)."""
    results: list[dict] = []
    for pat, fact in ((cr.anchor, anchor), (cr.join, join)):
        if pat is None:
            continue
        specs = kb.specs[pat.fact]
        for cond in pat.conds:
            fld = cond.field if isinstance(cond, C.Cond) else ",".join(cond.fields)
            results.append({"fact": pat.fact, "text": cond.text, "field": fld, "value": C.value_of(cond, fact),
                            "outcome": C.evaluate(cond, fact, specs)})
    for n in cr.derived:
        st = derived.get(n)
        results.append({"fact": "derived", "text": n, "field": n, "value": st,
                        "outcome": TRUE if st == "yes" else UNKNOWN if st == "unknown" else FALSE})
    for n in cr.not_derived:
        st = derived.get(n)
        results.append({"fact": "derived", "text": f"not {n}", "field": n, "value": st,
                        "outcome": FALSE if st == "yes" else UNKNOWN if st == "unknown" else TRUE})
    if in_place(cr, anchor, join):
        results.append({"fact": "enterprise", "text": f"{cr.measure_id} not in place", "field": "measures_in_place",
                        "value": cr.measure_id, "outcome": FALSE})
    return _and([r["outcome"] for r in results]), results


def outcome(kb: KnowledgeBase, cr: CompiledRule, anchor: dict, join: Optional[dict], derived: dict[str, str]) -> str:
    """Just the outcome of :func:`trace` (true / false / unknown)."""
    if in_place(cr, anchor, join):
        return FALSE
    outs = []
    for pat, fact in ((cr.anchor, anchor), (cr.join, join)):
        if pat is not None:
            specs = kb.specs[pat.fact]
            for cond in pat.conds:
                o = C.evaluate(cond, fact, specs)
                if o == FALSE:
                    return FALSE
                outs.append(o)
    for n in cr.derived:
        st = derived.get(n)
        outs.append(TRUE if st == "yes" else UNKNOWN if st == "unknown" else FALSE)
    for n in cr.not_derived:
        st = derived.get(n)
        outs.append(FALSE if st == "yes" else UNKNOWN if st == "unknown" else TRUE)
    return _and(outs)


def _probes(kb: KnowledgeBase, cr: CompiledRule) -> list[tuple]:
    """(on the joined fact?, fact kind, condition, fields that can be unknown, specs) of a rule, cached."""
    probes = cr.__dict__.get("_probes")
    if probes is None:
        probes = []
        for on_join, pat in ((False, cr.anchor), (True, cr.join)):
            if pat is None:
                continue
            specs = kb.specs[pat.fact]
            for cond in pat.conds:
                fields = tuple(C.nullable_fields(cond, specs))
                if fields:
                    probes.append((on_join, pat.fact, cond, fields, specs))
        cr.__dict__["_probes"] = probes
    return probes


def unknowns(kb: KnowledgeBase, cr: CompiledRule, anchor: dict, join: Optional[dict],
             derived: dict[str, str]) -> list[str]:
    """Facts to verify for one rule on one anchor/join pair, as '<fact>.<field>' or 'derived.<name>'."""
    out: list[str] = []
    for on_join, fact_kind, cond, fields, specs in _probes(kb, cr):
        fact = join if on_join else anchor
        absent = [f for f in fields if C.value_of_field(fact, f) is None]
        # a plain condition on an absent field is unknown; an any-group only if no item holds
        if absent and (isinstance(cond, C.Cond) or C.evaluate(cond, fact, specs) == UNKNOWN):
            out += [f"{fact_kind}.{f}" for f in absent]
    for n in cr.derived:
        if derived.get(n) == "unknown":
            out.append(f"derived.{n}")
    for n in cr.not_derived:
        if derived.get(n) == "unknown":
            out.append(f"derived.{n}")
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
                    changed = fire(kb, cr, anchor, join, derived, events, seen) or changed
    return events, derived


def fire(kb: KnowledgeBase, cr: CompiledRule, anchor: dict, join: Optional[dict], derived: dict[str, str],
         events: list[Event], seen: set[tuple]) -> bool:
    """Evaluate one rule on one anchor/join pair; record a new true or unknown outcome as an event, and the
    derived fact it produces. True when that changed a derived fact (the stratum must run again)."""
    out = outcome(kb, cr, anchor, join, derived)
    if out == FALSE:
        return False
    mode = "apply" if out == TRUE else "verify"
    key = (cr.key, mode, join.get("id") if join else None)
    if key in seen:
        return False
    seen.add(key)
    events.append(Event(cr, mode, anchor, join))
    if cr.rule.derive:
        st = derived_status(kb, cr, mode, join, anchor)
        if derived.get(cr.rule.derive) != "yes" and derived.get(cr.rule.derive) != st:
            derived[cr.rule.derive] = st
            return True
    return False
