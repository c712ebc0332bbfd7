"""Static checks of the knowledge packs (``cpadvisor lint``): nothing is assessed unless asked.

Every finding is one line ``file:line: level: message``. Errors fail CI; warnings are
advice. The checks, in order:

* placeholders: any ``TODO`` left by ``cpadvisor new-measure`` (error);
* schema, unknown fields, unknown names, ids not in the catalog: the loader's own
  problems (error, see engine/kb.py);
* catalog ids that no file encodes (error);
* rules that can never fire: contradictory conditions within one fact pattern, or a
  derived fact both required and excluded (error); measures no rule reaches (error);
* a rule reading a number only against a bare bound (``> 0``, ``< 100``) without ``rank_by`` (error);
* two rules of one measure with different priorities whose conditions overlap (warning);
* thresholds without an ``effective`` date, rules using an unverified threshold (warning);
* measures without a positive (``applies``) and a negative (``not_applies``) case (error);
* case profiles that do not validate (error);
* a rule that compiles to more durable rules than one ruleset may hold (error);
* with ``run_cases``: failing expert cases (error).
"""
from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from cpadvisor.knowledge import conditions as C
from cpadvisor.knowledge.catalog import default_catalog_path
from cpadvisor.errors import CpadvisorError, InputError, KnowledgeError
from cpadvisor.knowledge.loader import CompiledRule, KnowledgeBase, default_knowledge_dir, knowledge_files, load_knowledge
from cpadvisor.knowledge.yamlio import line_of, load_file

MAX_ALTERNATIVES = 512  # any-groups expanded per pattern before giving up (then: "may fire")
_TODO = re.compile(r"\bTODO\b")
# a law, regulation or rule named in a citation (the policy document itself is cited by its number)
_LEGAL_TITLE = re.compile(r"《[^》]*(?:法|办法|条例|规定|决定)》")


@dataclass(frozen=True)
class LintFinding:
    file: str
    line: Optional[int]
    level: str  # error | warning
    check: str  # short code of the check, e.g. never-fires
    message: str

    def format(self, base: Optional[Path] = None) -> str:
        f = self.file
        if base is not None:
            try:
                f = os.path.relpath(f, base) if Path(f).resolve().is_relative_to(base.resolve()) else f
            except (OSError, ValueError):
                pass
        return f"{f}:{self.line or 1}: {self.level}: {self.message} [{self.check}]"


# ------------------------------------------------------- contradictions

def _alternatives(conds: list[C.Condition]) -> Optional[list[list[C.Cond]]]:
    """Every conjunction of plain conditions the pattern can mean (any-groups expanded)."""
    plain = [c for c in conds if isinstance(c, C.Cond)]
    groups = [g.items for g in conds if isinstance(g, C.AnyGroup)]
    n = 1
    for g in groups:
        n *= len(g)
    if n > MAX_ALTERNATIVES:
        return None
    return [plain + list(choice) for choice in itertools.product(*groups)]


def _bounds(kb: KnowledgeBase, fact: str, name: str) -> tuple[Optional[float], Optional[float]]:
    a = kb.vocab.terms["attributes"].get(name)
    if a is not None and getattr(a, "on", None) == fact:
        return a.min, a.max
    return None, None


def _field_conflict(conds: list[C.Cond], spec: C.FieldSpec, lo_hi: tuple) -> bool:
    """True when no value of the field satisfies every condition (all on that one field)."""
    if spec.type == "list":
        banned: set = set()
        for c in conds:
            if c.op == "not contains":
                banned.update(c.value if isinstance(c.value, tuple) else (c.value,))
        return any(c.op == "contains" and set(c.value if isinstance(c.value, tuple) else (c.value,)) <= banned
                   for c in conds)
    finite: Optional[set] = None
    if spec.type == "bool":
        finite = {True, False}
    elif spec.type == "enum" and spec.values is not None:
        finite = set(spec.values)
    for c in conds:  # a value named by == / in is a candidate too (also for numbers and text)
        if c.op in ("==", "in"):
            vals = set(c.value if isinstance(c.value, tuple) else (c.value,))
            finite = vals if finite is None else {v for v in finite if any(C._cmp("==", v, w) for w in vals)}
    lo, hi = lo_hi
    if finite is not None:
        ok = [v for v in finite if all(C._cmp(c.op, v, c.value) for c in conds)
              and (spec.type != "number" or ((lo is None or v >= lo) and (hi is None or v <= hi)))]
        return not ok
    if spec.type != "number":
        return False  # free text: always another value
    low, low_strict, high, high_strict = lo, False, hi, False
    excluded = set()
    for c in conds:
        v = c.value
        if c.op in (">", ">=") and (low is None or v > low or (v == low and c.op == ">")):
            low, low_strict = v, c.op == ">"
        elif c.op in ("<", "<=") and (high is None or v < high or (v == high and c.op == "<")):
            high, high_strict = v, c.op == "<"
        elif c.op in ("!=", "not in"):
            excluded.update(v if isinstance(v, tuple) else (v,))
    if low is None or high is None:
        return False
    if low > high:
        return True
    if low == high:
        return low_strict or high_strict or low in excluded
    return False


