"""Catalog coverage: every id encoded, reached by a rule, and tested both ways."""
from __future__ import annotations

from dataclasses import dataclass, field

from cpadvisor.advisor import facts_of
from cpadvisor.authoring.cases import case_profile, run_case
from cpadvisor.errors import CpadvisorError
from cpadvisor.intake.profiles import validate_profile
from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.rules.plain import unknowns
from cpadvisor.advisor import engine_of


@dataclass
class PackCoverage:
    pack: str
    catalog: list[str] = field(default_factory=list)
    encoded: list[str] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)  # some rule for it fired (applies) in some case
    positive: list[str] = field(default_factory=list)  # a passing case expects it to apply
    negative: list[str] = field(default_factory=list)  # a passing case expects it not to apply
    rules: list[str] = field(default_factory=list)
    rules_fired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        out = []
        for mid in self.catalog:
            if mid not in self.encoded:
                out.append(f"{mid}: not encoded in knowledge/")
                continue
            if mid not in self.reached:
                out.append(f"{mid}: no rule for it fired in any case")
            if mid not in self.positive:
                out.append(f"{mid}: no passing case where it applies")
            if mid not in self.negative:
                out.append(f"{mid}: no passing case where it must not apply")
        out += [f"rule {r}: never fired by any case" for r in self.rules if r not in self.rules_fired]
        return out


@dataclass
class Coverage:
    packs: list[PackCoverage]
    failing_cases: list[str]

    @property
    def problems(self) -> list[str]:
        return [p for pc in self.packs for p in pc.problems] + [f"case failed: {c}" for c in self.failing_cases]

    def totals(self) -> dict[str, int]:
        keys = ("catalog", "encoded", "reached", "positive", "negative", "rules", "rules_fired")
        return {k: sum(len(getattr(pc, k)) for pc in self.packs) for k in keys}


def coverage(kb: KnowledgeBase) -> Coverage:
    packs: dict[str, PackCoverage] = {}

    def pc(pack: str) -> PackCoverage:
        return packs.setdefault(pack, PackCoverage(pack))

    for mid, entry in kb.catalog.items():
        pc(entry.pack).catalog.append(mid)
    for mid, info in kb.measures.items():
        p = pc(info.pack)
        p.encoded.append(mid)
        if mid not in kb.catalog:
            p.catalog.append(mid)
    for r in kb.rules:
        pc(r.pack).rules.append(r.key)
    fired: set[str] = set()
    reached: set[str] = set()
    positive: set[str] = set()
    negative: set[str] = set()
    failing = []
    for ci in kb.cases:
        res = run_case(kb, ci)
        if not res.ok:
            failing.append(f"{ci.file}:{ci.line} {ci.case.name}")
            continue
        positive.update(ci.case.expect.applies)
        negative.update(ci.case.expect.not_applies, ci.case.expect.decided_not, ci.case.expect.in_place)
        try:
            sess = engine_of(kb).run(facts_of(kb, validate_profile(case_profile(ci), kb)))
        except CpadvisorError:
            continue
        # derived facts whose producers fired on known facts, left 'unknown' only by unverified numbers
        trusted_out = {ev.rule.rule.derive for ev in sess.events if ev.mode == "apply" and ev.rule.rule.derive}
        derived = {k.split(":")[0]: v for k, v in sess.derived.items()}
        for ev in sess.events:
            if ev.mode != "apply":
                missing = unknowns(kb, ev.rule, ev.anchor, ev.join, derived)
                if not missing or not all(m.startswith("derived.") and m.split(".", 1)[1] in trusted_out
                                          for m in missing):
                    continue  # a fact is missing: not fired
            fired.add(ev.rule.key)  # fired (its numbers may still be unverified: see cpadvisor.rules.trust)
            if ev.rule.measure_id:
                reached.add(ev.rule.measure_id)
    for p in packs.values():
        p.reached = [m for m in p.encoded if m in reached]
        p.positive = [m for m in p.encoded if m in positive]
        p.negative = [m for m in p.encoded if m in negative]
        p.rules_fired = [r for r in p.rules if r in fired]
    order = sorted(packs, key=lambda k: (k not in ("common", "policy"), k))
    return Coverage([packs[k] for k in order], failing)


def system_coverage(kb: KnowledgeBase) -> list[dict]:
    """Per 清洁生产评价指标体系: indicators, how many have their three levels (or texts), weights, a value read from
    the profile, improving measures, cases; and whether the document is complete here."""
    out = []
    for sid, info in kb.indicator_systems.items():
        inds = [i for g in info.system.groups for i in g.indicators]
        out.append({"id": sid, "pack": info.pack, "name": info.system.name.zh, "year": info.system.year,
                    "tier": info.system.tier, "verified": info.system.verified, "complete": info.system.complete,
                    "indicators": len(inds),
                    "levels": sum(1 for i in inds if len(i.levels) == 3 or len(i.texts) == 3),
                    "weights": sum(1 for i in inds if i.weight is not None),
                    "from_profile": sum(1 for i in inds if i.value_from is not None and i.value_from.products),
                    "improved_by": sum(1 for i in inds if i.improved_by), "cases": len(info.cases)})
    return out
