"""Rule events -> findings: applies beats to-verify; measures in place and yields_to respected."""
from __future__ import annotations

from typing import Iterable, Optional

from cpadvisor.knowledge.loader import CompiledRule, KnowledgeBase
from cpadvisor.knowledge import conditions as C
from cpadvisor.models.results import Finding, ThresholdUse
from cpadvisor.rules.durable import Event
from cpadvisor.rules.facts import Facts
from cpadvisor.rules.plain import trace, unknowns
from cpadvisor.rules.judgements import fields_read, observed
from cpadvisor.rules.trust import LEGAL_KINDS, LEVEL_FIELDS, unverified_numbers

PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}


def threshold_use(kb: KnowledgeBase, tid: str) -> ThresholdUse:
    return ThresholdUse.of(tid, kb.thresholds[tid])


def threshold_row(kb: KnowledgeBase, tid: str) -> dict:
    """A ``ThresholdUse`` as a plain row, made once per knowledge base (callers copy before changing it)."""
    rows = kb.runtime.setdefault("threshold_rows", {})
    row = rows.get(tid)
    if row is None:
        row = rows[tid] = threshold_use(kb, tid).model_dump()
    return row


def _thresholds_for(kb: KnowledgeBase, cr: CompiledRule, join: Optional[dict]) -> list[dict]:
    ids = list(cr.thresholds)
    if cr.join and cr.join.fact == "product" and join and any(
            f in LEVEL_FIELDS for c in cr.join.conds for f in c.fields):
        ids += [tid for tid, _ in kb.product_thresholds(join.get("key"))]
    return [threshold_row(kb, t) for t in dict.fromkeys(ids)]


def _rule_rank(kb: KnowledgeBase, cr: CompiledRule) -> tuple[int, int]:
    """(priority rank, place among its measure's rules) of a rule, cached on it."""
    rank = cr.__dict__.get("_rank")
    if rank is None:
        info = kb.measures.get(cr.measure_id or "")
        idx = info.rules.index(cr) if info and cr in info.rules else 0
        rank = cr.__dict__["_rank"] = (PRIORITY_RANK[cr.rule.priority], idx)
    return rank


def _asked(kb: KnowledgeBase, ev: Event) -> bool:
    """The rule's open question matters here: it has no ask_if, or one of its conditions holds."""
    if not ev.rule.ask_if:
        return True
    for pat in ev.rule.ask_if:
        fact = ev.join if ev.rule.join is not None and pat.fact == ev.rule.join.fact else ev.anchor
        specs = kb.specs[pat.fact]
        if fact is not None and any(C.evaluate(c, fact, specs) == C.TRUE for c in pat.conds):
            return True
    return False


def _observed(kb: KnowledgeBase, events: list[Event]) -> list[dict]:
    """The numbers behind the judgements the events read (open, or derived from a sourced threshold)."""
    out: dict[tuple, dict] = {}
    for ev in events:
        for on_join, fact in ((False, ev.anchor), (True, ev.join)):
            pat = ev.rule.join if on_join else ev.rule.anchor
            if pat is None or pat.fact not in ("enterprise", "unit", "park"):
                continue
            for o in observed(kb, pat.fact, fact, fields_read(ev.rule, on_join)):
                out.setdefault((o["fact"], o["value"]), o)
    return list(out.values())


def resolve(kb: KnowledgeBase, facts: Facts, events: Iterable[Event], derived: dict[str, str]) -> list[Finding]:
    """Findings from rule events: applies beats to-verify; in place and yields_to respected."""
    return [Finding.model_validate(r) for r in finding_rows(kb, facts, events, derived)]


