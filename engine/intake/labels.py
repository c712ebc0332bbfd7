"""Words a consultant writes -> vocabulary keys: ``燃煤``/``煤`` -> coal, ``烧结机`` -> sintering_machine.

Wherever a profile expects a vocabulary word, the key, its Chinese or English label, a declared alias
or the Chinese label without 行业 is accepted, and, where no label is written so, the label's words before its
bracket (电解槽 of 电解槽（电解系统）); a unit word that writes its fuel too (燃煤锅炉) gives both. A word that fits
several keys is an error listing them.
"""
from __future__ import annotations

import os
import re
from typing import Any, Iterator, Optional

from cpadvisor.knowledge.loader import KnowledgeBase
from cpadvisor.knowledge.vocabulary import Vocabulary
from cpadvisor.models.profile import NONE_DONE

Loc = tuple[Any, ...]

# the words of the profile's own enumerations (the report prints the same ones)
SIZE = {"large": ("大型", "large"), "medium": ("中型", "medium"), "small": ("小型", "small"), "micro": ("微型", "micro")}
PROJECT_TYPE = {"existing": ("现有项目", "existing"), "new": ("新建", "new"), "rebuilt": ("改建", "rebuilt"),
                "expanded": ("扩建", "expanded")}
PARK_LEVEL = {"national": ("国家级", "national"), "provincial": ("省级", "provincial"), "other": ("其他", "other")}
FIXED = {"size": SIZE, "project_type": PROJECT_TYPE, "level": PARK_LEVEL}
EXTRA_ALIASES = {"project_type": {"现有": "existing", "在产": "existing"}, "size": {"大": "large", "中": "medium",
                                                                         "小": "small", "微": "micro"}}

# where a vocabulary word stands in a profile: path ("*" = every list item) -> vocabulary kind
PLACES: dict[Loc, str] = {
    ("sectors", "*"): "sectors", ("subsectors", "*"): "subsectors", ("leading_sectors", "*"): "sectors",
    ("shared_facilities", "*"): "shared_facilities",
    ("units", "*", "type"): "unit_types", ("units", "*", "fuel"): "fuels", ("units", "*", "other_fuels", "*"): "fuels",
    ("energy", "*", "fuel"): "fuels",
    ("products", "*", "key"): "products",
    ("solid_wastes", "*", "kind"): "waste_kinds", ("solid_wastes", "*", "disposal"): "disposals",
    ("voc_operations", "*", "kind"): "voc_kinds", ("voc_operations", "*", "material"): "voc_materials",
    ("voc_operations", "*", "method"): "voc_methods",
    ("size",): "size", ("project_type",): "project_type", ("level",): "level",
    ("measures_in_place", "*"): "measures", ("units", "*", "measures_in_place", "*"): "measures",
}
NONE_WORDS = ("无", "没有", "均未实施", NONE_DONE)  # the words for measures_in_place: [none]


KEY = re.compile(r"^[a-z][a-z0-9_]*$")
BRACKET = re.compile(r"[（(]")


def _norm(text: str) -> str:
    return " ".join(text.strip().split()).casefold()


