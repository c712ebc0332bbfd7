"""Expert cases: a profile in, expected measures out (run by pytest and `cpadvisor lint --cases`).

A failure reads as: what the case expected, what the engine decided, and why, i.e.
each rule of the measure with every condition marked ✓ (holds), ✗ (fails) or ? (unknown)
and the profile value it was evaluated on.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from cpadvisor.errors import CpadvisorError
from cpadvisor.knowledge.loader import CaseInfo, KnowledgeBase
from cpadvisor.models.results import Assessment, Finding
from cpadvisor.advisor import assess, explain

PLACEHOLDER = "TODO"
MAX_TRACES = 4
_MARK = {"true": "✓", "false": "✗", "unknown": "?"}


@dataclass
class CaseResult:
    info: CaseInfo
    failures: list[str] = field(default_factory=list)
    assessment: Optional[Assessment] = None

    @property
    def ok(self) -> bool:
        return not self.failures

    def report(self, kb: Optional[KnowledgeBase] = None) -> str:
        """The whole failure as text: where, expected vs actual, and the rules' conditions."""
        ci = self.info
        head = f"{_rel(ci.file)}:{ci.line or 1}: case '{ci.case.name}' failed / 用例未通过"
        return "\n".join([head] + [f"  - {f}" for f in self.failures])


