"""Each durable_rules pitfall (DEVELOPERS.md): reproduced on the raw engine, and shown handled by ours."""
from __future__ import annotations

import subprocess
import sys
import json
import textwrap
import threading

import pytest
from durable import engine as de

from cpadvisor.rules import durable as inference
from cpadvisor.errors import EngineError, InputError, KnowledgeError
from tests.conftest import demo_measure, demo_pack
from cpadvisor.advisor import assess, engine_of, facts_of
from cpadvisor.intake.profiles import coerce_profile


class RawHost(de.Host):
    def _run(self):  # no timer threads in tests either
        return None


def raw(rules: dict) -> RawHost:
    return RawHost({"t": rules})


ENT = {"sid": "1", "id": "enterprise", "t": "enterprise"}


# 1. MessageNotHandledException ------------------------------------------------------------

def test_raw_unhandled_fact_raises():
    h = raw({"r": {"all": [{"m": {"t": "unit"}}], "run": lambda c: None}})
    with pytest.raises(de.MessageNotHandledException):
        h.assert_fact("t", dict(ENT))


def test_engine_treats_unhandled_facts_as_normal(kb):
    # a unit type that no rule joins, and a fuel nothing reads: assessment completes
    a = assess({"name": "x", "sectors": ["food"], "units": [{"type": "air_compressor"}]}, kb=kb)
    assert a.findings is not None and not a.errors


def test_raw_batch_with_one_unhandled_fact_drops_the_rest():
    fired = []
    h = raw({"r": {"all": [{"u": {"$and": [{"t": "unit"}, {"type": "x"}]}}], "run": lambda c: fired.append(1)}})
    with pytest.raises(de.MessageNotHandledException):
        h.assert_facts("t", [{"sid": "1", "id": "a", "t": "unit", "type": "y"},
                             {"sid": "1", "id": "b", "t": "unit", "type": "x"}])
    assert fired == []  # the Host layer raises before it runs any action


def test_raw_c_batch_stores_the_handled_facts_and_answers_not_handled():
    fired = []
    h = raw({"r": {"all": [{"u": {"$and": [{"t": "unit"}, {"type": "x"}]}}], "run": lambda c: fired.append(1)}})
    rs = h._ruleset_directory["t"]
    code, state = de.durable_rules_engine.assert_facts(rs._handle, json.dumps(
        [{"sid": "1", "id": "a", "t": "unit", "type": "y"}, {"sid": "1", "id": "b", "t": "unit", "type": "x"}]))
    assert code == 1  # "not handled": one fact of the batch is read by no rule
    assert [f["id"] for f in json.loads(de.durable_rules_engine.get_facts(rs._handle, "1"))] == ["b"]
    assert de.durable_rules_engine.start_action_for_state(rs._handle, state) is not None  # the rule's action waits


def test_engine_asserts_one_batch_per_ruleset_and_fires_past_unhandled_facts(kb, monkeypatch):
    calls = []
    real = de.durable_rules_engine.assert_facts
    monkeypatch.setattr(de.durable_rules_engine, "assert_facts", lambda h, t: calls.append(t) or real(h, t))
    p = {"name": "x", "sectors": ["steel"], "units": [{"type": "air_compressor"}, {"type": "sintering_machine"},
                                                    {"type": "blast_furnace"}]}
    sess = engine_of(kb).run(facts_of(kb, coerce_profile(p, kb)))
    touched = {rs for rs, f in sess.asserted if f.get("t") != "derived"}
    assert len(calls) == len(touched)  # one engine call per ruleset, not one per fact
    d, pl = assess(p, kb=kb), assess(p, kb, engine="plain")
    assert [(f.measure_id, f.status, f.units) for f in d.findings] == [(f.measure_id, f.status, f.units) for f in pl.findings]
    assert any(f.units for f in d.findings)  # rules on the handled units fired although air_compressor was not read


# 2. error 303: the 64-entry evaluation stack ------------------------------------------------

def _or_rules(n: int) -> dict:
    return {f"r{i}": {"all": [{"e": {"$and": [{"t": "enterprise"}, {"$or": [{"a": i}, {"$nex": {"zz": 1}}]}]}}],
                      "run": lambda c: None} for i in range(n)}


def test_raw_error_303_with_too_many_rules():
    assert raw(_or_rules(60)).assert_fact("t", {**ENT, "a": 1}) is not None
    with pytest.raises(Exception, match="303"):
        raw(_or_rules(70)).assert_fact("t", {**ENT, "a": 1})


