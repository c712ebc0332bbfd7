"""CO2 of energy amounts from sourced emission factors (thresholds of level ``factor`` with a ``carrier``).

A factor's unit is ``tCO2/<unit>``; an amount in another unit of the same dimension is converted exactly
(1 MWh = 1000 kWh ...). No factor, no figure: the caller reports what is missing.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from cpadvisor.economics.units import UNITS, convert
from cpadvisor.models.results import ThresholdUse


def factor_for(thresholds: dict, carrier: str, unit: str) -> Optional[tuple[str, Any, str]]:
    """(threshold id, threshold, per-unit) of the factor for ``carrier`` whose per-unit shares ``unit``'s dimension."""
    dim = UNITS.get(unit, (None,))[0]
    for tid, t in thresholds.items():
        if t.level == "factor" and t.carrier == carrier and t.unit.startswith("tCO2/"):
            per = t.unit.split("/", 1)[1]
            if dim is not None and UNITS.get(per, (None,))[0] == dim:
                return tid, t, per
    return None


def co2_of(thresholds: dict, carrier: str, amount: float, unit: str) -> Optional[tuple[Decimal, ThresholdUse]]:
    """tCO2 of ``amount`` ``unit`` of ``carrier`` (None without a sourced factor)."""
    hit = factor_for(thresholds, carrier, unit)
    if hit is None:
        return None
    tid, t, per = hit
    return convert(amount, unit, per) * Decimal(str(t.value)), ThresholdUse.of(tid, t)


def mix_intensity(thresholds: dict, energy: list) -> tuple[Optional[Decimal], list[ThresholdUse], list[str]]:
    """Average tCO2/tce of a declared energy mix (every entry in a tce-like unit with a factor), else None."""
    total_tce, total_co2, used, missing = Decimal(0), Decimal(0), [], []
    for e in energy:
        if UNITS.get(e.unit, (None,))[0] != "energy_ce":
            missing.append(f"energy.{e.fuel} in tce")
            continue
        tce = convert(e.annual, e.unit, "tce")
        hit = co2_of(thresholds, e.fuel, float(tce), "tce")
        if hit is None:
            missing.append(f"emission factor (tCO2/tce) for {e.fuel}")
            continue
        total_tce += tce
        total_co2 += hit[0]
        if hit[1].id not in {u.id for u in used}:
            used.append(hit[1])
    if missing or total_tce <= 0:
        return None, used, missing or ["energy (fuels in tce)"]
    return total_co2 / total_tce, used, []
