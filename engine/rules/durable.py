"""durable_rules inference: YAML rules compiled to Rete rulesets, one session per assessment.

Design around the engine's pitfalls (each has a test in tests/test_durable_pitfalls.py):

* one process-wide :class:`QuietHost` (no timer threads) and one lock around sessions;
* every ruleset holds at most ``MAX_RULES`` compiled rules (the engine's 64-entry
  evaluation stack fails with error 303 once ~65 rules hold a matching ``$or``), so packs are split;
* facts are asserted one by one with ``assert_fact`` (never ``post``; a batch with
  one unhandled fact drops all of it) and ``MessageNotHandledException`` is normal;
* callbacks take exactly ``c``, never raise (errors are collected and surfaced);
* derived facts go only to rulesets that consume them (the loader refuses a derived
  fact without a consumer, which durable would drop silently);
* ``not_derived`` rules wait for a ``stage`` fact asserted after every producer of
  a lower stratum has finished (a queued negation would otherwise still fire);
* sids are uuid hex (no quotes or backslashes). ``delete_state`` is never called:
  on this build it frees memory twice (process abort) whenever a join is still
  partially matched, e.g. an enterprise fact whose rule also wants a unit it does
  not have. Instead every asserted fact is retracted in ``finally`` (anchor first,
  so no rule can fire during clean-up) and the emptied sid is reused, which also
  keeps the live sids far below the engine's 1,024.
"""
from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

import orjson
from durable import engine as durable_engine

from cpadvisor.knowledge import conditions as C
from cpadvisor.errors import EngineError
from cpadvisor.rules.facts import Facts, ip_key
from cpadvisor.knowledge.loader import CompiledRule, KnowledgeBase
from cpadvisor.rules.trust import derived_status, may_be_unverified

FACT_ORDER = ("enterprise", "park", "unit", "product", "waste", "voc")  # assert order: fixed, not a set's
MAX_RULES = 60  # 65 rules holding an $or that matches already fail with error 303
ANCHOR_ALIAS = {"enterprise": "e", "park": "p"}
JOIN_ALIAS = "u"