def test_big_pack_is_split_and_every_rule_still_fires(make_kb):
    n = 150
    extra = ("thresholds:\n  demo.x.quota_3:\n    value: 1\n    unit: kgce/t\n    level: quota_3\n"
             "    source: demo source for the test\n    verified: false\n")
    files = {"demo/pack.yaml": demo_pack(extra=extra)}
    for i in range(n):
        files[f"demo/m{i}.yaml"] = demo_measure(
            f"demo.m{i}", "  - id: r\n    priority: low\n    when:\n      enterprise:\n"
                          "        - any: [demo_flag == true, demo_level > $demo.x.quota_3]\n"
                          "    because: {zh: 演示, en: demo}\n")
    kb = make_kb(files)
    sizes = [len(rs.definition) for rs in engine_of(kb).rulesets]
    assert max(sizes) <= inference.MAX_RULES and sum(sizes) >= n
    a = assess({"name": "x", "attributes": {"demo_flag": True, "demo_level": 5}}, kb=kb)
    assert {f.measure_id for f in a.recommended} == {f"demo.m{i}" for i in range(n)}
    b = assess({"name": "y"}, kb=kb)  # everything unknown: every measure to verify, no engine error
    assert len(b.to_verify) == n


def test_real_knowledge_rulesets_within_budget(kb):
    assert all(len(rs.definition) <= inference.MAX_RULES for rs in engine_of(kb).rulesets)


# 3. exceptions in callbacks are stored, not raised -----------------------------------------

def test_raw_callback_exception_is_swallowed():
    def boom(c):
        raise ValueError("boom")

    h = raw({"r": {"all": [{"m": {"t": "enterprise"}}], "run": boom}})
    h.assert_fact("t", dict(ENT))  # no exception reaches the caller


def test_engine_surfaces_callback_exceptions(kb, monkeypatch):
    def broken_event(*a, **k):
        raise RuntimeError("callback failed")

    monkeypatch.setattr(inference, "Event", broken_event)
    with pytest.raises(EngineError, match="callback failed"):
        assess({"name": "x", "sectors": ["steel"], "units": [{"type": "sintering_machine"}]}, kb=kb)
    monkeypatch.undo()
    assert assess({"name": "x", "sectors": ["steel"]}, kb=kb).findings  # the session was cleaned up


# 4. a derived fact nobody consumes is dropped silently -------------------------------------

def test_raw_unconsumed_derived_fact_is_dropped():
    def derive(c):
        c.assert_fact({"t": "derived", "name": "orphan"})

    h = raw({"r": {"all": [{"m": {"t": "enterprise"}}], "run": derive}})
    h.assert_fact("t", dict(ENT))  # MessageNotHandled inside the callback: gone without a trace


def test_loader_refuses_unconsumed_derived_fact(make_kb):
    with pytest.raises(KnowledgeError, match="consumed by no rule"):
        make_kb({"demo/pack.yaml": demo_pack() + textwrap.dedent("""\
            derivations:
              - id: orphan
                derive: orphan
                when: {enterprise: [demo_flag == true]}
                because: {zh: 孤立, en: orphan}
            """)})


# 5. a queued negation still fires ----------------------------------------------------------

def test_raw_queued_negation_fires_despite_blocking_fact():
    fired = []

    def produce(c):
        fired.append("producer")
        c.assert_fact({"t": "derived", "name": "x"})

    h = raw({"neg": {"all": [{"e": {"t": "enterprise"}}, {"n$not": {"$and": [{"t": "derived"}, {"name": "x"}]}}],
                     "run": lambda c: fired.append("negation")},
             "prod": {"all": [{"e": {"t": "enterprise"}}], "run": produce}})
    h.assert_fact("t", dict(ENT))
    assert fired == ["negation", "producer"]  # wrong: the negation should have been blocked


@pytest.mark.parametrize("first", ["prod", "neg"])
def test_stratified_negation_is_order_independent(make_kb, first):
    # files load alphabetically, so the prefix decides which rule comes first in the ruleset
    names = {"prod": "a_prod", "neg": "b_neg"} if first == "prod" else {"prod": "b_prod", "neg": "a_neg"}
    prod, neg = f"demo.{names['prod']}", f"demo.{names['neg']}"
    kb = make_kb({
        "demo/pack.yaml": demo_pack(),
        f"demo/{names['prod']}.yaml": demo_measure(prod, (
            "  - id: r\n    priority: high\n    derive: flagged\n    when: {enterprise: [demo_flag == true]}\n"
            "    because: {zh: 标志, en: flag}\n")),
        f"demo/{names['neg']}.yaml": demo_measure(neg, (
            "  - id: r\n    priority: low\n    when: {not_derived: [flagged]}\n"
            "    because: {zh: 无标志, en: no flag}\n")),
    })
    flagged = assess({"name": "x", "attributes": {"demo_flag": True}}, kb=kb)
    assert flagged.finding(prod).status == "applies"
    assert flagged.finding(neg) is None  # blocked: not applicable
    clear = assess({"name": "y", "attributes": {"demo_flag": False}}, kb=kb)
    assert clear.finding(neg).status == "applies"
    unknown = assess({"name": "z"}, kb=kb)
    assert unknown.finding(neg).status == "to_verify"
    assert "derived.flagged" in unknown.finding(neg).missing


