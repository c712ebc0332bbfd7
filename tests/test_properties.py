"""Property tests over generated valid profiles (strategies built from the loaded vocabulary).

For every profile: no crash; the same findings twice; a measure in place (enterprise or
park level) is never recommended; each recommendation has a clause, a reason and
conditions that all hold; durable_rules and the plain evaluator agree.
"""
from __future__ import annotations

from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpadvisor.advisor import assess
from cpadvisor.errors import EngineError, InputError
from cpadvisor.knowledge.loader import load_knowledge
from cpadvisor.advisor import explain

KB = load_knowledge()
V = KB.vocab
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def names(kind: str, packs: Optional[set[str]] = None) -> list[str]:
    return sorted(n for n in V.terms[kind] if packs is None or V.owner[(kind, n)] in packs)


def num(lo: float, hi: float) -> st.SearchStrategy:
    """Decimal numbers as people write them (3 decimals): see test_tiny_float_is_assessed for 1e-05."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3))


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def attr_value(a: Any) -> st.SearchStrategy:
    if a.type == "bool":
        return st.booleans()
    if a.type == "enum":
        return st.sampled_from(a.values)
    if a.type == "number":
        lo = a.min if a.min is not None else 0.0
        hi = a.max if a.max is not None else lo + 10_000.0
        return num(lo, hi)
    return st.text(min_size=1, max_size=8)


def attributes(on: str, packs: Optional[set[str]] = None) -> st.SearchStrategy:
    attrs = {k: a for k, a in V.attributes(on).items() if packs is None or V.owner[("attributes", k)] in packs}
    if not attrs:
        return st.just({})
    return st.fixed_dictionaries({}, optional={k: attr_value(a) for k, a in sorted(attrs.items())})


def drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


MEASURES = sorted(KB.measures)


def product_energy(key: Optional[str]) -> st.SearchStrategy:
    """Unit energy near the product's sourced levels (so grades and benchmarks vary)."""
    levels = sorted({t.value for t in KB.thresholds.values() if key and t.product == key})
    if not levels:
        return num(0, 2000)
    return st.one_of(st.sampled_from(levels), st.sampled_from(levels).flatmap(
        lambda v: num(min(v * 0.8, v * 1.2 + 1), max(v * 0.8, v * 1.2 + 1))))  # levels can be negative (BOF)


@st.composite
def enterprise(draw) -> dict:
    sectors = draw(st.lists(st.sampled_from(sorted(V.sectors)), max_size=2, unique=True))
    packs = set(sectors) | {"common", "policy"}
    near = draw(st.booleans())  # mostly the sectors' own names, so that rules fire
    scope = packs if near else None
    p: dict[str, Any] = {"name": "generated", "sectors": sectors}
    p["subsectors"] = draw(st.lists(st.sampled_from(names("subsectors", scope) or names("subsectors")),
                                    max_size=2, unique=True))
    p.update(drop_none({
        "size": draw(maybe(st.sampled_from(["large", "medium", "small", "micro"]))),
        "project_type": draw(st.sampled_from(["existing", "new", "rebuilt", "expanded"])),
        "cp_audit_passed": draw(maybe(st.booleans())),
        "financing_constrained": draw(maybe(st.booleans())),
        "total_energy_tce": draw(maybe(st.sampled_from([0, 500, 1000, 5000, 10000, 50000]))),
        "electricity_mwh": draw(maybe(num(0, 1e6))),
        "water_m3": draw(maybe(num(0, 1e7))),
    }))
    p["emissions"] = drop_none({k: draw(maybe(st.booleans())) for k in (
        "over_standard", "over_total_quota", "toxic_hazardous", "energy_over_quota", "on_mandatory_list")})
    fuels = names("fuels")
    p["energy"] = draw(st.lists(st.fixed_dictionaries({"fuel": st.sampled_from(fuels),
                                                       "annual": num(0, 1e5)}), max_size=2))
    unit_types = names("unit_types", scope) or names("unit_types")
    units = draw(st.lists(st.fixed_dictionaries(
        {"type": st.sampled_from(unit_types)},
        optional={"fuel": st.sampled_from(fuels), "capacity": num(0, 1e4),
                  "attributes": attributes("unit", scope),
                  "measures_in_place": st.lists(st.sampled_from(MEASURES), max_size=2, unique=True)}), max_size=3))
    for i, u in enumerate(units):
        u["id"] = f"U{i + 1}"
    p["units"] = units
    products = []
    for i, key in enumerate(draw(st.lists(maybe(st.sampled_from(names("products", scope) or names("products"))),
                                          max_size=2))):
        pr = drop_none({"name": f"P{i + 1}", "key": key,
                        "annual_output": draw(maybe(num(0, 1e6))),
                        "unit_energy": draw(maybe(product_energy(key))),
                        "cp_advanced_energy": draw(maybe(num(0, 2000))),
                        "unit_water": draw(maybe(num(0, 100))),
                        "cp_advanced_water": draw(maybe(num(0, 100)))})
        products.append(pr)
    p["products"] = products
    p["solid_wastes"] = draw(st.lists(st.fixed_dictionaries(
        {"kind": st.sampled_from(names("waste_kinds"))},
        optional={"annual_t": num(0, 1e6), "disposal": st.sampled_from(names("disposals")),
                  "hazardous": st.booleans()}), max_size=2))
    p["voc_operations"] = draw(st.lists(st.fixed_dictionaries(
        {"kind": st.sampled_from(names("voc_kinds"))},
        optional={"material": st.sampled_from(names("voc_materials")), "method": st.sampled_from(names("voc_methods")),
                  "enclosed": st.booleans(), "annual_solvent_t": num(0, 1e3)}), max_size=2))
    p["attributes"] = draw(attributes("enterprise", scope))
    p["measures_in_place"] = draw(st.lists(st.sampled_from(MEASURES), max_size=4, unique=True))
    return p