def conflict(kb: KnowledgeBase, fact: str, conds: list[C.Cond]) -> Optional[list[C.Cond]]:
    """The conditions (of one fact) that cannot hold together, or None."""
    specs = kb.specs[fact]
    by_field: dict[str, list[C.Cond]] = {}
    for c in conds:
        by_field.setdefault(c.field, []).append(c)
    for name, cs in by_field.items():
        spec = specs.get(name)
        if spec is not None and _field_conflict(cs, spec, _bounds(kb, fact, name)):
            return cs
    return None


def _pattern_conflict(kb: KnowledgeBase, fact: str, conds: list[C.Condition]) -> Optional[str]:
    alts = _alternatives(conds)
    if alts is None:
        return None
    reasons = []
    for alt in alts:
        bad = conflict(kb, fact, alt)
        if bad is None:
            return None
        reasons.append(" and ".join(f"`{c.text}`" for c in bad))
    return "; ".join(dict.fromkeys(reasons)) + " cannot all hold"


def never_fires(kb: KnowledgeBase, cr: CompiledRule) -> Optional[str]:
    """Why a rule can never hold, or None when some profile may make it hold."""
    both = set(cr.derived) & set(cr.not_derived)
    if both:
        return f"derived fact '{sorted(both)[0]}' is both required and excluded"
    for pat in cr.patterns:
        why = _pattern_conflict(kb, pat.fact, pat.conds)
        if why:
            return f"{pat.fact}: {why}"
    return None


def unranked_numbers(kb: KnowledgeBase, cr: CompiledRule) -> list[str]:
    """The numbers a rule compares only with a bare bound (``x > 0``, ``x < max``: definitions, no sourced level),
    when it names none of them as its ``rank_by`` (issue 29: such a number ranks and explains)."""
    if cr.rule.rank_by is not None:
        return []
    out = []
    for pat in [cr.anchor] + ([cr.join] if cr.join else []):
        for cond in pat.conds:
            for c in C.items_of(cond):
                if c.threshold is None and c.op in (">", "<") and isinstance(c.value, (int, float)) \
                        and not isinstance(c.value, bool):
                    out.append(f"{pat.fact}.{c.field}")
    return list(dict.fromkeys(out))


def overlap(kb: KnowledgeBase, a: CompiledRule, b: CompiledRule) -> bool:
    """True unless the two rules provably never hold on the same enterprise/park and target."""
    if a.anchor.fact != b.anchor.fact:
        return False
    if set(a.derived) & set(b.not_derived) or set(b.derived) & set(a.not_derived):
        return False
    pairs = [(a.anchor.fact, a.anchor.conds + b.anchor.conds)]
    if a.join and b.join and a.join.fact == b.join.fact:
        pairs.append((a.join.fact, a.join.conds + b.join.conds))
    return not any(_pattern_conflict(kb, fact, conds) for fact, conds in pairs)


# ------------------------------------------------------------------ lint

