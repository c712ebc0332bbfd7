"""The feasibility analysis of the profile's plans, and what to collect for 中/高费 measures without one.

Every indicator is computed only from the consultant's figures: no default discount rate, life or price.
A plan for a measure the engine does not recommend is kept and flagged.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from cpadvisor.economics.co2 import co2_of
from cpadvisor.economics.finance import annual_flows, irr, npv, npv_ratio, simple_payback
from cpadvisor.models.results import EffectUse, Finding, PlanResult, PlanSavingUse, Scenario, Text, ToCollect

SENSITIVITY = Decimal("0.2")  # ±20 % on investment and on savings
FIGURES = ("investment_wan", "annual_saving_wan", "savings", "operating_cost_change_wan", "life_years", "discount_rate")


def _f(x: Optional[Decimal], nd: int) -> Optional[float]:
    return None if x is None else float(round(x, nd))


def _indicators(inv: Decimal, net: Decimal, life: Optional[int], rate: Optional[Decimal]) -> dict[str, Optional[Decimal]]:
    flows = annual_flows(net, life) if life else None
    return {"payback": simple_payback(inv, net),
            "npv": npv(rate, inv, flows) if flows is not None and rate is not None else None,
            "npv_ratio": npv_ratio(rate, inv, flows) if flows is not None and rate is not None else None,
            "irr": irr(inv, flows) if flows is not None else None}


def evaluate_plan(plan: Any, thresholds: dict, finding: Optional[Finding], name: Text,
                  cost: Optional[str]) -> PlanResult:
    """Indicators, sensitivity and CO2 of one plan."""
    missing = [f for f in ("investment_wan", "annual_saving_wan", "life_years", "discount_rate")
               if getattr(plan, f) is None]
    flags: list[Text] = []
    savings: list[PlanSavingUse] = []
    co2, partial = Decimal(0), False
    for s in plan.savings:
        hit = co2_of(thresholds, s.carrier, s.amount, s.unit)
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
    out["flags"] = flags
    return PlanResult(**out)


def _rank(results: list[PlanResult]) -> None:
    """Rank plans with an NPV ratio (higher first), ties by shorter payback; rejected plans are not ranked."""
    ranked = sorted((r for r in results if r.npv_ratio is not None and r.status != "rejected"),
                    key=lambda r: (-r.npv_ratio, r.payback_years if r.payback_years is not None else 1e9))  # type: ignore[operator]
    for i, r in enumerate(ranked, 1):
        r.rank = i


def evaluate_plans(kb: Any, profile: Any, findings: list[Finding]) -> tuple[list[PlanResult], list[ToCollect]]:
    """The profile's plans evaluated and ranked; the recommended 中/高费 measures without a plan."""
    by_id = {f.measure_id: f for f in findings}
    results = []
    for plan in getattr(profile, "plans", ()):
        info = kb.measures.get(plan.measure)
        name = info.measure.name if info else Text(zh=plan.measure, en=plan.measure)
        results.append(evaluate_plan(plan, kb.thresholds, by_id.get(plan.measure), Text(zh=name.zh, en=name.en),
                                     info.measure.cost if info else None))
    _rank(results)
    planned = {p.measure for p in getattr(profile, "plans", ())}
    collect = []
    for f in findings:
        if f.status == "applies" and f.cost == "medium_high" and f.kind == "measure" and f.measure_id not in planned:
            m = kb.measures[f.measure_id].measure
            collect.append(ToCollect(measure_id=f.measure_id, name=f.name, figures=list(FIGURES),
                                     typical=[EffectUse(**e.model_dump()) for e in m.effects]))
    return results, collect