@st.composite
def park(draw) -> dict:
    p: dict[str, Any] = {"kind": "park", "name": "generated park"}
    p.update(drop_none({
        "level": draw(maybe(st.sampled_from(["national", "provincial", "other"]))),
        "enterprise_count": draw(maybe(st.integers(0, 500))),
        "water_reuse_rate": draw(maybe(num(0, 1))),
        "total_energy_tce": draw(maybe(num(0, 1e6))),
    }))
    p["leading_sectors"] = draw(st.lists(st.sampled_from(sorted(V.sectors)), max_size=2, unique=True))
    p["shared_facilities"] = draw(st.lists(st.sampled_from(names("shared_facilities")), max_size=3, unique=True))
    share = st.sampled_from([0.0, 0.1, 0.2])  # five shares never add up to more than 1
    p["energy_mix"] = drop_none({k: draw(maybe(share)) for k in ("coal", "oil", "gas", "electricity", "renewables")})
    p["attributes"] = draw(attributes("park"))
    p["measures_in_place"] = draw(st.lists(st.sampled_from(MEASURES), max_size=4, unique=True))
    return p


PROFILES = st.one_of(enterprise(), enterprise(), enterprise(), park())


def outcome(a) -> set[tuple]:
    return {(f.measure_id, f.status, tuple(sorted(f.units))) for f in a.findings}


@SETTINGS
@given(PROFILES, st.data())
def test_properties(profile, data):
    a = assess(profile, kb=KB)
    b = assess(profile, kb=KB)
    # deterministic: same findings, same order, same explanations
    assert [f.model_dump() for f in a.findings] == [f.model_dump() for f in b.findings]
    assert a.derived == b.derived

    in_place = set(profile.get("measures_in_place", ()))
    for f in a.findings:
        if f.measure_id in in_place:
            assert f.status not in ("applies", "to_verify"), (f.measure_id, f.status)
        if f.status == "applies":
            assert f.clause and f.reason is not None and f.rule_id
            bad = [c for c in f.conditions if c.outcome != "true"]
            assert not bad, (f.measure_id, bad)

    plain = assess(profile, KB, engine="plain")
    assert outcome(a) == outcome(plain), {
        "durable only": sorted(outcome(a) - outcome(plain)), "plain only": sorted(outcome(plain) - outcome(a))}
    assert a.derived == plain.derived

    recommended = [f.measure_id for f in a.findings if f.status == "applies"]
    if recommended:
        mid = data.draw(st.sampled_from(recommended))
        e = explain(profile, mid, kb=KB)
        assert e.status == "applies"
        assert any(t.outcome == "true" and all(c.outcome == "true" for c in t.conditions) for t in e.traces)


@pytest.mark.parametrize("value", [1e-05, 1e12])
def test_tiny_float_is_assessed(value):
    """Minimal profile of the bug the property test found: {name: x, total_energy_tce: 1e-05}."""
    a = assess({"name": "x", "total_energy_tce": value}, kb=KB)
    assert a.findings is not None
    assert a.profile["total_energy_tce"] == value


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e16, -1e13])
def test_infinite_nan_or_out_of_range_number_is_refused(value):
    """Numbers are bounded (LIMITS['number_max'], in the schema), so unit_energy x output cannot overflow."""
    with pytest.raises(InputError):
        assess({"name": "x", "total_energy_tce": value}, kb=KB)
