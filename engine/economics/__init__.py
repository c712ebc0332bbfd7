"""Plan economics: units, the audit guidelines' indicators (payback, NPV, NPV ratio, IRR) and CO2 of savings."""
from cpadvisor.economics.finance import irr, npv, npv_ratio, simple_payback
from cpadvisor.economics.units import UnitError, convert

__all__ = ["UnitError", "convert", "irr", "npv", "npv_ratio", "simple_payback"]