def test_mandatory_and_voluntary_audit_exclusive(kb):
    over = assess({"name": "x", "emissions": {"over_standard": True, "on_mandatory_list": True}}, kb=kb)
    assert over.finding("policy.mandatory_audit").status == "applies"
    assert over.finding("policy.voluntary_audit") is None
    # 促进法 第二十七条第二款 met on the facts (text read), no list: the mandatory audit applies, no voluntary one
    art27 = assess({"name": "x", "emissions": {"over_standard": True}}, kb=kb)
    assert art27.finding("policy.mandatory_audit").status == "applies"
    assert art27.finding("policy.voluntary_audit") is None
    # a case met only on unverified quota levels: the mandatory audit is to verify, and so the voluntary one
    quota = assess({"name": "x", "sectors": ["building_materials"], "emissions": {
        "over_standard": False, "over_total_quota": False, "toxic_hazardous": False, "on_mandatory_list": False},
        "products": [{"name": "熟料", "key": "cement_clinker", "annual_output": 1000000, "unit_energy": 125}]}, kb=kb)
    assert {quota.finding(m).status for m in ("policy.mandatory_audit", "policy.voluntary_audit")} == {"to_verify"}
    clean = assess({"name": "y", "emissions": {k: False for k in (
        "over_standard", "over_total_quota", "toxic_hazardous", "energy_over_quota", "on_mandatory_list")}}, kb=kb)
    assert clean.finding("policy.voluntary_audit").status == "applies"
    assert clean.finding("policy.mandatory_audit") is None


# 6. post lets only the first matching rule fire ---------------------------------------------

def test_raw_post_fires_only_one_rule_assert_fact_fires_all():
    fired = []

    def rules():  # durable pops 'run' from a definition: build a fresh one per host
        return {f"r{i}": {"all": [{"m": {"t": "enterprise"}}], "run": (lambda i: lambda c: fired.append(i))(i)}
                for i in range(3)}

    raw(rules()).post("t", dict(ENT))
    assert len(fired) == 1
    fired.clear()
    raw(rules()).assert_fact("t", dict(ENT))
    assert len(fired) == 3


def test_engine_fires_every_matching_rule_on_one_fact(kb):
    a = assess({"name": "x", "sectors": ["steel"], "size": "large",
                "emissions": {"over_standard": True, "on_mandatory_list": True},
                   "attributes": {"has_energy_carbon_platform": False}}, kb=kb)
    ids = {f.measure_id for f in a.recommended}
    assert {"policy.mandatory_audit", "common.energy_carbon_digital_platform"} <= ids


# 7. sessions: one per assessment, cleaned up, sids safe, under 1,024 live ----------------

