"""The economic indicators a cleaner-production audit's feasibility analysis names, in Decimal.

Investment ``I`` at year 0, a net annual saving ``A`` (savings minus any rise in operating cost) in years
1..n. Simple payback = I / A; NPV = -I + sum A_t / (1 + r)^t; NPV ratio (净现值率) = NPV / I; IRR is the
rate where NPV = 0 (found by bisection). No default discount rate: the caller must give one.
"""
from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Optional, Sequence, Union

Number = Union[Decimal, int, float, str]


def D(x: Number) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def npv(rate: Number, investment: Number, cashflows: Sequence[Number]) -> Decimal:
    """Net present value of ``-investment`` now and ``cashflows`` at the end of years 1, 2, ..."""
    r = D(rate)
    if r <= -1:
        raise ValueError("discount rate must be above -100 %")
    with localcontext() as ctx:
        ctx.prec = 34
        total = -D(investment)
        factor = Decimal(1)
        for cf in cashflows:
            factor /= (1 + r)
            total += D(cf) * factor
        return +total


def annual_flows(annual: Number, years: int) -> list[Decimal]:
    return [D(annual)] * int(years)


def npv_ratio(rate: Number, investment: Number, cashflows: Sequence[Number]) -> Optional[Decimal]:
    """净现值率 NPV / I (None when there is no investment)."""
    i = D(investment)
    return None if i == 0 else npv(rate, i, cashflows) / i


def simple_payback(investment: Number, annual_net: Number) -> Optional[Decimal]:
    """Years to pay back (None if the net annual saving is not positive)."""
    a = D(annual_net)
    return None if a <= 0 else D(investment) / a


def irr(investment: Number, cashflows: Sequence[Number], tol: Decimal = Decimal("1e-9")) -> Optional[Decimal]:
    """Internal rate of return for a conventional flow (one outlay, then returns); None if there is none.

    NPV falls strictly as the rate rises for such a flow, so bisection on (-99 %, 1000 %) finds the root.
    """
    i = D(investment)
    flows = [D(c) for c in cashflows]
    lo, hi = Decimal("-0.99"), Decimal(10)
    if i <= 0 or not flows or npv(lo, i, flows) <= 0 or npv(hi, i, flows) > 0:
        return None  # no outlay, no return, or a rate outside -99 %..1000 %: not meaningful
    for _ in range(200):
        mid = (lo + hi) / 2
        if npv(mid, i, flows) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return (lo + hi) / 2


def after_tax_cash_flow(investment: Number, annual_net: Number, depreciation_years: int,
                        income_tax_rate: Number) -> Decimal:
    """The audit method's annual cash flow F (清洁生产可行性分析): D = I / Y, taxable increment T = P − D,
    after-tax increment E = T × (1 − tax), F = E + D."""
    i, p, tax = D(investment), D(annual_net), D(income_tax_rate)
    if depreciation_years < 1:
        raise ValueError("the depreciation period is at least one year")
    dep = i / D(depreciation_years)
    return (p - dep) * (1 - tax) + dep