class Labels:
    """The label index of a vocabulary: per kind, each written form -> the keys it may mean."""

    def __init__(self, vocab: Vocabulary, measures: Optional[dict[str, tuple[str, str]]] = None):
        self.vocab = vocab
        self.index: dict[str, dict[str, set[str]]] = {}
        self.short: dict[str, dict[str, set[str]]] = {}  # a label's words before its bracket: 电解槽 of 电解槽（电解系统）
        for kind in ("subsectors", "unit_types", "fuels", "waste_kinds", "disposals", "voc_kinds", "voc_materials",
                     "voc_methods", "shared_facilities", "products"):
            idx: dict[str, set[str]] = {}
            short: dict[str, set[str]] = {}
            for key, term in vocab.terms[kind].items():
                for form in self._forms(key, getattr(term, "zh", ""), getattr(term, "en", ""),
                                        getattr(term, "aliases", None) or []):
                    idx.setdefault(form, set()).add(key)
                head = BRACKET.split(getattr(term, "zh", ""), 1)[0].strip()
                if head and head != getattr(term, "zh", ""):
                    short.setdefault(_norm(head), set()).add(key)
            self.index[kind] = idx
            self.short[kind] = {form: keys for form, keys in short.items() if form not in idx}  # a label itself wins
        sectors: dict[str, set[str]] = {}
        for key, name in vocab.sectors.items():
            for form in self._forms(key, name.zh, name.en, vocab.sector_aliases.get(key, [])):
                sectors.setdefault(form, set()).add(key)
        self.index["sectors"] = sectors
        for kind, table in FIXED.items():
            idx = {}
            for key, (zh, en) in table.items():
                for form in self._forms(key, zh, en, []):
                    idx.setdefault(form, set()).add(key)
            for alias, key in EXTRA_ALIASES.get(kind, {}).items():
                idx.setdefault(_norm(alias), set()).add(key)
            self.index[kind] = idx
        idx = {}  # a measure by its id or its name; 无 says none is done
        for key, (zh, en) in (measures or {}).items():
            for form in self._forms(key, zh, en, []):
                idx.setdefault(form, set()).add(key)
        for word in NONE_WORDS:
            idx.setdefault(_norm(word), set()).add(NONE_DONE)
        self.index["measures"] = idx
        self.attr_index: dict[str, dict[str, set[str]]] = {}
        for name, a in vocab.terms["attributes"].items():
            if getattr(a, "type", None) == "enum":
                idx = {}
                for v in a.values or []:
                    lab = (a.labels or {}).get(v)
                    for form in self._forms(v, lab.zh if lab else "", lab.en if lab else "", []):
                        idx.setdefault(form, set()).add(v)
                self.attr_index[name] = idx

    @staticmethod
    def _forms(key: str, zh: str, en: str, aliases: list[str]) -> Iterator[str]:
        yield _norm(key)
        for t in (zh, en, *aliases):
            if t:
                yield _norm(t)
                if t.endswith("行业"):
                    yield _norm(t[:-2])

    def lookup(self, kind: str, word: str, attribute: bool = False) -> tuple[Optional[str], list[str]]:
        """(the key, []) for a word with one meaning; (None, candidates) when it has several; (None, []) if none."""
        idx = (self.attr_index if attribute else self.index).get(kind, {})
        keys = sorted(idx.get(_norm(word), ()))
        if not keys and not attribute:
            keys = sorted(self.short.get(kind, {}).get(_norm(word), ()))
        if len(keys) == 1:
            return keys[0], []
        return None, keys

    def fuel_and_unit(self, word: str) -> Optional[tuple[str, str]]:
        """(fuel, unit type) of a word that writes both, 燃煤锅炉 -> (coal, boiler): the one way to cut it into a fuel
        word and a unit word; None if there is none or more than one."""
        w = _norm(word)
        found = set()
        for i in range(1, len(w)):
            fuel, _ = self.lookup("fuels", w[:i])
            unit, _ = self.lookup("unit_types", w[i:]) if fuel else (None, [])
            if fuel and unit:
                found.add((fuel, unit))
        return found.pop() if len(found) == 1 else None

    def hint(self, kind: str, word: str) -> str:
        """' (did you mean 'key' (label)?)' from a close written form that shares what tells it apart from its
        neighbours (``_head``), else the valid values: 两段炉煤气 is never offered 高炉煤气, whose 高 it lacks."""
        import difflib
        idx = self.index.get(kind, {})
        w = _norm(word)
        for form in difflib.get_close_matches(w, list(idx), n=3, cutoff=0.5):
            if len(idx[form]) == 1 and _head(form, idx) in w:
                key = next(iter(idx[form]))
                return f" (did you mean '{key}' ({self.label(kind, key)})?)"
        return self.vocab.hint(kind, word) if kind in self.vocab.terms or kind == "sectors" else ""

    def label(self, kind: str, key: str, lang: str = "zh") -> str:
        """The word a workbook shows for a key (the key itself when its label is ambiguous)."""
        if kind in FIXED:
            pair = FIXED[kind].get(key)
            word = (pair[1] if lang == "en" else pair[0]) if pair else key
        elif kind == "sectors":
            name = self.vocab.sectors.get(key)
            word = getattr(name, lang, key) if name else key
        else:
            word = self.vocab.label(kind, key, lang)
        found, _ = self.lookup(kind, word)
        return word if found == key else key

    def attr_label(self, attr: str, value: str) -> str:
        a = self.vocab.terms["attributes"].get(attr)
        lab = (getattr(a, "labels", None) or {}).get(value)
        if lab is None:
            return value
        found, _ = self.lookup(attr, lab.zh, attribute=True)
        return lab.zh if found == value else value