def _rel(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def case_profile(info: CaseInfo) -> dict:
    data = dict(info.case.profile)
    data.setdefault("name", info.case.name[:200])
    return data


def _status(f: Optional[Finding]) -> str:
    if f is None:
        return "not_applicable"
    extra = ""
    if f.units:
        extra += f" on {f.units}"
    if f.missing:
        extra += f" (missing / 缺: {', '.join(f.missing)})"
    if f.superseded_by:
        extra += f" (superseded by {f.superseded_by})"
    if f.ranked_below:
        extra += f" (ranked below {f.ranked_below})"
    if f.optional:
        extra += " (optional / 可选)"
    return f.status + extra


def run_case(kb: KnowledgeBase, info: CaseInfo, engine: str = "durable") -> CaseResult:
    """Assess the case's profile and compare with its ``expect``; failures explain themselves."""
    res = CaseResult(info)
    if PLACEHOLDER in info.case.name:
        res.failures.append(f"unfinished case: fill in its profile and expect, then remove '{PLACEHOLDER}' from "
                            f"its name / 用例尚未填写完成：请填写画像与期望结果，并删除名称中的 {PLACEHOLDER}")
        return res
    try:
        a = assess(case_profile(info), kb=kb, engine=engine)
    except CpadvisorError as exc:
        res.failures.append(f"the case profile does not assess / 用例画像无效: {exc}")
        return res
    res.assessment = a
    found = {f.measure_id: f for f in a.findings}
    exp = info.case.expect

    def st(mid: str) -> str:
        return found[mid].status if mid in found else "not_applicable"

    explained: set[str] = set()

    def fail(mid: str, expected: str) -> None:
        res.failures.append(f"{mid}: expected / 期望 {expected}, actual / 实际 {_status(found.get(mid))}"
                            + ("" if mid in explained else why(kb, info, mid)))
        explained.add(mid)

    for mid in exp.applies:
        if st(mid) != "applies":
            fail(mid, "applies")
    for mid in exp.not_applies:
        if st(mid) == "applies":
            fail(mid, "not applies")
    for mid in exp.to_verify:
        if st(mid) != "to_verify":
            fail(mid, "to_verify")
    for mid in exp.in_place:
        if st(mid) != "in_place":
            fail(mid, "in place")
    for mid in exp.decided_not:
        if st(mid) in ("applies", "to_verify"):
            fail(mid, "not applies, not asked")
    for mid, units in exp.units.items():
        got = found[mid].units if mid in found else []
        if sorted(got) != sorted(units):
            fail(mid, f"on units {sorted(units)}")
    for mid, missing in exp.missing.items():
        got = found[mid].missing if mid in found else []
        lack = [m for m in missing if m not in got]
        if lack:
            fail(mid, f"to list missing facts {lack}")
    for mid, winner in exp.ranked_below.items():
        got = found[mid].ranked_below if mid in found else None
        if got != winner:
            fail(mid, f"ranked below {winner} (got {got})")
    for mid in exp.optional:
        if st(mid) != "to_verify" or not found[mid].optional:
            fail(mid, "an optional question")
    if exp.conflicts is not None:
        got = sorted(c.fact for c in a.conflicts)
        if got != sorted(exp.conflicts):
            res.failures.append(f"conflicts: expected / 期望 {sorted(exp.conflicts)}, actual / 实际 {got}")
    for mid, verdicts in exp.grounds.items():
        got = {g.id: g.status for g in a.grounds_of(mid)}
        for gid, want in verdicts.items():
            if got.get(gid) != want:
                res.failures.append(f"{mid} ground '{gid}': expected / 期望 {want}, actual / 实际 "
                                    f"{got.get(gid, 'none')} (grounds / 各项情形: {got})")
    for mid, ids in exp.duties.items():  # the duties listed with the obligation, exactly
        got = [d.id for d in found[mid].duties] if mid in found else []
        if sorted(got) != sorted(ids):
            res.failures.append(f"{mid} duties: expected / 期望 {sorted(ids)}, actual / 实际 {sorted(got)}")
    for name in exp.derived:
        if name not in a.derived:
            res.failures.append(f"derived fact '{name}': expected / 期望 derived, actual / 实际 derived {a.derived}")
    return res


def why(kb: KnowledgeBase, info: CaseInfo, mid: str) -> str:
    """Each rule of the measure on each candidate, every condition marked, with the profile value."""
    try:
        e = explain(case_profile(info), mid, kb=kb)
    except CpadvisorError:
        return ""
    lines = []
    # the candidates closest to holding first: they say what is missing
    traces = sorted(e.traces, key=lambda t: (sum(c.outcome == "false" for c in t.conditions),
                                           sum(c.outcome == "unknown" for c in t.conditions)))
    for tr in traces[:MAX_TRACES]:
        lines.append(f"      rule {tr.rule_id}" + (f" @ {tr.target}" if tr.target else "") + f": {tr.outcome}")
        for c in tr.conditions:
            lines.append(f"        {_MARK[c.outcome]} {c.fact}: {c.text}   (value: "
                         f"{json.dumps(c.value, ensure_ascii=False, default=str)})")
    if len(e.traces) > MAX_TRACES:
        lines.append(f"      … {len(e.traces) - MAX_TRACES} more (cpadvisor explain PROFILE {mid})")
    return "\n    why / 原因:\n" + "\n".join(lines) if lines else ""


def run_system_case(kb: KnowledgeBase, system_id: str, case: Any) -> list[str]:
    """The failures of one indicator-system case: its grade ('none': not computed), each indicator's level
    ('missing': no value), the 限定性指标 that capped it, the indicators without a value."""
    from cpadvisor.advisor import assess
    a = assess({"name": case.name[:80], **case.profile}, kb=kb)
    ev = next((e for e in a.cp_evaluations if e.system_id == system_id), None)
    if ev is None:
        return [f"the system '{system_id}' does not apply to the profile (subsectors {case.profile.get('subsectors')})"]
    exp, out = case.expect, []
    if exp.grade is not None and (ev.grade or "none") != exp.grade:
        out.append(f"grade: expected / 期望 {exp.grade}, actual / 实际 {ev.grade or 'none'} ({ev.reason.zh})")
    got = {r.id: r.level or "missing" for r in ev.indicators}
    for iid, want in exp.levels.items():
        if got.get(iid) != want:
            out.append(f"indicator '{iid}': expected / 期望 {want}, actual / 实际 {got.get(iid, 'not in the system')}")
    if exp.capped_by is not None and sorted(ev.capped_by) != sorted(exp.capped_by):
        out.append(f"capped by: expected / 期望 {sorted(exp.capped_by)}, actual / 实际 {sorted(ev.capped_by)}")
    if exp.missing is not None and sorted(ev.missing) != sorted(exp.missing):
        out.append(f"missing: expected / 期望 {sorted(exp.missing)}, actual / 实际 {sorted(ev.missing)}")
    return out
