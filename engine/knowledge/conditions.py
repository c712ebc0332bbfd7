"""Rule conditions: parsing, three-valued evaluation and compilation to durable_rules JSON.

A condition is ``FIELD OP VALUE`` or an ``any`` group. The same parsed object is
compiled for durable_rules (inference) and evaluated in plain Python
(explanations, and the oracle of the property tests), so both read one source.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Union


TRUE, FALSE, UNKNOWN = "true", "false", "unknown"

_COND = re.compile(
    r"^\s*(?P<field>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\s+"
    r"(?P<op>==|!=|>=|<=|>|<|not\s+in|in|not\s+contains|contains|is_a|is\s+not|is)\s+(?P<value>.+?)\s*$"
)
OPS = ("==", "!=", ">=", "<=", ">", "<", "in", "not in", "contains", "not contains", "is", "is not", "is_a")
IS_A_FIELDS = {"type": "families", "unit_types": "unit_types"}  # `type is_a kiln_or_furnace`: the unit's families
DECLARED = ("is", "is not")  # a missing value is not unknown here: "x is not false" holds when x is missing


@dataclass(frozen=True)
class FieldSpec:
    """What a rule may say about one field of one fact kind."""

    name: str
    type: str  # bool number enum text list
    nullable: bool
    values: Optional[frozenset] = None  # allowed words for enum / list items
    zh: str = ""
    en: str = ""
    max: Optional[float] = None  # the whole, where the number has one (a share's 1, a percentage's 100)


@dataclass(frozen=True)
class Cond:
    fact: str
    field: str
    op: str
    value: Any
    text: str
    threshold: Optional[str] = None

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field,)


@dataclass(frozen=True)
class AnyGroup:
    fact: str
    items: tuple[Cond, ...]
    text: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for c in self.items))


Condition = Union[Cond, AnyGroup]


def items_of(cond: Condition) -> tuple[Cond, ...]:
    """The plain conditions of a condition (the items of an any-group, or itself)."""
    return cond.items if isinstance(cond, AnyGroup) else (cond,)


class ConditionSyntaxError(ValueError):
    pass


MAX_CONDITION = 400  # characters of one condition


def _yaml_value(raw: str) -> Any:
    """The value of a condition, read by the same safe loader as every data file (no aliases, no tags)."""
    from cpadvisor.errors import InputError
    from cpadvisor.knowledge.yamlio import loads
    try:
        return loads(raw, "<condition>").data
    except InputError as exc:
        raise ConditionSyntaxError(f"cannot read value {raw!r}: {exc.message}") from None


def parse(fact: str, raw: Any, thresholds: dict[str, float]) -> Condition:
    """Parse a condition as written in YAML (string, or {any: [...]})."""
    if isinstance(raw, dict):
        if set(raw) != {"any"} or not isinstance(raw["any"], list) or len(raw["any"]) < 2:
            raise ConditionSyntaxError("a condition group must be {any: [cond, cond, ...]}")
        items = tuple(parse(fact, r, thresholds) for r in raw["any"])
        flat: list[Cond] = []
        for it in items:
            if isinstance(it, AnyGroup):
                flat.extend(it.items)
            else:
                flat.append(it)
        return AnyGroup(fact, tuple(flat), "any(" + "; ".join(c.text for c in flat) + ")")
    if not isinstance(raw, str):
        raise ConditionSyntaxError(f"a condition is a string 'field op value', got {raw!r}")
    if len(raw) > MAX_CONDITION:
        raise ConditionSyntaxError(f"a condition is at most {MAX_CONDITION} characters, got {len(raw)}")
    m = _COND.match(raw)
    if not m:
        raise ConditionSyntaxError(
            f"cannot read condition {raw!r}: write 'field op value' with op one of {', '.join(OPS)}")
    op = re.sub(r"\s+", " ", m.group("op"))
    vraw = m.group("value")
    if op == "is_a":  # family membership: the unit type or one of its families, a list test on `families`
        if m.group("field") not in IS_A_FIELDS:
            raise ConditionSyntaxError(f"'is_a' tests a unit's type: write 'type is_a FAMILY' (on a unit) or "
                                       f"'unit_types is_a FAMILY' (on the enterprise), got {m.group('field')!r}")
        value = _yaml_value(vraw)
        if not isinstance(value, (str, list)) or isinstance(value, list) and not value:
            raise ConditionSyntaxError(f"'is_a' needs a family or a list of families, got {vraw!r}")
        return Cond(fact, IS_A_FIELDS[m.group("field")], "contains",
                    tuple(value) if isinstance(value, list) else value, raw.strip())
    threshold = None
    if vraw.startswith("$"):
        threshold = vraw[1:]
        if threshold not in thresholds:
            from cpadvisor.errors import did_you_mean
            raise ConditionSyntaxError(f"unknown threshold ${threshold}{did_you_mean(threshold, thresholds)}")
        value: Any = thresholds[threshold]
    else:
        value = _yaml_value(vraw)
    if op in ("in", "not in") and not isinstance(value, list):
        raise ConditionSyntaxError(f"'{op}' needs a list, e.g. {m.group('field')} {op} [a, b]")
    if isinstance(value, list):
        if op not in ("in", "not in", "contains", "not contains"):
            raise ConditionSyntaxError(f"'{op}' compares with one value, not a list")
        value = tuple(value)
        if not value:
            raise ConditionSyntaxError("empty list")
    if isinstance(value, dict) or value is None:
        raise ConditionSyntaxError(f"value must be a word, number, true/false or a list, got {vraw!r}")
    if op in (">", ">=", "<", "<=") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConditionSyntaxError(f"'{op}' needs a number, got {vraw!r}")
    return Cond(fact, m.group("field"), op, value, raw.strip(), threshold)


# ----------------------------------------------------------------- checking

def check(cond: Condition, specs: dict[str, FieldSpec]) -> list[str]:
    """Problems of a parsed condition against the fields of its fact (empty if fine)."""
    from cpadvisor.errors import did_you_mean

    if isinstance(cond, AnyGroup):
        return [p for c in cond.items for p in check(c, specs)]
    spec = specs.get(cond.field)
    if spec is None:
        return [f"unknown {cond.fact} field '{cond.field}'{did_you_mean(cond.field, specs)}"]
    vals = cond.value if isinstance(cond.value, tuple) else (cond.value,)
    if spec.type == "list":
        if cond.op not in ("contains", "not contains"):
            return [f"'{cond.field}' is a list: use contains / not contains"]
    elif cond.op in DECLARED and not spec.nullable:
        return [f"'{cond.field}' always has a value: use == or != rather than '{cond.op}'"]
    elif cond.op in ("contains", "not contains"):
        return [f"'{cond.field}' is not a list: use == or in"]
    problems = []
    for v in vals:
        if spec.type == "bool" and not isinstance(v, bool):
            problems.append(f"'{cond.field}' is true/false, got {v!r}")
        elif spec.type == "number" and (isinstance(v, bool) or not isinstance(v, (int, float))):
            problems.append(f"'{cond.field}' is a number, got {v!r}")
        elif spec.type in ("enum", "list", "text") and not isinstance(v, (str, int)) or (
                spec.type in ("enum", "list") and isinstance(v, bool)):
            problems.append(f"'{cond.field}' takes words, got {v!r}")
        elif spec.values is not None and str(v) not in spec.values and not isinstance(v, bool):
            problems.append(f"'{v}' is not a known value of '{cond.field}'{did_you_mean(str(v), spec.values)}")
    if spec.type in ("bool", "enum", "text", "list") and cond.op in (">", ">=", "<", "<="):
        problems.append(f"'{cond.op}' needs a number field, '{cond.field}' is {spec.type}")
    return problems


# -------------------------------------------------------- three-valued eval

_MISSING = object()


def get(fact: dict, name: str) -> Any:
    if "." in name:
        head, tail = name.split(".", 1)
        sub = fact.get(head)
        return sub.get(tail, _MISSING) if isinstance(sub, dict) else _MISSING
    return fact.get(name, _MISSING)


def _cmp(op: str, actual: Any, value: Any) -> bool:
    if op in DECLARED:
        op = "==" if op == "is" else "!="
    if op == "==":
        if isinstance(actual, bool) or isinstance(value, bool):
            return isinstance(actual, bool) and isinstance(value, bool) and actual == value
        return actual == value
    if op == "!=":
        return not _cmp("==", actual, value)
    if op == "in":
        return any(_cmp("==", actual, v) for v in value)
    if op == "not in":
        return not any(_cmp("==", actual, v) for v in value)
    if op in ("contains", "not contains"):
        vals = value if isinstance(value, tuple) else (value,)
        hit = any(v in actual for v in vals)
        return hit if op == "contains" else not hit
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    return {">": actual > value, ">=": actual >= value, "<": actual < value, "<=": actual <= value}[op]


def evaluate(cond: Condition, fact: dict, specs: dict[str, FieldSpec]) -> str:
    """true / false / unknown (a nullable field missing from the fact is unknown)."""
    if isinstance(cond, AnyGroup):
        outs = [evaluate(c, fact, specs) for c in cond.items]
        if TRUE in outs:
            return TRUE
        return UNKNOWN if UNKNOWN in outs else FALSE
    actual = get(fact, cond.field)
    if (actual is _MISSING or actual is None) and cond.op in DECLARED:
        return TRUE if cond.op == "is not" else FALSE
    if actual is _MISSING or actual is None:
        spec = specs.get(cond.field)
        return UNKNOWN if spec is not None and spec.nullable else FALSE
    return TRUE if _cmp(cond.op, actual, cond.value) else FALSE


def value_of_field(fact: dict, name: str) -> Any:
    v = get(fact, name)
    return None if v is _MISSING else v


def value_of(cond: Condition, fact: dict) -> Any:
    if isinstance(cond, AnyGroup):
        return {c.field: (None if get(fact, c.field) is _MISSING else get(fact, c.field)) for c in cond.items}
    v = get(fact, cond.field)
    return None if v is _MISSING else v


# ------------------------------------------------------- durable compiling

def _one(items: list[dict], op: str) -> dict:
    return items[0] if len(items) == 1 else {op: items}


def count_key(name: str) -> str:
    return f"{name}__n"


def to_durable(cond: Cond) -> dict:
    """durable_rules JSON expression that is true exactly when ``cond`` is true."""
    f, op, v = cond.field, cond.op, cond.value
    if op in ("==", "is"):
        return {f: v}
    if op == "is not":
        return {"$or": [{"$nex": {f: 1}}, {"$neq": {f: v}}]}
    if op == "!=":
        return {"$neq": {f: v}}
    if op in (">", ">=", "<", "<="):
        return {{">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}[op]: {f: v}}
    if op == "in":
        return _one([{f: x} for x in v], "$or")
    if op == "not in":
        return _one([{"$neq": {f: x}} for x in v], "$and")
    vals = v if isinstance(v, tuple) else (v,)
    if op == "contains":
        return _one([{"$iany": {f: {"$i": x}}} for x in vals], "$or")
    # not contains: the list is empty, or every item differs from every value
    inner = _one([{"$neq": {"$i": x}} for x in vals], "$and")
    return {"$or": [{count_key(f): 0}, {"$iall": {f: inner}}]}


def nullable_fields(cond: Condition, specs: dict[str, FieldSpec]) -> list[str]:
    """Fields whose absence makes the condition unknown (not for 'is' / 'is not')."""
    items = items_of(cond)
    return list(dict.fromkeys(c.field for c in items if c.op not in DECLARED and specs[c.field].nullable))


def compile_cond(cond: Condition, specs: dict[str, FieldSpec], verify: bool) -> dict:
    """Applies-mode: true with known values. Verify-mode: true or unknown."""
    if isinstance(cond, AnyGroup):
        parts = [to_durable(c) for c in cond.items]
    else:
        parts = [to_durable(cond)]
    if verify:
        parts += [{"$nex": {f: 1}} for f in nullable_fields(cond, specs)]
    return _one(parts, "$or")


def some_missing(fields: list[str]) -> dict:
    return _one([{"$nex": {f: 1}} for f in dict.fromkeys(fields)], "$or")


_COMPLEMENT = {"==": "!=", "!=": "==", ">": "<=", "<=": ">", ">=": "<", "<": ">=", "in": "not in", "not in": "in",
               "contains": "not contains", "not contains": "contains", "is": "is not", "is not": "is"}


def not_true(cond: Cond) -> dict:
    """durable_rules expression that holds exactly when ``cond`` is not true (false or unknown)."""
    return {"$or": [{"$nex": {cond.field: 1}}, to_durable(replace(cond, op=_COMPLEMENT[cond.op]))]}


def some_unknown(conds: list[Condition], specs: dict[str, FieldSpec]) -> dict:
    """At least one condition is unknown, given that each is true or unknown: a plain condition's nullable field
    is missing, or an any-group has no item true and one of its nullable fields missing (a group with one item
    true is true, whatever its other items' fields; DEVELOPERS.md, pitfalls)."""
    parts: list[dict] = []
    for c in conds:
        fields = nullable_fields(c, specs)
        if not fields:
            continue
        if isinstance(c, AnyGroup):
            parts.append(_one([not_true(i) for i in c.items] + [some_missing(fields)], "$and"))
        else:
            parts += [{"$nex": {f: 1}} for f in fields if {"$nex": {f: 1}} not in parts]
    return _one(parts, "$or")


@dataclass
class Pattern:
    """One fact a rule matches: its kind and its conditions."""

    fact: str
    conds: list[Condition] = field(default_factory=list)

    def nullable(self, specs: dict[str, FieldSpec]) -> list[str]:
        return list(dict.fromkeys(f for c in self.conds for f in nullable_fields(c, specs)))
