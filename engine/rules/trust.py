"""How far a firing of a rule can be trusted: legal findings never rest on an unverified number or text.

A threshold marked ``verified: false`` in a pack (a third-party transcription, a draft, a value marked
suspect) may inform a recommendation; a derived fact it produces is asserted as *unknown*, not *yes*, and an
obligation or gate it would make apply is reported as to verify, naming the threshold. The same holds for a
rule that ``rests_on`` a legal ground whose text was read only as restated: it names ``<measure>:<ground>``.
"""
from __future__ import annotations

from typing import Optional

from cpadvisor.knowledge.loader import CompiledRule, KnowledgeBase

LEGAL_KINDS = ("obligation", "gate")


LEVEL_FIELDS = ("energy_grade", "vs_benchmark")  # product fields computed from the sourced quota/benchmark levels
LEVELS = {"energy_grade": ("quota_1", "quota_2", "quota_3"), "vs_benchmark": ("benchmark", "baseline")}


def _judged_unverified(kb: KnowledgeBase, cr: CompiledRule) -> bool:
    for pat in cr.patterns:
        attrs = kb.vocab.attributes(pat.fact) if pat.fact in ("enterprise", "unit", "park") else {}
        for c in pat.conds:
            for f in c.fields:
                j = getattr(attrs.get(f), "judged_from", None)
                if j is not None and j.threshold and not kb.thresholds[j.threshold].verified:
                    return True
    return False


def may_be_unverified(kb: KnowledgeBase, cr: CompiledRule) -> bool:
    """The rule may rest on a number whose value is not verified (checked once, at compile time)."""
    if cr.texts or any(not kb.thresholds[t].verified for t in cr.thresholds) or _judged_unverified(kb, cr):
        return True
    if cr.join and cr.join.fact == "product" and any(f == "energy_worse_than_cp_advanced" for c in cr.join.conds
                                                      for f in c.fields):
        if any(not t.verified for t in kb.thresholds.values() if t.level == "cp_II"):
            return True  # a product's 国内先进 level may come from an unverified indicator system (facts' jd)
    return bool(cr.join and cr.join.fact == "product" and any(
        f in LEVEL_FIELDS for c in cr.join.conds for f in c.fields) and any(
        not t.verified for t in kb.thresholds.values() if t.product))


def _texts(kb: KnowledgeBase, cr: CompiledRule, anchor: Optional[dict]) -> list[str]:
    """The unread texts of a firing: of the grounds the rule rests on, those the anchor's emissions meet (an
    any-of rule fired by toxic substances applies 第八条第（三）项, not the other items); all when none is met
    on its facts (a ground met by a computation, e.g. the energy quota)."""
    if not cr.texts:
        return []
    em = (anchor or {}).get("emissions") or {}
    met = [t for t in cr.texts if any(em.get(f) is True for f in getattr(kb.ground(t), "facts", ()))]
    return met or list(cr.texts)


def unverified_numbers(kb: KnowledgeBase, cr: CompiledRule, join: Optional[dict],
                       anchor: Optional[dict] = None) -> list[str]:
    """The unverified thresholds a firing of the rule rests on: its own, the levels of the joined product
    where it reads a grade computed from them, and those a verdict it reads was derived with (judgements);
    first the unread legal texts it applies (``<measure>:<ground>``). Such a firing may inform, never make a
    legal finding."""
    ids = _texts(kb, cr, anchor) + [t for t in cr.thresholds if not kb.thresholds[t].verified]
    for pat, fact in ((cr.anchor, anchor), (cr.join, join)):
        jd = fact.get("jd") if pat is not None and fact else None
        if jd:
            ids += [jd[f] for c in pat.conds for f in c.fields if f in jd and not kb.thresholds[jd[f]].verified]
    if join and cr.join and cr.join.fact == "product":
        fields = {f for c in cr.join.conds for f in c.fields}
        levels = (LEVELS["energy_grade"] if "energy_grade" in fields else ()) + \
            (LEVELS["vs_benchmark"] if "vs_benchmark" in fields else ())
        key = join.get("key")
        ids += [tid for tid, t in kb.product_thresholds(key) if t.level in levels and not t.verified]
    return list(dict.fromkeys(ids))


def derived_status(kb: KnowledgeBase, cr: CompiledRule, mode: str, join: Optional[dict],
                   anchor: Optional[dict] = None) -> str:
    """yes for a firing on known facts and verified numbers; unknown otherwise."""
    if mode != "apply":
        return "unknown"
    return "unknown" if unverified_numbers(kb, cr, join, anchor) else "yes"