def _exp_float(obj: Any) -> bool:
    if isinstance(obj, float):
        return "e" in repr(obj)
    if isinstance(obj, dict):
        return any(_exp_float(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_exp_float(v) for v in obj)
    return False


def _dumps_exp(obj: Any) -> str:
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_dumps_exp(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_dumps_exp(v) for v in obj) + "]"
    if isinstance(obj, float):
        text = repr(obj)
        if "e" in text:
            mant, exp = text.split("e")
            text = (mant if "." in mant else mant + ".0") + "e" + exp
        return text
    return json.dumps(obj, ensure_ascii=False)


def dumps_fact(obj: Any) -> str:
    """JSON for durable's parser, which rejects an exponent without a decimal point ("1e-05", error 204)."""
    try:
        text = orjson.dumps(obj).decode()
    except TypeError:  # a type orjson does not write
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if ("e-" in text or "e+" in text) and _exp_float(obj):  # Python writes 1e-05 and 1e+16 that way
        return _dumps_exp(obj)
    return text


class Call:
    """What a callback gets: the session id and the matched facts by alias (durable's Closure, lean)."""

    __slots__ = ("sid", "m", "ruleset")

    def __init__(self, sid: str, m: dict, ruleset: "LeanRuleset"):
        self.sid = sid
        self.m = m
        self.ruleset = ruleset

    def assert_fact(self, fact: dict):
        """Assert into the ruleset running this action (its actions run after this one)."""
        return self.ruleset.assert_fact(fact)


class LeanRuleset(durable_engine.Ruleset):
    """A Ruleset whose action loop skips what our callbacks never use.

    Our callbacks are synchronous, never raise (errors are collected) and never
    change the session state, so the stock loop's Promise/timer wrapping and the
    state write-back after every action (a JSON round trip each) are skipped.
    Facts are serialised with :func:`dumps_fact` so every float parses.
    """

    def assert_fact(self, fact):
        return self._handle_result(durable_engine.durable_rules_engine.assert_fact(self._handle, dumps_fact(fact)), fact)

    def retract_fact(self, fact):
        return self._handle_result(durable_engine.durable_rules_engine.retract_fact(self._handle, dumps_fact(fact)), fact)

    def _flush_actions(self, state, result_container, state_offset, complete):
        while "message" in result_container:
            action_name, message = next(iter(result_container.pop("message").items()))
            try:
                self._actions[action_name]._func(Call(state["sid"], message, self))
                new_result = durable_engine.durable_rules_engine.complete_and_start_action(self._handle, state_offset)
            except BaseException as error:  # noqa: BLE001 - an engine failure, reported by the caller
                durable_engine.durable_rules_engine.abandon_action(self._handle, state_offset)
                complete(error, None)
                return
            if new_result:
                result_container["message"] = orjson.loads(new_result)
            else:
                complete(None, state)


class QuietHost(durable_engine.Host):
    """A durable Host without the two dispatch/timer threads (we never use timers).

    The stock Host starts two threads per instance that are never freed, and its
    dispatch thread would run pending actions concurrently with our sessions.
    Its rulesets use :class:`LeanRuleset`'s action loop.
    """

    def _run(self) -> None:  # noqa: D401 - durable's hook
        return None

    def register_rulesets(self, ruleset_definitions):
        names = super().register_rulesets(ruleset_definitions)
        for name in names:
            rs = self._ruleset_directory[name]
            if type(rs) is durable_engine.Ruleset:
                rs.__class__ = LeanRuleset
        return names


def _run_actions(rs: "LeanRuleset", state_handle: int) -> None:
    """Run the actions an assert or retract left pending on a session state (an action's error is raised)."""
    result = durable_engine.durable_rules_engine.start_action_for_state(rs._handle, state_handle)
    if result:
        failed: list = []
        rs._flush_actions(orjson.loads(result[0]), {"message": orjson.loads(result[1])}, state_handle,
                          lambda e, _state: failed.append(e) if e else None)
        if failed:
            raise failed[0]


_HOST: Optional[QuietHost] = None
_HOST_LOCK = threading.RLock()  # guards the host and every session on it


def host() -> QuietHost:
    global _HOST
    with _HOST_LOCK:
        if _HOST is None:
            _HOST = QuietHost()
        return _HOST


@dataclass
class Event:
    rule: CompiledRule
    mode: str  # "apply" or "verify"
    anchor: dict
    join: Optional[dict]


@dataclass
class Session:
    sid: str
    events: list[Event] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    derived: dict[str, str] = field(default_factory=dict)  # name -> yes / unknown
    asserted: list[tuple[str, dict]] = field(default_factory=list)  # (ruleset, fact) to retract


def _derived_pat(name: str, statuses: tuple[str, ...]) -> dict:
    st = C._one([{"status": s} for s in statuses], "$or")
    return {"$and": [{"t": "derived"}, {"name": name}, st]}


def variants(cr: CompiledRule, specs: dict[str, dict[str, C.FieldSpec]],
             unknowable: set[str]) -> list[tuple[str, list[dict]]]:
    """The durable rules for one YAML rule: one 'apply' variant and the 'verify' variants.

    A verify variant holds when every condition is true or unknown and at least one
    is unknown (three-valued logic): one variant per place an unknown can come from.
    """

    def pat(p: C.Pattern, mode: str) -> dict:
        parts: list[dict] = [{"t": p.fact}]
        if cr.measure_id and p.fact in ("enterprise", "park", "unit"):
            parts.append({"$nex": {f"ip.{ip_key(cr.measure_id)}": 1}})
        parts += [C.compile_cond(c, specs[p.fact], verify=(mode != "apply")) for c in p.conds]
        if mode == "missing":
            parts.append(C.some_unknown(p.conds, specs[p.fact]))
        return C._one(parts, "$and")

    def build(modes: dict[str, str]) -> list[dict]:
        # modes: pattern id -> apply | verify | missing ; derived d<i>/n<i> -> apply | verify | unknown
        out: list[dict] = [{ANCHOR_ALIAS[cr.anchor.fact]: pat(cr.anchor, modes["anchor"])}]
        if cr.join:
            out.append({JOIN_ALIAS: pat(cr.join, modes["join"])})
        for i, n in enumerate(cr.derived):
            m = modes[f"d{i}"]
            out.append({f"d{i}": _derived_pat(n, {"apply": ("yes",), "verify": ("yes", "unknown"),
                                                   "unknown": ("unknown",)}[m])})
        if cr.not_derived:
            out.append({"s": {"$and": [{"t": "stage"}, {"n": cr.stratum}]}})
        for i, n in enumerate(cr.not_derived):
            m = modes[f"n{i}"]
            if m == "unknown":
                out.append({f"x{i}": _derived_pat(n, ("unknown",))})
            if m == "apply":
                out.append({f"n{i}$not": {"$and": [{"t": "derived"}, {"name": n}]}})
            else:
                out.append({f"n{i}$not": _derived_pat(n, ("yes",))})
        return out

    slots = ["anchor"] + (["join"] if cr.join else []) + [f"d{i}" for i in range(len(cr.derived))] + \
        [f"n{i}" for i in range(len(cr.not_derived))]
    result = [("apply", build({s: "apply" for s in slots}))]
    # One verify variant per slot that can be unknown. The variant for slot k also needs every
    # earlier slot fully known and true, so at most one variant fires for a combination of facts.
    for k, s in enumerate(slots):
        if s == "anchor" and not cr.anchor.nullable(specs[cr.anchor.fact]):
            continue
        if s == "join" and not cr.join.nullable(specs[cr.join.fact]):  # type: ignore[union-attr]
            continue
        if s.startswith(("d", "n")):
            name = cr.derived[int(s[1:])] if s[0] == "d" else cr.not_derived[int(s[1:])]
            if name not in unknowable:
                continue
        modes = {o: ("apply" if j < k else "verify") for j, o in enumerate(slots)}
        modes[s] = "missing" if s in ("anchor", "join") else "unknown"
        result.append(("verify", build(modes)))
    return result


def derived_can_be_unknown(kb: KnowledgeBase) -> set[str]:
    """Derived facts some producer may assert as 'unknown' (it has a verify variant)."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for r in kb.rules:
            if not r.rule.derive or r.rule.derive in out:
                continue
            if (r.anchor.nullable(kb.specs[r.anchor.fact]) or (r.join and r.join.nullable(kb.specs[r.join.fact]))
                    or any(n in out for n in r.derived + r.not_derived) or may_be_unverified(kb, r)):
                out.add(r.rule.derive)
                changed = True
    return out


Gate = tuple[str, str, frozenset]  # (fact kind, field, values): some fact has field in values


def necessary(cr: CompiledRule) -> Optional[Gate]:
    """A cheap condition every firing of the rule needs (never unknown), or None.

    Used to skip whole rulesets a profile cannot touch (a paper mill never enters
    the steel ruleset); it only reads fields that always have a value.
    """
    for c in cr.anchor.conds:
        if isinstance(c, C.Cond) and c.field in ("sectors", "subsectors", "leading_sectors") and c.op == "contains":
            vals = c.value if isinstance(c.value, tuple) else (c.value,)
            return (cr.anchor.fact, c.field, frozenset(vals))
    if cr.join:
        for c in cr.join.conds:
            if isinstance(c, C.Cond) and c.field in ("type", "kind", "key") and c.op in ("==", "in"):
                vals = c.value if isinstance(c.value, tuple) else (c.value,)
                return (cr.join.fact, c.field, frozenset(vals))
    return None


def gate_open(gates: Optional[list[Gate]], facts: Facts) -> bool:
    if gates is None:
        return True
    for kind, fld, vals in gates:
        for f in facts.get(kind, ()):
            v = f.get(fld)
            if (isinstance(v, list) and not vals.isdisjoint(v)) or (not isinstance(v, list) and v in vals):
                return True
    return False


@dataclass
class CompiledRuleset:
    name: str
    pack: str
    definition: dict
    kinds: set[str]  # fact kinds its rules read
    stages: set[int]
    derived_in: set[str]
    gates: Optional[list[Gate]] = None  # None: always run


class DurableEngine:
    """The knowledge base compiled to durable_rules rulesets on the process-wide host."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.unknowable = derived_can_be_unknown(kb)
        self.rulesets: list[CompiledRuleset] = []
        self._sessions: dict[str, Session] = {}
        self._free_sids: list[str] = []
        by_pack: dict[str, list[CompiledRule]] = {}
        for r in kb.rules:
            by_pack.setdefault(r.pack, []).append(r)
        for pack, rules in by_pack.items():
            chunk: list[tuple[str, dict, CompiledRule]] = []
            chunks: list[list[tuple[str, dict, CompiledRule]]] = [chunk]
            for r in rules:
                vs = variants(r, kb.specs, self.unknowable)
                if len(chunk) + len(vs) > MAX_RULES:
                    chunk = []
                    chunks.append(chunk)
                for j, (mode, pats) in enumerate(vs):
                    chunk.append((f"{mode}_{j}", {"all": pats}, r))
            for ci, ch in enumerate(chunks):
                if ch:
                    self._add_ruleset(pack, ci, ch)
        self.consumers: dict[str, list[str]] = {}
        for rs in self.rulesets:
            for n in rs.derived_in:
                self.consumers.setdefault(n, []).append(rs.name)
        self.max_stage = max((s for rs in self.rulesets for s in rs.stages), default=0)
        # only the fields some rule reads travel through durable (smaller JSON both ways)
        self.keep: dict[str, set[str]] = {k: {"t", "id", "uid", "ip", "key", "kind", "type", "jd"} for k in kb.specs}
        for r in kb.rules:
            for p in r.patterns:
                for c in p.conds:
                    for f in c.fields:
                        self.keep[p.fact].add(f.split(".", 1)[0])
                        if kb.specs[p.fact][f].type == "list":
                            self.keep[p.fact].add(C.count_key(f))
        with _HOST_LOCK:
            h = host()
            for rs in self.rulesets:
                if rs.name not in h._ruleset_directory:
                    h.register_rulesets({rs.name: rs.definition})

    @property
    def rule_count(self) -> int:
        return sum(len(rs.definition) for rs in self.rulesets)

    def _add_ruleset(self, pack: str, index: int, items: list[tuple[str, dict, CompiledRule]]) -> None:
        name = f"cp{self.kb.version}_{pack}_{index}"
        definition: dict[str, Any] = {}
        kinds: set[str] = set()
        stages: set[int] = set()
        derived_in: set[str] = set()
        gates: Optional[list[Gate]] = []
        for k, (suffix, body, r) in enumerate(items):
            g = necessary(r) if not (r.derived or r.rule.derive) else None
            if g is None:
                gates = None
            elif gates is not None and g not in gates:
                gates.append(g)
            rule_name = f"r{k}_{r.key.replace('.', '_').replace('/', '__')}_{suffix}"
            mode = suffix.split("_")[0]
            body = json.loads(json.dumps(body))  # durable pops 'run'; keep our copy clean
            body["run"] = self._callback(r, mode)
            definition[rule_name] = body
            kinds.add(r.anchor.fact)
            if r.join:
                kinds.add(r.join.fact)
            if r.not_derived:
                stages.add(r.stratum)
            derived_in.update(r.derived + r.not_derived)
        self.rulesets.append(CompiledRuleset(name, pack, definition, kinds, stages, derived_in, gates))

    # ---------------------------------------------------------- callbacks
    def _callback(self, cr: CompiledRule, mode: str):
        anchor = ANCHOR_ALIAS[cr.anchor.fact]
        join = JOIN_ALIAS if cr.join else None
        derive = cr.rule.derive
        engine = self
        kb = self.kb

        def callback(c):  # exactly one parameter: two would make durable treat it as async
            sess = engine._sessions.get(c.sid)
            if sess is None:
                return
            try:
                joined = c.m[join] if join else None
                sess.events.append(Event(cr, mode, c.m[anchor], joined))
                if derive:
                    engine._derive(c, sess, derive, derived_status(kb, cr, mode, joined, c.m[anchor]))
            except Exception as exc:  # noqa: BLE001 - surfaced via Session.errors
                sess.errors.append(f"{cr.key} ({mode}): {type(exc).__name__}: {exc}")

        return callback

    def _derive(self, c: Any, sess: Session, name: str, status: str) -> None:
        key = f"{name}:{status}"
        if key in sess.derived:
            return
        sess.derived[key] = status
        fact = {"sid": sess.sid, "id": f"derived:{key}", "t": "derived", "name": name, "status": status}
        own = c.ruleset._name
        for rs_name in self.consumers.get(name, []):
            sess.asserted.append((rs_name, fact))
            if rs_name == own:
                # same ruleset: queue it; durable runs the new actions after this one
                self._assert(lambda f: c.assert_fact(dict(f)), fact, sess)
            else:
                self._assert(lambda f, n=rs_name: self._send(n, "assert_fact", dumps_fact(f), f), fact, sess)

    @staticmethod
    def _send(rs_name: str, op: str, payload: str, fact: dict):
        """assert_fact / retract_fact with a ready JSON payload, then run the actions it triggered.

        The same steps as durable's Host.assert_fact -> _handle_function -> do_actions, without the layers.
        """
        rs = host()._ruleset_directory[rs_name]
        state_handle = rs._handle_result(getattr(durable_engine.durable_rules_engine, op)(rs._handle, payload), fact)
        _run_actions(rs, state_handle)
        return state_handle

    @staticmethod
    def _assert(fn, fact: dict, sess: Session) -> None:
        try:
            res = fn(fact)
        except (durable_engine.MessageNotHandledException, durable_engine.MessageObservedException):
            return  # no rule reads this fact here, or it is already known: not an error
        if isinstance(res, dict) and res.get("exception"):
            sess.errors.append(str(res["exception"]))

    # ------------------------------------------------------------- session
    def run(self, facts: Facts) -> Session:
        """Assert one profile's facts in an isolated session; return what fired."""
        with _HOST_LOCK:
            sid = self._free_sids.pop() if self._free_sids else uuid.uuid4().hex
            sess = Session(sid)
            broken: set[str] = set()
            self._sessions[sid] = sess
            try:
                touched: list[str] = []
                payloads: dict[int, tuple[dict, str]] = {}  # one JSON text per fact per session
                for rs in self.rulesets:
                    todo = [f for k in FACT_ORDER if k in rs.kinds for f in facts.get(k, ())]  # never set order
                    if not todo or not gate_open(rs.gates, facts):
                        continue
                    touched.append(rs.name)
                    batch = []
                    for f in todo:
                        key = id(f)
                        if key not in payloads:
                            keep = self.keep[f["t"]]
                            slim = {k: v for k, v in f.items() if k in keep}
                            slim["sid"] = sid
                            payloads[key] = (slim, dumps_fact(slim))
                        batch.append(payloads[key])
                    self._checked_many(rs.name, batch, sess, broken)
                for stage in range(1, self.max_stage + 1):
                    for rs in self.rulesets:
                        if stage in rs.stages and rs.name in touched:
                            self._checked(rs.name, {"sid": sid, "id": f"stage:{stage}", "t": "stage", "n": stage},
                                          sess, broken)
            finally:
                del self._sessions[sid]
                if self._clean(sess) and not broken:
                    self._free_sids.append(sid)
        if sess.errors:
            raise EngineError("; ".join(sess.errors))
        # events carry the facts as built (durable saw slim copies): explanations read every field
        whole = {(f["t"], f["id"]): f for fs in facts.values() for f in fs}
        for ev in sess.events:
            ev.anchor = whole.get((ev.anchor.get("t"), ev.anchor.get("id")), ev.anchor)
            if ev.join is not None:
                ev.join = whole.get((ev.join.get("t"), ev.join.get("id")), ev.join)
        return sess

    def _clean(self, sess: Session) -> bool:
        """Retract every fact of the session, one batch per ruleset with its anchors first (no rule can
        fire during clean-up); True if the sid is empty again."""
        by_rs: dict[str, list[dict]] = {}
        for rs_name, fact in sess.asserted:
            by_rs.setdefault(rs_name, []).append(fact)
        ok = True
        texts: dict[int, str] = {}
        for rs_name, fs in by_rs.items():
            fs.sort(key=lambda f: 0 if f.get("t") in ("enterprise", "park") else 1)
            batch = []
            for f in fs:
                if id(f) not in texts:
                    texts[id(f)] = dumps_fact({**f, "sid": sess.sid})
                batch.append(texts[id(f)])
            try:
                self._send_many(rs_name, "retract_facts", batch)
            except Exception as exc:  # noqa: BLE001
                ok = False
                sess.errors.append(f"retract in {rs_name}: {exc}")
        return ok

    @staticmethod
    def _send_many(rs_name: str, op: str, texts: list[str]) -> None:
        """assert_facts / retract_facts: one engine call for a batch of ready JSON facts, then the actions.

        The engine stores every fact some rule can read and answers 1 ("not handled") when at least one
        fact of the batch is read by no rule; that is normal here, and the returned state is still valid.
        """
        rs = host()._ruleset_directory[rs_name]
        code, state_handle = getattr(durable_engine.durable_rules_engine, op)(rs._handle, "[" + ",".join(texts) + "]")
        if code != 3:  # 3: queued (never with our host)
            _run_actions(rs, state_handle)

    def _checked_many(self, rs_name: str, batch: list[tuple[dict, str]], sess: Session, broken: set[str]) -> None:
        sess.asserted.extend((rs_name, f) for f, _ in batch)
        try:
            self._send_many(rs_name, "assert_facts", [t for _, t in batch])
        except Exception as exc:  # noqa: BLE001 - e.g. error 303 from the engine's stack
            broken.add(rs_name)
            sess.errors.append(f"durable_rules failed in {rs_name}: {exc}")

    def _checked(self, rs_name: str, fact: dict, sess: Session, broken: set[str], payload: Optional[str] = None) -> None:
        sess.asserted.append((rs_name, fact))
        try:
            self._assert(lambda f: self._send(rs_name, "assert_fact", payload or dumps_fact(f), f), fact, sess)
        except Exception as exc:  # noqa: BLE001 - e.g. error 303 from the engine's stack
            broken.add(rs_name)
            sess.errors.append(f"durable_rules failed in {rs_name}: {exc}")
