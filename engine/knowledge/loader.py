"""Loading the knowledge packs: validation with file:line errors, and the rule model."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from pydantic import ValidationError

from cpadvisor.knowledge import conditions as C
from cpadvisor.knowledge import cache as _cache
from cpadvisor.knowledge.catalog import CatalogEntry, load_catalog
from cpadvisor.knowledge.paths import catalog_path, default_knowledge_dir  # noqa: F401 - re-exported
from cpadvisor.errors import InputError, KnowledgeError
from cpadvisor.knowledge.format import (FACT_KINDS, Case, IndicatorSystem, IndicatorSystemFile, Measure, MeasureFile,
                                        PackFile, Rule, Threshold)
from cpadvisor.knowledge.vocabulary import Vocabulary
from cpadvisor.knowledge.yamlio import did_you_mean, line_of, load_file, model_field_names, pydantic_errors, to_plain

PACK_ORDER = ("common", "policy")  # the rest follow alphabetically


@dataclass(eq=False)  # identity: rules are compared in hot loops
class CompiledRule:
    """A rule of the YAML model, with parsed conditions and its place in the engine."""

    key: str  # stable: "<measure id>/<rule id>" or "<pack>/derive/<rule id>"
    rule: Rule
    pack: str
    file: str
    line: Optional[int]
    measure_id: Optional[str]
    anchor: C.Pattern
    join: Optional[C.Pattern]
    derived: list[str]
    not_derived: list[str]
    thresholds: list[str]
    stratum: int = 0
    texts: list[str] = field(default_factory=list)  # "<measure id>:<ground id>" of unread legal texts it rests on
    ask_if: list[C.Pattern] = field(default_factory=list)  # any condition true: the open question matters
    rank_fact: Optional[str] = None  # the fact kind its ``rank_by`` number is read from (the joined one, else anchor)

    @property
    def patterns(self) -> list[C.Pattern]:
        return [self.anchor] + ([self.join] if self.join else [])


@dataclass
class MeasureInfo:
    measure: Measure
    pack: str
    file: str
    rules: list[CompiledRule] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


@dataclass
class CaseInfo:
    case: Case
    pack: str
    file: str
    line: Optional[int]
    measure_id: Optional[str]


@dataclass
class SystemInfo:
    """A 清洁生产评价指标体系 loaded from its own file, with the lines of its cases."""

    system: IndicatorSystem
    pack: str
    file: str
    cases: list[tuple[Any, Optional[int]]]


class KnowledgeBase:
    """All packs, validated. Use :func:`load_knowledge`; then ``assess(profile, kb=kb)``."""

    def __init__(self, root: Path):
        self.root = root
        self.packs: dict[str, PackFile] = {}
        self.pack_dirs: dict[str, Path] = {}
        self.measures: dict[str, MeasureInfo] = {}
        self.measure_order: dict[str, int] = {}
        self.rules: list[CompiledRule] = []
        self.cases: list[CaseInfo] = []
        self.thresholds: dict[str, Threshold] = {}
        self.threshold_pack: dict[str, str] = {}
        self.laws: dict[str, Any] = {}  # the legal texts cited (``laws`` of the packs), by id
        self.indicator_systems: dict[str, SystemInfo] = {}  # 清洁生产评价指标体系, by id
        self.vocab = Vocabulary()
        self.specs: dict[str, dict[str, C.FieldSpec]] = {}
        self.catalog: dict[str, CatalogEntry] = {}
        self.version = ""
        self.files: list[Path] = []
        self.runtime: dict[str, Any] = {}  # per-process objects built from the knowledge (the durable engine)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["runtime"] = {}
        return state

    def ground(self, ref: str) -> Optional[Any]:
        """The ground named ``<measure id>:<ground id>``, or None."""
        mid, _, gid = ref.partition(":")
        info = self.measures.get(mid)
        return next((g for g in info.measure.grounds if g.id == gid), None) if info else None

    def grounds(self) -> list[tuple[str, Any]]:
        """(measure id, ground) of every measure that declares legal grounds, in pack order (once per process)."""
        out = self.runtime.get("grounds")
        if out is None:
            out = self.runtime["grounds"] = [(mid, g) for mid, info in self.measures.items()
                                             for g in info.measure.grounds]
        return out

    def product_thresholds(self, key: Optional[str]) -> list[tuple[str, Any]]:
        """(id, threshold) of the levels sourced for one product key, in pack order (indexed once per process)."""
        index = self.runtime.get("product_thresholds")
        if index is None:
            index = {}
            for tid, t in self.thresholds.items():
                if t.product:
                    index.setdefault(t.product, []).append((tid, t))
            self.runtime["product_thresholds"] = index
        return index.get(key, []) if key else []

    def product_levels(self, key: Optional[str]) -> dict[str, float]:
        """level -> value of the energy thresholds sourced for a product key (emission factors aside)."""
        return {t.level: t.value for _, t in self.product_thresholds(key) if t.level != "factor"}

    def producers(self, name: str) -> list[CompiledRule]:
        """The rules deriving ``name`` (indexed once per process)."""
        index = self.runtime.get("producers")
        if index is None:
            index = {}
            for r in self.rules:
                if r.rule.derive:
                    index.setdefault(r.rule.derive, []).append(r)
            self.runtime["producers"] = index
        return list(index.get(name, ()))


# ------------------------------------------------------------------- loading

_CACHE: dict[tuple[str, str], KnowledgeBase] = {}
_CACHE_LOCK = threading.Lock()


def _hash_files(files: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def knowledge_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*.yaml") if p.is_file())


def load_knowledge(root: Optional[Union[str, Path]] = None, catalog: Optional[Path] = None,
                   use_cache: bool = True) -> KnowledgeBase:
    """Load and validate every pack under ``root`` (default: the packaged knowledge, or CPADVISOR_KNOWLEDGE).

    Raises KnowledgeError listing every problem with file:line. Cached in the process and, unless
    ``use_cache`` is False or CPADVISOR_NO_CACHE is set, on disk (see :mod:`cpadvisor.knowledge.cache`).
    """
    root = Path(root) if root else default_knowledge_dir()
    if not root.is_dir():
        raise KnowledgeError([InputError("knowledge folder not found / 找不到知识库目录", str(root))])
    files = knowledge_files(root)
    if not any(f.name == "pack.yaml" for f in files):
        raise KnowledgeError([InputError("no knowledge pack here (no <pack>/pack.yaml) / 该目录下没有知识包", str(root))])
    try:
        cat_path = Path(catalog) if catalog else catalog_path(root)
    except OSError as exc:  # pragma: no cover
        raise KnowledgeError([InputError(str(exc), str(catalog))]) from None
    version = _hash_files(files, root)
    key = (str(root.resolve()), version + str(cat_path or ""))
    with _CACHE_LOCK:
        if use_cache and key in _CACHE:
            return _CACHE[key]
    disk = use_cache and _cache.enabled()
    dkey = _cache.cache_key(root, version, cat_path) if disk else ""
    kb = _cache.load(dkey) if disk else None
    if not isinstance(kb, KnowledgeBase) or kb.version != version:
        try:
            cat = load_catalog(cat_path) if cat_path else {}
        except InputError as exc:
            raise KnowledgeError([exc]) from None
        kb = _Loader(root, files, version, cat).load()
        if disk:
            _cache.save(dkey, kb)
    kb.root = root
    kb.files = files
    if use_cache:
        with _CACHE_LOCK:
            _CACHE[key] = kb
    return kb


class _Loader:
    def __init__(self, root: Path, files: list[Path], version: str, catalog: dict[str, CatalogEntry]):
        self.kb = KnowledgeBase(root)
        self.kb.version = version
        self.kb.files = files
        self.kb.catalog = catalog
        self.problems: list[InputError] = []
        self.docs: dict[str, Any] = {}
        self.law_files: dict[str, str] = {}

    def err(self, msg: str, file: str, line: Optional[int] = None, fld: Optional[str] = None) -> None:
        self.problems.append(InputError(msg, file, line, fld))

    def _read(self, path: Path, model: Any) -> Any:
        doc = self.docs.get(str(path))  # parsed already (a file whose kind was looked at)
        if doc is None:
            try:
                doc = load_file(path)
            except InputError as exc:
                self.problems.append(exc)
                return None
        self.docs[str(path)] = doc
        try:
            return model.model_validate(to_plain(doc))
        except ValidationError as exc:
            self.problems.extend(pydantic_errors(exc, doc, str(path), names=model_field_names(model)))
            return None

    def load(self) -> KnowledgeBase:
        kb = self.kb
        root = kb.root
        pack_dirs = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))),
                           key=lambda d: (PACK_ORDER.index(d.name) if d.name in PACK_ORDER else len(PACK_ORDER), d.name))
        measure_files: list[tuple[str, Path, MeasureFile]] = []
        for d in pack_dirs:
            pf_path = d / "pack.yaml"
            if not pf_path.exists():
                if any(d.glob("*.yaml")):
                    self.err("pack folder has no pack.yaml / 缺少 pack.yaml", str(d))
                continue
            pf = self._read(pf_path, PackFile)
            if pf is None:
                continue
            if pf.pack.code != d.name:
                self.err(f"pack code '{pf.pack.code}' must equal its folder name '{d.name}'", str(pf_path),
                         line_of(self.docs[str(pf_path)], ("pack", "code")), "pack.code")
            kb.packs[d.name] = pf
            kb.pack_dirs[d.name] = d
            for msg in kb.vocab.add_pack(pf, str(pf_path)):
                self.err(msg, str(pf_path), line_of(self.docs[str(pf_path)], ("vocabulary",)))
            for tid, t in pf.thresholds.items():  # products are checked once every pack is read
                kb.thresholds[tid] = t
                kb.threshold_pack[tid] = d.name
            for lid, law in pf.laws.items():
                if lid in kb.laws:
                    self.err(f"legal text '{lid}' is declared twice", str(pf_path),
                             line_of(self.docs[str(pf_path)], ("laws", lid)), f"laws.{lid}")
                kb.laws[lid] = law
                self.law_files[lid] = str(pf_path)
            for f in sorted(d.glob("*.yaml")):
                if f.name == "pack.yaml":
                    continue
                model = IndicatorSystemFile if self._is_system(f) else MeasureFile
                mf = self._read(f, model)
                if isinstance(mf, IndicatorSystemFile):
                    self._system(d.name, f, mf)
                elif mf is not None:
                    measure_files.append((d.name, f, mf))
        for code, pf in kb.packs.items():
            for req in pf.pack.requires:
                if req not in kb.packs:
                    f = str(kb.pack_dirs[code] / "pack.yaml")
                    self.err(f"pack '{code}' requires pack '{req}', which is not loaded{did_you_mean(req, kb.packs)}",
                             f, line_of(self.docs.get(f), ("pack", "requires")), "pack.requires")
        for msg in kb.vocab.attribute_clashes() + kb.vocab.family_problems():
            self.err(msg, str(root))
        kb.vocab.open_families()
        for tid, t in kb.thresholds.items():
            if t.product and t.product not in kb.vocab.terms["products"]:
                pack = kb.threshold_pack[tid]
                f = str(kb.pack_dirs[pack] / "pack.yaml")
                self.err(f"threshold '{tid}' names unknown product '{t.product}'"
                         f"{did_you_mean(t.product, kb.vocab.terms['products'])}", f,
                         line_of(self.docs.get(f), ("thresholds", tid, "product")), f"thresholds.{tid}.product")
            if t.carrier and t.carrier not in kb.vocab.terms["fuels"]:
                f = str(kb.pack_dirs[kb.threshold_pack[tid]] / "pack.yaml")
                self.err(f"threshold '{tid}' names unknown fuel '{t.carrier}'"
                         f"{did_you_mean(t.carrier, kb.vocab.terms['fuels'])}", f,
                         line_of(self.docs.get(f), ("thresholds", tid, "carrier")), f"thresholds.{tid}.carrier")
        kb.specs = kb.vocab.field_specs()
        values = {tid: t.value for tid, t in kb.thresholds.items()}
        self._check_judgements()

        for pack, f, mf in measure_files:
            self._measure(pack, f, mf, values)
        for pack, pf in kb.packs.items():
            f = kb.pack_dirs[pack] / "pack.yaml"
            for i, rule in enumerate(pf.derivations):
                if not rule.derive:
                    self.err("a derivation rule needs 'derive'", str(f),
                             line_of(self.docs.get(str(f)), ("derivations", i)), f"derivations.{i}")
                    continue
                cr = self._rule(pack, f, ("derivations", i), f"{pack}/derive/{rule.id}", rule, None, values)
                if cr:
                    kb.rules.append(cr)
            for i, case in enumerate(pf.cases):
                kb.cases.append(CaseInfo(case, pack, str(f), line_of(self.docs.get(str(f)), ("cases", i)), None))
        self._check_systems()
        self._check_catalog()
        self._check_derived()
        self._check_cases()
        self._check_grounds()
        if self.problems:
            raise KnowledgeError(self.problems)
        return kb

    def _measure(self, pack: str, f: Path, mf: MeasureFile, values: dict[str, float]) -> None:
        kb = self.kb
        m = mf.measure
        doc = self.docs[str(f)]
        if m.id.split(".", 1)[0] != pack:
            self.err(f"measure '{m.id}' belongs to pack '{m.id.split('.')[0]}', not '{pack}'", str(f),
                     line_of(doc, ("measure", "id")), "measure.id")
        if f.stem != m.id.split(".", 1)[-1]:
            self.err(f"file name must be the measure slug: {m.id.split('.', 1)[-1]}.yaml", str(f),
                     line_of(doc, ("measure", "id")), "measure.id")
        if m.id in kb.measures:
            self.err(f"duplicate measure id '{m.id}' (also in {kb.measures[m.id].file})", str(f),
                     line_of(doc, ("measure", "id")), "measure.id")
            return
        info = MeasureInfo(m, pack, str(f))
        kb.measures[m.id] = info
        kb.measure_order[m.id] = len(kb.measure_order)
        seen: set[str] = set()
        for i, rule in enumerate(mf.rules):
            if rule.id in seen:
                self.err(f"duplicate rule id '{rule.id}'", str(f), line_of(doc, ("rules", i, "id")), f"rules.{i}.id")
            seen.add(rule.id)
            if rule.priority is None:
                self.err("a rule that recommends a measure needs a priority (high, medium, low)", str(f),
                         line_of(doc, ("rules", i)), f"rules.{i}.priority")
            cr = self._rule(pack, f, ("rules", i), f"{m.id}/{rule.id}", rule, m.id, values)
            if cr:
                info.rules.append(cr)
                kb.rules.append(cr)
        for i, case in enumerate(mf.cases):
            info.cases.append(case)
            kb.cases.append(CaseInfo(case, pack, str(f), line_of(doc, ("cases", i)), m.id))

    def _bound(self, kind: str, c: C.Cond) -> bool:
        """``x > 0`` (there is some at all) or ``x < max`` of a number with a whole (not all of it, e.g. a rate
        below 100 % or a share below 1): definitions, not cut-offs."""
        if c.op == ">" and c.value == 0:
            return True
        spec = self.kb.specs.get(kind, {}).get(c.field)
        return bool(c.op == "<" and spec is not None and spec.max is not None and c.value == spec.max)

    def _condition(self, f: Path, doc: Any, where: tuple, kind: str, raw: Any,
                   values: dict[str, float]) -> Optional[C.Condition]:
        """One condition of a rule (``when`` or ``ask_if``), parsed and checked; None after reporting a problem."""
        at = (str(f), line_of(doc, where), ".".join(map(str, where)))
        try:
            cond = C.parse(kind, raw.model_dump() if hasattr(raw, "model_dump") else raw, values)
        except C.ConditionSyntaxError as exc:
            self.err(str(exc), *at)
            return None
        problems = C.check(cond, self.kb.specs[kind])
        problems += [f"'{c.text}': a number compared in a rule must be a sourced threshold ($id from a pack's "
                     "thresholds), never a bare number / 规则阈值必须有来源"
                     for c in C.items_of(cond) if c.op in (">", ">=", "<", "<=") and not c.threshold
                     and not self._bound(kind, c)]
        for problem in problems:
            self.err(problem, *at)
        return None if problems else cond

    def _rule(self, pack: str, f: Path, loc: tuple, key: str, rule: Rule, measure_id: Optional[str],
              values: dict[str, float]) -> Optional[CompiledRule]:
        kb = self.kb
        doc = self.docs.get(str(f))
        ok = True
        w = rule.when
        anchor_kind = "park" if w.park is not None else "enterprise"
        pats: dict[str, C.Pattern] = {anchor_kind: C.Pattern(anchor_kind)}
        join = w.joined()
        if join:
            pats[join] = C.Pattern(join)
        used_thresholds: list[str] = []  # the rule's own: a finding cites only what its reason used
        ask_thresholds: list[str] = []  # ask_if's, which only decide whether a question is asked
        for kind in FACT_KINDS:
            for j, raw in enumerate(getattr(w, kind) or ()):
                cond = self._condition(f, doc, loc + ("when", kind, j), kind, raw, values)
                if cond is None:
                    ok = False
                    continue
                used_thresholds += [c.threshold for c in C.items_of(cond) if c.threshold]
                pats[kind].conds.append(cond)
        ask: list[C.Pattern] = []
        if rule.ask_if is not None:
            for kind in FACT_KINDS:
                raws = getattr(rule.ask_if, kind)
                if not raws:
                    continue
                if kind not in pats:
                    where = loc + ("ask_if", kind)
                    self.err(f"ask_if.{kind}: the rule matches no {kind} (it matches {', '.join(pats)})", str(f),
                             line_of(doc, where), ".".join(map(str, where)))
                    ok = False
                    continue
                pat = C.Pattern(kind)
                for j, raw in enumerate(raws):
                    cond = self._condition(f, doc, loc + ("ask_if", kind, j), kind, raw, values)
                    if cond is None:
                        ok = False
                        continue
                    ask_thresholds += [c.threshold for c in C.items_of(cond) if c.threshold]
                    pat.conds.append(cond)
                ask.append(pat)
        rank_fact = None
        if rule.rank_by is not None:
            rb = rule.rank_by
            rank_fact = join if join and rb.field in kb.specs.get(join, {}) else anchor_kind
            spec = kb.specs.get(rank_fact, {}).get(rb.field)
            if spec is None or spec.type != "number":
                where = loc + ("rank_by",)
                numbers = [n for n, s in kb.specs.get(join or anchor_kind, {}).items() if s.type == "number"]
                self.err(f"rank_by '{rb.field}' is not a number field of the rule's {join or anchor_kind}"
                         f"{did_you_mean(rb.field, numbers)}", str(f), line_of(doc, where), ".".join(map(str, where)))
                ok = False
        for t in used_thresholds + ask_thresholds:
            th = kb.thresholds[t]
            if not th.source.strip():
                self.err(f"threshold '{t}' has no source", str(f), line_of(doc, loc))
                ok = False
        if not ok:
            return None
        return CompiledRule(key=key, rule=rule, pack=pack, file=str(f), line=line_of(doc, loc),
                            measure_id=measure_id, anchor=pats[anchor_kind], join=pats.get(join) if join else None,
                            derived=list(w.derived), not_derived=list(w.not_derived),
                            thresholds=list(dict.fromkeys(used_thresholds)), ask_if=ask, rank_fact=rank_fact)

    def _check_judgements(self) -> None:
        """A verdict judged_from numbers: the numbers are number fields of its fact, the threshold is sourced."""
        kb = self.kb
        for name, a in kb.vocab.terms["attributes"].items():
            j = getattr(a, "judged_from", None)
            if j is None:
                continue
            pack = kb.vocab.owner[("attributes", name)]
            f = str(kb.pack_dirs[pack] / "pack.yaml")
            line = line_of(self.docs.get(f), ("vocabulary", "attributes", name, "judged_from"))
            specs = kb.specs[a.on]  # type: ignore[union-attr]
            for n in j.number:
                spec = specs.get(n)
                if spec is None or spec.type != "number":
                    self.err(f"judged_from '{n}' is not a number field of the {a.on}{did_you_mean(n, specs)}",  # type: ignore[union-attr]
                             f, line, f"vocabulary.attributes.{name}.judged_from")
            if j.share_of and any(not n.startswith(f"{j.share_of}.") for n in j.number):
                self.err(f"judged_from share_of '{j.share_of}': each number must be one of its shares "
                         f"('{j.share_of}.<part>')", f, line, f"vocabulary.attributes.{name}.judged_from")
            if j.threshold and j.threshold not in kb.thresholds:
                self.err(f"judged_from threshold '{j.threshold}' is unknown{did_you_mean(j.threshold, kb.thresholds)}",
                         f, line, f"vocabulary.attributes.{name}.judged_from")

    def _check_catalog(self) -> None:
        kb = self.kb
        for mid, info in kb.measures.items():
            doc = self.docs.get(info.file)
            entry = kb.catalog.get(mid)
            if kb.catalog and entry is None:
                self.err(f"measure id '{mid}' is not in the catalog{did_you_mean(mid, kb.catalog)}", info.file,
                         line_of(doc, ("measure", "id")), "measure.id")
            elif entry is not None:
                m = info.measure
                for fld, want, got in (("clause", entry.clause, m.clause), ("kind", entry.kind, m.kind),
                                       ("name.zh", entry.name_zh, m.name.zh), ("name.en", entry.name_en, m.name.en)):
                    if want != got:
                        self.err(f"{fld} must be the catalog's {want!r}, got {got!r}", info.file,
                                 line_of(doc, ("measure",) + tuple(fld.split("."))), f"measure.{fld}")
            for rel, ids in info.measure.interactions.model_dump().items():
                for i, other in enumerate(ids):
                    if other not in kb.measures or other == mid:
                        self.err(f"interactions.{rel} names unknown measure '{other}'{did_you_mean(other, kb.measures)}",
                                 info.file, line_of(doc, ("measure", "interactions", rel, i)), f"measure.interactions.{rel}")
            for r in info.rules:
                for y in r.rule.yields_to:
                    if y not in kb.measures:
                        self.err(f"yields_to names unknown measure '{y}'{did_you_mean(y, kb.measures)}", info.file,
                                 r.line, "yields_to")

    def _check_derived(self) -> None:
        kb = self.kb
        produced: dict[str, list[CompiledRule]] = {}
        for r in kb.rules:
            if r.rule.derive:
                produced.setdefault(r.rule.derive, []).append(r)
        consumed = {n for r in kb.rules for n in r.derived + r.not_derived}
        for r in kb.rules:
            for n in r.derived + r.not_derived:
                if n not in produced:
                    self.err(f"derived fact '{n}' is produced by no rule{did_you_mean(n, produced)}", r.file, r.line,
                             "when.derived")
        for n, rs in produced.items():
            if n not in consumed:
                self.err(f"derived fact '{n}' is consumed by no rule: durable_rules would drop it silently",
                         rs[0].file, rs[0].line, "derive")
        # stratification: positive deps >= producer, negative deps > producer
        strata = {r.key: 0 for r in kb.rules}
        for _ in range(len(kb.rules) + 1):
            changed = False
            for r in kb.rules:
                need = 0
                for n in r.derived:
                    need = max([need] + [strata[p.key] for p in produced.get(n, [])])
                for n in r.not_derived:
                    need = max([need] + [strata[p.key] + 1 for p in produced.get(n, [])])
                if need > strata[r.key]:
                    strata[r.key] = need
                    changed = True
                    if need > len(kb.rules):
                        break
            if not changed:
                break
        else:
            self.err("derived facts depend on their own negation (no stratification possible)", str(kb.root))
        for r in kb.rules:
            r.stratum = strata[r.key]

    def _check_grounds(self) -> None:
        """A ground reads yes/no facts of the profile's ``emissions`` and names duties of its own measure."""
        from cpadvisor.models.profile import Emissions
        fields = Emissions.model_fields
        flags = [n for n, f in fields.items() if f.annotation in (Optional[bool], bool)]
        for mid, info in self.kb.measures.items():
            duties = [d.id for d in info.measure.duties]
            for i, g in enumerate(info.measure.grounds):
                where = f"measure.grounds.{i}"
                for fact in g.facts:
                    if fact not in flags:
                        self.err(f"ground '{g.id}' of {mid} reads unknown fact 'emissions.{fact}'"
                                 f"{did_you_mean(fact, flags)}", info.file, None, where)
                if g.categories is not None and g.categories not in fields:
                    self.err(f"ground '{g.id}' of {mid} names unknown field 'emissions.{g.categories}'"
                             f"{did_you_mean(g.categories, fields)}", info.file, None, where)
                for d in g.duties:
                    if d not in duties:
                        self.err(f"ground '{g.id}' of {mid} names unknown duty '{d}'{did_you_mean(d, duties)}",
                                 info.file, None, where)
        self._check_laws()
        for cr in self.kb.rules:  # a rule resting on a ground whose text was not read may not decide alone
            if not cr.rule.rests_on:
                continue
            info = self.kb.measures.get(cr.measure_id or "")
            grounds = {g.id: g for g in info.measure.grounds} if info else {}
            laws = self.kb.laws
            for gid in cr.rule.rests_on:
                if gid.startswith("law:"):
                    if gid[4:] not in laws:
                        self.err(f"rule '{cr.key}' rests on unknown legal text '{gid[4:]}'"
                                 f"{did_you_mean(gid[4:], laws)}", cr.file, cr.line, "rests_on")
                elif gid not in grounds:
                    self.err(f"rule '{cr.key}' rests on unknown ground '{gid}' (known: {', '.join(grounds) or 'none'})"
                             f"{did_you_mean(gid, grounds)}", cr.file, cr.line, "rests_on")
            cr.texts = [gid if gid.startswith("law:") else f"{cr.measure_id}:{gid}" for gid in cr.rule.rests_on
                        if (gid.startswith("law:") and gid[4:] in laws and not laws[gid[4:]].verified)
                        or (gid in grounds and not grounds[gid].verified)]

    def _is_system(self, path: Path) -> bool:
        """A file whose top key is ``indicator_system`` (read once; the parse is kept for the model)."""
        try:
            doc = load_file(path)
        except InputError:
            return False
        self.docs[str(path)] = doc
        return isinstance(doc.data, dict) and "indicator_system" in doc.data

    def _system(self, pack: str, f: Path, sf: IndicatorSystemFile) -> None:
        """Register a system, and the Ⅱ级 level of each indicator read from a product's unit energy as that
        product's ``cp_II`` threshold (the admission gate's 清洁生产国内先进水平, unverified like the system)."""
        kb, sysm, doc = self.kb, sf.indicator_system, self.docs.get(str(f))
        if sysm.id in kb.indicator_systems:
            self.err(f"indicator system '{sysm.id}' is declared twice", str(f),
                     line_of(doc, ("indicator_system", "id")), "indicator_system.id")
            return
        cases = [(c, line_of(doc, ("cases", i))) for i, c in enumerate(sf.cases)]
        kb.indicator_systems[sysm.id] = SystemInfo(sysm, pack, str(f), cases)
        for gi, g in enumerate(sysm.groups):
            for ii, ind in enumerate(g.indicators):
                vf = ind.value_from
                if vf is None or vf.field != "unit_energy" or "II" not in ind.levels:
                    continue
                for product in vf.products:
                    tid = f"cpeval.{product}.cp_II"
                    if tid in kb.thresholds:
                        self.err(f"product '{product}' has a Ⅱ级 level in two indicator systems", str(f),
                                 line_of(doc, ("indicator_system", "groups", gi, "indicators", ii, "value_from")))
                        continue
                    kb.thresholds[tid] = Threshold(
                        value=ind.levels["II"], unit=ind.unit or "", product=product, level="cp_II",
                        cite=f"{sysm.name.zh} {ind.name.zh} Ⅱ级", cite_en=f"{sysm.name.en}, {ind.name.en}, level II",
                        source=f"{sysm.name.zh} ({sysm.year}); {' '.join(sysm.source.split())}",
                        effective=sysm.effective, verified=sysm.verified)
                    kb.threshold_pack[tid] = pack

    def _check_systems(self) -> None:
        """What an author gets wrong in an indicator system: ids, unknown measures, products and subsectors,
        levels out of order, weights that do not sum to 1 (each with its line)."""
        kb = self.kb
        for sid, info in kb.indicator_systems.items():
            sysm, f = info.system, info.file
            doc = self.docs.get(f)

            def at(*path: Any) -> Optional[int]:
                return line_of(doc, ("indicator_system",) + path)
            for k in sysm.subsectors:
                if k not in kb.vocab.terms["subsectors"]:
                    self.err(f"indicator system '{sid}' names unknown subsector '{k}'"
                             f"{did_you_mean(k, kb.vocab.terms['subsectors'])}", f, at("subsectors"), "subsectors")
            seen: set[str] = set()
            groups = [g.id for g in sysm.groups]
            if len(set(groups)) != len(groups):
                self.err(f"indicator system '{sid}' repeats a group id", f, at("groups"), "groups")
            for gi, g in enumerate(sysm.groups):
                weights = [ind.weight for ind in g.indicators]
                if g.complete and any(w is not None for w in weights):
                    if any(w is None for w in weights):
                        self.err(f"group '{g.id}' gives weights for some indicators only", f,
                                 at("groups", gi, "indicators"), f"groups.{gi}")
                    elif abs(sum(weights) - 1) > 1e-3:  # type: ignore[arg-type]
                        self.err(f"the weights of group '{g.id}' sum to {sum(weights):g}, not 1 / 二级指标权重之和"  # type: ignore[arg-type]
                                 "不为1", f, at("groups", gi, "indicators", 0, "weight") or at("groups", gi),
                                 f"groups.{gi}.indicators.weight")
                for ii, ind in enumerate(g.indicators):
                    where = ("groups", gi, "indicators", ii)
                    if ind.id in seen:
                        self.err(f"indicator id '{ind.id}' is used twice in '{sid}'", f, at(*where, "id"), "id")
                    seen.add(ind.id)
                    for mid in ind.improved_by:
                        if mid not in kb.measures:
                            self.err(f"indicator '{ind.id}' is improved by unknown measure '{mid}'"
                                     f"{did_you_mean(mid, kb.measures)}", f, at(*where, "improved_by"), "improved_by")
                    vals = [ind.levels[k] for k in ("I", "II", "III") if k in ind.levels]
                    ordered = vals == sorted(vals) if ind.direction == "<=" else vals == sorted(vals, reverse=True)
                    if not ordered:
                        self.err(f"the levels of '{ind.id}' are out of order for '{ind.direction}' (Ⅰ, Ⅱ, Ⅲ: {vals}) "
                                 "/ 各级基准值顺序有误", f, at(*where, "levels"), "levels")
                    for product in (ind.value_from.products if ind.value_from else ()):
                        pk = kb.vocab.terms["products"].get(product)
                        if pk is None:
                            self.err(f"indicator '{ind.id}' reads unknown product '{product}'"
                                     f"{did_you_mean(product, kb.vocab.terms['products'])}", f,
                                     at(*where, "value_from", "products"), "value_from.products")
                        elif ind.value_from.field == "unit_energy" and getattr(pk, "energy_unit", None) not in (
                                None, ind.unit):
                            self.err(f"indicator '{ind.id}' is in {ind.unit} but product '{product}' gives its unit "
                                     f"energy in {pk.energy_unit}", f, at(*where, "unit"), "unit")
            gw = [g.weight for g in sysm.groups]
            if sysm.complete and all(w is not None for w in gw) and abs(sum(gw) - 1) > 1e-3:  # type: ignore[arg-type]
                self.err(f"the group weights of '{sid}' sum to {sum(gw):g}, not 1 / 一级指标权重之和不为1", f,  # type: ignore[arg-type]
                         at("groups"), "groups.weight")

    def _check_laws(self) -> None:
        """Duties and grounds cite legal texts the packs declare; a text is under a declared law."""
        laws = self.kb.laws
        for lid, law in laws.items():
            if law.successor is not None and law.successor not in laws:
                f = self.law_files[lid]
                self.err(f"legal text '{lid}' is replaced by unknown text '{law.successor}'"
                         f"{did_you_mean(law.successor, laws)}", f,
                         line_of(self.docs.get(f), ("laws", lid, "successor")), f"laws.{lid}.successor")
            if law.under is not None and law.under not in laws:
                f = self.law_files[lid]
                self.err(f"legal text '{lid}' is under unknown law '{law.under}'{did_you_mean(law.under, laws)}",
                         f, line_of(self.docs.get(f), ("laws", lid, "under")), f"laws.{lid}.under")
        for mid, info in self.kb.measures.items():
            for what, where, item in info.measure.citations():
                if item.law is not None and item.law not in laws:
                    at = where + ("law",)
                    self.err(f"{what} '{item.id}' of {mid} cites unknown legal text '{item.law}'"
                             f"{did_you_mean(item.law, laws)}", info.file, line_of(self.docs.get(info.file), at),
                             ".".join(map(str, at)))

    def _check_cases(self) -> None:
        kb = self.kb
        for ci in kb.cases:
            for ids in (ci.case.expect.applies, ci.case.expect.not_applies, ci.case.expect.to_verify,
                        list(ci.case.expect.units), list(ci.case.expect.missing)):
                for mid in ids:
                    if mid not in kb.measures:
                        self.err(f"case '{ci.case.name}' expects unknown measure '{mid}'"
                                 f"{did_you_mean(mid, kb.measures)}", ci.file, ci.line, "expect")
            for mid, verdicts in ci.case.expect.grounds.items():
                info = kb.measures.get(mid)
                if info is None:
                    self.err(f"case '{ci.case.name}' expects grounds of unknown measure '{mid}'"
                             f"{did_you_mean(mid, kb.measures)}", ci.file, ci.line, "expect.grounds")
                    continue
                known = [g.id for g in info.measure.grounds]
                for gid in verdicts:
                    if gid not in known:
                        self.err(f"case '{ci.case.name}' expects unknown ground '{gid}' of {mid} (known: "
                                 f"{', '.join(known) or 'none'}){did_you_mean(gid, known)}", ci.file, ci.line,
                                 f"expect.grounds.{mid}")