class _Lint:
    def __init__(self, root: Path, catalog: Optional[Path]):
        self.root = root
        self.catalog = catalog
        self.out: list[LintFinding] = []

    def add(self, file: Union[str, Path, None], line: Optional[int], level: str, check: str, msg: str) -> None:
        self.out.append(LintFinding(str(file or self.root), line, level, check, msg))

    # -- text checks (also when the packs do not load)
    def placeholders(self) -> None:
        for f in knowledge_files(self.root):
            try:
                text = f.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for i, line in enumerate(text.splitlines(), 1):
                if _TODO.search(line):
                    self.add(f, i, "error", "placeholder",
                             f"unfinished placeholder / 待填写: {line.strip()[:160]}")

    def load(self) -> Optional[KnowledgeBase]:
        try:
            return load_knowledge(self.root, self.catalog, use_cache=False)
        except KnowledgeError as exc:
            for p in exc.problems:
                self.add(p.file, p.line, "error", "load", (f"[{p.field}] " if p.field else "") + p.message)
        return None

    # -- model checks
    def catalog_encoded(self, kb: KnowledgeBase) -> None:
        path = self.catalog or default_catalog_path(self.root)
        lines = {}
        if path and Path(path).exists():
            for i, row in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
                lines.setdefault(row.split(",", 1)[0], i)
        for cid, entry in kb.catalog.items():
            if cid not in kb.measures:
                self.add(path, lines.get(cid), "error", "not-encoded",
                         f"catalog id '{cid}' ({entry.name_zh}) is encoded by no file: "
                         f"cpadvisor new-measure {entry.pack} {cid}")

    def rules(self, kb: KnowledgeBase) -> None:
        dead: set[str] = set()
        for cr in kb.rules:
            why = never_fires(kb, cr)
            if why:
                dead.add(cr.key)
                self.add(cr.file, cr.line, "error", "never-fires", f"rule '{cr.key}' can never fire: {why}")
        live = self._reachable(kb, dead)
        for mid, info in kb.measures.items():
            if info.rules and not any(r.key in live for r in info.rules):
                doc_line = min((r.line or 1) for r in info.rules)
                self.add(info.file, doc_line, "error", "unreached",
                         f"no rule reaches measure '{mid}' (each rule can never fire or needs a derived fact "
                         "nothing can produce)")
        for cr in kb.rules:
            bare = unranked_numbers(kb, cr)
            if bare:
                self.add(cr.file, cr.line, "error", "number-unranked",
                         f"rule '{cr.key}' reads {', '.join(bare)} only against a bound (> 0, < the whole), no sourced "
                         "level: name the number it ranks by (rank_by: {field, order}) so the finding orders by it")
        for mid, info in kb.measures.items():
            for a, b in itertools.combinations(info.rules, 2):
                if a.rule.priority != b.rule.priority and a.key not in dead and b.key not in dead \
                        and overlap(kb, a, b):
                    self.add(b.file, b.line, "warning", "priority-overlap",
                             f"rules '{a.rule.id}' ({a.rule.priority}) and '{b.rule.id}' ({b.rule.priority}) of "
                             f"{mid} can both hold for one profile: the higher priority wins; make their conditions "
                             "disjoint or give them one priority")

    @staticmethod
    def _reachable(kb: KnowledgeBase, dead: set[str]) -> set[str]:
        live: set[str] = set()
        produced: set[str] = set()
        changed = True
        while changed:
            changed = False
            for cr in kb.rules:
                if cr.key in live or cr.key in dead or not set(cr.derived) <= produced:
                    continue
                live.add(cr.key)
                changed = True
                if cr.rule.derive:
                    produced.add(cr.rule.derive)
        return live

    def effects(self, kb: KnowledgeBase) -> None:
        """A typical effect is a number: it needs its source and year (error), and a scope that says where it holds."""
        for mid, info in kb.measures.items():
            doc = None
            for i, e in enumerate(info.measure.effects):
                bad = [w for w, ok in (("source", e.source and len(e.source.strip()) >= 3), ("year", e.year or e.url))
                       if not ok]
                if bad:
                    if doc is None:
                        try:
                            doc = load_file(Path(info.file))
                        except InputError:
                            doc = False
                    self.add(info.file, line_of(doc or None, ("measure", "effects", i)), "error", "effect-source",
                             f"measure '{mid}' effect {i + 1} ({e.basis.en[:60]}) gives a number without "
                             f"{' and '.join(bad)}: every number needs its source / 数值须注明出处")

    def laws(self, kb: KnowledgeBase) -> None:
        """A duty or ground citing a 《…法》/《…办法》 names it (`law:`), so its standing is checked by date; a
        declared legal text is cited somewhere."""
        used: set[str] = set()
        for mid, info in kb.measures.items():
            doc = None
            for what, where, item in info.measure.citations():
                if item.law is not None:
                    used.add(item.law)
                    continue
                title = _LEGAL_TITLE.search(item.cite)
                if title is None:
                    continue
                if doc is None:
                    try:
                        doc = load_file(Path(info.file))
                    except InputError:
                        doc = False
                self.add(info.file, line_of(doc or None, where), "warning", "legal-text",
                         f"{what} '{item.id}' of {mid} cites {title.group(0)} but names no `law:`: declare the text "
                         "under `laws:` of a pack.yaml so whether it is in force is checked / 引用的法规未登记")
        under = {law.under for law in kb.laws.values()} | {law.successor for law in kb.laws.values()}
        used |= {t[4:] for cr in kb.rules for t in cr.rule.rests_on if t.startswith("law:")}
        used |= {lid for lid, law in kb.laws.items()  # a verified threshold that cites the text by its title
                 if any(t.verified and law.title.zh in (t.cite or "") for t in kb.thresholds.values())}
        for lid in kb.laws:
            if lid not in used and lid not in under:
                self.add(kb.root, None, "warning", "legal-text", f"legal text '{lid}' is declared but no duty or "
                         "ground cites it, nor a verified threshold")

    def thresholds(self, kb: KnowledgeBase) -> None:
        docs = {}
        for tid, t in kb.thresholds.items():
            f = kb.pack_dirs[kb.threshold_pack[tid]] / "pack.yaml"
            if f not in docs:
                try:
                    docs[f] = load_file(f)
                except InputError:
                    docs[f] = None
            if t.effective is None:
                self.add(f, line_of(docs[f], ("thresholds", tid)), "warning", "threshold-date",
                         f"threshold '{tid}' has no 'effective' date (source: {t.source[:80]})")
        self.effects(kb)
        for cr in kb.rules:
            for tid in cr.thresholds:
                if not kb.thresholds[tid].verified:
                    self.add(cr.file, cr.line, "warning", "threshold-unverified",
                             f"rule '{cr.key}' uses threshold '{tid}' whose value is not verified against the "
                             "official text (verified: false)")

    def cases(self, kb: KnowledgeBase) -> None:
        pos: set[str] = set()
        neg: set[str] = set()
        for ci in kb.cases:
            pos.update(ci.case.expect.applies)
            neg.update(ci.case.expect.not_applies, ci.case.expect.decided_not, ci.case.expect.in_place)
        for mid, info in kb.measures.items():
            lack = [w for w, s in (("positive (expect.applies)", pos), ("negative (expect.not_applies)", neg))
                    if mid not in s]
            if lack:
                self.add(info.file, 1, "error", "cases",
                         f"measure '{mid}' has no {' and no '.join(lack)} case: every measure needs both")
        from cpadvisor.authoring.cases import case_profile
        from cpadvisor.intake.profiles import ProfileError, validate_profile
        for ci in kb.cases:
            try:
                validate_profile(case_profile(ci), kb, ci.file)
            except ProfileError as exc:
                for p in exc.problems:
                    self.add(ci.file, ci.line, "error", "case-profile",
                             f"case '{ci.case.name}': profile" + (f" [{p.field}]" if p.field else "")
                             + f" {p.message}")

    def budget(self, kb: KnowledgeBase) -> None:
        from cpadvisor.rules.durable import MAX_RULES, derived_can_be_unknown, variants
        unknowable = derived_can_be_unknown(kb)
        for cr in kb.rules:
            n = len(variants(cr, kb.specs, unknowable))
            if n > MAX_RULES:
                self.add(cr.file, cr.line, "error", "durable-budget",
                         f"rule '{cr.key}' compiles to {n} durable rules, over the {MAX_RULES} one ruleset may hold "
                         "(the engine's evaluation stack): split it into several rules")

    def run_cases(self, kb: KnowledgeBase) -> None:
        from cpadvisor.authoring.cases import run_case
        for ci in kb.cases:
            res = run_case(kb, ci)
            for msg in res.failures:
                self.add(ci.file, ci.line, "error", "case-fails",
                         f"case '{ci.case.name}': {msg.splitlines()[0]}")


