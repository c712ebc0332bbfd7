"""Unit conversion within one dimension (money, energy, electricity, mass, volume), in Decimal.

Only exact, definitional factors live here (1 万元 = 10 000 元, 1 tce = 1000 kgce, 1 MWh = 1000 kWh ...).
Conversions between carriers (kWh to tce, coal to tce) need sourced factors and are not made here.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Union

Number = Union[Decimal, int, float, str]

# unit -> (dimension, size in the dimension's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "元": ("money", Decimal(1)), "CNY": ("money", Decimal(1)), "yuan": ("money", Decimal(1)),
    "万元": ("money", Decimal(10_000)), "wan_yuan": ("money", Decimal(10_000)),
    "kgce": ("energy_ce", Decimal(1)), "tce": ("energy_ce", Decimal(1000)), "万tce": ("energy_ce", Decimal(10_000_000)),
    "kWh": ("electricity", Decimal(1)), "MWh": ("electricity", Decimal(1000)), "GWh": ("electricity", Decimal(1_000_000)),
    "万kWh": ("electricity", Decimal(10_000)),
    "MJ": ("heat", Decimal(1)), "GJ": ("heat", Decimal(1000)),
    "kg": ("mass", Decimal(1)), "t": ("mass", Decimal(1000)), "万t": ("mass", Decimal(10_000_000)),
    "m3": ("volume", Decimal(1)), "m³": ("volume", Decimal(1)), "万m3": ("volume", Decimal(10_000)),
    "万m³": ("volume", Decimal(10_000)),
    "tCO2": ("co2", Decimal(1000)), "kgCO2": ("co2", Decimal(1)),
}


class UnitError(ValueError):
    """A unit not known, or two units of different dimensions."""


def dimension(unit: str) -> str:
    try:
        return UNITS[unit.strip()][0]
    except KeyError:
        raise UnitError(f"unknown unit '{unit}' / 未知单位; known: {', '.join(UNITS)}") from None


def convert(value: Number, from_unit: str, to_unit: str) -> Decimal:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (same dimension only)."""
    (d1, f1), (d2, f2) = UNITS.get(from_unit.strip(), (None, None)), UNITS.get(to_unit.strip(), (None, None))
    if d1 is None or d2 is None:
        dimension(from_unit if d1 is None else to_unit)  # raises with the unknown one
    if d1 != d2:
        raise UnitError(f"cannot convert {from_unit} ({d1}) to {to_unit} ({d2}) / 量纲不同，无法换算")
    return Decimal(str(value)) * f1 / f2  # type: ignore[operator]
