"""CO2 of energy amounts from sourced emission factors (thresholds of level ``factor`` with a ``carrier``).

A factor's unit is ``tCO2/<unit>``; an amount in another unit of the same dimension is converted exactly
(1 MWh = 1000 kWh ...). No factor, no figure: the caller reports what is missing.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Optional

from cpadvisor.economics.units import UNITS, convert
from cpadvisor.models.results import ThresholdUse


# the regions a Hunan plant's purchased-electricity factor can be read for, by the consultant's scope
SCOPE_REGIONS = {"national": "全国", "regional": "华中", "provincial": "湖南"}


GJ_PER_TCE = Decimal("29.3076")  # 1 kgce = 29,307.6 kJ (GB/T 2589)


def factor_for(thresholds: dict, carrier: str, unit: str, on: Optional[date] = None,
               scope: Optional[str] = None, kind: Optional[str] = None,
               equipment: Optional[str] = None) -> Optional[tuple[str, Any, str]]:
    """(threshold id, threshold, per-unit) of the factor for ``carrier`` whose per-unit shares ``unit``'s dimension.

    Dated factors (``data_year``): of those published by ``on``, the latest data year for the region of ``scope``
    (national by default); where that region has none, the national one. A coal's ``kind`` and ``equipment``
    choose the guideline-method factor made for them; without both, the generic one."""
    dim = UNITS.get(unit, (None,))[0]
    hits = []
    want = (kind, equipment) if kind and equipment else (None, None)
    for tid, t in thresholds.items():
        if (t.level == "factor" and t.carrier == carrier and t.unit.startswith("tCO2/")
                and (t.fuel_kind, t.equipment) == want):
            per = t.unit.split("/", 1)[1]
            if dim is not None and UNITS.get(per, (None,))[0] == dim:
                hits.append((tid, t, per))
    dated = [h for h in hits if h[1].data_year is not None and (on is None or h[1].published is None
                                                                 or h[1].published <= on)]
    if not dated:
        return next(iter(hits), None) if not any(h[1].data_year is not None for h in hits) else None
    for region in dict.fromkeys((SCOPE_REGIONS.get(scope or "national", "全国"), "全国")):
        mine = [h for h in dated if h[1].region == region]
        if mine:
            return max(mine, key=lambda h: h[1].data_year)
    return None


def co2_of(thresholds: dict, carrier: str, amount: float, unit: str, on: Optional[date] = None,
           scope: Optional[str] = None, kind: Optional[str] = None,
           equipment: Optional[str] = None) -> Optional[tuple[Decimal, ThresholdUse]]:
    """tCO2 of ``amount`` ``unit`` of ``carrier`` (None without a sourced factor); ``on`` and ``scope`` choose a
    dated factor, ``kind`` and ``equipment`` a coal's guideline-method factor (:func:`factor_for`); an amount in
    tce meets a per-t method factor through the standard coal's calorific value."""
    if kind and equipment and UNITS.get(unit, (None,))[0] == "energy_ce":
        hit = factor_for(thresholds, carrier, "t", on, scope, kind, equipment)
        if hit is not None and hit[1].ncv:
            tid, t, per = hit
            gj = convert(amount, unit, "tce") * GJ_PER_TCE
            return gj / Decimal(str(t.ncv)) * Decimal(str(t.value)), ThresholdUse.of(tid, t)
    hit = factor_for(thresholds, carrier, unit, on, scope, kind, equipment)
    if hit is None:
        return None
    tid, t, per = hit
    return convert(amount, unit, per) * Decimal(str(t.value)), ThresholdUse.of(tid, t)


def mix_intensity(thresholds: dict, energy: list, on: Optional[date] = None,
                  scope: Optional[str] = None) -> tuple[Optional[Decimal], list[ThresholdUse], list[str]]:
    """Average tCO2/tce of a declared energy mix (every entry in a tce-like unit with a factor), else None."""
    total_tce, total_co2, used, missing = Decimal(0), Decimal(0), [], []
    for e in energy:
        if UNITS.get(e.unit, (None,))[0] != "energy_ce":
            missing.append(f"energy.{e.fuel} in tce")
            continue
        tce = convert(e.annual, e.unit, "tce")
        hit = co2_of(thresholds, e.fuel, float(tce), "tce", on, scope)
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


def effect_co2(thresholds: dict, effect: Any, intensity: Optional[Decimal], on: Optional[date] = None,
               scope: Optional[str] = None) -> tuple[Optional[Decimal], str, Optional[str]]:
    """The CO2 of a measure's sourced energy effect, where every input has a factor: (value, unit, what is missing:
    ``value``, ``factor`` (of the effect's fuel), ``mix``, ``electricity``, ``base`` or ``fuel``).

    An amount in standard coal (tce/a, kgce/t) is taken at the plant's energy-mix intensity (tCO2/tce); an amount of
    a named fuel or of electricity at that carrier's factor (per tce, or per kWh for electricity). A relative
    effect (%) or one of an unnamed fuel has no factor to apply: what is missing is said instead."""
    if effect.kind != "energy":
        return None, "", None
    num = effect.value if effect.value is not None else None
    if num is None:
        return None, "", "value"
    amount, _, per = effect.unit.partition("/")
    if amount in ("tce", "kgce", "gce"):
        scale = {"tce": Decimal(1), "kgce": Decimal("0.001"), "gce": Decimal("0.000001")}[amount]
        if effect.carrier and effect.carrier != "electricity":
            hit = factor_for(thresholds, effect.carrier, "tce", on, scope)
            if hit is None:
                return None, "", "factor"
            factor = Decimal(str(hit[1].value))
        elif intensity is not None:
            factor = intensity
        else:
            return None, "", "mix"
        t = Decimal(str(num)) * scale * factor  # tCO2 per the effect's denominator
        return (t, f"tCO2/{per}", None) if per == "a" else (t * 1000, f"kgCO2/{per}", None)
    if effect.carrier == "electricity" and amount in ("kWh", "MWh"):
        hit = factor_for(thresholds, "electricity", "MWh", on, scope)
        if hit is None:
            return None, "", "electricity"
        mwh = Decimal(str(num)) / (1000 if amount == "kWh" else 1)
        t = mwh * Decimal(str(hit[1].value))
        return (t, f"tCO2/{per}", None) if per == "a" else (t * 1000, f"kgCO2/{per}", None)
    if amount == "%" or effect.unit == "%":
        return None, "", "base"
    return None, "", "fuel"