def test_raw_delete_state_with_partial_join_aborts_the_process():
    code = textwrap.dedent("""
        from durable import engine as de
        class H(de.Host):
            def _run(self): pass
        h = H({"x": {"r": {"all": [{"e": {"t": "enterprise"}}, {"u": {"t": "unit"}}], "run": lambda c: None}}})
        h.assert_fact("x", {"sid": "s1", "t": "enterprise"})
        h.delete_state("x", "s1")
        print("survived")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "survived" not in proc.stdout


def test_sessions_are_emptied_and_reused(kb):
    eng = engine_of(kb)
    profiles = [{"name": f"e{i}", "sectors": ["steel", "vocs"], "subsectors": ["coking"],
                 "units": [{"type": "sintering_machine"}, {"type": "coke_oven_battery"}],
                 "emissions": {"over_standard": i % 2 == 0}} for i in range(1100)]
    for p in profiles:
        assess(p, kb=kb)
    assert 1 <= len(eng._free_sids) <= 2 and not eng._sessions
    h = inference.host()
    for sid in eng._free_sids:
        assert all(ch in "0123456789abcdef" for ch in sid)
        for rs in eng.rulesets:
            try:
                assert h.get_facts(rs.name, sid) == []
            except Exception as exc:  # no state ever created for this sid in this ruleset
                assert "302" in str(exc) or "309" in str(exc) or "not found" in str(exc).lower()


# 8. one Host per process, no timer threads ---------------------------------------------------

def test_single_quiet_host_no_threads(kb, make_kb):
    before = threading.active_count()
    h1 = inference.host()
    assess({"name": "x", "sectors": ["paper"]}, kb=kb)
    other = make_kb({"demo/pack.yaml": demo_pack(), "demo/m.yaml": demo_measure(
        "demo.m", "  - id: r\n    priority: low\n    when: {enterprise: [demo_flag == true]}\n"
                  "    because: {zh: 演示, en: demo}\n")})
    assess({"name": "y", "attributes": {"demo_flag": True}}, kb=other)
    assert inference.host() is h1 and isinstance(h1, inference.QuietHost)
    assert threading.active_count() == before


# 9. "abc" > 100 is true inside durable --------------------------------------------------------

def test_raw_string_compares_greater_than_number():
    fired = []
    h = raw({"r": {"all": [{"m": {"$and": [{"t": "enterprise"}, {"$gt": {"x": 100}}]}}],
                   "run": lambda c: fired.append(1)}})
    h.assert_fact("t", {**ENT, "x": "abc"})
    assert fired == [1]


def test_profiles_are_validated_before_asserting(kb):
    with pytest.raises(InputError, match="must be true or false"):
        assess({"name": "x", "attributes": {"large_electricity_consumer": "abc"}}, kb=kb)
    with pytest.raises(InputError):
        assess({"name": "x", "total_energy_tce": "abc"}, kb=kb)


# 10. a callback takes exactly c ----------------------------------------------------------------

def test_callbacks_take_exactly_one_argument(kb):
    for rs in engine_of(kb).rulesets:
        for name, action in inference.host().get_ruleset(rs.name)._actions.items():
            assert action._sync, name
            assert action._func.__code__.co_argcount == 1


# an any-of group that is already true must not also fire the verify variant -----------------------

def test_any_of_group_true_with_a_missing_item_is_not_also_to_verify(kb):
    """Found by the property tests: P1 is worse than its domestic-advanced energy level (the group is true)
    while its water and material fields are missing. A verify variant that asks only "some field missing" fires
    for P1 as well; the compiled variant asks for a group with no item true and a field missing."""
    from cpadvisor.advisor import engine_of, facts_of
    from cpadvisor.intake.profiles import coerce_profile
    from cpadvisor.knowledge import conditions as C
    p = {"name": "generated", "project_type": "new", "sectors": ["nonferrous"], "emissions": {},
         "products": [{"name": "P1", "key": "alumina_bayer", "unit_energy": 340.0, "cp_advanced_energy": 0.0},
                      {"name": "P2", "key": "alumina_bayer", "unit_energy": 460.0}]}
    facts = facts_of(kb, coerce_profile(p, kb))
    events = engine_of(kb).run(facts).events
    cp = {e.join["id"]: e.mode for e in events if e.rule.key.endswith("worse_than_cp_domestic_advanced")}
    assert cp == {"product:0": "apply", "product:1": "verify"}  # no verify event beside P1's apply event
    rule = next(r for r in kb.rules if r.key.endswith("worse_than_cp_domestic_advanced"))
    group = next(c for c in rule.join.conds if isinstance(c, C.AnyGroup))
    naive = C.some_missing(C.nullable_fields(group, kb.specs["product"]))  # what durable was given before
    compiled = C.some_unknown([group], kb.specs["product"])
    assert "$and" in compiled and compiled != naive
    for engine in ("durable", "plain"):  # blocked by P1 on the profile's own level; P2 only on a transcribed quota
        f = assess(p, kb=kb, engine=engine).finding("policy.project_admission_gate")
        assert (f.status, f.verdict, f.units) == ("applies", "blocked", ["P1"]), engine


def test_raw_missing_field_in_a_true_any_group_fires_a_naive_verify_variant():
    """The pitfall on the raw engine: 'a == 1 or b == 1' with a = 1 and b missing is true, yet a verify pattern
    asking only "some field missing" matches; ``conditions.some_unknown`` also asks that no item is true."""
    from cpadvisor.knowledge import conditions as C
    a1, b1 = (C.Cond("p", f, "==", 1, f"{f} == 1") for f in ("a", "b"))
    maybe = {"$or": [{"a": 1}, {"b": 1}, {"$nex": {"a": 1}}, {"$nex": {"b": 1}}]}  # true or unknown
    naive = C.some_missing(["a", "b"])
    compiled = {"$and": [C.not_true(a1), C.not_true(b1), naive]}
    fired: list = []
    rules = {name: {"all": [{"m": {"$and": [{"t": "p"}, maybe, expr]}}],
                    "run": (lambda n: lambda c: fired.append((n, c.m["id"])))(name)}
             for name, expr in (("naive", naive), ("compiled", compiled))}
    h = raw(rules)
    for i, fact in enumerate([{"a": 1}, {}, {"a": 0}, {"a": 0, "b": 0}, {"b": 1, "a": 0}]):
        try:
            h.assert_fact("t", {"sid": "1", "id": f"f{i}", "t": "p", **fact})
        except de.MessageNotHandledException:
            pass
    # (durable fires once per matching branch of an $or: the engine keeps one event per rule and facts)
    assert sorted(set(fired)) == [("compiled", "f1"), ("compiled", "f2"), ("naive", "f0"), ("naive", "f1"),
                                  ("naive", "f2")]
