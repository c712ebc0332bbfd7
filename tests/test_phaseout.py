"""Issue 12: phase-out tied to unit types, not a question for every unit.

The motors and fans of a motor system (compressors, pumps and fans) are asked whether their model is on MIIT's
list of obsolete electromechanical equipment; other units (a caster, a quench car) only get the optional
question whether they are listed as obsolete. Where both kinds are open, the finding is the asked one.
"""
from __future__ import annotations

import pytest

from cpadvisor import assess

MID = "policy.obsolete_capacity_phaseout"


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_only_the_motor_system_is_asked(kb, engine):
    a = assess({"name": "x", "units": [{"id": "FJ1", "type": "pump_fan_system"},
                                       {"id": "LZ1", "type": "continuous_caster"},
                                       {"id": "XJ1", "type": "coke_quenching"}]}, kb=kb, engine=engine)
    f = a.finding(MID)
    assert (f.status, f.optional) == ("to_verify", False)
    assert f.units == ["FJ1"] and f.missing == ["unit.inefficient_model_listed"]


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_a_caster_alone_gets_only_the_optional_question(kb, engine):
    a = assess({"name": "x", "units": [{"id": "LZ1", "type": "continuous_caster"},
                                       {"id": "XJ1", "type": "coke_quenching"}]}, kb=kb, engine=engine)
    f = a.finding(MID)
    assert (f.status, f.optional) == ("to_verify", True)
    assert f.units == ["LZ1", "XJ1"] and f.missing == ["unit.obsolete_listed"]


@pytest.mark.parametrize("engine", ["durable", "plain"])
def test_a_listed_motor_model_is_an_obligation(kb, engine):
    a = assess({"name": "x", "units": [
        {"id": "KY1", "type": "air_compressor", "attributes": {"inefficient_model_listed": True}},
        {"id": "LZ1", "type": "continuous_caster"}]}, kb=kb, engine=engine)
    f = a.finding(MID)
    assert f.status == "applies" and f.units == ["KY1"] and f.rule_id.endswith("listed_inefficient_motor_or_fan")
    assert "使用单位应在规定期限内停止使用并更换高效节能设备" in f.reason.zh and "三(二)1" in f.reason.zh


def test_the_data_request_asks_the_motor_system_only(kb):
    from cpadvisor.report.request import requests

    a = assess({"name": "x", "units": [{"id": "FJ1", "type": "pump_fan_system"},
                                       {"id": "LZ1", "type": "continuous_caster"}]}, kb=kb)
    rows = [(r.item, r.fact_key) for r in requests(kb, a) if MID in r.waiting]
    assert rows == [("FJ1", "unit.inefficient_model_listed")]
