"""A plain-Python lower bound for ``kb.assess``: what any implementation of the same assessment must do.

The same intake (``coerce_profile``), the same facts (``facts_of``), the same compiled rules matched with the
same three-valued evaluator (``rules.plain.outcome``) but indexed (a rule is tried only on the facts its sector
and unit-type conditions can match, and a rule that reads no derived fact only once per stratum), and the
findings as plain rows (``rules.resolve.finding_rows``: the same statuses, units, conditions, missing facts,
thresholds and observed numbers) without any pydantic model. No durable_rules, no benchmarks, duties, plans
or conflicts: ``kb.assess`` does all of that on top, so the ratio is an upper bound of its overhead.

:func:`same_findings` checks that the bound gives the findings ``kb.assess`` gives, profile by profile, so the
bound is honest: it cannot skip work the engine must do.
"""
from __future__ import annotations

from typing import Any, Optional

from cpadvisor.advisor import facts_of
from cpadvisor.intake.profiles import coerce_profile
from cpadvisor.knowledge import conditions as C
from cpadvisor.knowledge.loader import CompiledRule, KnowledgeBase
from cpadvisor.rules.durable import Event
from cpadvisor.rules.facts import Facts
from cpadvisor.rules.plain import fire
from cpadvisor.rules.resolve import finding_rows



def _prefilter(cr: CompiledRule, specs: dict) -> tuple[Optional[frozenset], Optional[tuple[str, frozenset]]]:
    """(sectors the anchor must contain, (field, values) the joined fact must have), where the rule says so.

    Both read only fields that always have a value (sectors, a unit's type, a product's key), so a fact that
    fails them makes the rule false, never unknown.
    """
    sectors = None
    for c in cr.anchor.conds:
        if isinstance(c, C.Cond) and c.field == "sectors" and c.op == "contains":
            sectors = frozenset(c.value if isinstance(c.value, tuple) else (c.value,))
    join = None
    if cr.join:
        for c in cr.join.conds:
            if isinstance(c, C.Cond) and c.field in ("type", "kind", "key") and c.op in ("==", "in") \
                    and not C.nullable_fields(c, specs[cr.join.fact]):
                join = (c.field, frozenset(c.value if isinstance(c.value, tuple) else (c.value,)))
                break
    return sectors, join


class Index:
    """The rules by stratum, with their prefilters (built once per knowledge base)."""

    def __init__(self, kb: KnowledgeBase):
        self.strata: list[list[tuple[CompiledRule, Any, Any, bool]]] = []
        for stratum in sorted({r.stratum for r in kb.rules}):
            rules = []
            for cr in (r for r in kb.rules if r.stratum == stratum):
                sectors, join = _prefilter(cr, kb.specs)
                rules.append((cr, sectors, join, bool(cr.derived or cr.not_derived)))
            self.strata.append(rules)


def fast_events(kb: KnowledgeBase, facts: Facts, index: Index) -> tuple[list[Event], dict[str, str]]:
    """The events of ``rules.plain.plain_events``, in the same order, with far fewer evaluations."""
    derived: dict[str, str] = {}
    events: list[Event] = []
    seen: set[tuple] = set()
    for rules in index.strata:
        first = True
        changed = True
        while changed:
            changed = False
            for cr, sectors, jf, reads_derived in rules:
                if not first and not reads_derived:
                    continue  # its outcomes do not depend on derived facts: the first pass saw them all
                anchors = facts.get(cr.anchor.fact, ())
                if sectors is not None:
                    anchors = [a for a in anchors if not sectors.isdisjoint(a.get("sectors", ()))]
                if not anchors:
                    continue
                if cr.join:
                    joins = facts.get(cr.join.fact, ())
                    if jf is not None:
                        joins = [j for j in joins if j.get(jf[0]) in jf[1]]
                    if not joins:
                        continue
                else:
                    joins = (None,)
                for anchor in anchors:
                    for join in joins:
                        changed = fire(kb, cr, anchor, join, derived, events, seen) or changed
            first = False
    return events, derived


def lower_bound(kb: KnowledgeBase, profile: Any, index: Index) -> list[dict]:
    """Intake, facts, matching and findings (plain rows) for one profile."""
    p = coerce_profile(profile, kb)
    facts = facts_of(kb, p, [])
    events, derived = fast_events(kb, facts, index)
    return finding_rows(kb, facts, events, derived)


def key_of(row: dict) -> tuple:
    """What must agree between the bound and ``kb.assess`` for one finding (before conflicts re-rank it)."""
    return (row["measure_id"], row["status"], row.get("rule_id"), tuple(row.get("units") or ()),
            tuple(sorted(row.get("missing") or ())),
            tuple((c["text"], c["outcome"]) for c in row.get("conditions") or ()))


def same_findings(kb: KnowledgeBase, profile: Any, index: Index, assessment: Any) -> Optional[str]:
    """None when the bound's findings equal the assessment's (conflicts aside), else what differs."""
    mine = {r["measure_id"]: key_of(r) for r in lower_bound(kb, profile, index)}
    conflicted = {m for c in assessment.conflicts for m in c.affects}
    theirs = {}
    for f in assessment.findings:
        theirs[f.measure_id] = key_of(f.model_dump())
    for mid in set(mine) | set(theirs):
        if mid in conflicted:
            continue  # a conflict finding re-ranks the measure after resolution (kb.assess does more here)
        if mine.get(mid) != theirs.get(mid):
            return f"{mid}: bound {mine.get(mid)} vs assess {theirs.get(mid)}"
    return None