def finding_rows(kb: KnowledgeBase, facts: Facts, events: Iterable[Event], derived: dict[str, str]) -> list[dict]:
    """:func:`resolve` as plain rows (the fields of ``Finding``), without building models."""
    by_measure: dict[str, dict[str, list[Event]]] = {}
    unverified: dict[str, list[str]] = {}  # derived fact -> unverified thresholds that kept it from 'yes'
    demoted: dict[int, list[str]] = {}  # id(event) -> unverified thresholds of a legal finding's firing
    for ev in events:
        nums = unverified_numbers(kb, ev.rule, ev.join, ev.anchor) if ev.mode == "apply" else []
        if nums and ev.rule.rule.derive:
            unverified.setdefault(ev.rule.rule.derive, []).extend(nums)
        if ev.rule.measure_id:
            mode = ev.mode
            info = kb.measures.get(ev.rule.measure_id)
            if nums and info is not None and info.measure.kind in LEGAL_KINDS:
                mode = "verify"  # an obligation or gate never applies on an unverified number
                demoted[id(ev)] = nums
            by_measure.setdefault(ev.rule.measure_id, {"apply": [], "verify": []})[mode].append(ev)

    def uid(ev: Event) -> Optional[str]:
        return ev.join.get("uid") if ev.join else None

    keys: dict[int, tuple] = {}

    def rank_number(ev: Event) -> Optional[float]:
        """The number of the rule's ``rank_by`` in the fact it is read from (``rank_fact``), or None."""
        rb = ev.rule.rule.rank_by
        if rb is None:
            return None
        fact = ev.anchor if ev.rule.rank_fact == ev.rule.anchor.fact else ev.join
        v = C.value_of_field(fact or {}, rb.field)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    def ranked_on(ev: Event) -> Optional[dict]:
        n, rb = rank_number(ev), ev.rule.rule.rank_by
        if n is None or rb is None:
            return None
        return {"field": f"{ev.rule.rank_fact}.{rb.field}", "value": n, "order": rb.order}

    def order(ev: Event) -> tuple:
        """A total order of events, the same in every process: priority, rule, the rule's ``rank_by`` number (the
        most room first, a unit without it last), then the joined fact."""
        k = keys.get(id(ev))
        if k is None:
            pos = int(ev.join["id"].rsplit(":", 1)[-1]) if ev.join and str(ev.join.get("id", "")).count(":") else -1
            n = rank_number(ev)
            by = (n is None, 0.0 if n is None else (n if ev.rule.rule.rank_by.order == "asc" else -n))  # type: ignore[union-attr]
            k = keys[id(ev)] = (*_rule_rank(kb, ev.rule), by, pos, ev.mode)
        return k

    for evs in by_measure.values():
        evs["apply"].sort(key=order)
        evs["verify"].sort(key=order)

    # a legal finding whose strongest firing rests on an unverified number or text is to verify as a whole (a gate
    # that would block on an unverified level is not 'required', it is 'to verify'), never applies; unless a firing
    # on verified ground reaches the same verdict (on the published list, whatever 第八条 as restated says)
    shaky = set()
    for mid, evs in by_measure.items():
        verified = {a.rule.rule.verdict for a in evs["apply"]}
        if any(id(e) in demoted and e.rule.rule.verdict not in verified for e in evs["verify"]):
            shaky.add(mid)
    applied = {mid: evs["apply"] for mid, evs in by_measure.items() if evs["apply"] and mid not in shaky}
    # yields_to: a general rule comes after the more specific measure on the same unit (ranked below, kept);
    # with `exclusive` it gives way altogether (superseded)
    verifying = {mid: evs["verify"] for mid, evs in by_measure.items() if evs["verify"]}

    def winner_of(ev: Event, mid: str, pool: dict[str, list[Event]]) -> Optional[str]:
        for other in ev.rule.rule.yields_to:
            oevs = pool.get(other)
            if not oevs or other == mid:
                continue
            ounits = {uid(o) for o in oevs}
            if None in ounits or uid(ev) in ounits or ev.join is None:
                return other
        return None

    superseded: dict[str, tuple[str, CompiledRule]] = {}
    ranked: dict[str, tuple[str, CompiledRule]] = {}
    for mid, evs in list(applied.items()):
        keep = []
        for ev in evs:
            winner = winner_of(ev, mid, applied)
            if winner and ev.rule.rule.exclusive:
                superseded[mid] = (winner, ev.rule)
            else:
                if winner:
                    ranked.setdefault(mid, (winner, ev.rule))
                keep.append(ev)
        if keep:
            applied[mid] = keep
            if any(winner_of(e, mid, applied) is None for e in keep):
                ranked.pop(mid, None)  # some firing stands on its own
        else:
            del applied[mid]
    yielded_questions: dict[str, tuple[str, CompiledRule]] = {}  # a question the specific measure answers
    for mid, evs in verifying.items():
        if mid in applied or mid in superseded:
            continue
        wins = [(winner_of(ev, mid, applied) or winner_of(ev, mid, verifying), ev) for ev in evs]
        if wins and all(w for w, _ in wins):
            w, ev = wins[0]
            if ev.rule.rule.exclusive and w in applied:
                superseded[mid] = (w, ev.rule)  # type: ignore[assignment]
            else:
                yielded_questions[mid] = (w, ev.rule)  # type: ignore[assignment]

    findings: list[dict] = []
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
            chosen = sorted(applied[mid], key=order)
            best = chosen[0]
            _, results = trace(kb, best.rule, best.anchor, best.join, derived)
            units = list(dict.fromkeys(u for u in (uid(e) for e in chosen) if u))
            below = ranked.get(mid)
            findings.append(dict(**base, status="applies", priority=best.rule.rule.priority, rule_id=best.rule.key,
                                    units=units, reason=best.rule.rule.because, conditions=results,
                                    thresholds=_thresholds_for(kb, best.rule, best.join),
                                    verdict=best.rule.rule.verdict, observed=_observed(kb, [best]),
                                    ranked_on=ranked_on(best),
                                    ranked_below=below[0] if below else None,
                                    note=below[1].rule.yields_why if below else None))
        elif mid in superseded:
            winner, rule = superseded[mid]
            findings.append(dict(**base, status="superseded", rule_id=rule.key, superseded_by=winner,
                                    reason=rule.rule.because, note=rule.rule.yields_why))
        elif evs and evs["verify"]:
            missing: list[str] = []
            # where some open questions matter here (ask_if), those are the finding; the others stay unasked
            asked = [e for e in evs["verify"] if _asked(kb, e)]
            verify = asked or evs["verify"]
            best = verify[0]
            for ev in verify:
                missing += unknowns(kb, ev.rule, ev.anchor, ev.join, derived)
                missing += [f"verify.{t}" for t in demoted.get(id(ev), [])]
            for m in list(missing):  # a derived fact left unknown by unverified numbers: say which ones
                if m.startswith("derived."):
                    missing += [f"verify.{t}" for t in unverified.get(m.split(".", 1)[1], [])]
            _, results = trace(kb, best.rule, best.anchor, best.join, derived)
            units = list(dict.fromkeys(u for u in (uid(e) for e in verify) if u))
            below = yielded_questions.get(mid)
            findings.append(dict(**base, status="to_verify", priority=best.rule.rule.priority,
                                    rule_id=best.rule.key, units=units, reason=best.rule.rule.because,
                                    conditions=results, missing=list(dict.fromkeys(missing)),
                                    thresholds=_thresholds_for(kb, best.rule, best.join),
                                    observed=_observed(kb, verify),
                                    optional=bool(below and below[0] in applied) or not asked,
                                    ranked_below=below[0] if below else None,
                                    note=below[1].rule.yields_why if below else None))
        elif mid.replace(".", "__") in in_place:
            findings.append(dict(**base, status="in_place"))
    asks = {f["measure_id"]: set(f["missing"]) for f in findings if f["status"] == "to_verify"}
    for f in findings:  # the specific measure it ranks below asks the same facts: one question, asked there
        w = f.get("ranked_below")
        if f["status"] == "to_verify" and w in asks and set(f["missing"]) <= asks[w]:
            f["optional"] = True
    return findings