def _head(form: str, idx: dict[str, set[str]]) -> str:
    """What tells a written form apart from the forms of other words: the form less the longest ending it shares
    with any of them (高炉煤气 and 焦炉煤气 share 炉煤气: the heads are 高 and 焦); the whole form if that leaves
    nothing."""
    keys = idx[form]
    shared = 0
    for other, its in idx.items():
        if its == keys:
            continue
        n = len(os.path.commonprefix([form[::-1], other[::-1]]))
        shared = max(shared, n)
    return form[:len(form) - shared] or form


def _walk(data: Any, pattern: Loc, loc: Loc = ()) -> Iterator[tuple[Any, Any, Loc]]:
    """(container, key, location) of every place in ``data`` matching ``pattern``."""
    if not pattern:
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                if rest:
                    yield from _walk(item, rest, loc + (i,))
                else:
                    yield data, i, loc + (i,)
    elif isinstance(data, dict) and head in data:
        if rest:
            yield from _walk(data[head], rest, loc + (head,))
        else:
            yield data, head, loc + (head,)


def _singular(kind: str) -> str:
    """shared_facilities -> shared facility, unit_types -> unit type."""
    word = kind.replace("_", " ")
    return word[:-3] + "y" if word.endswith("ies") else word.removesuffix("s")


def normalise(data: Any, labels: Labels) -> list[tuple[Loc, str]]:
    """Replace labels by keys in place; return the ambiguous words as (location, message)."""
    problems: list[tuple[Loc, str]] = []
    if not isinstance(data, dict):
        return problems

    def fix(container: Any, key: Any, loc: Loc, kind: str, attribute: bool = False) -> None:
        word = container[key]
        if not isinstance(word, str):
            return
        found, many = labels.lookup(kind, word, attribute)
        both = labels.fuel_and_unit(word) if kind == "unit_types" and found is None and not many else None
        if both is not None:  # 燃煤锅炉: the fuel and the unit in one word; a fuel written beside it wins
            container[key] = both[1]
            if not container.get("fuel"):
                container["fuel"] = both[0]
        elif found is not None:
            container[key] = found
            term = labels.vocab.terms.get(kind, {}).get(found) if not attribute else None
            for name, value in (getattr(term, "implies", None) or {}).items():  # 其他危废: hazardous too
                if container.get(name) is None:
                    container[name] = value
        elif many:
            named = [m if attribute else f"{m} ({labels.vocab.label(kind, m)})" for m in many] \
                if kind not in FIXED and kind != "sectors" else many
            problems.append((loc, f"'{word}' is ambiguous: it may mean {', '.join(named)}; write one of them / "
                                  f"“{word}”有歧义，可能指 {'、'.join(named)}，请写明其一"))
        elif not attribute and not KEY.match(word) and kind not in FIXED:
            problems.append((loc, f"unknown {_singular(kind)} '{word}'{labels.hint(kind, word)} / "
                                  f"词表中没有“{word}”"))

    for pattern, kind in PLACES.items():
        for container, key, loc in list(_walk(data, pattern)):
            fix(container, key, loc, kind)
    for base in ((), ):
        attrs = data.get("attributes")
        if isinstance(attrs, dict):
            for name in list(attrs):
                if name in labels.attr_index:
                    fix(attrs, name, base + ("attributes", name), name, attribute=True)
    units = data.get("units")
    for i, u in enumerate(units if isinstance(units, list) else []):  # not a list: validation says so
        attrs = u.get("attributes") if isinstance(u, dict) else None
        if isinstance(attrs, dict):
            for name in list(attrs):
                if name in labels.attr_index:
                    fix(attrs, name, ("units", i, "attributes", name), name, attribute=True)
    return problems


def labels_of(kb: KnowledgeBase) -> Labels:
    """The label index of a knowledge base (built once per process)."""
    lab = kb.runtime.get("labels")
    if lab is None:
        lab = kb.runtime["labels"] = Labels(kb.vocab, {m: (i.measure.name.zh, i.measure.name.en)
                                                       for m, i in kb.measures.items()})
    return lab
