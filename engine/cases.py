"""Expert cases: a profile in, expected measures out (run by pytest and `cpadvisor lint --cases`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .errors import CpadvisorError
from .kb import CaseInfo, KnowledgeBase
from .models import Assessment


@dataclass
class CaseResult:
    info: CaseInfo
    failures: list[str] = field(default_factory=list)
    assessment: Optional[Assessment] = None

    @property
    def ok(self) -> bool:
        return not self.failures


def case_profile(info: CaseInfo) -> dict:
    data = dict(info.case.profile)
    data.setdefault("name", info.case.name[:200])
    return data


def run_case(kb: KnowledgeBase, info: CaseInfo, engine: str = "durable") -> CaseResult:
    res = CaseResult(info)
    try:
        a = kb.assess(case_profile(info)) if engine == "durable" else __import__(
            "engine.assess", fromlist=["assess"]).assess(kb, case_profile(info), engine=engine)
    except CpadvisorError as exc:
        res.failures.append(f"the case profile does not assess: {exc}")
        return res
    res.assessment = a
    status = {f.measure_id: f for f in a.findings}
    exp = info.case.expect

    def st(mid: str) -> str:
        return status[mid].status if mid in status else "not_applicable"

    for mid in exp.applies:
        if st(mid) != "applies":
            res.failures.append(f"expected {mid} to apply, got {st(mid)}" + _why(kb, info, mid))
    for mid in exp.not_applies:
        if st(mid) == "applies":
            f = status[mid]
            res.failures.append(f"expected {mid} NOT to apply, but rule {f.rule_id} fired: "
                                + "; ".join(f"{c.text} [{c.value}]" for c in f.conditions))
    for mid in exp.to_verify:
        if st(mid) != "to_verify":
            res.failures.append(f"expected {mid} to be to_verify, got {st(mid)}" + _why(kb, info, mid))
    for mid, units in exp.units.items():
        got = status[mid].units if mid in status else []
        if sorted(got) != sorted(units):
            res.failures.append(f"expected {mid} on units {sorted(units)}, got {sorted(got)}")
    for mid, missing in exp.missing.items():
        got = status[mid].missing if mid in status else []
        lack = [m for m in missing if m not in got]
        if lack:
            res.failures.append(f"expected {mid} to list missing facts {lack}, got {got}")
    for name in exp.derived:
        if name not in a.derived:
            res.failures.append(f"expected derived fact '{name}', got {a.derived}")
    return res


def _why(kb: KnowledgeBase, info: CaseInfo, mid: str) -> str:
    try:
        e = kb.explain(case_profile(info), mid)
    except CpadvisorError:
        return ""
    lines = []
    for tr in e.traces:
        bad = [f"{c.text} -> {c.outcome} (value {c.value!r})" for c in tr.conditions if c.outcome != "true"]
        lines.append(f"    rule {tr.rule_id}{' @ ' + tr.target if tr.target else ''}: {tr.outcome}"
                     + ("; " + "; ".join(bad) if bad else ""))
    return "\n" + "\n".join(lines) if lines else ""


def run_all(kb: KnowledgeBase, pack: Optional[str] = None) -> list[CaseResult]:
    return [run_case(kb, ci) for ci in kb.cases if pack is None or ci.pack == pack]
