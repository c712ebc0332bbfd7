"""The feasibility analysis of the profile's plans, and what to collect for 中/高费 measures without one.

Every indicator is computed only from the consultant's figures: no default discount rate, life or price.
A plan for a measure the engine does not recommend is kept and flagged.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Optional

from cpadvisor.economics.co2 import co2_of, effect_co2, mix_intensity
from cpadvisor.economics.finance import after_tax_cash_flow, annual_flows, irr, npv, npv_ratio, simple_payback
from cpadvisor.models.results import EffectUse, Finding, PlanResult, PlanSavingUse, Scenario, Text, ToCollect

SENSITIVITY = Decimal("0.2")  # ±20 % on investment and on savings
FIGURES = ("investment_wan", "annual_saving_wan", "savings", "operating_cost_change_wan", "life_years", "discount_rate",
           "depreciation_years", "income_tax_rate", "cost_class")
PAYBACK_QUOTA = {"medium": "common.payback_quota_medium", "higher": "common.payback_quota_higher",
                 "high": "common.payback_quota_high"}  # 定额偿还期 by the consultant's cost class


def _f(x: Optional[Decimal], nd: int) -> Optional[float]:
    return None if x is None else float(round(x, nd))


def _indicators(inv: Decimal, net: Decimal, life: Optional[int], rate: Optional[Decimal]) -> dict[str, Optional[Decimal]]:
    flows = annual_flows(net, life) if life else None
    return {"payback": simple_payback(inv, net),
            "npv": npv(rate, inv, flows) if flows is not None and rate is not None else None,
            "npv_ratio": npv_ratio(rate, inv, flows) if flows is not None and rate is not None else None,
            "irr": irr(inv, flows) if flows is not None else None}


def evaluate_plan(plan: Any, thresholds: dict, finding: Optional[Finding], name: Text,
                  cost: Optional[str], on: Optional[date] = None, scope: Optional[str] = None) -> PlanResult:
    """Indicators, sensitivity and CO2 of one plan."""
    missing = [f for f in ("investment_wan", "annual_saving_wan", "life_years", "discount_rate")
               if getattr(plan, f) is None]
    flags: list[Text] = []
    savings: list[PlanSavingUse] = []
    co2, partial = Decimal(0), False
    for s in plan.savings:
        hit = co2_of(thresholds, s.carrier, s.amount, s.unit, on, scope, s.fuel_kind, s.equipment)
        if hit is None:
            partial |= s.carrier not in ("water",)
            savings.append(PlanSavingUse(carrier=s.carrier, amount=s.amount, unit=s.unit))
        else:
            co2 += hit[0]
            savings.append(PlanSavingUse(carrier=s.carrier, amount=s.amount, unit=s.unit, co2_t=_f(hit[0], 3),
                                         factor=hit[1]))
    any_co2 = any(s.co2_t is not None for s in savings)
    if not plan.savings:
        missing.append("savings")
    out = dict(plan_id=plan.id or plan.measure, measure_id=plan.measure, name=Text(zh=plan.name or name.zh,
               en=plan.name or name.en), cost=cost, status=plan.status,
               status_date=plan.status_date.isoformat() if plan.status_date else None,
               investment_wan=plan.investment_wan, annual_saving_wan=plan.annual_saving_wan,
               operating_cost_change_wan=plan.operating_cost_change_wan, life_years=plan.life_years,
               discount_rate=plan.discount_rate, savings=savings,
               co2_t_per_year=_f(co2, 3) if any_co2 else None, co2_incomplete=partial and any_co2,
               engine_status=finding.status if finding else None, missing=missing)
    if finding is None or finding.status in ("not_applicable", "superseded"):
        flags.append(Text(zh="本次评估未推荐该措施：方案保留，请核对其适用性",
                          en="not recommended by this assessment: the plan is kept; check that it fits"))
    elif finding.status == "in_place":
        flags.append(Text(zh="档案显示该措施已实施", en="the profile lists this measure as in place"))
    elif finding.status == "to_verify":
        flags.append(Text(zh="该措施的适用条件待核实", en="whether the measure applies is still to verify"))
    if plan.investment_wan is not None and plan.annual_saving_wan is not None:
        inv = Decimal(str(plan.investment_wan))
        net = Decimal(str(plan.annual_saving_wan)) - Decimal(str(plan.operating_cost_change_wan))
        rate = Decimal(str(plan.discount_rate)) if plan.discount_rate is not None else None
        life = plan.life_years
        ind = _indicators(inv, net, life, rate)
        out.update(annual_net_wan=_f(net, 2), payback_years=_f(ind["payback"], 2), npv_wan=_f(ind["npv"], 2),
                   npv_ratio=_f(ind["npv_ratio"], 4), irr=_f(ind["irr"], 4))
        if net <= 0:
            flags.append(Text(zh="年净收益不为正：无投资回收期", en="net annual saving is not positive: no payback"))
        cases = []
        for label, k_inv, k_sav in (("investment+20%", 1 + SENSITIVITY, 1), ("investment-20%", 1 - SENSITIVITY, 1),
                                    ("savings+20%", 1, 1 + SENSITIVITY), ("savings-20%", 1, 1 - SENSITIVITY)):
            n2 = Decimal(str(plan.annual_saving_wan)) * k_sav - Decimal(str(plan.operating_cost_change_wan))
            i2 = _indicators(inv * k_inv, n2, life, rate)
            cases.append(Scenario(label=label, npv_wan=_f(i2["npv"], 2), irr=_f(i2["irr"], 4),
                                  payback_years=_f(i2["payback"], 2)))
        out["sensitivity"] = cases
        if plan.depreciation_years is not None and plan.income_tax_rate is not None:
            f = after_tax_cash_flow(inv, net, plan.depreciation_years, Decimal(str(plan.income_tax_rate)))
            at = _indicators(inv, f, life, rate)
            out.update(cash_flow_wan=_f(f, 3), after_tax_payback_years=_f(at["payback"], 2),
                       after_tax_npv_wan=_f(at["npv"], 2), after_tax_npv_ratio=_f(at["npv_ratio"], 4),
                       after_tax_irr=_f(at["irr"], 4), method="after_tax")
    if plan.investment_wan is not None and plan.annual_saving_wan is not None:
        _judge(out, plan, thresholds, missing)
    out["flags"] = flags
    return PlanResult(**out)


def _judge(out: dict, plan: Any, thresholds: dict, missing: list[str]) -> None:
    """The method's decision rules for a 中/高费 plan: NPV ≥ 0, IRR ≥ the benchmark rate given, N within the
    定额偿还期 of its class. Feasible when every test that can be made passes and none is left open."""
    after = out.get("method") == "after_tax"
    if not after:
        missing += [f for f in ("depreciation_years", "income_tax_rate") if getattr(plan, f) is None]
    n = out.get("after_tax_payback_years" if after else "payback_years")
    v = out.get("after_tax_npv_wan" if after else "npv_wan")
    r = out.get("after_tax_irr" if after else "irr")
    basis = ("税后" if after else "税前", "after tax" if after else "before tax")
    tests: list[tuple[Optional[bool], Text]] = []
    if v is None:
        tests.append((None, Text(zh="净现值：缺折现率或寿命，未算", en="NPV: no rate or life, not computed")))
    else:
        tests.append((v >= 0, Text(zh=f"{basis[0]}净现值 {v:g} 万元 {'≥' if v >= 0 else '<'} 0",
                                   en=f"NPV {basis[1]} {v:g} 10k yuan {'≥' if v >= 0 else '<'} 0")))
    if plan.benchmark_irr is not None:
        if r is None:
            tests.append((None, Text(zh="内部收益率未算", en="IRR not computed")))
        else:
            ok = r >= plan.benchmark_irr
            tests.append((ok, Text(zh=f"{basis[0]}内部收益率 {r * 100:.2f}% {'≥' if ok else '<'} 基准收益率 "
                                      f"{plan.benchmark_irr * 100:.2f}%",
                                   en=f"IRR {basis[1]} {r * 100:.2f}% {'≥' if ok else '<'} the benchmark "
                                      f"{plan.benchmark_irr * 100:.2f}%")))
    if plan.cost_class in PAYBACK_QUOTA:
        tid = PAYBACK_QUOTA[plan.cost_class]
        t = thresholds.get(tid)
        if t is not None:
            out.update(cost_class=plan.cost_class, payback_limit_years=t.value, payback_limit_id=tid)
            if n is None:
                tests.append((False, Text(zh="无投资偿还期（年现金流量不为正）", en="no payback (cash flow not positive)")))
            else:
                ok = n <= t.value
                tests.append((ok, Text(zh=f"投资偿还期 {n:g} 年 {'≤' if ok else '>'} 定额偿还期 {t.value:g} 年（{t.cite}，未核实）",
                                       en=f"payback {n:g} years {'≤' if ok else '>'} the quota payback period "
                                          f"{t.value:g} years ({t.cite_en}, unverified)")))
    elif plan.cost_class == "low":
        out["cost_class"] = "low"
    else:
        missing.append("cost_class")
        tests.append((None, Text(zh="费用类别未给出：未与定额偿还期比较", en="cost class not given: payback not "
                                                                          "compared with the quota period")))
    out["benchmark_irr"] = plan.benchmark_irr
    out["feasibility"] = [t for _, t in tests]
    results = [ok for ok, _ in tests]
    out["feasible"] = False if False in results else None if None in results else True


def _rank(results: list[PlanResult]) -> None:
    """Rank plans by NPV ratio (净现值率, after tax where computed; higher first), ties by shorter payback;
    rejected plans are not ranked."""
    def ratio(r: PlanResult) -> Optional[float]:
        return r.after_tax_npv_ratio if r.method == "after_tax" else r.npv_ratio

    def years(r: PlanResult) -> float:
        n = r.after_tax_payback_years if r.method == "after_tax" else r.payback_years
        return n if n is not None else 1e9

    ranked = sorted((r for r in results if ratio(r) is not None and r.status != "rejected"),
                    key=lambda r: (-ratio(r), years(r)))  # type: ignore[operator]
    for i, r in enumerate(ranked, 1):
        r.rank = i


def evaluate_plans(kb: Any, profile: Any, findings: list[Finding],
                   on: Optional[date] = None) -> tuple[list[PlanResult], list[ToCollect]]:
    """The profile's plans evaluated and ranked; the recommended 中/高费 measures without a plan (``on``: the
    assessment's date, for the emission factors published by then)."""
    scope = (getattr(profile, "attributes", None) or {}).get("grid_factor_scope")
    by_id = {f.measure_id: f for f in findings}
    results = []
    for plan in getattr(profile, "plans", ()):
        info = kb.measures.get(plan.measure)
        name = info.measure.name if info else Text(zh=plan.measure, en=plan.measure)
        results.append(evaluate_plan(plan, kb.thresholds, by_id.get(plan.measure), Text(zh=name.zh, en=name.en),
                                     info.measure.cost if info else None, on, scope))
    _rank(results)
    planned = {p.measure for p in getattr(profile, "plans", ())}
    collect = []
    mix = None
    for f in findings:
        if f.status == "applies" and f.cost == "medium_high" and f.kind == "measure" and f.measure_id not in planned:
            m = kb.measures[f.measure_id].measure
            if mix is None and m.effects:
                mix = (mix_intensity(kb.thresholds, list(getattr(profile, "energy", ())), on, scope)[0],)
            typical = []
            for e in m.effects:  # each sourced energy effect with its CO2 where every input has a factor
                co2, unit, missing = effect_co2(kb.thresholds, e, mix[0] if mix else None, on, scope)
                typical.append(EffectUse(**e.model_dump(), co2=_f(co2, 4), co2_unit=unit or None,
                                         co2_missing=missing))
            collect.append(ToCollect(measure_id=f.measure_id, name=f.name, figures=list(FIGURES), typical=typical))
    return results, collect
