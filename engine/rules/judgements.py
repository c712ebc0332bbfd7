"""Verdicts from numbers: a consultant gives the scrap ratio, the engine derives 'low scrap ratio' only where a
sourced threshold exists; otherwise the number is shown next to the open question.

A verdict attribute declares ``judged_from`` (see :class:`cpadvisor.knowledge.format.Judgement`). A verdict
written in the profile always counts: it is the consultant's judgement.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from cpadvisor.knowledge import conditions as C
from cpadvisor.knowledge.format import Attribute, Judgement
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.rules.facts import Facts

JUDGED = "jd"  # fact key: verdict -> the threshold id it was derived with

_OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


def judged(kb: KnowledgeBase, on: str) -> list[tuple[str, Judgement]]:
    """The verdict attributes of one fact kind that follow from numbers (cached per knowledge base)."""
    cache = kb.runtime.setdefault("judged", {})
    if on not in cache:
        cache[on] = [(n, a.judged_from) for n, a in kb.vocab.attributes(on).items() if a.judged_from is not None]
    return cache[on]


def number(fact: dict, j: Judgement) -> Optional[Decimal]:
    """The number a judgement rests on (summed over its fields, in Decimal), or None if one is missing."""
    total = Decimal(0)
    for name in j.number:
        v = C.value_of_field(fact, name)
        if v is None or isinstance(v, bool):
            return None
        total += Decimal(str(v))
    return total


def bounds(fact: dict, j: Judgement) -> Optional[tuple[Decimal, Decimal]]:
    """The least and the most the judged number can be, or None while it is unknown: the number itself (its
    fields summed); for parts of a whole (``share_of``), the given parts plus at most what the whole's given
    shares leave unaccounted (a share left out of a whole that adds up to 1 is 0)."""
    if j.share_of is None:
        n = number(fact, j)
        return None if n is None else (n, n)
    whole = C.value_of_field(fact, j.share_of)
    given = {k: Decimal(str(v)) for k, v in (whole or {}).items()
             if v is not None and not isinstance(v, bool)} if isinstance(whole, dict) else {}
    if not given:
        return None
    parts = [p.split(".", 1)[1] if p.startswith(f"{j.share_of}.") else p for p in j.number]
    low = sum((given[p] for p in parts if p in given), Decimal(0))
    rest = max(Decimal(1) - sum(given.values(), Decimal(0)), Decimal(0))
    return low, (low + rest if any(p not in given for p in parts) else low)


def judge(kb: KnowledgeBase, facts: Facts) -> None:
    """Derive each judged verdict the profile leaves open where its number and a sourced threshold exist."""
    for kind in ("enterprise", "unit", "park"):
        rules = judged(kb, kind)
        if not rules:
            continue
        for fact in facts.get(kind, ()):
            for name, j in rules:
                if name in fact or j.threshold is None:
                    continue
                b = bounds(fact, j)
                limit = Decimal(str(kb.thresholds[j.threshold].value))
                op = _OPS[j.op]  # type: ignore[index]
                if b is None or op(b[0], limit) != op(b[1], limit):
                    continue  # unknown, or the number's range straddles the threshold
                fact[name] = op(b[0], limit)
                fact.setdefault(JUDGED, {})[name] = j.threshold


def _shown(value: Decimal, unit: Optional[str]) -> str:
    v = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return f"{v} {unit}".strip() if unit else v


def observed(kb: KnowledgeBase, kind: str, fact: Optional[dict], names: list[str]) -> list[dict]:
    """The numbers behind the verdicts ``names`` of one fact (``Observed`` rows): open ones with their question,
    derived ones with the threshold they were compared with."""
    if fact is None:
        return []
    out = []
    attrs = kb.vocab.attributes(kind)
    judged = fact.get(JUDGED, {})
    for name in names:
        a: Optional[Attribute] = attrs.get(name)
        j = a.judged_from if a is not None else None
        if j is None:
            continue
        tid = judged.get(name)
        if name in fact and tid is None:
            continue  # the consultant's own verdict
        b = bounds(fact, j)
        if b is None:
            continue
        n = b[0]
        shown = _shown(n, j.unit)
        out.append({"fact": f"{kind}.{name}", "number": " + ".join(f"{kind}.{x}" for x in j.number),
                    "value": float(n), "unit": j.unit, "threshold": tid,
                    "question": {"zh": j.question.zh.replace("{value}", shown),
                                 "en": j.question.en.replace("{value}", shown)}})
    return out


def fields_read(cr: Any, on_join: bool) -> list[str]:
    """The fields a rule's anchor (or joined) pattern reads, sorted; cached on the rule."""
    key = "_read_join" if on_join else "_read_anchor"
    out = cr.__dict__.get(key)
    if out is None:
        pat = cr.join if on_join else cr.anchor
        out = cr.__dict__[key] = sorted({f for c in (pat.conds if pat else ()) for f in c.fields})
    return out