def lint(root: Optional[Union[str, Path]] = None, catalog: Optional[Path] = None,
         run_cases: bool = False) -> list[LintFinding]:
    """Every finding of every check over the knowledge folder ``root``."""
    root = Path(root) if root else default_knowledge_dir()
    if not root.is_dir():
        raise InputError("knowledge folder not found / 找不到知识库目录", str(root), field="--knowledge")
    ln = _Lint(root, catalog)
    ln.placeholders()
    cat = catalog or default_catalog_path(root)
    if cat is None or not Path(cat).exists():
        ln.add(cat or root, None, "warning", "catalog",
               "measure catalog not found: catalog checks skipped (set CPADVISOR_CATALOG or --catalog)")
    kb = ln.load()
    if kb is not None:
        ln.catalog_encoded(kb)
        ln.rules(kb)
        ln.thresholds(kb)
        ln.laws(kb)
        ln.cases(kb)
        ln.budget(kb)
        if run_cases:
            try:
                ln.run_cases(kb)
            except CpadvisorError as exc:
                ln.add(root, None, "error", "case-fails", f"cases could not run: {exc}")
    return sorted(ln.out, key=lambda f: (f.file, f.line or 0, f.level, f.message))


def errors(findings: Iterable[LintFinding]) -> list[LintFinding]:
    return [f for f in findings if f.level == "error"]
